"""The warehouse's tables: the canonical tables each kind of extract feeds, and every table's DDL.

Timestamp convention: every timestamp column is a naive DuckDB ``TIMESTAMP`` holding the
city's local wall-clock time (``timezone`` in city.yml). Sources that publish
UTC instants (for example ``/Date(epoch-ms)/``) are converted to local time at staging, so
weeks, months and fiscal years are cut where the city cuts them. Wall-clock time repeats an
hour each autumn, so what orders events is the instant: a staged table carries one UTC
column per timestamp (``instant_column``) for the row checks, and each record and version
keeps ``_utc_version``, the UTC instant of its version time, for the merge.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

_LOCATION_COLUMNS: dict[str, str] = {
    "zip": "VARCHAR",
    "council_district": "VARCHAR",
    "latitude": "DOUBLE",
    "longitude": "DOUBLE",
}
_LINEAGE_COLUMNS: dict[str, str] = {"source_file": "VARCHAR", "source_row": "BIGINT"}

SERVICE_REQUESTS_COLUMNS: dict[str, str] = {
    "request_id": "VARCHAR",
    "source": "VARCHAR",
    "service_code": "VARCHAR",
    "service_name": "VARCHAR",
    "department": "VARCHAR",
    "status": "VARCHAR",  # open | closed | cancelled
    "status_raw": "VARCHAR",
    "opened_at": "TIMESTAMP",
    "closed_at": "TIMESTAMP",
    "due_at": "TIMESTAMP",
    "updated_at": "TIMESTAMP",
    "channel": "VARCHAR",
    **_LOCATION_COLUMNS,
    **_LINEAGE_COLUMNS,
}

PERMITS_COLUMNS: dict[str, str] = {
    "permit_id": "VARCHAR",
    "source": "VARCHAR",
    "permit_type": "VARCHAR",
    "work_type": "VARCHAR",
    "use_class": "VARCHAR",  # residential | commercial | NULL when the extract does not say
    "status": "VARCHAR",  # in_review | issued | completed | expired | cancelled
    "status_raw": "VARCHAR",
    "applied_at": "TIMESTAMP",
    "issued_at": "TIMESTAMP",
    "completed_at": "TIMESTAMP",
    "review_due_at": "TIMESTAMP",  # applied_at + the city's target review days for the type
    "updated_at": "TIMESTAMP",
    "fee": "DOUBLE",
    **_LOCATION_COLUMNS,
    **_LINEAGE_COLUMNS,
}

INSPECTIONS_COLUMNS: dict[str, str] = {
    "case_id": "VARCHAR",
    "source": "VARCHAR",
    "case_type": "VARCHAR",  # what was complained about / why the case exists
    "inspection_type": "VARCHAR",
    "priority": "VARCHAR",
    "status": "VARCHAR",  # open | closed
    "status_raw": "VARCHAR",
    "outcome": "VARCHAR",
    "received_at": "TIMESTAMP",  # complaint received; optional: routine inspections have none
    "due_at": "TIMESTAMP",  # first inspection due
    "first_inspected_at": "TIMESTAMP",
    "closed_at": "TIMESTAMP",
    "corrected_at": "TIMESTAMP",  # violation corrected, where the source records it
    "updated_at": "TIMESTAMP",
    **_LOCATION_COLUMNS,
    **_LINEAGE_COLUMNS,
}


def quote(identifier: str) -> str:
    """A double-quoted SQL identifier; names come from validated configuration or this module."""
    return '"' + identifier.replace('"', '""') + '"'


@dataclass(frozen=True)
class CanonicalTable:
    """One canonical table: its columns, record id, status vocabulary and required columns."""

    name: str
    id_column: str
    columns: dict[str, str]
    statuses: tuple[str, ...]
    required: tuple[str, ...]
    # The timestamps whose latest value dates a version of a record, most telling first; a
    # daily extract's newer version of a record wins the merge by this.
    version_columns: tuple[str, ...]


CANONICAL_TABLES: dict[str, CanonicalTable] = {
    "service_requests": CanonicalTable(
        name="service_requests",
        id_column="request_id",
        columns=SERVICE_REQUESTS_COLUMNS,
        statuses=("open", "closed", "cancelled"),
        required=("request_id", "opened_at", "status"),
        version_columns=("updated_at", "closed_at", "opened_at"),
    ),
    "permits": CanonicalTable(
        name="permits",
        id_column="permit_id",
        columns=PERMITS_COLUMNS,
        statuses=("in_review", "issued", "completed", "expired", "cancelled"),
        required=("permit_id", "status"),
        version_columns=("updated_at", "completed_at", "issued_at", "applied_at"),
    ),
    "inspections": CanonicalTable(
        name="inspections",
        id_column="case_id",
        columns=INSPECTIONS_COLUMNS,
        statuses=("open", "closed"),
        # received_at is optional: a routine inspection answers no complaint.
        required=("case_id", "status"),
        version_columns=("updated_at", "closed_at", "first_inspected_at", "received_at"),
    ),
}

STATUSES = CANONICAL_TABLES["service_requests"].statuses


# The prefix of a staged table's UTC twin of a timestamp column, and of the stored
# _utc_version; never the start of a canonical column name.
INSTANT_PREFIX = "_utc_"


def instant_column(column: str) -> str:
    """The staged column holding a timestamp column's instant, naive in UTC."""
    return INSTANT_PREFIX + column


