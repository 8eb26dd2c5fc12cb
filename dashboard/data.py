"""Read-only access to the published warehouse: small, cached DataFrames for the pages.

This is the only module that opens the warehouse and the only one that caches. Every query
is cached on (file path, modification time), so a newly published warehouse is read on the
next rerun without restarting the app.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from pipelines.warehouse import warehouse_path


@dataclass(frozen=True)
class Warehouse:
    """One published version of the warehouse file: its path and modification time."""

    path: str
    mtime_ns: int


def current_warehouse() -> Warehouse | None:
    """The warehouse file as it is now, or None when it does not exist."""
    path = Path(warehouse_path())
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    if not path.is_file():
        return None
    return Warehouse(path=str(path), mtime_ns=stat.st_mtime_ns)


def expected_warehouse_path() -> Path:
    """Where the dashboard looks for the warehouse (env CITYSTAT_WAREHOUSE overrides)."""
    return Path(warehouse_path())


@st.cache_data(show_spinner=False, max_entries=512)
def _query(path: str, mtime_ns: int, sql: str, params: dict[str, Any]) -> pd.DataFrame:
    """Run one read-only query; mtime_ns is part of the cache key so new files are re-read."""
    del mtime_ns  # only there to key the cache
    con = duckdb.connect(path, read_only=True)
    try:
        return con.execute(sql, params).df()
    finally:
        con.close()


def _run(wh: Warehouse, sql: str, **params: Any) -> pd.DataFrame:
    # Copy so a page that adds columns never mutates the cached frame.
    return _query(wh.path, wh.mtime_ns, sql, params).copy()


_PUBLISHED_RUN_SQL = """
SELECT run_id, started_at, finished_at, status, coalesce(is_demo, false) AS is_demo,
       data_as_of, validation_passed, message
FROM runs
WHERE status = 'published'
ORDER BY finished_at DESC NULLS LAST, started_at DESC NULLS LAST
LIMIT 1
"""


def published_run(wh: Warehouse) -> dict[str, Any] | None:
    """The latest published run (the data on screen), or None if nothing was published."""
    frame = _run(wh, _PUBLISHED_RUN_SQL)
    if frame.empty:
        return None
    return {str(column): value for column, value in frame.iloc[0].items()}


_RUNS_SQL = """
SELECT run_id, started_at, finished_at, status, is_demo, data_as_of, validation_passed, message
FROM runs
ORDER BY finished_at DESC NULLS FIRST, started_at DESC NULLS LAST
LIMIT $limit
"""


def recent_runs(wh: Warehouse, limit: int = 10) -> pd.DataFrame:
    """The most recent runs of any status, newest first (unfinished ones on top)."""
    return _run(wh, _RUNS_SQL, limit=limit)


_CATALOG_SQL = """
SELECT metric_id, label, description, methodology, department, owner, cohort_service,
       unit, direction, kind, grains, dimensions, min_count, canonical_table, availability
FROM metric_definitions
ORDER BY rowid
"""


def metric_catalog(wh: Warehouse) -> pd.DataFrame:
    """Every metric definition (without its SQL), in the order metrics.yml lists them."""
    return _run(wh, _CATALOG_SQL)


def metric_definition(wh: Warehouse, metric_id: str) -> dict[str, Any] | None:
    """One metric's definition (label, methodology, owner, unit, direction, ...) or None."""
    catalog = metric_catalog(wh)
    match = catalog[catalog["metric_id"] == metric_id]
    if match.empty:
        return None
    return {str(column): value for column, value in match.iloc[0].items()}


_DEPARTMENTS_SQL = """
SELECT DISTINCT department FROM metric_definitions WHERE department IS NOT NULL ORDER BY 1
"""


def departments(wh: Warehouse) -> list[str]:
    """Departments that own at least one metric, alphabetically."""
    return [str(name) for name in _run(wh, _DEPARTMENTS_SQL)["department"]]


_GRAINS_SQL = """
SELECT DISTINCT grain FROM metric_values
WHERE ($metric_id IS NULL OR metric_id = $metric_id) AND grain IS NOT NULL
"""


