"""The scorecard and leadership views: latest value, status and trend of each metric, and movers."""

from __future__ import annotations

from typing import Any

import pandas as pd

from dashboard.queries.metric_info import (
    department_names,
    public_metric_ids,
    with_department_names,
)
from dashboard.queries.reader import Warehouse, run_query


# A period's same period a year earlier: the week 52 weeks before (the same weekday, mostly
# the same ISO week number), otherwise the period starting a calendar year before. Shared by
# the scorecard's "same period last year" and the metric page's five-year view.
def year_before_sql(start: str, grain: str) -> str:
    """SQL for the start (DATE) of the same period one year before ``start``; ``grain`` is an
    SQL expression of the grain (a column or a bound parameter)."""
    return (
        f"CAST({start} - CASE WHEN {grain} = 'week' THEN INTERVAL 364 DAY "
        "ELSE INTERVAL 1 YEAR END AS DATE)"
    )


# Latest two complete citywide periods per metric give the value and its change (with
# $compare = 'last_year', the latest and the same period a year before it); the last twelve
# give the sparkline. Metrics that lack the grain are left out; metrics that have it but no
# complete period yet still appear, with empty values.
_SCORECARD_SQL = """
WITH complete AS (
    SELECT metric_id, period_start, period_label, value, target, status, count,
           row_number() OVER (PARTITION BY metric_id ORDER BY period_start DESC) AS recency
    FROM metric_values
    WHERE grain = $grain AND dimension = 'citywide' AND is_complete
),
trend AS (
    SELECT metric_id, list(value ORDER BY period_start) AS trend
    FROM complete WHERE recency <= $trend_periods
    GROUP BY metric_id
),
defs AS (
    SELECT *, rowid AS position,
           min(rowid) OVER (PARTITION BY cohort_service) AS cohort_position
    FROM metric_definitions
)
SELECT d.metric_id, d.label, d.department, d.cohort_service, d.unit, d.direction,
       d.methodology, d.canonical_table, cur.period_label, cur.value, cur.target, cur.status,
       cur.count,
       prev.period_label AS prior_period_label, prev.value AS prior_value,
       t.trend
FROM defs d
LEFT JOIN complete cur ON cur.metric_id = d.metric_id AND cur.recency = 1
LEFT JOIN complete prev ON prev.metric_id = d.metric_id
    AND CASE WHEN $compare = 'last_year'
             THEN prev.period_start = {year_before}
             ELSE prev.recency = 2 END
LEFT JOIN trend t ON t.metric_id = d.metric_id
WHERE ($department IS NULL OR d.department = $department)
  AND (NOT $public_only OR list_contains($public_ids, d.metric_id))
  AND (d.grains IS NULL OR list_contains(d.grains, $grain)
       OR d.metric_id IN (SELECT metric_id FROM complete))
ORDER BY d.cohort_position, d.position
""".replace("{year_before}", year_before_sql("cur.period_start", "$grain"))

# What the scorecard's change column compares the latest complete period with.
COMPARISONS = ("prior", "last_year")


def scorecard(
    wh: Warehouse,
    grain: str,
    department: str | None = None,
    trend_periods: int = 12,
    public_only: bool = False,
    compare: str = "prior",
) -> pd.DataFrame:
    """One row per metric: latest complete citywide value, target, status, prior value, trend
    (``public_only``: the public metrics only). The prior value is the period before's, or
    with ``compare="last_year"`` the same period's a year earlier."""
    if compare not in COMPARISONS:
        raise ValueError(f"compare must be one of {COMPARISONS}, not {compare!r}")
    frame = run_query(
        wh,
        _SCORECARD_SQL,
        grain=grain,
        compare=compare,
        department=department,
        trend_periods=trend_periods,
        public_only=public_only,
        public_ids=public_metric_ids(wh),
    )
    frame["trend"] = [sparkline_values(values) for values in frame["trend"]]
    return with_department_names(wh, frame)


def sparkline_values(values: Any) -> list[float | None]:
    """A trend as the plain list the sparkline column wants (NULL periods as None).

    DuckDB lists arrive as numpy arrays, masked where a period's value is NULL; one masked
    value left in the column makes Arrow give up and show every trend as text. A metric with
    no complete period has no list at all: pandas hands over its NA, not None.
    """
    if values is None or (not hasattr(values, "__len__") and pd.isna(values)):
        return []
    items = values.tolist() if hasattr(values, "tolist") else list(values)
    return [None if v is None or pd.isna(v) else float(v) for v in items]


_LEADERSHIP_SQL = """
SELECT i.scope_name, i.period_label, i.index_value, i.prior_period_label,
       i.prior_index_value, i.index_change, i.metrics_total, i.metrics_scored, i.on_track,
       i.watch, i.off_track
FROM leadership_index i
LEFT JOIN service_cohorts c ON i.scope = 'cohort' AND c.cohort_label = i.scope_name
WHERE i.scope = $scope AND i.grain = $grain AND i.is_complete
  AND ($name IS NULL OR i.scope_name = $name)
QUALIFY row_number() OVER (PARTITION BY i.scope_name ORDER BY i.period_start DESC) = 1
ORDER BY c.cohort NULLS LAST, i.scope_name
"""


def leadership_latest(
    wh: Warehouse, scope: str, grain: str, name: str | None = None
) -> pd.DataFrame:
    """The index of each scope member (city, department, service, cohort) in its latest
    complete period at a grain, with the prior period's index and the change.

    ``scope_name`` is what the index is kept by (a department's id); ``scope_label`` is what
    pages show (a department's name), ordered by it.
    """
    frame = run_query(wh, _LEADERSHIP_SQL, scope=scope, grain=grain, name=name)
    names = department_names(wh) if scope == "department" else {}
    frame["scope_label"] = [names.get(str(n), str(n)) for n in frame["scope_name"]]
    if scope == "department":
        frame = frame.sort_values(
            "scope_label", key=lambda labels: labels.astype(str).str.casefold(), kind="stable"
        )
    return frame.reset_index(drop=True)


_MOVERS_SQL = """
SELECT metric_id, label, department, unit, direction, period_label, value, target, status,
       score, prior_period_label, prior_value, prior_score, score_change
FROM metric_index_scores
WHERE grain = $grain AND is_complete AND score_change IS NOT NULL
  AND ($department IS NULL OR department = $department)
QUALIFY row_number() OVER (PARTITION BY metric_id ORDER BY period_start DESC) = 1
ORDER BY score_change DESC, metric_id
"""


def metric_movers(wh: Warehouse, grain: str, department: str | None = None) -> pd.DataFrame:
    """Per metric, the change of its score against target from the prior complete period
    to the latest one (positive is better whichever the direction), largest first."""
    return with_department_names(wh, run_query(wh, _MOVERS_SQL, grain=grain, department=department))