def utc_instant(local: str) -> str:
    """SQL of a naive wall-clock time in the bound zone ``$tz`` as its naive UTC instant (by
    DuckDB's DST rule).

    The instant is read off the TIMESTAMPTZ's microseconds: converting it back through the UTC
    calendar (``timezone('UTC', ...)``) gives the same value at twice the cost (10M staged rows'
    four timestamps: 5.0 s -> 3.2 s).
    """
    return f"make_timestamp(epoch_us(timezone($tz, {local})))"


def is_instant_column(name: str) -> bool:
    """True for a UTC column (a staged twin, or ``_utc_version``): never a canonical column."""
    return name.startswith(INSTANT_PREFIX)


def _table_ddl(table: CanonicalTable) -> str:
    """The canonical table (current version of each record) and its version history."""
    columns = ", ".join(f"{name} {kind}" for name, kind in table.columns.items())
    return (
        # _utc_version: the instant of the version time (see the module docstring).
        f"CREATE TABLE IF NOT EXISTS {table.name} ({columns}, _utc_version TIMESTAMP);\n"
        # Every distinct version of a record ever loaded, so status on a past date is known.
        f"CREATE TABLE IF NOT EXISTS {table.name}_versions "
        f"({columns}, version_at TIMESTAMP, run_id VARCHAR, _utc_version TIMESTAMP);\n"
    )


