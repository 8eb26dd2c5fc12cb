"""`citystat export --parquet DIR` and `citystat metrics compute --engine spark`: a city's
warehouse into a lake folder, and every city's metrics of a lake computed on Apache Spark."""

from __future__ import annotations

from pathlib import Path

import click

from pipelines.city.loader import load_city
from pipelines.lake.export import export_city
from pipelines.lake.layout import LakeError, check_city_id, city_id_of
from pipelines.warehouse import layout
from pipelines.warehouse.published import published_file


@click.command("export")
@click.option(
    "--parquet",
    "lake",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="The lake folder to write into (made if missing); other cities in it are kept.",
)
@click.option(
    "--city-id",
    default=None,
    help="The city's id in the lake (default: from its name in city.yml, e.g. san_francisco).",
)
def export(lake: Path, city_id: str | None) -> None:
    """Write the published warehouse's canonical tables, their versions and its metric values
    as Parquet, partitioned by city and month, with the city's configuration beside them."""
    profile = load_city()
    try:
        chosen = check_city_id(city_id) if city_id else city_id_of(profile.name)
        warehouse = published_file() or layout.warehouse_path()
        done = export_city(warehouse, lake, chosen, profile.name, layout.metrics_file())
    except LakeError as exc:
        raise click.ClickException(str(exc)) from None
    tables = ", ".join(f"{table} {rows:,}" for table, rows in done.rows.items())
    click.echo(f"exported {profile.name} as {done.city_id} to {lake}: {tables}")


@click.command("compute")
@click.option(
    "--engine",
    type=click.Choice(["spark"]),
    required=True,
    help="The engine: spark (the DuckDB engine computes during `citystat run`).",
)
@click.option(
    "--lake",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    required=True,
    help="A lake folder written by `citystat export --parquet`.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to write metric_values/ (default: the lake itself).",
)
@click.option(
    "--only",
    "cities",
    multiple=True,
    help="A city id to compute (repeatable; default: every city in the lake).",
)
@click.option(
    "--master",
    default="local[*]",
    show_default=True,
    help="Spark master URL: local mode on this machine's cores, or a cluster's "
    "(spark://host:7077, yarn, k8s://…).",
)
def compute(
    engine: str, lake: Path, out: Path | None, cities: tuple[str, ...], master: str
) -> None:
    """Compute every city's metrics in the lake with ENGINE and write metric_values as Parquet,
    one folder per city and metric, with the warehouse's columns."""
    from pipelines.spark.compute import compute_lake
    from pipelines.spark.session import SparkUnavailable

    try:
        done = compute_lake(
            lake, out, cities=list(cities) or None, master=master, progress=click.echo
        )
    except (LakeError, SparkUnavailable) as exc:
        raise click.ClickException(str(exc)) from None
    total = sum(city.rows for city in done)
    click.echo(f"{engine}: {len(done)} cities, {total:,} metric values -> {out or lake}")
