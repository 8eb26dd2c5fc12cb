"""The temporary tables of every version's span that a computation's backlogs read
(``<table>_version_spans``): derived once per table, dropped before the commit."""

from __future__ import annotations

import duckdb

from pipelines.metrics.backlog import version_spans_table
from pipelines.metrics.compiler import span_columns, spans_statement
from pipelines.metrics.model import MetricsConfig
from pipelines.warehouse.schema import quote


def materialise_version_spans(
    con: duckdb.DuckDBPyConnection, config: MetricsConfig, tables: list[str]
) -> None:
    """Derive each table's version spans once, for every backlog metric to read; only the
    columns the metrics read are kept, which halves the cost of the copy."""
    for table_name in tables:
        # Built from the table registry and checked column names, quoted; no parameters.
        con.execute(spans_statement(table_name, span_columns(config, table_name)))


def drop_version_spans(con: duckdb.DuckDBPyConnection, tables: list[str]) -> None:
    """Free the temporary span tables (they are never part of the published warehouse)."""
    for table_name in tables:
        con.execute(f"DROP TABLE IF EXISTS temp.{quote(version_spans_table(table_name))}")
