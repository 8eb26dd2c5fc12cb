"""Compute every city's metrics of a lake folder on Spark and write metric_values as Parquet.

Each city's configuration comes from its manifest (the city.yml and metrics.yml it was
exported with), its data from the lake's partitions for that city. Which metrics a city can
compute (its sources' columns) is decided exactly as on DuckDB, from its ``source_columns``:
a few dozen rows, read with DuckDB; every metric value is computed by Spark.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from pipelines.city.loader import load_city_text
from pipelines.lake.layout import (
    METRIC_INPUTS,
    METRIC_VALUES,
    SOURCE_COLUMNS,
    Manifest,
    city_partition,
    lake_cities,
    read_manifest,
    table_dir,
)
from pipelines.metrics.availability import all_availability
from pipelines.metrics.compiler import compile_spark
from pipelines.metrics.loader import load_metrics_text
from pipelines.metrics.model import MetricsConfig
from pipelines.spark.session import LOCAL_MASTER, spark_session

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

# Metric jobs submitted at once (threads of the driver; Spark runs their tasks side by side).
JOBS_AT_ONCE = 4
# metric_values as the warehouse declares it (pipelines/warehouse/schema.py), in Spark types.
VALUE_COLUMNS = (
    ("metric_id", "string"),
    ("grain", "string"),
    ("period_start", "date"),
    ("period_end", "date"),
    ("period_label", "string"),
    ("is_complete", "boolean"),
    ("dimension", "string"),
    ("dimension_value", "string"),
    ("value", "double"),
    ("numerator", "double"),
    ("denominator", "double"),
    ("count", "bigint"),
    ("target", "double"),
    ("status", "string"),
)


@dataclass(frozen=True)
class CityValues:
    """What the job wrote for one city: its metric_values rows and metrics."""

    city_id: str
    rows: int
    metrics: int


def compute_lake(
    lake: Path,
    out: Path | None = None,
    *,
    cities: Sequence[str] | None = None,
    master: str | None = LOCAL_MASTER,
    progress: Callable[[str], None] | None = None,
) -> list[CityValues]:
    """Compute the metrics of ``cities`` (default: every city in the lake) in one Spark
    application and write ``<out>/metric_values/city=<id>/metric=<metric id>/`` (``out``
    defaults to the lake itself, where the Compare page reads it), each city's earlier values
    replaced."""
    spark = spark_session(master)
    written = []
    for city_id in cities or lake_cities(lake):
        manifest = read_manifest(lake, city_id)
        config = _config(manifest)
        partition = city_partition(out or lake, METRIC_VALUES, city_id)
        if partition.exists():
            shutil.rmtree(partition)
        # One job per metric, a few at once: Spark plans each metric's query alone (a union of
        # every metric's plan takes the optimizer far longer than computing them), and each
        # job's thread compiles and plans its own metric, so one is planned while another's
        # tasks run. Each job writes its own folder, so no two share a commit.
        available = _city_views(spark, lake, manifest, config)
        write = partial(_write, spark, config, manifest.as_of, partition)
        with ThreadPoolExecutor(max_workers=JOBS_AT_ONCE) as pool:
            jobs = [pool.submit(write, m.id, available[m.id]) for m in config.metrics]
            for job in jobs:
                done = job.result()
                if progress is not None:
                    progress(f"{city_id}: {done}")
        rows = spark.read.parquet(str(partition)).count()
        written.append(CityValues(city_id, rows, len(config.metrics)))
        if progress is not None:
            progress(f"{city_id}: {len(config.metrics)} metrics, {rows:,} metric values")
    return written


def _write(
    spark: SparkSession,
    config: MetricsConfig,
    as_of: datetime,
    partition: Path,
    metric_id: str,
    available: bool,
) -> str:
    """Compile and plan one metric's query and write its values as one Parquet file in the
    partition's ``metric=<id>`` folder (they are small beside its records: periods x
    breakdowns); the metric's id once written."""
    from pyspark.sql import functions as F

    query = compile_spark(config, metric_id, available=available)
    values = spark.sql(query.sql, args=query.bind(as_of))
    frame = values.select(*(F.col(c).cast(t).alias(c) for c, t in VALUE_COLUMNS))
    frame.coalesce(1).write.mode("overwrite").parquet(str(partition / f"metric={metric_id}"))
    return metric_id


def _config(manifest: Manifest) -> MetricsConfig:
    """The city's metrics as it exported them, with its own profile (zone, fiscal year)."""
    profile = load_city_text(manifest.city_yml, f"{manifest.city_id}: city.yml")
    return load_metrics_text(manifest.metrics_yml, f"{manifest.city_id}: metrics.yml", profile)


def _city_views(
    spark: SparkSession, lake: Path, manifest: Manifest, config: MetricsConfig
) -> dict[str, bool]:
    """Register the city's tables as the views its metrics' queries read; which metrics its
    sources can compute."""
    from pyspark.sql import functions as F

    for table in METRIC_INPUTS:
        rows = spark.read.parquet(str(table_dir(lake, table)))
        own = rows.where(F.col("city") == F.lit(manifest.city_id)).drop("city", "month")
        own.createOrReplaceTempView(table)
    return _availability(lake, manifest.city_id, config)


def _availability(lake: Path, city_id: str, config: MetricsConfig) -> dict[str, bool]:
    """Which metrics the city's sources can compute, decided as on DuckDB from its
    source_columns (metadata: a few rows per source)."""
    files = city_partition(lake, SOURCE_COLUMNS, city_id) / "**" / "*.parquet"
    with duckdb.connect() as con:
        con.execute(
            "CREATE TABLE source_columns AS "
            "SELECT * FROM read_parquet(?, hive_partitioning = false)",
            [str(files)],
        )
        return {m: a.computable for m, a in all_availability(con, config).items()}
