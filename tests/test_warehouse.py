"""The warehouse schema: created fresh, and brought up to date in older warehouses."""

from __future__ import annotations

import duckdb

from pipelines.warehouse import create_schema


def test_an_older_warehouse_gains_the_columns_added_since() -> None:
    con = duckdb.connect()
    # A metric_definitions table as an older citystat wrote it, with one row.
    con.execute("CREATE TABLE metric_definitions (metric_id VARCHAR PRIMARY KEY, label VARCHAR)")
    con.execute("INSERT INTO metric_definitions VALUES ('m', 'Metric')")
    create_schema(con)
    columns = [r[0] for r in con.execute("DESCRIBE metric_definitions").fetchall()]
    assert columns[:2] == ["metric_id", "label"]
    assert {"availability", "baseline_period", "canonical_table", "sql"} <= set(columns)
    assert con.execute("SELECT label, baseline_period FROM metric_definitions").fetchall() == [
        ("Metric", None)
    ]
