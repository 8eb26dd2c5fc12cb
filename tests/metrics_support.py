"""Shared helpers for the metrics tests (no tests here): inline metrics.yml and tiny warehouses."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import duckdb

from pipelines.metrics import MetricsConfig, compile_metric, load_metrics_text
from pipelines.warehouse.schema import CANONICAL_TABLES, create_schema

HEADER = (
    "city: {{name: Testville, fiscal_year_start_month: {fy}}}\n"
    "defaults: {{min_count: {min_count}, grains: [week, month, quarter, fiscal_year],"
    " dimensions: [council_district]}}\n"
    "metrics:\n"
)

COMMON = """\
    label: Test metric
    description: A metric for tests.
    methodology: Worked out by hand.
    department: Streets Department
    owner: Tester
"""


def metric_yaml(metric_id: str, body: str) -> str:
    """One metric entry: id, the common text fields, then ``body`` (indented 4 spaces)."""
    return f"  - id: {metric_id}\n{COMMON}" + textwrap.indent(textwrap.dedent(body), "    ")


def config_text(*metrics: str, fy: int = 7, min_count: int = 1) -> str:
    """A whole metrics.yml made of the given metric entries."""
    return HEADER.format(fy=fy, min_count=min_count) + "".join(metrics)


def config(*metrics: str, fy: int = 7, min_count: int = 1) -> MetricsConfig:
    """A checked config from metric entries."""
    return load_metrics_text(config_text(*metrics, fy=fy, min_count=min_count))


COLUMNS = ("request_id", "service_name", "status", "opened_at", "closed_at", "due_at")
# A new record's status unless the fixture says otherwise: the table's "still open" word.
OPEN_STATUS = {"service_requests": "open", "permits": "in_review", "inspections": "open"}


def insert(
    con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[dict[str, Any]]
) -> duckdb.DuckDBPyConnection:
    """Insert fixture rows into ``table`` (ids 0, 1, ... and the open status by default)."""
    base = table.removesuffix("_versions")
    id_column = CANONICAL_TABLES[base].id_column
    for index, row in enumerate(rows):
        values = {id_column: str(index), "status": OPEN_STATUS[base], **row}
        names = list(values)
        placeholders = ", ".join("?" for _ in names)
        con.execute(
            f"INSERT INTO {table} ({', '.join(names)}) VALUES ({placeholders})",
            list(values.values()),
        )
    return con


def warehouse(
    rows: Sequence[dict[str, Any]], table: str = "service_requests"
) -> duckdb.DuckDBPyConnection:
    """An in-memory warehouse whose ``table`` holds ``rows``."""
    con = duckdb.connect()
    create_schema(con)
    return insert(con, table, rows)


def cover(
    con: duckdb.DuckDBPyConnection, table: str, source: str, missing: Sequence[str] = ()
) -> None:
    """Record in source_columns that ``source`` loads ``table`` and lacks ``missing``."""
    for column in CANONICAL_TABLES[table].columns:
        con.execute(
            "INSERT INTO source_columns VALUES (?, ?, ?, ?)",
            [source, table, column, column not in missing],
        )


def values(
    con: duckdb.DuckDBPyConnection,
    cfg: MetricsConfig,
    metric_id: str,
    as_of: datetime,
    grain: str,
    dimension: str = "citywide",
) -> list[dict[str, Any]]:
    """Rows of one metric at one grain and dimension, as dicts ordered by period."""
    query = compile_metric(cfg, metric_id)
    frame = con.execute(query.sql, query.bind(as_of)).df()
    picked = frame[(frame["grain"] == grain) & (frame["dimension"] == dimension)]
    rows = picked.sort_values(["period_start", "dimension_value"]).to_dict("records")
    for row in rows:
        row["period_start"] = str(row["period_start"])[:10]
        row["period_end"] = str(row["period_end"])[:10]
    return rows


def column(rows: list[dict[str, Any]], *names: str) -> list[tuple[Any, ...]]:
    """Pick some fields of each row (NaN turned into None) for compact assertions."""
    out = []
    for row in rows:
        picked = []
        for name in names:
            value = row[name]
            if isinstance(value, float) and value != value:
                value = None
            elif hasattr(value, "item"):
                value = value.item()
            picked.append(value)
        out.append(tuple(picked))
    return out
