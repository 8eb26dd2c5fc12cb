"""Warehouse layout: file locations and the DDL of every table the pipeline writes.

Timestamp convention: every timestamp column is a naive DuckDB ``TIMESTAMP`` holding the
city's local wall-clock time (the ``timezone`` of the source mapping). Sources that publish
UTC instants (for example ``/Date(epoch-ms)/``) are converted to local time at staging, so
weeks, months and fiscal years are cut where the city cuts them.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("CITYSTAT_DATA_DIR", PROJECT_ROOT / "data"))
DEMO_DIR = DATA_DIR / "demo"
METRICS_FILE = Path(os.environ.get("CITYSTAT_METRICS_FILE", PROJECT_ROOT / "metrics.yml"))
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
SOURCES_DIR = Path(__file__).resolve().parent / "sources"


def warehouse_path() -> Path:
    """Path of the published warehouse the dashboard reads."""
    return Path(os.environ.get("CITYSTAT_WAREHOUSE", DATA_DIR / "citystat.duckdb"))


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
    "zip": "VARCHAR",
    "council_district": "VARCHAR",
    "latitude": "DOUBLE",
    "longitude": "DOUBLE",
    "source_file": "VARCHAR",
    "source_row": "BIGINT",
}

STATUSES = ("open", "closed", "cancelled")

DDL = f"""
CREATE TABLE IF NOT EXISTS service_requests (
    {", ".join(f"{name} {kind}" for name, kind in SERVICE_REQUESTS_COLUMNS.items())}
);
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
    rows_staged BIGINT,
    rows_quarantined BIGINT,
    rows_rejected BIGINT
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
    sql VARCHAR
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
);
"""


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every warehouse table that does not exist yet."""
    con.execute(DDL)
