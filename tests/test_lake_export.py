"""`citystat export --parquet`: a city's warehouse into a lake folder partitioned by city and
month, its manifest beside, other cities kept; and the Compare page reading a lake's cities.

The two cities are tests/compare_fixture.py's, whose per-1,000 figures are worked out by hand
there (Springfield 120 requests / 60,000 residents = 2.0, Shelbyville 450 / 250,000 = 1.8).
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from dashboard.components import site
from pipelines.cli.main import main
from pipelines.lake.export import export_city, month_expression
from pipelines.lake.layout import LakeError, city_id_of, lake_cities, read_manifest
from pipelines.warehouse.layout import PROJECT_ROOT
from tests.compare_fixture import SHELBYVILLE, SPRINGFIELD, build_city
from tests.dashboard_fixture import build_fixture_warehouse
from tests.test_compare_page import _open, _rows

METRICS = PROJECT_ROOT / "metrics.yml"


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("lake_cities")
    build_fixture_warehouse(root / "home.duckdb")
    folder = root / "lake"
    for spec in (SPRINGFIELD, SHELBYVILLE):
        name = spec.profile[0]
        city = build_city(root / name.lower(), spec)
        export_city(city / "data" / "citystat.duckdb", folder, city_id_of(name), name, METRICS)
    return folder


def test_each_table_is_partitioned_by_city_and_month(lake: Path) -> None:
    assert lake_cities(lake) == ["shelbyville", "springfield"]
    months = {p.name for p in (lake / "metric_values" / "city=springfield").iterdir()}
    assert {"month=2025-02", "month=2025-03"} <= months
    # A table without dates is one partition per city; an empty one keeps its columns.
    assert [p.name for p in (lake / "city_profile" / "city=springfield").iterdir()] == ["month=all"]
    with duckdb.connect() as con:
        columns = con.execute(
            "DESCRIBE SELECT * FROM read_parquet(?, hive_partitioning = true)",
            [str(lake / "permits" / "**" / "*.parquet")],
        ).fetchall()
        values = con.execute(
            "SELECT city, value FROM read_parquet(?, hive_partitioning = true) "
            "WHERE metric_id = 'sf_requests' AND period_label = '2025-03' "
            "AND dimension = 'citywide'",
            [str(lake / "metric_values" / "**" / "*.parquet")],
        ).fetchall()
    assert {"permit_id", "applied_at", "city", "month"} <= {c[0] for c in columns}
    assert values == [("springfield", 120.0)]


def test_the_manifest_keeps_the_configuration_and_the_as_of(lake: Path) -> None:
    manifest = read_manifest(lake, "springfield")
    assert manifest.name == "Springfield"
    assert manifest.metrics_yml == METRICS.read_text()
    assert manifest.as_of.isoformat().startswith("2025-04-14")


def test_a_new_export_replaces_only_its_own_city(lake: Path, tmp_path: Path) -> None:
    other = sorted((lake / "metric_values" / "city=shelbyville").rglob("*.parquet"))
    stamps = [p.stat().st_mtime_ns for p in other]
    warehouse = lake.parent / "springfield" / "data" / "citystat.duckdb"
    export_city(warehouse, lake, "springfield", "Springfield", METRICS)
    assert sorted((lake / "metric_values" / "city=shelbyville").rglob("*.parquet")) == other
    assert [p.stat().st_mtime_ns for p in other] == stamps


def test_the_compare_page_reads_a_lakes_cities(lake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CITYSTAT_WAREHOUSE", str(lake.parent / "home.duckdb"))
    monkeypatch.setenv(site.COMPARE_ENV, os.pathsep.join([str(lake)]))
    rows = _rows(_open())
    assert rows["Springfield"]["Compared"].startswith("2.0")
    assert rows["Shelbyville"]["Compared"].startswith("1.8")


def test_month_partitions_come_from_a_records_earliest_date() -> None:
    assert month_expression("service_requests") == (
        'COALESCE(strftime(COALESCE("opened_at", "closed_at", "updated_at"), \'%Y-%m\'), \'none\')'
    )
    assert month_expression("metric_values") == "strftime(period_start, '%Y-%m')"
    assert month_expression("runs") == "'all'"


def test_unsafe_city_ids_and_missing_warehouses_are_refused(tmp_path: Path) -> None:
    assert city_id_of("San Francisco") == "san_francisco"
    assert city_id_of("311 City") == "city_311_city"
    runner = CliRunner()
    done = runner.invoke(main, ["export", "--parquet", str(tmp_path), "--city-id", "../etc"])
    assert done.exit_code == 1 and "lower-case letters, digits and underscores" in done.output
    done = runner.invoke(
        main,
        ["export", "--parquet", str(tmp_path)],
        env={"CITYSTAT_WAREHOUSE": str(tmp_path / "none.duckdb")},
    )
    assert done.exit_code == 1 and "run `citystat run` first" in done.output
    with pytest.raises(LakeError, match="no exported city"):
        lake_cities(tmp_path)
