"""The `metrics` command group: check metrics.yml (and drafts), explain a metric, preview values."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import NoReturn

import click
import duckdb

from pipelines.catalog import ServicesFileError
from pipelines.cli.drafts import db_failure, preview_draft, print_rows
from pipelines.config.hints import one_of
from pipelines.config.issues import Issue, MetricsFileError
from pipelines.metrics.availability import metric_availability
from pipelines.metrics.compiler import explain as explain_sql
from pipelines.metrics.compute import preview as preview_values
from pipelines.metrics.describe import describe_metric
from pipelines.metrics.drafts import load_draft
from pipelines.metrics.loader import check_metrics_file, load_metrics, metric_sites
from pipelines.metrics.mistakes import likely_mistakes
from pipelines.metrics.model import GRAINS, MetricsConfig
from pipelines.metrics.source_rules import check_metrics_against_sources
from pipelines.metrics.value_check import unmatched_values
from pipelines.run.record import services_beside
from pipelines.warehouse import layout

FILE_OPTION = click.option(
    "--file",
    "metrics_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="metrics.yml to read (default: the city's metrics.yml or $CITYSTAT_METRICS_FILE).",
)
DRAFT_OPTION = click.option(
    "--draft",
    "draft_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="A draft file: metrics under 'metrics:', as in metrics.yml, tried with the city's "
    "metrics (a draft metric with the id of one of them stands in for it).",
)
WAREHOUSE_OPTION = click.option(
    "--warehouse",
    "warehouse_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Warehouse to read (default: the published warehouse); opened read-only.",
)


def _metrics_file(path: Path | None) -> Path:
    return path if path is not None else layout.metrics_file()


def _fail(lines: list[str]) -> NoReturn:
    for line in lines:
        click.echo(line, err=True)
    raise SystemExit(1)


def _fail_with(issues: list[Issue]) -> NoReturn:
    lines = list(dict.fromkeys(str(issue) for issue in issues))  # each problem once
    plural = "s" if len(lines) != 1 else ""
    _fail([*lines, f"{len(lines)} problem{plural} found"])


def _load(path: Path, draft: Path | None = None) -> MetricsConfig:
    """metrics.yml, with the draft's metrics when one is given; every issue ends the command."""
    try:
        base = load_metrics(path)
        return base if draft is None else load_draft(draft, base)
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


def _default_warehouse(path: Path) -> Path | None:
    """The published warehouse of the metrics file's city, when there is one."""
    with layout.in_city(path.parent):
        published = layout.warehouse_path()
    return published if published.exists() else None


def warnings_for(
    config: MetricsConfig, file: Path, warehouse: Path | None, only: str | None = None
) -> list[Issue]:
    """The likely mistakes of the metrics written in ``file`` (``only`` one of them), and
    their filter values no record of ``warehouse`` holds."""
    at, sites = metric_sites(file.read_text(encoding="utf-8"), file.name)
    if only is not None:
        sites = {only: sites[only]} if only in sites else {}
    warnings = likely_mistakes(config, at, sites)
    if only is None:
        # Published as "not available for this source" on purpose: a warning, not an error.
        warnings += check_metrics_against_sources(file, config)
    if warehouse is not None and sites:
        try:
            with duckdb.connect(str(warehouse), read_only=True) as con:
                warnings += unmatched_values(con, config, at, sites)
        except duckdb.Error as exc:
            click.echo(f"{warehouse}: filter values not checked: {str(exc).splitlines()[0]}")
    return sorted(warnings)


@click.group("metrics")
def metrics() -> None:
    """Check, explain and preview the metrics defined in metrics.yml (and drafts)."""


