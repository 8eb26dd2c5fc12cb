"""Many rows in one statement (pipelines.warehouse.rows.insert_rows), and the provenance writes
that use it: source_columns is rewritten only when a source's coverage changed."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pytest

from pipelines.ingest.mapping_files import load_mapping
from pipelines.ingest.provenance import record_source_columns
from pipelines.warehouse.layout import PROJECT_ROOT
from pipelines.warehouse.rows import insert_rows
from pipelines.warehouse.schema import create_schema

BOSTON = PROJECT_ROOT / "cities" / "boston" / "sources" / "boston_311_2025.yml"


def test_rows_go_in_with_their_values_bound() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE t (a VARCHAR, b BIGINT, c TIMESTAMP, d BOOLEAN)")
    hostile = "x'); DROP TABLE t; --"
    rows = [[hostile, 1, datetime(2026, 1, 2, 3, 4), True], ["y", None, None, False]]
    insert_rows(con, "INSERT INTO t (a, b, c, d)", rows)
    assert con.execute("SELECT * FROM t ORDER BY a").fetchall() == [
        (hostile, 1, datetime(2026, 1, 2, 3, 4), True),
        ("y", None, None, False),
    ]


def test_no_rows_write_nothing_and_ragged_rows_are_refused() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE t (a VARCHAR, b BIGINT)")
    insert_rows(con, "INSERT INTO t (a, b)", [])
    with pytest.raises(ValueError, match="every row needs 2 values"):
        insert_rows(con, "INSERT INTO t (a, b)", [["x", 1], ["y"]])
    assert con.execute("SELECT count(*) FROM t").fetchone() == (0,)


def test_source_columns_are_rewritten_only_when_the_coverage_changes() -> None:
    con = duckdb.connect()
    create_schema(con)
    shipped = load_mapping(BOSTON)
    first = shipped.model_copy(
        update={"columns": {k: v for k, v in shipped.columns.items() if k != "closed_at"}}
    )
    record_source_columns(con, first)
    mapped = "SELECT column_name FROM source_columns WHERE mapped ORDER BY ALL"
    assert {r[0] for r in con.execute(mapped).fetchall()} >= {"opened_at", "service_name"}
    closed = "SELECT mapped FROM source_columns WHERE column_name = 'closed_at'"
    assert con.execute(closed).fetchone() == (False,)
    written = con.execute("SELECT count(*) FROM source_columns").fetchone()
    # The same coverage again: not one row is deleted or inserted (rowids would change).
    rowids = con.execute("SELECT rowid FROM source_columns ORDER BY ALL").fetchall()
    record_source_columns(con, first)
    assert con.execute("SELECT rowid FROM source_columns ORDER BY ALL").fetchall() == rowids
    # A mapping that now fills closed_at: its row says so, and no row is doubled.
    assert "closed_at" in shipped.columns
    record_source_columns(con, shipped)
    assert con.execute("SELECT count(*) FROM source_columns").fetchone() == written
    assert con.execute(closed).fetchone() == (True,)
