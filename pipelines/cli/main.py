"""The `citystat` group with demo-data, run and rollback; the metrics, services and sources groups
are added from their own modules."""

from __future__ import annotations

import importlib
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console

from pipelines.warehouse import layout

if TYPE_CHECKING:
    from pipelines.run.outcome import RunResult

console = Console(stderr=True, highlight=False, soft_wrap=True)


def _progress_printer() -> Callable[[str], None]:
    """A progress callback printing each step with the seconds since the command started."""
    start = time.perf_counter()

    def show(message: str) -> None:
        console.print(f"[dim]{time.perf_counter() - start:7.1f}s[/dim]  {message}")

    return show


def _metrics_group() -> click.Command:
    from pipelines.cli.lake import compute
    from pipelines.cli.metrics import metrics

    metrics.add_command(compute)
    return metrics


# Each group's module is imported only when that command runs (or --help lists it): `run`,
# `--help` and the light commands stay clear of the profile, metrics and lake modules.
LAZY_COMMANDS: dict[str, Callable[[], click.Command]] = {
    "init": lambda: importlib.import_module("pipelines.cli.init").init,
    "export": lambda: importlib.import_module("pipelines.cli.lake").export,
    "metrics": _metrics_group,
    "schema": lambda: importlib.import_module("pipelines.cli.schema").schema,
    "services": lambda: importlib.import_module("pipelines.cli.services").services,
    "sources": lambda: importlib.import_module("pipelines.cli.sources").sources,
}


class _LazyGroup(click.Group):
    """A group whose subcommands in LAZY_COMMANDS are imported when first asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command name, the lazy ones included, sorted."""
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command, importing its module the first time."""
        if cmd_name in LAZY_COMMANDS and cmd_name not in self.commands:
            self.add_command(LAZY_COMMANDS[cmd_name](), cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show full tracebacks instead of one-line errors.")
@click.option(
    "--city",
    "city",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="The city's folder (its city.yml, metrics.yml, services.yml, mappings and data/); "
    "default $CITYSTAT_CITY, else the project folder (the demo city).",
)
@click.pass_context
def main(ctx: click.Context, debug: bool, city: Path | None) -> None:
    """citystat: performance management (Stat) for city services, from extract to scorecard."""
    ctx.obj = {"debug": debug or bool(os.environ.get("CITYSTAT_DEBUG"))}
    if city is not None:
        layout.use_city(city)


@main.command("demo-data")
@click.option(
    "--rows",
    type=click.IntRange(min=1000),
    default=None,
    show_default="300,000",
    help="Number of 311 requests to generate (10000000 for benchmarks); permits and complaint "
    "cases are generated in proportion.",
)
@click.option("--seed", type=int, default=None, help="Random seed; same seed, same files.")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder to write the extracts into (default: the city's data/demo/).",
)
@click.option("--force", is_flag=True, help="Overwrite extracts that are already there.")
def demo_data(rows: int | None, seed: int | None, out: Path, force: bool) -> None:
    """Write the generated Philadelphia-style extracts: 311 requests, permits, complaint cases."""
    from pipelines.demo.city import demo_extracts, write_demo_city
    from pipelines.demo.common import DEFAULT_SEED
    from pipelines.demo.service_requests import DEFAULT_ROWS

    written = write_demo_city(
        out or layout.demo_dir(),
        rows=rows or DEFAULT_ROWS,
        seed=DEFAULT_SEED if seed is None else seed,
        force=force,
        progress=_progress_printer(),
    )
    for name, path in demo_extracts(out or layout.demo_dir()).items():
        if written[name] is None:
            console.print(f"{name}: {path} already exists; use --force to write it again")
        else:
            console.print(f"{name}: wrote {path}")
    if force and any(written.values()):
        console.print("Extracts rewritten: rebuild the warehouse with `citystat run --rebuild`.")


KEEP_OPTION = click.option(
    "--keep",
    type=click.IntRange(min=1),
    default=None,
    help="Published versions to keep, the new one included (default $CITYSTAT_KEEP_VERSIONS "
    "or 3); `citystat rollback` can go back to the others.",
)


@main.command("run")
@click.option(
    "--metrics",
    "metrics_file",
    type=click.Path(path_type=Path),
    default=None,
    help="Metric definitions (default: the city's metrics.yml); city.yml lists what to load.",
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
@click.option(
    "--rebuild",
    is_flag=True,
    help="Start from an empty warehouse and load every file in name order (after changing a "
    "source mapping, or to drop a source); without it only files not loaded before are merged.",
)
@KEEP_OPTION
@click.pass_context
def run(
    ctx: click.Context,
    metrics_file: Path | None,
    warehouse: Path | None,
    metrics_only: bool,
    rebuild: bool,
    keep: int | None,
) -> None:
    """Merge new extract files, validate, compute metrics and publish (all or nothing)."""
    if metrics_only and rebuild:
        raise click.UsageError(
            "--metrics-only reloads nothing; it cannot be combined with --rebuild"
        )
    metrics_file = metrics_file or layout.metrics_file()
    if not (metrics_only or rebuild):
        # Before any heavy import: a run with nothing new takes a fraction of a second.
        from pipelines.cli.nothing_new import nothing_new_since

        with layout.in_city(metrics_file.parent):
            unchanged = nothing_new_since(warehouse or layout.warehouse_path(), metrics_file)
        if unchanged is not None:
            console.print(unchanged)
            return
    from pipelines.run.pipeline import recompute_metrics, run_pipeline

    started_ns = time.time_ns()
    show = _progress_printer()
    with _clean_errors(ctx):
        if metrics_only:
            result = recompute_metrics(metrics_file, warehouse, progress=show, keep=keep)
        else:
            result = run_pipeline(
                metrics_file, warehouse, progress=show, rebuild=rebuild, keep=keep
            )
    for line in run_summary_lines(result):
        console.print(line)
    if not result.published:
        console.print(f"[red]{result.message}[/red]")
        console.print("The last good warehouse is unchanged; the failed build is kept beside it.")
        sys.exit(1)
    console.print(f"{result.message}; {result.metric_rows:,} metric values -> {result.warehouse}")
    if not metrics_only:
        _pin_inputs(result.warehouse, metrics_file, result.run_id, started_ns)


def _pin_inputs(published: Path, metrics_file: Path, run_id: str, started_ns: int) -> None:
    """Leave the fingerprint of a published run's inputs; a failure only costs a full run."""
    from pipelines.cli.run_inputs import record_inputs

    try:
        pinned = record_inputs(published, metrics_file, run_id, started_ns)
    except Exception as exc:  # the run is published; the next one simply runs in full
        console.print(f"[dim]inputs not fingerprinted ({type(exc).__name__}: {exc})[/dim]")
        return
    if not pinned:
        console.print(
            "[dim]an input changed during the run; the next run reads everything again[/dim]"
        )