@metrics.command("check")
@FILE_OPTION
@DRAFT_OPTION
@WAREHOUSE_OPTION
def check(metrics_file: Path | None, draft_file: Path | None, warehouse_file: Path | None) -> None:
    """Check metrics.yml (and a draft) and print every problem as FILE:LINE: problem; fix.

    Then warnings: likely mistakes, and filter values no record of the published warehouse
    holds, with the closest values present. Warnings alone exit 0.
    """
    path = _metrics_file(metrics_file)
    issues = check_metrics_file(path)
    if issues:
        _fail_with(issues)
    try:
        base = load_metrics(path)
        config = base if draft_file is None else load_draft(draft_file, base)
    except MetricsFileError as exc:
        _fail_with(exc.issues)
    # The same services.yml check `citystat run` makes before it loads anything.
    try:
        services = services_beside(path, base)
    except ServicesFileError as exc:
        _fail_with(list(dict.fromkeys(exc.issues)))  # each problem once
    warehouse = warehouse_file if warehouse_file is not None else _default_warehouse(path)
    if warehouse is not None and not warehouse.exists():
        _fail([f"{warehouse}: no warehouse here; run `citystat run` first or omit --warehouse"])
    warnings = warnings_for(config, draft_file or path, warehouse)
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    also = f" ({services.file_label} agrees)" if services is not None else ""
    noted = f"; {len(warnings)} warning{'s' if len(warnings) != 1 else ''}" if warnings else ""
    if draft_file is not None:
        drafted = len(metric_sites(draft_file.read_text(encoding="utf-8"), draft_file.name)[1])
        click.echo(f"{draft_file.name}: {drafted} draft metrics, no problems found{noted}")
    else:
        click.echo(f"{path.name}: {len(config.metrics)} metrics, no problems found{also}{noted}")
    if warehouse is not None:
        click.echo(f"Filter values checked against {warehouse}.")


@metrics.command("explain")
@click.argument("metric_id")
@FILE_OPTION
@DRAFT_OPTION
@click.option(
    "--engine",
    type=click.Choice(["duckdb", "spark"]),
    default="duckdb",
    show_default=True,
    help="Whose SQL to print: DuckDB's, or the Spark SQL `metrics compute --engine spark` runs.",
)
def explain(
    metric_id: str, metrics_file: Path | None, draft_file: Path | None, engine: str
) -> None:
    """Print METRIC_ID in plain words (what it counts, filters, target rule, periods), then
    the SQL it runs and its bound parameters."""
    config = _load(_metrics_file(metrics_file), draft_file)
    _known_metric(config, metric_id)
    metric = config.metric(metric_id)
    click.echo(f"{metric.label} ({metric.id})")
    for paragraph in describe_metric(config, metric_id).splitlines():
        click.echo(textwrap.fill(paragraph, width=96))
    click.echo("")
    click.echo(explain_sql(config, metric_id, engine), nl=False)


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
@DRAFT_OPTION
@WAREHOUSE_OPTION
@click.option(
    "--save",
    is_flag=True,
    help="With --draft: keep the draft's values for the dashboard's Metric page "
    "(data/drafts/METRIC_ID.duckdb).",
)
def preview(
    metric_id: str,
    grain: str,
    periods: int,
    dimension: str,
    metrics_file: Path | None,
    draft_file: Path | None,
    warehouse_file: Path | None,
    save: bool,
) -> None:
    """Compute METRIC_ID from the published warehouse in memory and print the latest periods.

    Nothing is written to the warehouse: use this to try a new or changed definition before
    `citystat run`. With --draft, METRIC_ID may be a metric of the draft file: the preview
    also shows its status against the draft's target and how it would move its department's
    and cohort's leadership index.
    """
    path = _metrics_file(metrics_file)
    config = _load(path, draft_file)
    _known_metric(config, metric_id)
    if save and draft_file is None:
        raise click.UsageError("--save keeps a draft for the dashboard; it needs --draft FILE")
    warehouse = warehouse_file if warehouse_file is not None else layout.warehouse_path()
    if not warehouse.exists():
        _fail([f"{warehouse}: no warehouse here; run `citystat run` first or pass --warehouse"])
    written_in = draft_file if draft_file is not None else path
    for warning in warnings_for(config, written_in, warehouse, only=metric_id):
        click.echo(f"warning: {warning}", err=True)
    if draft_file is not None:
        shown = preview_draft(
            config, path, draft_file, metric_id, warehouse, grain, periods, save=save
        )
        print_rows(config, metric_id, shown, grain, dimension)
        return
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            frame = preview_values(con, config, metric_id, grain=grain, periods=periods)
            note = metric_availability(con, config, config.metric(metric_id)).note
    except ValueError as exc:
        _fail([f"{warehouse}: {str(exc).splitlines()[0]}"])
    except duckdb.Error as exc:
        _fail([db_failure(config, metric_id, written_in, exc)])
    if note:
        click.echo(f"{metric_id}: {note}")
    print_rows(config, metric_id, frame, grain, dimension)
