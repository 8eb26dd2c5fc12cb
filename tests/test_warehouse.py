"""The warehouse schema: created fresh, and brought up to date in older warehouses."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines.warehouse.connection import (
    DEFAULT_MEMORY_LIMIT,
    connect_build,
    memory_limit,
    spill_dir,
)
from pipelines.warehouse.schema import create_schema


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


def test_a_build_connection_bounds_memory_and_spills_beside_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build = tmp_path / "citystat-1.duckdb.building"
    monkeypatch.setenv("CITYSTAT_MEMORY_LIMIT", "1GB")
    con = connect_build(build)
    try:
        limit, spill = con.execute(
            "SELECT current_setting('memory_limit'), current_setting('temp_directory')"
        ).fetchone() or ("", "")
    finally:
        con.close()
    assert limit == "953.6 MiB"  # DuckDB shows 1 GB (10^9 bytes) in binary units
    assert spill == str(spill_dir(build)) == str(tmp_path / "citystat-1.duckdb.building.tmp")
    monkeypatch.delenv("CITYSTAT_MEMORY_LIMIT")
    assert memory_limit() == DEFAULT_MEMORY_LIMIT == "3GB"
