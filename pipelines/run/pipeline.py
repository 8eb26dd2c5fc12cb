"""One pipeline run: merge new extract files into the warehouse, compute metrics, publish.

A run starts from a copy of the published warehouse (or, with ``rebuild`` or when nothing is
published yet, from an empty one) and loads each source's files in name order, one file at a
time: read, stage, validate with the suite of the source's kind, then merge by record id into
the kind's canonical table (pipelines.ingest.merge: the newest version wins, every version is
kept in ``<table>_versions``). A file whose sha256 was already merged for its source is skipped, so
loading the same extract twice changes nothing. Every file's accounting and every step's time
go into ``load_files`` and ``run_steps`` (pipelines.ingest.provenance).

The build is a new version file beside the published one (pipelines.publish.versions: a copy of the
published version, never the version itself), swapped in atomically only when load,
validation and metrics all succeeded, so a failed or killed run leaves the last good
warehouse in place. A build that failed validation is kept as ``<name>.failed.duckdb`` for
the analyst to inspect. One run at a time holds the warehouse's lock; it first deletes what a
killed run left behind. ``pause_point`` calls mark the step boundaries a crash test kills at.
"""

from __future__ import annotations

import dataclasses
import os
from datetime import UTC
from pathlib import Path

import duckdb

from pipelines.city.tables import profile_rows
from pipelines.ingest import extract
from pipelines.ingest.mapping import SourceMapping
from pipelines.ingest.mapping_files import (
    MappingError,
    available_sources,
    load_source,
    mapping_path,
)
from pipelines.ingest.provenance import (
    StepClock,
    known_hashes,
)
from pipelines.metrics import load_metrics
from pipelines.metrics.definition_history import carry_definition_history
from pipelines.publish.versions import (
    failed_path,
    keep_versions,
    publish_lock,
)
from pipelines.run.arrivals import newest_record_times
from pipelines.run.build import (
    begin_build,
    building,
    check_published,
    publish_version,
    remove_leftovers,
)
from pipelines.run.ge_gate import GeGate
from pipelines.run.outcome import Progress, RunError, RunResult, SourceResult, quiet
from pipelines.run.record import (
    RunRecord,
    compute_and_record,
    new_run_id,
    record_run,
    run_record,
    services_beside,
    utc_now,
)
from pipelines.run.sources import FileContext, load_source_files
from pipelines.warehouse.connection import connect_build
from pipelines.warehouse.layout import in_city, warehouse_path
from pipelines.warehouse.layout import metrics_file as city_metrics_file
from pipelines.warehouse.pause import pause_point
from pipelines.warehouse.published import published_file
from pipelines.warehouse.schema import create_schema


def run_pipeline(
    metrics_file: Path | None = None,
    warehouse: Path | None = None,
    progress: Progress = quiet,
    *,
    rebuild: bool = False,
    keep: int | None = None,
) -> RunResult:
    """Merge the new files of the sources city.yml names, compute metrics, publish atomically.

    The city is the folder of ``metrics_file`` (default: the current city's metrics.yml).
    With ``rebuild`` (or when nothing is published yet) every file is loaded, in name order,
    into an empty warehouse instead of merging new files into a copy of the published one.
    ``keep`` published versions are kept (default $CITYSTAT_KEEP_VERSIONS or 3).
    """
    metrics_file = metrics_file or city_metrics_file()
    with in_city(metrics_file.parent):
        return _run(metrics_file, warehouse, progress, rebuild, keep)