def available_grains(wh: Warehouse, metric_id: str | None = None) -> list[str]:
    """Grains with computed values (for one metric, or for any), unordered."""
    return [str(grain) for grain in _run(wh, _GRAINS_SQL, metric_id=metric_id)["grain"]]


# Latest two complete citywide periods per metric give the value and its change; the last
# twelve give the sparkline. Metrics that lack the grain are left out; metrics that have it
# but no complete period yet still appear, with empty values.
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
       cur.period_label, cur.value, cur.target, cur.status, cur.count,
       prev.period_label AS prior_period_label, prev.value AS prior_value,
       t.trend
FROM defs d
LEFT JOIN complete cur ON cur.metric_id = d.metric_id AND cur.recency = 1
LEFT JOIN complete prev ON prev.metric_id = d.metric_id AND prev.recency = 2
LEFT JOIN trend t ON t.metric_id = d.metric_id
WHERE ($department IS NULL OR d.department = $department)
  AND (d.grains IS NULL OR list_contains(d.grains, $grain)
       OR d.metric_id IN (SELECT metric_id FROM complete))
ORDER BY d.cohort_position, d.position
"""


def scorecard(
    wh: Warehouse, grain: str, department: str | None = None, trend_periods: int = 12
) -> pd.DataFrame:
    """One row per metric: latest complete citywide value, target, status, prior value, trend."""
    frame = _run(
        wh, _SCORECARD_SQL, grain=grain, department=department, trend_periods=trend_periods
    )
    # DuckDB lists arrive as numpy arrays; the sparkline column wants plain lists.
    frame["trend"] = [[] if values is None else list(values) for values in frame["trend"]]
    return frame


_SERIES_SQL = """
SELECT period_label, period_start, period_end, is_complete, value, target, status,
       count, numerator, denominator
FROM metric_values
WHERE metric_id = $metric_id AND grain = $grain AND dimension = 'citywide'
ORDER BY period_start
"""


def metric_series(wh: Warehouse, metric_id: str, grain: str) -> pd.DataFrame:
    """Citywide values of one metric at one grain, oldest period first (complete or not)."""
    return _run(wh, _SERIES_SQL, metric_id=metric_id, grain=grain)


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
    return _run(wh, _DISTRICTS_SQL, metric_id=metric_id, grain=grain)


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
    return _run(wh, _TARGETS_SQL, metric_id=metric_id, grain=grain)


_FILES_SQL = """
SELECT source, file, rows_read, rows_staged, rows_quarantined, rows_rejected,
       rows_staged + rows_quarantined + rows_rejected AS rows_accounted,
       rows_read = rows_staged + rows_quarantined + rows_rejected AS adds_up
FROM load_files
WHERE run_id = $run_id
ORDER BY source, file
"""


def file_accounting(wh: Warehouse, run_id: str) -> pd.DataFrame:
    """Per loaded file: rows read, staged, quarantined, rejected, and whether they add up."""
    return _run(wh, _FILES_SQL, run_id=run_id)


_VALIDATION_SQL = """
SELECT source, suite, expectation_type, column_name, critical, success, element_count,
       unexpected_count,
       CASE WHEN element_count > 0 THEN unexpected_count / element_count END AS unexpected_share,
       details
FROM validation_results
WHERE run_id = $run_id
ORDER BY success, critical DESC, source, suite, expectation_type, column_name
"""


def validation_results(wh: Warehouse, run_id: str) -> pd.DataFrame:
    """Outcome of every expectation in a run, failures first."""
    return _run(wh, _VALIDATION_SQL, run_id=run_id)


_QUARANTINE_SQL = """
SELECT source, rule, column_name, count(*) AS rows_quarantined
FROM quarantine
WHERE run_id = $run_id
GROUP BY ALL
ORDER BY rows_quarantined DESC, source, rule, column_name
"""


def quarantine_counts(wh: Warehouse, run_id: str) -> pd.DataFrame:
    """Quarantined rows counted by source, rule and column (never the records themselves)."""
    return _run(wh, _QUARANTINE_SQL, run_id=run_id)