DDL = (
    "".join(_table_ddl(t) for t in CANONICAL_TABLES.values())
    + """
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY,
    started_at TIMESTAMP,
    finished_at TIMESTAMP,
    status VARCHAR,              -- published | failed
    is_demo BOOLEAN,
    data_as_of TIMESTAMP,        -- latest opened/updated timestamp seen in the data
    validation_passed BOOLEAN,
    message VARCHAR
);
CREATE TABLE IF NOT EXISTS load_files (
    run_id VARCHAR,
    source VARCHAR,
    file VARCHAR,
    rows_read BIGINT,
    rows_staged BIGINT,          -- valid rows of this file (read - quarantined - rejected)
    rows_quarantined BIGINT,
    rows_rejected BIGINT,
    canonical_table VARCHAR,
    file_sha256 VARCHAR,
    file_bytes BIGINT,
    rows_inserted BIGINT,        -- records new to the warehouse
    rows_updated BIGINT,         -- records whose newer version replaced the warehouse's
    rows_unchanged BIGINT,       -- same or older versions than the warehouse has: no change
    file_mtime_ns BIGINT         -- the file's modification time when it was hashed
);
CREATE TABLE IF NOT EXISTS skipped_files (
    run_id VARCHAR,
    source VARCHAR,
    file VARCHAR,                -- as the pattern matched it, under the mapping's root folder
    reason VARCHAR               -- a folder, FIFO, socket, device or broken link: never opened
);
CREATE TABLE IF NOT EXISTS run_steps (
    run_id VARCHAR,
    source VARCHAR,              -- NULL for steps of the whole run (metrics, publish)
    step VARCHAR,                -- read | stage | validate | merge | metrics | publish
    started_at TIMESTAMP,        -- UTC, like runs.started_at
    seconds DOUBLE
);
CREATE TABLE IF NOT EXISTS source_columns (
    source VARCHAR,
    canonical_table VARCHAR,
    column_name VARCHAR,
    mapped BOOLEAN               -- false: the extract has no such field (metrics needing it
                                 -- say "not available for this source")
);
CREATE TABLE IF NOT EXISTS quarantine (
    run_id VARCHAR,
    source VARCHAR,
    source_file VARCHAR,
    source_row BIGINT,
    record_id VARCHAR,
    rule VARCHAR,
    column_name VARCHAR,
    reason VARCHAR
);
CREATE TABLE IF NOT EXISTS validation_results (
    run_id VARCHAR,
    source VARCHAR,
    suite VARCHAR,
    expectation_type VARCHAR,
    column_name VARCHAR,
    critical BOOLEAN,
    success BOOLEAN,
    element_count BIGINT,
    unexpected_count BIGINT,
    details VARCHAR
);
CREATE TABLE IF NOT EXISTS metric_definitions (
    metric_id VARCHAR PRIMARY KEY,
    label VARCHAR,
    description VARCHAR,
    methodology VARCHAR,
    department VARCHAR,
    owner VARCHAR,
    cohort_service VARCHAR,
    unit VARCHAR,
    direction VARCHAR,           -- higher_is_better | lower_is_better
    kind VARCHAR,
    grains VARCHAR[],
    dimensions VARCHAR[],
    min_count INTEGER,
    sql VARCHAR,
    canonical_table VARCHAR,     -- service_requests | permits | inspections
    availability VARCHAR,        -- NULL when computable; else why not, e.g. "not available for
                                 -- this source: philadelphia_permits has no applied_at"
    baseline_period VARCHAR,     -- period label change is measured against (e.g. FY2024)
    public BOOLEAN,              -- shown on the public site and in the open-data CSV
    explanation VARCHAR,         -- the metric in plain words (pipelines/metrics/describe.py)
    common_id VARCHAR            -- the id other cities give the same measure (Compare page)
);
CREATE TABLE IF NOT EXISTS metric_definition_versions (
    metric_id VARCHAR,
    version INTEGER,             -- 1, 2, ... per metric; a new one only when the definition
                                 -- as written changes (pipelines/metrics/definition_history.py)
    effective_from TIMESTAMP,    -- UTC: the start of the run that first published it
    run_id VARCHAR,
    fingerprint VARCHAR,         -- SHA-256 of definition
    definition VARCHAR           -- the metric as written in metrics.yml, JSON (sorted keys)
);
-- What the public site shows residents instead of a metric's label (metrics.yml public_text):
-- one row per metric and language, the city's first language and each translation.
CREATE TABLE IF NOT EXISTS metric_public_texts (
    metric_id VARCHAR,
    language VARCHAR,            -- ISO 639-1 code, one of city.yml's languages
    name VARCHAR,                -- the measure in plain words
    about VARCHAR                -- what it measures and why it matters, one paragraph
);
CREATE TABLE IF NOT EXISTS metric_values (
    metric_id VARCHAR,
    grain VARCHAR,               -- week | month | quarter | fiscal_year
    period_start DATE,
    period_end DATE,             -- exclusive
    period_label VARCHAR,
    is_complete BOOLEAN,         -- the period ended on or before the data's as-of date
    dimension VARCHAR,           -- citywide | council_district | zip
    dimension_value VARCHAR,     -- 'Citywide' for the citywide row
    value DOUBLE,
    numerator DOUBLE,
    denominator DOUBLE,
    count BIGINT,
    target DOUBLE,
    status VARCHAR               -- on_track | watch | off_track | no_target | too_little_data
                                 -- | not_available (a column the metric needs is not in the source)
);
"""
)


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every warehouse table that does not exist yet, and add columns added since."""
    con.execute(DDL)
    _add_missing_columns(con)


def _add_missing_columns(con: duckdb.DuckDBPyConnection) -> None:
    """Bring a warehouse built by an older citystat up to this DDL by adding columns.

    Columns are only ever added (never removed or renamed), so an incremental run can keep
    merging into a warehouse published before a column existed; its old rows hold NULL there.
    """
    reference = duckdb.connect()
    try:
        reference.execute(DDL)
        expected = reference.execute(_COLUMNS_SQL).fetchall()
    finally:
        reference.close()
    present = {(table, column) for table, column, _ in con.execute(_COLUMNS_SQL).fetchall()}
    for table, column, data_type in expected:
        if (table, column) not in present:
            # Names and types come from this module's own DDL, never from input.
            con.execute(f'ALTER TABLE "{table}" ADD COLUMN "{column}" {data_type}')


def has_column(con: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    """True when the table in main has the column (an older warehouse may lack it)."""
    return column in table_columns(con, table)


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """The columns of the table in main, in order (none when it does not exist)."""
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = 'main' AND table_catalog = current_database() "
        "AND table_name = ? ORDER BY ordinal_position",
        [table],
    ).fetchall()
    return [r[0] for r in rows]


_COLUMNS_SQL = (
    "SELECT table_name, column_name, data_type FROM information_schema.columns "
    "WHERE table_schema = 'main' AND table_catalog = current_database() "
    "ORDER BY table_name, ordinal_position"
)
