"""One metric over time: its series, baseline, targets by date, and districts side by side."""

from __future__ import annotations

from typing import Any

import pandas as pd

from dashboard.queries.reader import Warehouse, run_query

_BASELINE_SQL = """
WITH base AS (
    SELECT v.grain, v.period_label, v.value
    FROM metric_values v JOIN metric_definitions d USING (metric_id)
    WHERE v.metric_id = $metric AND v.dimension = 'citywide'
      AND v.period_label = d.baseline_period
), latest AS (
    SELECT v.period_label, v.value
    FROM metric_values v JOIN base USING (grain)
    WHERE v.metric_id = $metric AND v.dimension = 'citywide' AND v.is_complete
    ORDER BY v.period_start DESC
    LIMIT 1
)
SELECT base.grain, base.period_label AS baseline_label, base.value AS baseline_value,
       latest.period_label AS latest_label, latest.value AS latest_value
FROM base, latest
"""


def baseline_comparison(wh: Warehouse, metric_id: str) -> dict[str, Any] | None:
    """The metric's baseline period and its latest complete period of that grain, citywide."""
    frame = run_query(wh, _BASELINE_SQL, metric=metric_id)
    if frame.empty:
        return None
    return {str(column): value for column, value in frame.iloc[0].items()}


_SERIES_SQL = """
SELECT period_label, period_start, period_end, is_complete, value, target, status,
       count, numerator, denominator
FROM metric_values
WHERE metric_id = $metric_id AND grain = $grain AND dimension = 'citywide'
ORDER BY period_start
"""


def metric_series(wh: Warehouse, metric_id: str, grain: str) -> pd.DataFrame:
    """Citywide values of one metric at one grain, oldest period first (complete or not)."""
    return run_query(wh, _SERIES_SQL, metric_id=metric_id, grain=grain)


_DISTRICTS_SQL = """
WITH latest AS (
    SELECT max(period_start) AS period_start
    FROM metric_values
    WHERE metric_id = $metric_id AND grain = $grain AND dimension = 'citywide' AND is_complete
)
SELECT v.dimension, v.dimension_value AS area, v.period_label, v.value, v.target, v.status,
       v.count
FROM metric_values v JOIN latest USING (period_start)
WHERE v.metric_id = $metric_id AND v.grain = $grain
  AND v.dimension IN ('citywide', 'council_district')
ORDER BY v.dimension = 'citywide' DESC, try_cast(v.dimension_value AS INTEGER) NULLS LAST,
         v.dimension_value
"""


def district_comparison(wh: Warehouse, metric_id: str, grain: str) -> pd.DataFrame:
    """Citywide row then each council district, for the latest complete period."""
    return run_query(wh, _DISTRICTS_SQL, metric_id=metric_id, grain=grain)


# Consecutive periods with the same target collapse into one span, so a target that changed
# at a fiscal-year boundary reads as two lines.
_TARGETS_SQL = """
WITH ordered AS (
    SELECT period_start, period_label, target,
           CASE WHEN target IS NOT DISTINCT FROM lag(target) OVER (ORDER BY period_start)
                THEN 0 ELSE 1 END AS starts_span
    FROM metric_values
    WHERE metric_id = $metric_id AND grain = $grain AND dimension = 'citywide'
),
spans AS (
    SELECT *, sum(starts_span) OVER (ORDER BY period_start) AS span FROM ordered
)
SELECT min(period_label) AS first_period, max(period_label) AS last_period, any_value(target)
       AS target
FROM spans
GROUP BY span
HAVING any_value(target) IS NOT NULL
ORDER BY min(period_start)
"""


def target_history(wh: Warehouse, metric_id: str, grain: str) -> pd.DataFrame:
    """Each target in force and the periods it covered, oldest first."""
    return run_query(wh, _TARGETS_SQL, metric_id=metric_id, grain=grain)
