"""The `citystat` command line: demo data, pipeline runs, metric definitions and sources."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.console import Console

from pipelines.warehouse import DEMO_DIR, METRICS_FILE

console = Console(stderr=True, highlight=False, soft_wrap=True)


def _progress_printer() -> Callable[[str], None]:
    """A progress callback printing each step with the seconds since the command started."""
    start = time.perf_counter()

    def show(message: str) -> None:
        console.print(f"[dim]{time.perf_counter() - start:7.1f}s[/dim]  {message}")

    return show


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show full tracebacks instead of one-line errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """citystat: performance management (Stat) for city services, from extract to scorecard."""
    ctx.obj = {"debug": debug or bool(os.environ.get("CITYSTAT_DEBUG"))}


@main.command("demo-data")
@click.option(
    "--rows",
    type=click.IntRange(min=1000),
    default=None,
    show_default="300,000",
    help="Number of 311 requests to generate (10000000 for benchmarks).",
)
@click.option("--seed", type=int, default=None, help="Random seed; same seed, same file.")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=DEMO_DIR,
    show_default=True,
    help="Folder to write the extract into.",
)
@click.option("--force", is_flag=True, help="Overwrite an extract that is already there.")
def demo_data(rows: int | None, seed: int | None, out: Path, force: bool) -> None:
    """Write the generated Philadelphia-style 311 extract (public_cases_fc layout)."""
    from pipelines import demo_data as demo

    target = out / "philadelphia_311" / "public_cases_fc.csv"
    if target.exists() and not force:
        console.print(f"{target} already exists; use --force to write it again")
        return
    show = _progress_printer()
    path = demo.generate_311(
        out,
        rows=rows or demo.DEFAULT_ROWS,
        seed=demo.DEFAULT_SEED if seed is None else seed,
        progress=show,
    )
    console.print(f"wrote {path}")


@main.command("run")
@click.option(
    "--metrics",
    "metrics_file",
    type=click.Path(path_type=Path),
    default=METRICS_FILE,
    show_default=True,
    help="Metric definitions; its city.sources lists what to load.",
)
@click.option(
    "--warehouse",
    type=click.Path(path_type=Path),
    default=None,
    help="Published warehouse file (default data/citystat.duckdb).",
)
@click.option(
    "--metrics-only",
    is_flag=True,
    help="Recompute metrics from the published warehouse without reloading extracts.",
)
@click.pass_context
def run(ctx: click.Context, metrics_file: Path, warehouse: Path | None, metrics_only: bool) -> None:
    """Load, validate, compute metrics and publish the warehouse (all or nothing)."""
    from pipelines.run import recompute_metrics, run_pipeline

    show = _progress_printer()
    with _clean_errors(ctx):
        step = recompute_metrics if metrics_only else run_pipeline
        result = step(metrics_file, warehouse, progress=show)
    for src in result.sources:
        console.print(
            f"{src.source}: {src.rows_read:,} read = {src.rows_staged:,} staged + "
            f"{src.rows_quarantined:,} quarantined + {src.rows_rejected:,} rejected"
        )
    if not result.published:
        console.print(f"[red]{result.message}[/red]")
        console.print("The last good warehouse is unchanged; the failed build is kept beside it.")
        sys.exit(1)
    console.print(f"{result.message}; {result.metric_rows:,} metric values -> {result.warehouse}")


@main.group("sources")
def sources() -> None:
    """Source mappings: one YAML file per city extract in pipelines/sources/."""


@sources.command("list")
def sources_list() -> None:
    """List the shipped source mappings and whether their files are present."""
    from pipelines.loader import LoadError, resolve_files
    from pipelines.source_config import available_sources, load_source

    for name in available_sources():
        mapping = load_source(name)
        try:
            found = f"{len(resolve_files(mapping))} file(s)"
        except LoadError:
            found = "files not found"
        click.echo(f"{name:24} {found:16} {mapping.title}")


def _register_metrics_group() -> None:
    from pipelines.metrics.cli import metrics

    main.add_command(metrics)


@contextmanager
def _clean_errors(ctx: click.Context) -> Iterator[None]:
    """Turn the pipeline's own errors into one clean line (tracebacks only with --debug)."""
    from pipelines.loader import LoadError
    from pipelines.metrics import MetricsFileError
    from pipelines.run import RunError
    from pipelines.source_config import MappingError

    try:
        yield
    except (LoadError, MetricsFileError, RunError, MappingError) as exc:
        if ctx.obj and ctx.obj.get("debug"):
            raise
        raise click.ClickException(str(exc)) from exc


_register_metrics_group()
