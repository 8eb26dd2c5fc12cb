"""The `metrics` command group: check metrics.yml, explain a metric's SQL, preview values."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import click
import duckdb

from pipelines.catalog import ServicesFileError
from pipelines.config.hints import one_of
from pipelines.config.issues import MetricsFileError
from pipelines.metrics.availability import metric_availability
from pipelines.metrics.compiler import explain as explain_sql
from pipelines.metrics.compute import preview as preview_values
from pipelines.metrics.loader import check_metrics_file, load_metrics
from pipelines.metrics.model import GRAINS, MetricsConfig
from pipelines.metrics.source_rules import check_metrics_against_sources
from pipelines.run.record import services_beside
from pipelines.warehouse import layout
from pipelines.warehouse.words import record_words

FILE_OPTION = click.option(
    "--file",
    "metrics_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="metrics.yml to read (default: the city's metrics.yml or $CITYSTAT_METRICS_FILE).",
)


def _metrics_file(path: Path | None) -> Path:
    return path if path is not None else layout.metrics_file()


def _fail(lines: list[str]) -> NoReturn:
    for line in lines:
        click.echo(line, err=True)
    raise SystemExit(1)


def _load(path: Path) -> MetricsConfig:
    try:
        return load_metrics(path)
    except MetricsFileError as exc:
        _fail([str(issue) for issue in exc.issues])


def _known_metric(config: MetricsConfig, metric_id: str) -> None:
    if metric_id not in {m.id for m in config.metrics}:
        hint = one_of(
            (m.id for m in config.metrics),
            lead="known metrics: ",
            when_none="it defines no metric yet: add one under 'metrics:'",
        )
        _fail([f"{config.file_label}: no metric '{metric_id}'; {hint}"])


@click.group("metrics")
def metrics() -> None:
    """Check, explain and preview the metrics defined in metrics.yml."""


@metrics.command("check")
@FILE_OPTION
def check(metrics_file: Path | None) -> None:
    """Check metrics.yml and print every problem as FILE:LINE: problem; fix."""
    path = _metrics_file(metrics_file)
    issues = check_metrics_file(path)
    if issues:
        plural = "s" if len(issues) != 1 else ""
        _fail([*(str(issue) for issue in issues), f"{len(issues)} problem{plural} found"])
    config = load_metrics(path)
    # The same services.yml check `citystat run` makes before it loads anything.
    try:
        services = services_beside(path, config)
    except ServicesFileError as exc:
        lines = list(dict.fromkeys(str(i) for i in exc.issues))  # each problem once
        plural = "s" if len(lines) != 1 else ""
        _fail([*lines, f"{len(lines)} problem{plural} found"])
    # Warnings, not errors: the run publishes such a metric as "not available for this
    # source" on purpose (a city may keep a metric its extracts cannot give yet).
    warnings = [f"warning: {issue}" for issue in check_metrics_against_sources(path, config)]
    also = f" ({services.file_label} agrees)" if services is not None else ""
    noted = (
        f"; {len(warnings)} metric column{'s' if len(warnings) != 1 else ''} no source maps "
        "(published as not available)"
        if warnings
        else ""
    )
    click.echo(f"{path.name}: {len(config.metrics)} metrics, no problems found{also}{noted}")
    for line in warnings:
        click.echo(line, err=True)


@metrics.command("explain")
@click.argument("metric_id")
@FILE_OPTION
def explain(metric_id: str, metrics_file: Path | None) -> None:
    """Print the SQL METRIC_ID runs and its bound parameters."""
    config = _load(_metrics_file(metrics_file))
    _known_metric(config, metric_id)
    click.echo(explain_sql(config, metric_id), nl=False)


@metrics.command("preview")
@click.argument("metric_id")
@click.option(
    "--grain",
    type=click.Choice(GRAINS),
    default="month",
    show_default=True,
    help="Period length to show.",
)
@click.option(
    "--periods",
    type=click.IntRange(min=1),
    default=6,
    show_default=True,
    help="How many of the latest periods to show.",
)
@click.option(
    "--dimension",
    default="citywide",
    show_default=True,
    help="Breakdown to show: citywide, or one of the metric's dimensions (council_district...).",
)
@FILE_OPTION
@click.option(
    "--warehouse",
    "warehouse_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Warehouse to read (default: the published warehouse); opened read-only.",
)
def preview(
    metric_id: str,
    grain: str,
    periods: int,
    dimension: str,
    metrics_file: Path | None,
    warehouse_file: Path | None,
) -> None:
    """Compute METRIC_ID from the published warehouse in memory and print the latest periods.

    Nothing is written: use this to try a new or changed definition before `citystat run`.
    """
    config = _load(_metrics_file(metrics_file))
    _known_metric(config, metric_id)
    path = warehouse_file if warehouse_file is not None else layout.warehouse_path()
    if not path.exists():
        _fail([f"{path}: no warehouse here; run `citystat run` first or pass --warehouse"])
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            frame = preview_values(con, config, metric_id, grain=grain, periods=periods)
            note = metric_availability(con, config, config.metric(metric_id)).note
    except (ValueError, duckdb.Error) as exc:
        _fail([f"{path}: {str(exc).splitlines()[0]}"])
    if note:
        click.echo(f"{metric_id}: {note}")
    if frame.empty:
        # The table's own word: a permit metric matches permits, not requests.
        word = record_words(config.metric(metric_id).table).many
        click.echo(f"{metric_id}: no values at grain {grain} (no {word} loaded yet)")
        return
    shown = frame[frame["dimension"] == dimension]
    if shown.empty:
        known = ", ".join(sorted(frame["dimension"].unique()))
        _fail([f"{metric_id}: no '{dimension}' breakdown; choose one of {known}"])
    shown = shown.drop(columns=["metric_id", "period_end", "period_start", "dimension"])
    click.echo(shown.to_string(index=False))