@main.command("rollback")
@click.option(
    "--warehouse",
    type=click.Path(path_type=Path),
    default=None,
    help="Published warehouse (default data/citystat.duckdb).",
)
@click.pass_context
def rollback(ctx: click.Context, warehouse: Path | None) -> None:
    """Publish the previous version of the warehouse again (undo the last run)."""
    from pipelines.publish.versions import rollback as roll_back
    from pipelines.warehouse.layout import warehouse_path

    published = warehouse or warehouse_path()
    with _clean_errors(ctx):
        done = roll_back(published)
    console.print(
        f"{published} now shows {done.restored.name} again; {done.taken_down.name} was taken "
        f"down and kept as {done.kept_as}. The next `citystat run` merges the files that run "
        "had loaded again: fix or remove a bad extract first."
    )


def run_summary_lines(result: RunResult) -> list[str]:
    """Per source: files, row accounting and merge counts; then where the time went."""
    from pipelines.ingest.provenance import StepClock

    clock = StepClock(result.steps)
    lines = []
    for src in result.sources:
        merged = src.merged
        skipped = f", {len(src.skipped)} skipped (already loaded)" if src.skipped else ""
        not_loaded = f", {len(src.not_loaded)} not loaded" if src.not_loaded else ""
        lines.append(
            f"{src.source}: {len(src.files)} file(s) loaded{skipped}{not_loaded}; "
            f"{src.rows_read:,} read = {src.rows_staged:,} staged + "
            f"{src.rows_quarantined:,} quarantined + {src.rows_rejected:,} rejected; "
            f"{src.canonical_table}: {merged.inserted:,} new, {merged.updated:,} updated, "
            f"{merged.unchanged:,} unchanged"
        )
    for source in [*(s.source for s in result.sources), None]:
        totals = clock.totals(source)
        if totals:
            spent = ", ".join(f"{step} {seconds:.1f}s" for step, seconds in totals.items())
            lines.append(f"time, {source or 'whole run'}: {spent}")
    return lines


@contextmanager
def _clean_errors(ctx: click.Context) -> Iterator[None]:
    """Turn the pipeline's own errors into one clean line (tracebacks only with --debug)."""
    from pipelines.catalog import ServicesFileError
    from pipelines.config.issues import CityFileError
    from pipelines.ingest.extract import LoadError
    from pipelines.ingest.mapping_files import MappingError
    from pipelines.metrics import MetricsFileError
    from pipelines.publish.versions import PublishError
    from pipelines.run.outcome import RunError

    pipeline_errors = (
        LoadError,
        CityFileError,
        MetricsFileError,
        RunError,
        MappingError,
        ServicesFileError,
        PublishError,
    )
    try:
        yield
    except pipeline_errors as exc:
        if ctx.obj and ctx.obj.get("debug"):
            raise
        raise click.ClickException(str(exc)) from exc