def _run(
    metrics_file: Path, warehouse: Path | None, progress: Progress, rebuild: bool, keep: int | None
) -> RunResult:
    config = load_metrics(metrics_file)
    services = services_beside(metrics_file, config)
    mappings = _mappings_of(config.city.sources, metrics_file)
    # Boundaries are read now: a bad boundary file stops the run before anything is built.
    profile = profile_rows(config.profile, metrics_file.parent, _titles(mappings))
    published = warehouse or warehouse_path()
    keep = keep_versions(keep)
    # Fail before building anything if an extract is missing.
    found = {m.source: extract.find_files(m) for m in mappings}
    files = {source: matched.files for source, matched in found.items()}
    with publish_lock(published):
        pause_point("run:locked")
        remove_leftovers(published, progress)
        run_id, started = new_run_id(), utc_now()
        clock = StepClock()
        previous = published_file(published)
        rebuild = rebuild or previous is None
        gate = GeGate()
        try:
            if rebuild or _has_new_files(published, files):
                # GE's worker imports it (seconds of Python) while this process copies,
                # reads, stages, merges and computes metrics.
                gate.start()
            target = begin_build(published, run_id, rebuild, clock, progress)
            with building(published, target):
                con = connect_build(target)
                try:
                    held: set[str] = set()
                    if not rebuild:
                        held = check_published(con, published, [m.source for m in mappings])
                    create_schema(con)
                    if rebuild and previous is not None:
                        # A rebuild starts empty; the definitions' history is not in the
                        # extracts.
                        carry_definition_history(con, previous)
                    ctx = FileContext(run_id, clock, progress, gate)
                    results = [load_source_files(con, m, found[m.source], ctx) for m in mappings]
                    demo = any(m.demo for m in mappings)
                    # A source that loaded a file may hold records now: a superset, as
                    # newest_record_times allows, found without scanning every table again.
                    held |= {r.source for r in results if r.files}
                    run = run_record(con, (run_id, started), demo, results, profile.zone, held)
                    if run.validated:
                        try:
                            # A merge into the published copy recomputes only what its
                            # versions changed.
                            metric_rows = compute_and_record(
                                con,
                                config,
                                services,
                                run,
                                clock,
                                progress,
                                changed_run_id=None if rebuild else run_id,
                                profile=profile,
                                before_publish=lambda: _await_ge(gate, con, results, clock),
                            )
                        except GeRejectedError as exc:
                            run = dataclasses.replace(run, validated=False, message=str(exc))
                    else:
                        problems = _settle(gate, con, results, clock)
                        run = run_record(con, (run_id, started), demo, results, profile.zone)
                        if problems:
                            run = dataclasses.replace(
                                run, message="\n".join([run.message, *problems])
                            )
                    if not run.validated:
                        clock.write(con, run_id)
                        record_run(con, run, "failed")
                finally:
                    con.close()
                if not run.validated:
                    os.replace(target, failed_path(published))
                    return RunResult(
                        run_id, False, published, run.message, results, 0, clock.steps, rebuild
                    )
                publish_version(target, published, keep, progress)
        finally:
            gate.close()
    return RunResult(
        run_id, True, published, run.message, results, metric_rows, clock.steps, rebuild
    )


class GeRejectedError(RunError):
    """Great Expectations failed, could not check, or disagreed with SQL on a load."""


def _settle(
    gate: GeGate, con: duckdb.DuckDBPyConnection, results: list[SourceResult], clock: StepClock
) -> list[str]:
    """Wait for GE's verdicts, put each load's final report in its source's result."""
    with clock.step(None, "validate"):
        reports, problems = gate.settle(con)
    for result in results:
        result.reports = [
            (name, reports.get((result.source, name), report)) for name, report in result.reports
        ]
    return problems


def _await_ge(
    gate: GeGate, con: duckdb.DuckDBPyConnection, results: list[SourceResult], clock: StepClock
) -> None:
    """Before publishing: every load passed GE as it passed SQL, or the run stops here."""
    problems = _settle(gate, con, results, clock)
    failures = [line for result in results for line in result.failures()]
    if problems or failures:
        raise GeRejectedError(
            "validation failed; nothing published:\n" + "\n".join([*failures, *problems])
        )


