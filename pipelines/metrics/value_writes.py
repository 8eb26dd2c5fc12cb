"""How a computation writes metric_values: a metric's rows inserted, or replaced by the rows
an incremental query (one metric's or a family's) left in a temporary table.

Every statement here has fixed text; the metric id and the compiled query's values are bound.
"""

from __future__ import annotations

import duckdb

from pipelines.metrics.incremental import replaced_by

VALUE_COLUMNS = (
    "metric_id, grain, period_start, period_end, period_label, is_complete, dimension, "
    "dimension_value, value, numerator, denominator, count, target, status"
)

FRESH_VALUES = "metric_fresh"  # temporary: a partial query's rows and replaced periods


_DELETE_METRIC = "DELETE FROM metric_values WHERE metric_id = $metric_id"


# FRESH_VALUES may hold a family's rows: each statement reads the metric's own.
_DELETE_MARKED = (
    "DELETE FROM metric_values AS v WHERE metric_id = $metric_id AND EXISTS (\n"
    f"    SELECT 1 FROM {FRESH_VALUES} AS f\n"
    f"    WHERE f.metric_id = $metric_id AND {replaced_by('f', 'v')}\n)"
)


_INSERT_FRESH = (
    f"INSERT INTO metric_values ({VALUE_COLUMNS})\n"
    f"SELECT {VALUE_COLUMNS} FROM {FRESH_VALUES}\n"
    "WHERE metric_id = $metric_id AND dimension IS NOT NULL"
)


def delete_metric(con: duckdb.DuckDBPyConnection, metric_id: str) -> int:
    """Delete every row of one metric; returns how many there were."""
    return _count(con.execute(_DELETE_METRIC, {"metric_id": metric_id}))


def insert_rows(con: duckdb.DuckDBPyConnection, sql: str, bind: dict[str, object]) -> int:
    """Insert a compiled query's rows (every column of metric_values); returns how many."""
    # sql is compiled from checked configuration; every value in it is bound.
    return _count(con.execute(f"INSERT INTO metric_values ({VALUE_COLUMNS})\n{sql}", bind))


def fill_fresh(con: duckdb.DuckDBPyConnection, sql: str, bind: dict[str, object]) -> None:
    """Run an incremental query (one metric's, or a family's) into FRESH_VALUES; computed
    before any row is deleted, as an incremental query reads the previous rows."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {FRESH_VALUES} AS\n{sql}", bind)


def replace_with_fresh(
    con: duckdb.DuckDBPyConnection, metric_id: str, *, partial: bool
) -> tuple[int, int]:
    """Replace one metric's rows (``partial``: only in the periods it marks) with its rows
    in FRESH_VALUES; returns the rows deleted and inserted."""
    bind = {"metric_id": metric_id}
    deleted = _count(con.execute(_DELETE_MARKED if partial else _DELETE_METRIC, bind))
    return deleted, _count(con.execute(_INSERT_FRESH, bind))


def rows_of(con: duckdb.DuckDBPyConnection, metric_ids: tuple[str, ...]) -> dict[str, int]:
    """How many rows each of ``metric_ids`` has."""
    counts = dict.fromkeys(metric_ids, 0)
    rows = con.execute(
        "SELECT metric_id, count(*) FROM metric_values WHERE list_contains($ids, metric_id) "
        "GROUP BY metric_id",
        {"ids": list(metric_ids)},
    ).fetchall()
    counts.update({str(m): int(n) for m, n in rows})
    return counts


def _count(result: duckdb.DuckDBPyConnection) -> int:
    """The row count a DELETE or INSERT reports."""
    row = result.fetchone()
    return int(row[0]) if row else 0
