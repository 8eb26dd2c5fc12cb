"""replace_rows: a table ends with exactly the query's rows, and unchanged rows stay put."""

from __future__ import annotations

import duckdb
import pytest

from pipelines.warehouse.replace import replace_rows


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    con.execute("CREATE TABLE t (k VARCHAR, v DOUBLE, n INTEGER)")
    return con


def _rows(con: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    return con.execute("SELECT * FROM t ORDER BY ALL").fetchall()


def test_the_table_ends_as_the_querys_multiset(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "INSERT INTO t VALUES ('a', 1, 1), ('b', NULL, 2), ('c', 3, NULL), ('c', 3, NULL),"
        " ('d', 4, 4), ('d', 4, 4), ('e', 5, 5)"
    )
    # a kept; b kept (a NULL equals a NULL); c from two copies to one; d from two to three;
    # e gone; f new.
    select = (
        "SELECT * FROM (VALUES ('a', 1.0, 1), ('b', NULL, 2), ('c', 3.0, NULL),"
        " ('d', 4.0, 4), ('d', 4.0, 4), ('d', 4.0, 4), ('f', $six, 6)) AS x(k, v, n)"
    )
    replace_rows(con, "t", select, {"six": 6.0})
    assert _rows(con) == [
        ("a", 1.0, 1),
        ("b", None, 2),
        ("c", 3.0, None),
        ("d", 4.0, 4),
        ("d", 4.0, 4),
        ("d", 4.0, 4),
        ("f", 6.0, 6),
    ]
    # Its helpers are gone.
    temps = con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchone()
    assert temps == (0,)


def test_rows_that_did_not_change_are_not_rewritten(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("INSERT INTO t SELECT 'k' || i, i, i FROM range(1000) AS r(i)")
    before = dict(con.execute("SELECT k, rowid FROM t").fetchall())
    replace_rows(
        con,
        "t",
        "SELECT 'k' || i AS k, i + CAST(i = 7 AS INTEGER) AS v, i AS n FROM range(1001) AS r(i)",
        {},
    )
    after = dict(con.execute("SELECT k, rowid FROM t").fetchall())
    moved = sorted(k for k in after if before.get(k) != after[k])
    assert moved == ["k1000", "k7"]
    assert con.execute("SELECT v FROM t WHERE k = 'k7'").fetchone() == (8.0,)


def test_columns_are_matched_by_name(con: duckdb.DuckDBPyConnection) -> None:
    replace_rows(con, "t", "SELECT 2 AS n, 'x' AS k, 1.5 AS v", {})
    assert _rows(con) == [("x", 1.5, 2)]
    replace_rows(con, "t", "SELECT 2 AS n, 'x' AS k, 1.5 AS v WHERE false", {})
    assert _rows(con) == []
