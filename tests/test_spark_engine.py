"""The Spark engine computes the same metric values as DuckDB: every metric of the shipped
metrics.yml on the demo at 100,000 requests, and of every real city's profile on its real
extracts, all cities exported into one lake and computed in one Spark application (local
mode), through the commands a state's analyst types.

Counts and labels must be equal; values, numerators, denominators and targets within 1e-9
(durations and shares are floating point; percentiles interpolate the same way on both).
Skips, with the reason, only where no Java runtime is installed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from dashboard.components import site
from pipelines.city.loader import load_city
from pipelines.cli.main import main
from pipelines.demo import service_requests
from pipelines.demo.inspections import generate_inspections
from pipelines.demo.permits import generate_permits
from pipelines.lake.layout import read_manifest
from pipelines.metrics import load_metrics
from pipelines.run.pipeline import run_pipeline
from pipelines.spark.session import java_available
from pipelines.warehouse.layout import PROJECT_ROOT
from tests.real_cities import CITIES_DIR, Built
from tests.test_compare_page import _open, _rows

pytestmark = pytest.mark.slow

DEMO_ROWS = 100_000
REAL_CITIES = sorted(p.name for p in CITIES_DIR.iterdir() if (p / "metrics.yml").is_file())
KEYS = "metric_id, grain, period_start, dimension, dimension_value"
EXACT = ("period_end", "period_label", "is_complete", "count", "status")
CLOSE = ("value", "numerator", "denominator", "target")


@pytest.fixture(scope="module")
def spark_runtime() -> None:
    """Skip (with the reason) where Spark cannot run: no Java runtime, no pyspark."""
    if not java_available():
        pytest.skip("no Java runtime (17+) for Spark: apt-get install openjdk-17-jre-headless")
    pytest.importorskip("pyspark", reason="pyspark is not installed: pip install 'citystat[spark]'")


@pytest.fixture(scope="module")
def demo_100k(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The demo city's data folder after a run of metrics.yml over 100,000 requests."""
    data_dir = tmp_path_factory.mktemp("demo100k")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CITYSTAT_DATA_DIR", str(data_dir))
        service_requests.generate_311(data_dir / "demo", rows=DEMO_ROWS, seed=20)
        generate_permits(data_dir / "demo", rows=DEMO_ROWS // 5, seed=20)
        generate_inspections(data_dir / "demo", rows=DEMO_ROWS // 7, seed=20)
        result = run_pipeline(PROJECT_ROOT / "metrics.yml")
        assert result.published, result.message
    yield data_dir


def _cli(args: list[str], data_dir: Path) -> str:
    """Run `citystat ARGS` as typed, with the city's data in ``data_dir``; its output."""
    done = CliRunner().invoke(main, args, env={"CITYSTAT_DATA_DIR": str(data_dir)})
    assert done.exit_code == 0, done.output
    return done.output


def _differences(warehouse: Path, spark_values: Path, city_id: str) -> list[tuple]:
    """Rows where Spark's metric_values and the warehouse's differ, a few per metric."""
    mismatch = " OR ".join(
        [f"d.{c} IS DISTINCT FROM s.{c}" for c in EXACT]
        + [
            f"(d.{c} IS NULL) <> (s.{c} IS NULL) "
            f"OR abs(d.{c} - s.{c}) > 1e-9 * greatest(1, abs(d.{c}))"
            for c in CLOSE
        ]
    )
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            f"""
            WITH s AS (
                SELECT * EXCLUDE (city)
                FROM read_parquet(?, hive_partitioning = true) WHERE city = ?
            )
            SELECT metric_id, count(*) AS rows, any_value(detail) AS example FROM (
                SELECT COALESCE(d.metric_id, s.metric_id) AS metric_id,
                    concat_ws(' | ', d.grain, d.period_label, d.dimension_value,
                              d.value::VARCHAR, s.value::VARCHAR, d.status, s.status) AS detail
                FROM metric_values AS d FULL OUTER JOIN s USING ({KEYS})
                WHERE d.metric_id IS NULL OR s.metric_id IS NULL OR {mismatch}
            ) GROUP BY metric_id ORDER BY metric_id
            """,
            [str(spark_values / "**" / "*.parquet"), city_id],
        ).fetchall()


def test_every_city_computed_on_spark_equals_duckdb(
    spark_runtime: None,
    demo_100k: Path,
    built_city,
    tmp_path: Path,
) -> None:
    lake = tmp_path / "lake"
    # Every city into one lake, as a state or a consortium would build it.
    exported = {"demo": (demo_100k / "citystat.duckdb", demo_100k)}
    said = _cli(["export", "--parquet", str(lake), "--city-id", "demo"], demo_100k)
    assert "exported Philadelphia" in said and "as demo" in said
    for city in REAL_CITIES:
        built: Built = built_city(city)
        _cli(
            ["--city", str(built.folder), "export", "--parquet", str(lake), "--city-id", city],
            built.warehouse.parent,
        )
        assert read_manifest(lake, city).name == load_city(built.folder).name
        exported[city] = (built.warehouse, built.warehouse.parent)
    assert set(exported) == {"demo", *REAL_CITIES}

    said = _cli(["metrics", "compute", "--engine", "spark", "--lake", str(lake)], demo_100k)
    assert f"spark: {len(exported)} cities" in said
    # Spark's values replaced the exported ones in the lake (Spark names its files part-*).
    written = list((lake / "metric_values").rglob("*.parquet"))
    assert written and all(path.name.startswith("part-") for path in written)

    for city_id, (warehouse, _) in exported.items():
        assert _differences(warehouse, lake / "metric_values", city_id) == [], city_id
    # Every metric of every city came back: as many rows per metric as DuckDB wrote.
    with duckdb.connect() as con:
        per_city = dict(
            con.execute(
                "SELECT city, count(DISTINCT metric_id) FROM read_parquet(?, hive_partitioning "
                "= true) GROUP BY city",
                [str(lake / "metric_values" / "**" / "*.parquet")],
            ).fetchall()
        )
    assert per_city["demo"] == len(load_metrics(PROJECT_ROOT / "metrics.yml").metrics)
    for city in REAL_CITIES:
        assert per_city[city] == len(load_metrics(CITIES_DIR / city / "metrics.yml").metrics)

    # The Compare page reads the lake's cities, with Spark's values.
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CITYSTAT_WAREHOUSE", str(demo_100k / "citystat.duckdb"))
        env.setenv(site.COMPARE_ENV, str(lake))
        shown = set(_rows(_open()))
    assert {load_city(CITIES_DIR / city).name for city in REAL_CITIES} <= shown
