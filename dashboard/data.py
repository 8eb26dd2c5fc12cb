"""Read-only access to the published warehouse: small, cached DataFrames for the pages.

This is the only module that opens the warehouse and the only one that caches. The app pins
the published version at the start of every rerun; every query is cached on that version, so
a newly published warehouse is read on the next rerun without restarting the app, and a page
never mixes two versions.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from pipelines.warehouse.layout import versions_dir, warehouse_path
from pipelines.warehouse.published import published_file, published_version


@dataclass(frozen=True)
class Warehouse:
    """One published version of the warehouse: the version file and its identity."""

    path: str
    version: str


_PINNED = "citystat_warehouse_version"


def resolve_warehouse() -> Warehouse | None:
    """The version published right now (the symlink resolved), or None when there is none."""
    published = warehouse_path()
    current, version = published_file(published), published_version(published)
    if current is None or version is None:
        return None
    return Warehouse(path=str(current), version=version)


def pin_warehouse() -> Warehouse | None:
    """Resolve the published version once at the start of a rerun, for every page query.

    A run may publish while someone reads a page: every query of this rerun still reads the
    version pinned here, and the next rerun picks up the new one, never mid-page.
    """
    warehouse = resolve_warehouse()
    st.session_state[_PINNED] = warehouse
    return warehouse


def current_warehouse() -> Warehouse | None:
    """The version pinned for this rerun (resolved now if the app did not pin one)."""
    pinned = st.session_state.get(_PINNED)
    return pinned if isinstance(pinned, Warehouse) else resolve_warehouse()


def expected_warehouse_path() -> Path:
    """Where the dashboard looks for the warehouse (env CITYSTAT_WAREHOUSE overrides)."""
    return Path(warehouse_path())


@st.cache_resource(show_spinner=False, max_entries=2)
def _connection(path: str, version: str) -> duckdb.DuckDBPyConnection:
    """One read-only connection per published version file, shared by every session.

    Opening the file costs more than most page queries (its catalog is read each time); a
    version is never written once published, so one connection serves it for its lifetime
    (a pruned version's file stays readable while this connection holds it).
    """
    del version  # only there to key the cache (a plain-file warehouse reuses its path)
    return duckdb.connect(path, read_only=True)


# A DuckDB connection is not thread-safe; each query takes its own cursor, made under a lock.
_CURSOR_LOCK = threading.Lock()


@st.cache_data(show_spinner=False, max_entries=512)
def _query(path: str, version: str, sql: str, params: dict[str, Any]) -> pd.DataFrame:
    """Run one read-only query; version keys the cache, so a new version is read afresh."""
    if Path(path).parent != versions_dir(warehouse_path()):
        # A plain-file warehouse (older citystat, tests) may be rewritten in place: a
        # connection held open would keep its writers out, so each query opens its own.
        with duckdb.connect(path, read_only=True) as con:
            return con.execute(sql, params).df()
    with _CURSOR_LOCK:
        cursor = _connection(path, version).cursor()
    try:
        return cursor.execute(sql, params).df()
    finally:
        cursor.close()


def _run(wh: Warehouse, sql: str, **params: Any) -> pd.DataFrame:
    try:
        return _query(wh.path, wh.version, sql, params)
    except duckdb.IOException:
        # The pinned version was pruned by later runs while this page was open: read the
        # version published now instead (only ever between whole queries).
        if Path(wh.path).exists():
            raise
        fresh = pin_warehouse()
        if fresh is None:
            raise
        return _query(fresh.path, fresh.version, sql, params)


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
       unit, direction, kind, grains, dimensions, min_count, canonical_table,
       coalesce(availability, '') AS availability  -- '' when computable: NULL reads as NaN
FROM metric_definitions
ORDER BY rowid
"""


def metric_catalog(wh: Warehouse, public_only: bool = False) -> pd.DataFrame:
    """Every metric definition (without its SQL), in the order metrics.yml lists them, with
    whether it is public; ``public_only`` keeps the public ones (the public site)."""
    frame = _run(wh, _CATALOG_SQL)
    frame["public"] = frame["metric_id"].isin(public_metric_ids(wh))
    return frame[frame["public"]] if public_only else frame


_HAS_COLUMN_SQL = """
SELECT count(*) AS n FROM information_schema.columns
WHERE table_name = $table AND column_name = $column
"""


def has_column(wh: Warehouse, table: str, column: str) -> bool:
    """Whether a warehouse table has a column (older warehouses lack the newer ones)."""
    return bool(_run(wh, _HAS_COLUMN_SQL, table=table, column=column)["n"].iloc[0])


_PUBLIC_IDS_SQL = "SELECT metric_id FROM metric_definitions WHERE public ORDER BY rowid"


def public_metric_ids(wh: Warehouse) -> list[str]:
    """Metrics marked ``public: true`` in metrics.yml (none in a warehouse that predates it)."""
    if not has_column(wh, "metric_definitions", "public"):
        return []
    return [str(m) for m in _run(wh, _PUBLIC_IDS_SQL)["metric_id"]]


def metric_definition(
    wh: Warehouse, metric_id: str, public_only: bool = False
) -> dict[str, Any] | None:
    """One metric's definition (label, methodology, owner, unit, direction, ...) or None."""
    catalog = metric_catalog(wh, public_only)
    match = catalog[catalog["metric_id"] == metric_id]
    if match.empty:
        return None
    return {str(column): value for column, value in match.iloc[0].items()}


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
    frame = _run(wh, _BASELINE_SQL, metric=metric_id)
    if frame.empty:
        return None
    return {str(column): value for column, value in frame.iloc[0].items()}


_DEPARTMENTS_SQL = """
SELECT DISTINCT department FROM metric_definitions
WHERE department IS NOT NULL AND (NOT $public_only OR list_contains($public_ids, metric_id))
ORDER BY 1
"""


def departments(wh: Warehouse, public_only: bool = False) -> list[str]:
    """Departments that own at least one metric (one public metric), alphabetically."""
    frame = _run(wh, _DEPARTMENTS_SQL, public_only=public_only, public_ids=public_metric_ids(wh))
    return [str(name) for name in frame["department"]]


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
       d.methodology, cur.period_label, cur.value, cur.target, cur.status, cur.count,
       prev.period_label AS prior_period_label, prev.value AS prior_value,
       t.trend
FROM defs d
LEFT JOIN complete cur ON cur.metric_id = d.metric_id AND cur.recency = 1
LEFT JOIN complete prev ON prev.metric_id = d.metric_id AND prev.recency = 2
LEFT JOIN trend t ON t.metric_id = d.metric_id
WHERE ($department IS NULL OR d.department = $department)
  AND (NOT $public_only OR list_contains($public_ids, d.metric_id))
  AND (d.grains IS NULL OR list_contains(d.grains, $grain)
       OR d.metric_id IN (SELECT metric_id FROM complete))
ORDER BY d.cohort_position, d.position
"""


def scorecard(
    wh: Warehouse,
    grain: str,
    department: str | None = None,
    trend_periods: int = 12,
    public_only: bool = False,
) -> pd.DataFrame:
    """One row per metric: latest complete citywide value, target, status, prior value, trend
    (``public_only``: the public metrics only)."""
    frame = _run(
        wh,
        _SCORECARD_SQL,
        grain=grain,
        department=department,
        trend_periods=trend_periods,
        public_only=public_only,
        public_ids=public_metric_ids(wh),
    )
    frame["trend"] = [sparkline_values(values) for values in frame["trend"]]
    return frame


def sparkline_values(values: Any) -> list[float | None]:
    """A trend as the plain list the sparkline column wants (NULL periods as None).

    DuckDB lists arrive as numpy arrays, masked where a period's value is NULL; one masked
    value left in the column makes Arrow give up and show every trend as text.
    """
    if values is None:
        return []
    items = values.tolist() if hasattr(values, "tolist") else list(values)
    return [None if v is None else float(v) for v in items]


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


# ---------------------------------------------------------------- service catalog and index
# The tables below are written by pipelines/services (compute_service_tables) after the
# metrics; a warehouse published before that step has none of them.

_TABLES_SQL = """
SELECT table_name FROM information_schema.tables WHERE list_contains($names, table_name)
"""


def missing_tables(wh: Warehouse, names: list[str]) -> list[str]:
    """Which of these tables the warehouse lacks (a warehouse from an older run)."""
    present = set(_run(wh, _TABLES_SQL, names=names)["table_name"].astype(str))
    return [name for name in names if name not in present]


_SERVICE_CATALOG_SQL = """
SELECT s.service, s.department, s.description, s.channels, s.channel_labels, s.mechanism,
       s.fees, s.costs, s.resident_must, s.application, s.documents, s.cohort_service,
       p.rank, p.cohort, p.cohort_label
FROM services s LEFT JOIN service_priorities p USING (service)
ORDER BY s.position
"""


def service_catalog(wh: Warehouse) -> pd.DataFrame:
    """Every service in services.yml order, with its rank and quarterly cohort."""
    frame = _run(wh, _SERVICE_CATALOG_SQL)
    for column in ("channels", "channel_labels", "documents"):
        frame[column] = [[] if v is None else [str(x) for x in v] for v in frame[column]]
    return frame


_RANKING_SQL = """
SELECT rank, service, department, score, people_served, people_served_basis, cohort,
       cohort_label, cohort_start, cohort_end, reason
FROM service_priorities
ORDER BY rank
"""


def service_ranking(wh: Warehouse) -> pd.DataFrame:
    """Services by priority rank, with score, cohort and the reason in words."""
    return _run(wh, _RANKING_SQL)


_FACTORS_SQL = """
SELECT f.service, f.factor, f.factor_label, f.factor_order, f.weight, f.score,
       f.contribution, f.basis, f.detail
FROM service_priority_factors f JOIN service_priorities p USING (service)
ORDER BY p.rank, f.factor_order
"""


def service_factors(wh: Warehouse) -> pd.DataFrame:
    """Each service's six factor scores and contributions, in rank then factor order."""
    return _run(wh, _FACTORS_SQL)


_COHORTS_SQL = """
SELECT cohort, cohort_label, cohort_start, cohort_end, capacity, services
FROM service_cohorts ORDER BY cohort
"""


def service_cohorts(wh: Warehouse) -> pd.DataFrame:
    """The quarterly cohorts, first first."""
    return _run(wh, _COHORTS_SQL)


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
    complete period at a grain, with the prior period's index and the change."""
    return _run(wh, _LEADERSHIP_SQL, scope=scope, grain=grain, name=name)


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
    return _run(wh, _MOVERS_SQL, grain=grain, department=department)


_ALL_DEPARTMENTS_SQL = """
SELECT department FROM metric_definitions WHERE department IS NOT NULL
UNION
SELECT department FROM services WHERE department IS NOT NULL
ORDER BY 1
"""


def all_departments(wh: Warehouse) -> list[str]:
    """Departments that own a metric or deliver a catalogued service, alphabetically."""
    if missing_tables(wh, ["services"]):
        return departments(wh)
    return [str(name) for name in _run(wh, _ALL_DEPARTMENTS_SQL)["department"]]


# The latest file of each source (by its run's start, then file name); with a department,
# only the sources that load the canonical tables its metrics are computed from.
_LATEST_LOADS_SQL = """
WITH tables AS (
    SELECT DISTINCT coalesce(canonical_table, 'service_requests') AS canonical_table
    FROM metric_definitions WHERE department = $department
),
loads AS (
    SELECT f.source, coalesce(f.canonical_table, 'service_requests') AS canonical_table,
           f.file, f.file_sha256, f.file_bytes, f.rows_read, f.rows_inserted, f.rows_updated,
           f.rows_unchanged, f.rows_quarantined, f.rows_rejected, f.run_id,
           r.finished_at AS loaded_at, r.data_as_of,
           row_number() OVER (
               PARTITION BY f.source ORDER BY r.started_at DESC NULLS LAST, f.file DESC
           ) AS recency
    FROM load_files f LEFT JOIN runs r USING (run_id)
)
SELECT * EXCLUDE (recency) FROM loads
WHERE recency = 1
  AND ($department IS NULL OR canonical_table IN (SELECT canonical_table FROM tables))
ORDER BY source
"""


def latest_loads(wh: Warehouse, department: str | None = None) -> pd.DataFrame:
    """Per source, the latest file loaded: when, its hash and how its rows merged."""
    return _run(wh, _LATEST_LOADS_SQL, department=department)


_RUN_STEPS_SQL = """
WITH recent AS (
    SELECT run_id, min(started_at) AS run_started
    FROM run_steps GROUP BY run_id
    ORDER BY run_started DESC LIMIT $runs
)
SELECT s.run_id, r.run_started, coalesce(s.source, 'whole run') AS source, s.step,
       s.started_at, s.seconds
FROM run_steps s JOIN recent r USING (run_id)
ORDER BY r.run_started DESC, s.started_at
"""


def run_step_times(wh: Warehouse, runs: int = 5) -> pd.DataFrame:
    """Seconds each step (read, stage, validate, merge, metrics, publish) took, last runs."""
    return _run(wh, _RUN_STEPS_SQL, runs=runs)


_EQUITY_METRICS_SQL = """
SELECT d.metric_id, d.label, d.department, d.unit, d.direction, d.methodology
FROM metric_definitions d
WHERE d.metric_id IN (SELECT DISTINCT metric_id FROM district_gaps)
  AND (NOT $public_only OR list_contains($public_ids, d.metric_id))
ORDER BY d.rowid
"""


def equity_metrics(wh: Warehouse, public_only: bool = False) -> pd.DataFrame:
    """Metrics that have council-district values (public ones only), in metrics.yml order."""
    return _run(wh, _EQUITY_METRICS_SQL, public_only=public_only, public_ids=public_metric_ids(wh))


_DISTRICT_GAPS_SQL = """
SELECT period_label, period_start, council_district, value, count, status, citywide_value,
       reference_value, reference_kind, gap, comparable, flagged, gap_threshold
FROM district_gaps
WHERE metric_id = $metric_id AND grain = $grain AND is_complete
ORDER BY period_start, try_cast(council_district AS INTEGER) NULLS LAST, council_district
"""


def district_gaps(wh: Warehouse, metric_id: str, grain: str) -> pd.DataFrame:
    """Each council district against citywide in every complete period, oldest first."""
    return _run(wh, _DISTRICT_GAPS_SQL, metric_id=metric_id, grain=grain)


_CENTROIDS_SQL = """
SELECT council_district, latitude, longitude, records
FROM district_centroids
ORDER BY try_cast(council_district AS INTEGER) NULLS LAST, council_district
"""


def district_centroids(wh: Warehouse) -> pd.DataFrame:
    """Where each council district lies: the average position of its located requests."""
    return _run(wh, _CENTROIDS_SQL)


# ------------------------------------------------------------------ meetings and open data
# A meeting's packet is frozen from these reads: the meetings store copies them into its own
# database, so a later run that rewrites metric_values never changes what was discussed.

_COHORT_LABELS_SQL = "SELECT cohort_label FROM service_cohorts ORDER BY cohort"


def cohort_labels(wh: Warehouse) -> list[str]:
    """The quarterly cohorts' labels, first first (none in a warehouse without services)."""
    if missing_tables(wh, ["service_cohorts"]):
        return []
    return [str(label) for label in _run(wh, _COHORT_LABELS_SQL)["cohort_label"]]


# A cohort holds services; a service's metrics are those naming its cohort_service.
_SCOPE_METRICS_SQL = """
SELECT d.metric_id FROM metric_definitions d
WHERE ($kind = 'department' AND d.department = $name)
   OR ($kind = 'cohort' AND d.cohort_service IN (
        SELECT s.cohort_service FROM services s JOIN service_priorities p USING (service)
        WHERE p.cohort_label = $name))
ORDER BY d.rowid
"""

SCOPE_KINDS = ("department", "cohort")


def scope_metric_ids(wh: Warehouse, kind: str, name: str) -> list[str]:
    """Metrics under review for a department or a quarterly cohort, in metrics.yml order."""
    if kind not in SCOPE_KINDS:
        raise ValueError(f"unknown scope '{kind}'; use one of: {', '.join(SCOPE_KINDS)}")
    if kind == "cohort" and missing_tables(wh, ["services", "service_priorities"]):
        return []
    frame = _run(wh, _SCOPE_METRICS_SQL, kind=kind, name=name)
    return [str(m) for m in frame["metric_id"]]


_PACKET_DEFINITIONS_SQL = """
SELECT metric_id, label, description, methodology, department, owner, cohort_service, unit,
       direction
FROM metric_definitions
WHERE list_contains($metric_ids, metric_id)
ORDER BY rowid
"""

# The last `periods` complete citywide periods of each metric at one grain, oldest first.
_PACKET_VALUES_SQL = """
SELECT metric_id, period_label, period_start, period_end, value, target, status, count
FROM metric_values
WHERE list_contains($metric_ids, metric_id) AND grain = $grain
  AND dimension = 'citywide' AND is_complete
QUALIFY row_number() OVER (PARTITION BY metric_id ORDER BY period_start DESC) <= $periods
ORDER BY metric_id, period_start
"""


def packet_source(
    wh: Warehouse, metric_ids: list[str], grain: str, periods: int = 12
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What a new meeting's packet freezes: the metrics' definitions (metrics.yml order) and
    their last ``periods`` complete citywide values at ``grain`` (oldest first)."""
    definitions = _run(wh, _PACKET_DEFINITIONS_SQL, metric_ids=metric_ids)
    definitions["public"] = definitions["metric_id"].isin(public_metric_ids(wh))
    values = _run(wh, _PACKET_VALUES_SQL, metric_ids=metric_ids, grain=grain, periods=periods)
    return definitions, values


# Citywide and council-district values only: the aggregates a resident can compare. ZIP and
# other breakdowns stay out of the download (small cells, and a file too large to offer).
_OPEN_DATA_SQL = """
SELECT v.metric_id, d.label, d.unit, d.direction, v.grain, v.period_label, v.period_start,
       v.period_end, v.is_complete, v.dimension, v.dimension_value, v.value, v.target,
       v.status, v.count
FROM metric_values v JOIN metric_definitions d USING (metric_id)
WHERE list_contains($public_ids, v.metric_id)
  AND v.dimension IN ('citywide', 'council_district')
ORDER BY d.rowid, v.grain, v.period_start, v.dimension <> 'citywide',
         try_cast(v.dimension_value AS INTEGER) NULLS LAST, v.dimension_value
"""


def open_data_values(wh: Warehouse) -> pd.DataFrame:
    """Every value of the public metrics, citywide and by council district (the open data)."""
    return _run(wh, _OPEN_DATA_SQL, public_ids=public_metric_ids(wh))


_OPEN_DEFINITIONS_SQL = """
SELECT metric_id, label, description, methodology, department, unit, direction, grains,
       dimensions, min_count, coalesce(availability, '') AS availability
FROM metric_definitions
WHERE list_contains($public_ids, metric_id)
ORDER BY rowid
"""


def open_data_definitions(wh: Warehouse) -> pd.DataFrame:
    """How each public metric is computed: description, methodology, unit, direction."""
    return _run(wh, _OPEN_DEFINITIONS_SQL, public_ids=public_metric_ids(wh))
