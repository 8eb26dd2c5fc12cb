"""Seasonal comparisons of one metric: the same period in each of the last years, and the
fiscal year to date against last year's over the same months, all in SQL."""

from __future__ import annotations

from typing import Any

import pandas as pd

from dashboard.queries.metric_info import missing_tables
from dashboard.queries.reader import Warehouse, run_query

# The latest complete period, then the same period 1, 2, ... years before it (weeks: 52
# weeks before, the same weekday); the most recent ``$years`` of them that have a value.
_SAME_PERIOD_SQL = """
WITH series AS (
    SELECT period_start, period_label, value, target, status, count
    FROM metric_values
    WHERE metric_id = $metric_id AND grain = $grain AND dimension = 'citywide' AND is_complete
),
wanted AS (
    SELECT k AS years_back,
           CAST(CASE WHEN $grain = 'week' THEN l.period_start - to_days(CAST(364 * k AS INTEGER))
                     ELSE l.period_start - to_years(CAST(k AS INTEGER)) END AS DATE)
               AS period_start
    FROM (SELECT max(period_start) AS period_start FROM series) AS l, range(0, $look_back) AS t(k)
    WHERE l.period_start IS NOT NULL
)
SELECT w.years_back, s.*
FROM wanted w JOIN series s USING (period_start)
WHERE s.value IS NOT NULL
ORDER BY s.period_start DESC
LIMIT $years
"""


_FISCAL_START_SQL = "SELECT max(fiscal_year_start_month) AS month FROM city_profile"


def fiscal_year_start_month(wh: Warehouse) -> int | None:
    """The month the city's fiscal year starts (city.yml, published by every run), or None
    in a warehouse published before the city profile was."""
    if missing_tables(wh, ["city_profile"]):
        return None
    month = run_query(wh, _FISCAL_START_SQL)["month"].iloc[0]
    return None if pd.isna(month) else int(month)


def same_period_years(wh: Warehouse, metric_id: str, grain: str, years: int = 5) -> pd.DataFrame:
    """The latest complete period and the same period in earlier years, up to ``years`` that
    have a value (the last years with data, not necessarily consecutive), oldest first."""
    frame = run_query(
        wh, _SAME_PERIOD_SQL, metric_id=metric_id, grain=grain, years=years, look_back=50
    )
    return frame.sort_values("period_start").reset_index(drop=True)


# Fiscal year to date from complete months: the current fiscal year's complete months and the
# same months of the fiscal year before, each side combined the way the metric adds up. A
# count is the sum of its months; a share or ratio the sum of numerators over the sum of
# denominators; a backlog is what was open at the end of the span (its last month's value).
# A percentile (a median) cannot be made from months' medians: NULL, with the reason.
_YEAR_TO_DATE_SQL = """
WITH definition AS (
    SELECT kind FROM metric_definitions WHERE metric_id = $metric_id
),
months AS (
    SELECT v.period_start, v.period_label, v.value, v.numerator, v.denominator,
           CAST(date_trunc('year', v.period_start - to_months($shift)) + to_months($shift)
                AS DATE) AS fiscal_start
    FROM metric_values v
    WHERE v.metric_id = $metric_id AND v.grain = 'month' AND v.dimension = 'citywide'
      AND v.is_complete
),
current_span AS (
    SELECT fiscal_start, min(period_start) AS first_month, max(period_start) AS last_month
    FROM months
    WHERE fiscal_start = (SELECT max(fiscal_start) FROM months)
    GROUP BY fiscal_start
),
sides AS (
    SELECT 'current' AS side, m.* FROM months m JOIN current_span c USING (fiscal_start)
    UNION ALL
    SELECT 'last_year', m.* FROM months m, current_span c
    WHERE m.period_start BETWEEN CAST(c.first_month - INTERVAL 1 YEAR AS DATE)
                             AND CAST(c.last_month - INTERVAL 1 YEAR AS DATE)
),
combined AS (
    SELECT side, any_value(fiscal_start) AS fiscal_start,
           min(period_label) AS first_label, max(period_label) AS last_label,
           count(*) AS months,
           CASE (SELECT kind FROM definition)
               WHEN 'count' THEN sum(value)
               WHEN 'backlog' THEN arg_max(value, period_start)
               WHEN 'share' THEN sum(numerator) / nullif(sum(denominator), 0)
               WHEN 'ratio' THEN sum(numerator) / nullif(sum(denominator), 0)
           END AS value
    FROM sides
    GROUP BY side
)
SELECT (SELECT kind FROM definition) AS kind,
       c.fiscal_start, c.first_label AS current_first, c.last_label AS current_last,
       c.months, c.value AS current_value,
       l.first_label AS last_year_first, l.last_label AS last_year_last,
       l.months AS last_year_months, l.value AS last_year_value
FROM combined c LEFT JOIN combined l ON l.side = 'last_year'
WHERE c.side = 'current'
"""

# How each kind's months were added up, as the page says it.
YEAR_TO_DATE_HOW = {
    "count": "the months added up",
    "backlog": "what was open at the end of the last month",
    "share": "all months' records together (not an average of monthly rates)",
    "ratio": "each part added up over the months, then divided",
}


def year_to_date(
    wh: Warehouse, metric_id: str, fiscal_year_start_month: int
) -> dict[str, Any] | None:
    """This fiscal year's complete months against the same months of the year before, each
    combined by the metric's kind (``current_value`` / ``last_year_value``; None when the
    metric has no complete month). ``how`` says how the months were combined, or is ''
    when they cannot be (a percentile)."""
    frame = run_query(wh, _YEAR_TO_DATE_SQL, metric_id=metric_id, shift=fiscal_year_start_month - 1)
    if frame.empty:
        return None
    row = {str(column): value for column, value in frame.iloc[0].items()}
    row["how"] = YEAR_TO_DATE_HOW.get(str(row["kind"]), "")
    return row