def _has_new_files(published: Path, files: dict[str, list[Path]]) -> bool:
    """True unless every file is one the published warehouse loaded (same name, size, time)."""
    current = published_file(published)
    if current is None:
        return True
    try:
        with duckdb.connect(str(current), read_only=True) as con:
            known = {source: known_hashes(con, source) for source in files}
    except duckdb.Error:  # an older layout without file times: the load will tell
        return True
    return any(
        (path.name, (stat := path.stat()).st_size, stat.st_mtime_ns) not in known[source]
        for source, paths in files.items()
        for path in paths
    )


def recompute_metrics(
    metrics_file: Path | None = None,
    warehouse: Path | None = None,
    progress: Progress = quiet,
    *,
    keep: int | None = None,
) -> RunResult:
    """Recompute metric tables from the published warehouse's records without reloading."""
    metrics_file = metrics_file or city_metrics_file()
    with in_city(metrics_file.parent):
        return _recompute(metrics_file, warehouse, progress, keep)


def _recompute(
    metrics_file: Path, warehouse: Path | None, progress: Progress, keep: int | None
) -> RunResult:
    config = load_metrics(metrics_file)
    services = services_beside(metrics_file, config)
    titles = _titles(_mappings_of(config.city.sources, metrics_file))
    profile = profile_rows(config.profile, metrics_file.parent, titles)
    published = warehouse or warehouse_path()
    keep = keep_versions(keep)
    if published_file(published) is None:
        raise RunError(f"{published}: no published warehouse yet; run `citystat run` first")
    with publish_lock(published):
        remove_leftovers(published, progress)
        run_id = new_run_id()
        clock = StepClock()
        started = utc_now()
        target = begin_build(published, run_id, False, clock, progress)
        with building(published, target):
            con = connect_build(target)
            try:
                create_schema(con)  # a warehouse from an older citystat may lack run_steps
                last = con.execute(
                    "SELECT is_demo, data_as_of, validation_passed FROM runs "
                    "WHERE status = 'published' ORDER BY finished_at DESC LIMIT 1"
                ).fetchone()
                if last is None:
                    raise RunError(f"{published}: holds no published run; run `citystat run`")
                is_demo, as_of, validated = last
                message = "metrics recomputed from metrics.yml; extracts not reloaded"
                # The records are the published run's: its as-of stands; the arrivals are
                # written again with the profile's tables.
                times = newest_record_times(con, profile.zone, started.replace(tzinfo=UTC))
                run = RunRecord(run_id, started, is_demo, as_of, validated, message, times.arrivals)
                metric_rows = compute_and_record(
                    con, config, services, run, clock, progress, profile=profile
                )
            finally:
                con.close()
            publish_version(target, published, keep, progress)
    return RunResult(run_id, True, published, message, [], metric_rows, clock.steps)


def _titles(mappings: list[SourceMapping]) -> dict[str, str]:
    """Each source's title, what pages call it (a late source is named by it)."""
    return {m.source: m.title for m in mappings}


def _mappings_of(sources: list[str], metrics_file: Path) -> list[SourceMapping]:
    """Every source's mapping; the problems of all the mappings that do not load, at once."""
    mappings, problems = [], []
    for source in sources:
        try:
            mappings.append(_mapping_of(source, metrics_file))
        except MappingError as exc:
            problems += exc.problems
        except RunError as exc:  # no such mapping file
            problems.append(str(exc))
    if problems:
        raise MappingError("\n".join(problems), problems)
    return mappings


def _mapping_of(source: str, metrics_file: Path) -> SourceMapping:
    """The mapping of a source metrics.yml lists; a clear error when there is no such file."""
    if not mapping_path(source).exists():
        known = ", ".join(available_sources()) or "none yet"
        raise RunError(
            f"{metrics_file}: city.yml's sources list '{source}', but {mapping_path(source)} "
            f"does not exist; list one of the source mappings ({known}) or write that mapping"
        )
    return load_source(source)
