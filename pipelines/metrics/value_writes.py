"""How a computation writes metric_values: a metric's rows inserted, or replaced by the rows
incremental queries (one metric's or a family's each) gathered in a temporary table, all of
them in one delete and one insert.

Every statement here has fixed text; the metric id and the compiled query's values are bound.
"""

from __future__ import annotations

import duckdb

from pipelines.metrics.incremental import replaced_by

VALUE_COLUMNS = (
    "metric_id, grain, period_start, period_end, period_label, is_complete, dimension, "
    "dimension_value, value, numerator, denominator, count, target, status"
)

FRESH_VALUES = "metric_fresh"  # temporary: incremental queries' rows and replaced periods


_DELETE_METRIC = "DELETE FROM metric_values WHERE metric_id = $metric_id"


_START_FRESH = (
    f"CREATE OR REPLACE TEMP TABLE {FRESH_VALUES} AS SELECT {VALUE_COLUMNS} FROM metric_values "
    "LIMIT 0"
)

_DELETE_WHOLE = "DELETE FROM metric_values WHERE list_contains($ids, metric_id)"

# A partial metric's rows go only in the periods its marker rows (no dimension) name.
_DELETE_MARKED = (
    "DELETE FROM metric_values AS v WHERE list_contains($ids, v.metric_id) AND EXISTS (\n"
    f"    SELECT 1 FROM {FRESH_VALUES} AS f\n"
    f"    WHERE f.metric_id = v.metric_id AND {replaced_by('f', 'v')}\n)"
)

# In each metric's order, so its rows stay together as when it was written alone.
_INSERT_FRESH = (
    f"INSERT INTO metric_values ({VALUE_COLUMNS})\n"
    f"SELECT {VALUE_COLUMNS} FROM {FRESH_VALUES}\n"
    "WHERE dimension IS NOT NULL\n"
    "ORDER BY metric_id, grain, period_start, dimension, dimension_value"
)


def delete_metric(con: duckdb.DuckDBPyConnection, metric_id: str) -> int:
    """Delete every row of one metric; returns how many there were."""
    return _count(con.execute(_DELETE_METRIC, {"metric_id": metric_id}))


def insert_rows(con: duckdb.DuckDBPyConnection, sql: str, bind: dict[str, object]) -> int:
    """Insert a compiled query's rows (every column of metric_values); returns how many."""
    # sql is compiled from checked configuration; every value in it is bound.
    return _count(con.execute(f"INSERT INTO metric_values ({VALUE_COLUMNS})\n{sql}", bind))


def start_fresh(con: duckdb.DuckDBPyConnection) -> None:
    """An empty FRESH_VALUES, for add_fresh to gather incremental queries' rows in."""
    con.execute(_START_FRESH)


def add_fresh(con: duckdb.DuckDBPyConnection, sql: str, bind: dict[str, object]) -> None:
    """Run an incremental query (one metric's, or a family's) into FRESH_VALUES, beside the
    rows of those before it; each reads its own metrics' previous rows, which stay in
    metric_values until replace_with_fresh."""
    con.execute(f"INSERT INTO {FRESH_VALUES} BY NAME\n{sql}", bind)


def replace_with_fresh(
    con: duckdb.DuckDBPyConnection, whole: list[str], partial: list[str]
) -> None:
    """Replace the rows of every metric in FRESH_VALUES with its rows there: all of a
    ``whole`` metric's, a ``partial`` one's only in the periods its rows mark. One delete of
    each kind and one insert, whatever the number of metrics (start_fresh empties it)."""
    if whole:
        con.execute(_DELETE_WHOLE, {"ids": whole})
    if partial:
        con.execute(_DELETE_MARKED, {"ids": partial})
    con.execute(_INSERT_FRESH)


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
