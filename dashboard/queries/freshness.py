"""How fresh and sound the data is: runs, files loaded, validation, quarantine and step times."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import duckdb
import pandas as pd

from dashboard.queries.metric_info import missing_tables
from dashboard.queries.reader import Warehouse, run_query

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
    frame = run_query(wh, _PUBLISHED_RUN_SQL)
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
    return run_query(wh, _RUNS_SQL, limit=limit)


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
    return run_query(wh, _FILES_SQL, run_id=run_id)


_SKIPPED_SQL = """
SELECT source, file, reason FROM skipped_files WHERE run_id = $run_id ORDER BY source, file
"""


def skipped_files(wh: Warehouse, run_id: str) -> pd.DataFrame:
    """The files a run's patterns matched but it never opened (a FIFO, socket, device, folder
    or broken link), with why; empty for a warehouse written before runs recorded them."""
    if missing_tables(wh, ["skipped_files"]):
        return pd.DataFrame(columns=["source", "file", "reason"])
    return run_query(wh, _SKIPPED_SQL, run_id=run_id)


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
    return run_query(wh, _VALIDATION_SQL, run_id=run_id)


_QUARANTINE_SQL = """
SELECT source, rule, column_name, count(*) AS rows_quarantined
FROM quarantine
WHERE run_id = $run_id
GROUP BY ALL
ORDER BY rows_quarantined DESC, source, rule, column_name
"""


def quarantine_counts(wh: Warehouse, run_id: str) -> pd.DataFrame:
    """Quarantined rows counted by source, rule and column (never the records themselves)."""
    return run_query(wh, _QUARANTINE_SQL, run_id=run_id)


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
    return run_query(wh, _LATEST_LOADS_SQL, department=department)


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
    return run_query(wh, _RUN_STEPS_SQL, runs=runs)


# Every file merged into the published warehouse (files are loaded once: a repeat is skipped),
# so these are the rows behind every count; NULL canonical_table: before permits/inspections.
_SET_ASIDE_SQL = """
SELECT coalesce(canonical_table, 'service_requests') AS canonical_table,
       count(*) AS files,
       coalesce(sum(rows_read), 0) AS rows_read,
       coalesce(sum(rows_staged), 0) AS rows_staged,
       coalesce(sum(rows_quarantined), 0) AS rows_quarantined,
       coalesce(sum(rows_rejected), 0) AS rows_rejected
FROM load_files
GROUP BY ALL
ORDER BY canonical_table
"""


def set_aside(wh: Warehouse) -> pd.DataFrame:
    """Per canonical table, over every file behind the published data: files, rows read,
    staged, quarantined and rejected (what a volume on a page leaves out)."""
    return run_query(wh, _SET_ASIDE_SQL)


# ------------------------------------------------------------------------------ late sources
# city.yml says how often each source's data arrives (city_sources.expected_every, NULL for an
# archive); the run records the UTC instant of each source's newest record. A source is late
# when that instant plus its period and grace is before now; one that never delivered a
# record is the latest of all (no days_late, listed first). Instants on both sides, in UTC:
# a daylight-saving change in the city never moves the verdict.
_LATE_SOURCES_SQL = """
WITH due AS (
    SELECT source, title, last_record_utc, expected_every, position,
           last_record_utc + CAST(expected_every AS INTERVAL) + CAST(grace AS INTERVAL) AS due_by
    FROM city_sources
    WHERE expected_every IS NOT NULL
)
SELECT source AS source_id, title AS source_name, last_record_utc AS last_arrived,
       expected_every, epoch(CAST($now AS TIMESTAMP) - due_by) / 86400.0 AS days_late
FROM due
WHERE due_by IS NULL OR due_by < CAST($now AS TIMESTAMP)
ORDER BY days_late DESC NULLS FIRST, position
"""

LATE_COLUMNS = ["source_id", "source_name", "last_arrived", "expected_every", "days_late"]


def late_sources(con: Warehouse | duckdb.DuckDBPyConnection, now: datetime) -> pd.DataFrame:
    """The sources whose data is late at ``now``, most late first (``last_arrived``: UTC).

    ``con`` is a published warehouse (through the cached reader) or an open connection;
    a naive ``now`` is read as UTC. A warehouse published before arrivals were kept has none.
    """
    if not _has_table(con, "city_sources"):
        return pd.DataFrame(columns=LATE_COLUMNS)
    return _read(con, _LATE_SOURCES_SQL, now=utc_naive(now))


# Each metric and the late sources (of late_sources) of the table it is computed from; a
# metric its sources cannot give (availability set) has no values to be out of date.
_LATE_METRICS_SQL = """
WITH feeds AS (SELECT DISTINCT source, canonical_table FROM source_columns)
SELECT d.metric_id, list(s.title ORDER BY s.position) AS late_sources
FROM metric_definitions d
JOIN feeds f ON f.canonical_table = coalesce(d.canonical_table, 'service_requests')
JOIN city_sources s ON s.source = f.source
WHERE list_contains($late, f.source) AND d.availability IS NULL
GROUP BY d.metric_id
ORDER BY d.metric_id
"""


def late_metrics(wh: Warehouse, now: datetime) -> dict[str, list[str]]:
    """Metric id -> the names of the late sources it is computed from (late metrics only)."""
    late = [str(source) for source in late_sources(wh, now)["source_id"]]
    if not late:
        return {}
    frame = run_query(wh, _LATE_METRICS_SQL, late=late)
    return {
        str(m): [str(s) for s in sources]
        for m, sources in zip(frame["metric_id"], frame["late_sources"], strict=True)
    }


def now_to_the_minute() -> datetime:
    """Now in UTC, to the minute: the pages' "now", so a minute's reruns share their queries."""
    return datetime.now(UTC).replace(second=0, microsecond=0)


def utc_naive(moment: datetime) -> datetime:
    """An instant as naive UTC, as the warehouse keeps its own times (naive is UTC already)."""
    return moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)


_HAS_TABLE_SQL = "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = $table"


def _has_table(con: Warehouse | duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(_read(con, _HAS_TABLE_SQL, table=table)["n"].iloc[0])


def _read(con: Warehouse | duckdb.DuckDBPyConnection, sql: str, **params: Any) -> pd.DataFrame:
    if isinstance(con, Warehouse):
        return run_query(con, sql, **params)
    return con.execute(sql, params).df()
