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
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipelines.catalog import (
    ServicesConfig,
    ServicesFileError,
    check_services_against_metrics,
    compute_service_tables,
    load_services,
)
from pipelines.ingest import extract
from pipelines.ingest.mapping import (
    SourceMapping,
    available_sources,
    load_source,
    mapping_path,
)
from pipelines.ingest.merge import MergeCounts, MergeError, merge_staged, quote
from pipelines.ingest.provenance import (
    FileLoad,
    StepClock,
    StepTime,
    file_sha256,
    known_hashes,
    loaded_files,
    loaded_sizes,
    record_file,
    record_source_columns,
)
from pipelines.ingest.staging import keep_staged
from pipelines.metrics import MetricsConfig, compute_metrics, load_metrics
from pipelines.publish.versions import (
    PublishError,
    clean_leftovers,
    discard_build,
    failed_path,
    is_write_failure,
    keep_versions,
    publish_build,
    publish_lock,
    start_build,
    storage_message,
)
from pipelines.validate import (
    ValidationReport,
    validate_and_quarantine,
    warm_up_great_expectations,
)
from pipelines.warehouse.connection import connect_build
from pipelines.warehouse.layout import EXPECTATIONS_DIR, METRICS_FILE, warehouse_path
from pipelines.warehouse.pause import pause_point
from pipelines.warehouse.published import published_file
from pipelines.warehouse.schema import CANONICAL_TABLES, create_schema

Progress = Callable[[str], None]


class RunError(Exception):
    """A run that stopped before publishing; the message says why and what to do."""


@dataclass
class SourceResult:
    """What one source contributed to a run, file by file."""

    source: str
    canonical_table: str
    files: list[FileLoad] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # same bytes already merged
    not_loaded: list[str] = field(default_factory=list)  # after a file failed validation
    reports: list[tuple[str, ValidationReport]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when every loaded file passed its critical expectations."""
        return all(report.passed for _, report in self.reports)

    def failures(self) -> list[str]:
        """One line per file that failed validation, saying why."""
        return [
            f"{self.source} ({name}): {report.failures_summary()}"
            for name, report in self.reports
            if not report.passed
        ]

    @property
    def rows_read(self) -> int:
        """Rows read from the files loaded in this run."""
        return sum(f.rows_read for f in self.files)

    @property
    def rows_staged(self) -> int:
        """Rows that passed staging and validation."""
        return sum(f.rows_staged for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        """Rows quarantined with a reason."""
        return sum(f.rows_quarantined for f in self.files)

    @property
    def rows_rejected(self) -> int:
        """Rows the reader could not split into the header's columns."""
        return sum(f.rows_rejected for f in self.files)

    @property
    def merged(self) -> MergeCounts:
        """Inserted, updated and unchanged records over the files merged."""
        return MergeCounts(
            sum(f.rows_inserted or 0 for f in self.files),
            sum(f.rows_updated or 0 for f in self.files),
            sum(f.rows_unchanged or 0 for f in self.files),
        )


@dataclass
class RunResult:
    """Outcome of a run: whether it published, where, each source's accounting, step times."""

    run_id: str
    published: bool
    warehouse: Path
    message: str
    sources: list[SourceResult] = field(default_factory=list)
    metric_rows: int = 0
    steps: list[StepTime] = field(default_factory=list)
    rebuild: bool = False


def _quiet(_: str) -> None:
    return None


def new_run_id() -> str:
    """A unique id for a run that sorts by start time (to the microsecond)."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ-") + uuid.uuid4().hex[:6]


def suite_path(mapping: SourceMapping) -> Path:
    """The Great Expectations suite that validates a source's kind."""
    return EXPECTATIONS_DIR / f"{mapping.kind}.json"


def run_pipeline(
    metrics_file: Path = METRICS_FILE,
    warehouse: Path | None = None,
    progress: Progress = _quiet,
    *,
    rebuild: bool = False,
    keep: int | None = None,
) -> RunResult:
    """Merge the new files of the sources metrics.yml names, compute metrics, publish atomically.

    With ``rebuild`` (or when nothing is published yet) every file is loaded, in name order,
    into an empty warehouse instead of merging new files into a copy of the published one.
    ``keep`` published versions are kept (default $CITYSTAT_KEEP_VERSIONS or 3).
    """
    config = load_metrics(metrics_file)
    services = _services_beside(metrics_file, config)
    published = warehouse or warehouse_path()
    keep = keep_versions(keep)
    mappings = [_mapping_of(name, metrics_file) for name in config.city.sources]
    # Fail before building anything if an extract is missing.
    files = {m.source: extract.resolve_files(m) for m in mappings}
    with publish_lock(published):
        pause_point("run:locked")
        _clean_leftovers(published, progress)
        run_id, started = new_run_id(), _now()
        clock = StepClock()
        rebuild = rebuild or published_file(published) is None
        if rebuild or _has_new_files(published, files):
            # GE's import (seconds of Python) overlaps the copy and the first read.
            warm_up_great_expectations()
        target = _start_build(published, run_id, rebuild, clock, progress)
        with _building(published, target):
            con = connect_build(target)
            try:
                if not rebuild:
                    _check_published(con, published, [m.source for m in mappings])
                create_schema(con)
                ctx = _Ctx(run_id, clock, progress)
                results = [_load_source(con, m, files[m.source], ctx) for m in mappings]
                run = _run_record(con, (run_id, started), any(m.demo for m in mappings), results)
                if run.validated:
                    # A merge into the published copy recomputes only what its versions changed.
                    changed = None if rebuild else run_id
                    metric_rows = _compute_and_record(
                        con, config, services, run, clock, progress, changed_run_id=changed
                    )
                else:
                    clock.write(con, run_id)
                    _record_run(con, run, "failed")
            finally:
                con.close()
            if not run.validated:
                os.replace(target, failed_path(published))
                return RunResult(
                    run_id, False, published, run.message, results, 0, clock.steps, rebuild
                )
            _publish(target, published, keep, progress)
    return RunResult(
        run_id, True, published, run.message, results, metric_rows, clock.steps, rebuild
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


def _run_record(
    con: duckdb.DuckDBPyConnection,
    ids: tuple[str, datetime],
    is_demo: bool,
    results: list[SourceResult],
) -> _Run:
    """What the runs table will say about this run: validated and summarised, or why not."""
    run_id, started = ids
    if not all(r.passed for r in results):
        message = "validation failed; nothing published:\n" + "\n".join(
            line for r in results for line in r.failures()
        )
        return _Run(run_id, started, is_demo, _data_as_of(con), False, message)
    as_of = _data_as_of(con)
    if as_of is None:
        raise RunError("no record with a usable timestamp was loaded; nothing to publish")
    return _Run(run_id, started, is_demo, as_of, True, _summary(results))


def recompute_metrics(
    metrics_file: Path = METRICS_FILE,
    warehouse: Path | None = None,
    progress: Progress = _quiet,
    *,
    keep: int | None = None,
) -> RunResult:
    """Recompute metric tables from the published warehouse's records without reloading."""
    config = load_metrics(metrics_file)
    services = _services_beside(metrics_file, config)
    published = warehouse or warehouse_path()
    keep = keep_versions(keep)
    if published_file(published) is None:
        raise RunError(f"{published}: no published warehouse yet; run `citystat run` first")
    with publish_lock(published):
        _clean_leftovers(published, progress)
        run_id = new_run_id()
        clock = StepClock()
        started = _now()
        target = _start_build(published, run_id, False, clock, progress)
        with _building(published, target):
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
                run = _Run(run_id, started, is_demo, as_of, validated, message)
                metric_rows = _compute_and_record(con, config, services, run, clock, progress)
            finally:
                con.close()
            _publish(target, published, keep, progress)
    return RunResult(run_id, True, published, message, [], metric_rows, clock.steps)


def _mapping_of(source: str, metrics_file: Path) -> SourceMapping:
    """The mapping of a source metrics.yml lists; a clear error when there is no such file."""
    if not mapping_path(source).exists():
        known = ", ".join(available_sources()) or "none yet"
        raise RunError(
            f"{metrics_file}: city.sources lists '{source}', but {mapping_path(source)} does not "
            f"exist; list one of the source mappings ({known}) or write that mapping"
        )
    return load_source(source)


def _clean_leftovers(published: Path, progress: Progress) -> None:
    """Delete what a killed run left behind (the caller holds the publish lock)."""
    for path in clean_leftovers(published):
        progress(f"removed {path.name}, left behind by an interrupted run")


def _start_build(
    published: Path, run_id: str, empty: bool, clock: StepClock, progress: Progress
) -> Path:
    """The build file: a copy of the published version, or nothing yet when ``empty``."""
    if empty:
        progress("building from every file into an empty warehouse")
        return start_build(published, run_id, empty=True)
    with clock.step(None, "copy"):
        target = start_build(published, run_id, empty=False)
    progress(f"merging new files into a copy of {published_file(published)}")
    pause_point("build:copied")
    return target


@contextmanager
def _building(published: Path, target: Path) -> Iterator[None]:
    """Discard the build when the run stops; turn disk and permission failures into one line."""
    try:
        yield
    except (OSError, duckdb.IOException, duckdb.FatalException) as exc:
        discard_build(target)
        if isinstance(exc, duckdb.FatalException) and not is_write_failure(exc):
            raise
        raise PublishError(storage_message(exc, target.parent, published)) from exc
    except BaseException:
        discard_build(target)
        raise


def _publish(target: Path, published: Path, keep: int, progress: Progress) -> None:
    """Swap the closed build in as the published version and prune old versions."""
    pause_point("publish:closed")
    version = publish_build(target, published, keep)
    progress(f"published {published} -> {version.name}")


def _check_published(con: duckdb.DuckDBPyConnection, published: Path, sources: list[str]) -> None:
    """Refuse to merge into a warehouse whose layout or sources this run cannot continue."""
    rebuild = "; run `citystat run --rebuild` once to build it afresh from the extracts"
    for table in CANONICAL_TABLES.values():
        columns = [
            r[0]
            for r in con.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position",
                [table.name],
            ).fetchall()
        ]
        if columns and columns != list(table.columns):
            raise RunError(f"{published}: table {table.name} has an older layout{rebuild}")
    (has_hashes,) = con.execute(
        "SELECT count(*) FROM information_schema.columns "
        "WHERE table_name = 'load_files' AND column_name = 'file_sha256'"
    ).fetchone() or (0,)
    if not has_hashes:
        raise RunError(f"{published}: was built before incremental loads (no file hashes){rebuild}")
    unions = " UNION ".join(
        f"SELECT DISTINCT source FROM {quote(t.name)}" for t in CANONICAL_TABLES.values()
    )
    stale = [
        str(s)
        for (s,) in con.execute(
            f"SELECT source FROM ({unions}) WHERE NOT list_contains($listed, source) ORDER BY 1",
            {"listed": sources},
        ).fetchall()
    ]
    if stale:
        raise RunError(
            f"{published}: holds records of {', '.join(stale)}, which city.sources in "
            f"metrics.yml no longer lists{rebuild} without them"
        )


@dataclass(frozen=True)
class _Ctx:
    """What every file load of a run needs besides the connection."""

    run_id: str
    clock: StepClock
    progress: Progress


def _load_source(
    con: duckdb.DuckDBPyConnection, mapping: SourceMapping, files: list[Path], ctx: _Ctx
) -> SourceResult:
    """Load a source's files not merged before, in name order, stopping at a failed one."""
    table = CANONICAL_TABLES[mapping.kind]
    result = SourceResult(mapping.source, table.name)
    record_source_columns(con, mapping)
    already = loaded_files(con, mapping.source)
    hashed = known_hashes(con, mapping.source)
    sizes = loaded_sizes(con, mapping.source)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sha256") as hasher:
        for position, path in enumerate(files):
            stat = path.stat()
            sha = hashed.get((path.name, stat.st_size, stat.st_mtime_ns)) or ""
            # Only a file of the same size as one already merged can hold the same bytes.
            if not sha and (sizes is None or stat.st_size in sizes):
                with ctx.clock.step(mapping.source, "hash"):
                    sha = file_sha256(path)
            if sha in already:
                name, run = already[sha]
                ctx.clock.note(mapping.source, "skip")
                ctx.progress(
                    f"{mapping.source}: {path.name} skipped: the same bytes as {name}, "
                    f"already loaded by run {run}"
                )
                result.skipped.append(path.name)
                continue
            # Any other file is new: it is read while its sha256 is computed beside it
            # (hashlib releases the GIL), instead of reading every byte twice in a row.
            identity = (sha or hasher.submit(file_sha256, path), stat)
            load, report = _load_file(con, mapping, path, identity, ctx)
            already[load.sha256] = (path.name, ctx.run_id)
            if sizes is not None:
                sizes.add(stat.st_size)
            result.files.append(load)
            result.reports.append((path.name, report))
            if not report.passed:
                # Later files would be merged over a batch that was not: leave them for a rerun.
                result.not_loaded = [p.name for p in files[position + 1 :]]
                if result.not_loaded:
                    ctx.progress(
                        f"{mapping.source}: {path.name} failed validation; "
                        f"not loading {', '.join(result.not_loaded)}"
                    )
                break
    # Joined files (e.g. violations joined to inspections) report rows matching no record.
    for message in extract.join_messages(con, ctx.run_id, mapping.source):
        ctx.progress(f"{mapping.source}: {message}")
    return result


def _load_file(
    con: duckdb.DuckDBPyConnection,
    mapping: SourceMapping,
    path: Path,
    identity: tuple[str | Future[str], os.stat_result],
    ctx: _Ctx,
) -> tuple[FileLoad, ValidationReport]:
    """Read, stage, validate and merge one file; its accounting must add up."""
    source, staged = mapping.source, extract.staged_table(mapping)
    pause_point(f"{source}/{path.name}/read")
    with ctx.clock.step(source, "read"):
        ctx.progress(f"{source}: reading {path.name}")
        counts = extract.read_raw(con, mapping, [path], ctx.run_id, typed=True)
    pause_point(f"{source}/{path.name}/stage")
    with ctx.clock.step(source, "stage"):
        extract.stage(con, mapping, ctx.run_id)
    pause_point(f"{source}/{path.name}/validate")
    with ctx.clock.step(source, "validate"):
        ctx.progress(f"{source}: validating {path.name} with Great Expectations")
        report = validate_and_quarantine(
            con,
            staged,
            run_id=ctx.run_id,
            source=source,
            parameters=mapping.validation_parameters(),
            suite_path=suite_path(mapping),
        )
    with ctx.clock.step(source, "stage"):
        extract.apply_district_lookup(con, mapping)
    sha = identity[0]
    if isinstance(sha, Future):
        # Only the wait counts as hashing: the rest ran while the file was loaded.
        with ctx.clock.step(source, "hash"):
            sha = sha.result()
    load = _account(con, mapping, path, (sha, identity[1]), counts, ctx.run_id)
    pause_point(f"{source}/{path.name}/merge")
    if report.passed:
        with ctx.clock.step(source, "merge"):
            load = _merge(con, mapping, load, ctx.run_id)
        ctx.progress(
            f"{source}: {path.name}: {load.rows_inserted:,} new, {load.rows_updated:,} updated, "
            f"{load.rows_unchanged:,} unchanged"
        )
    else:
        # The failed build keeps the file's staged rows (and joined raw tables) for inspection.
        keep_staged(con, mapping)
    pause_point(f"{source}/{path.name}/record")
    record_file(con, ctx.run_id, load)
    return load, report


def _account(
    con: duckdb.DuckDBPyConnection,
    mapping: SourceMapping,
    path: Path,
    identity: tuple[str, os.stat_result],
    counts: list[extract.FileCount],
    run_id: str,
) -> FileLoad:
    """One file's rows: read must equal staged + quarantined + rejected."""
    read = sum(c.rows_read for c in counts)
    rejected = sum(c.rows_rejected for c in counts)
    staged, quarantined = con.execute(
        f"SELECT (SELECT count(*) FROM {extract.staged_table(mapping)}), "
        "(SELECT count(DISTINCT source_row) FROM quarantine WHERE run_id = $r AND source = $s "
        " AND source_file = $f AND rule <> 'csv_reader_rejected')",
        {"s": mapping.source, "f": path.name, "r": run_id},
    ).fetchone() or (0, 0)
    if read != staged + quarantined + rejected:
        raise RunError(
            f"{path}: {read} rows read but {staged} staged, {quarantined} quarantined and "
            f"{rejected} rejected; rows were lost, report this bug"
        )
    return FileLoad(
        source=mapping.source,
        file=path.name,
        canonical_table=CANONICAL_TABLES[mapping.kind].name,
        sha256=identity[0],
        size=identity[1].st_size,
        mtime_ns=identity[1].st_mtime_ns,
        rows_read=read,
        rows_staged=int(staged),
        rows_quarantined=int(quarantined),
        rows_rejected=rejected,
    )


def _merge(
    con: duckdb.DuckDBPyConnection, mapping: SourceMapping, load: FileLoad, run_id: str
) -> FileLoad:
    """Merge the file's staged rows by record id and drop its working tables."""
    staged = extract.staged_table(mapping)
    try:
        by_file = merge_staged(
            con, CANONICAL_TABLES[mapping.kind], staged, source=mapping.source, run_id=run_id
        )
    except MergeError as exc:
        raise RunError(str(exc)) from exc
    counts = sum(by_file.values(), MergeCounts())
    if counts.staged != load.rows_staged:
        raise RunError(
            f"{load.file}: {load.rows_staged} rows staged but {counts.staged} merged; "
            "report this bug"
        )
    con.execute(f"DROP TABLE {staged}")
    _drop_raw_tables(con, mapping)
    return dataclasses.replace(
        load,
        rows_inserted=counts.inserted,
        rows_updated=counts.updated,
        rows_unchanged=counts.unchanged,
    )


def _drop_raw_tables(con: duckdb.DuckDBPyConnection, mapping: SourceMapping) -> None:
    """Drop raw.<source> and its joined files' raw.<source>__<join> once merged.

    They are working copies of files on disk; keeping them would grow the published warehouse
    (and the copy every run starts from) by a full extract.
    """
    names = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw' "
        "AND (table_name = $s OR starts_with(table_name, $s || '__'))",
        {"s": mapping.source},
    ).fetchall()
    for (name,) in names:
        con.execute(f"DROP TABLE raw.{quote(str(name))}")


def _summary(results: list[SourceResult]) -> str:
    """One line for the runs table: what the run merged into which table."""
    per_table: dict[str, MergeCounts] = {}
    for r in results:
        per_table[r.canonical_table] = per_table.get(r.canonical_table, MergeCounts()) + r.merged
    loaded = sum(len(r.files) for r in results)
    skipped = sum(len(r.skipped) for r in results)
    parts = [
        f"{name} {c.inserted:,} new, {c.updated:,} updated, {c.unchanged:,} unchanged"
        for name, c in per_table.items()
    ]
    return (
        f"merged {loaded} file(s) ({skipped} already loaded, skipped): " + "; ".join(parts)
        if parts
        else "no sources"
    )


def _data_as_of(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """Latest moment any canonical table speaks of, ignoring timestamps in the future."""
    # One filtered max per column: no row is copied (an unnest of every column costs ~10x).
    parts = " UNION ALL ".join(
        f"SELECT max({quote(c)}) FILTER ({quote(c)} <= localtimestamp) AS ts FROM {quote(t.name)}"
        for t in CANONICAL_TABLES.values()
        for c in t.version_columns
    )
    row = con.execute(f"SELECT max(ts) FROM ({parts})").fetchone()
    return None if row is None else row[0]


@dataclass(frozen=True)
class _Run:
    """What the runs table records about a run besides its outcome."""

    run_id: str
    started: datetime
    is_demo: bool
    as_of: datetime | None
    validated: bool
    message: str


def _services_beside(metrics_file: Path, config: MetricsConfig) -> ServicesConfig | None:
    """The service catalog that goes with a metrics file (services.yml beside it), if any."""
    path = Path(os.environ.get("CITYSTAT_SERVICES_FILE", metrics_file.with_name("services.yml")))
    if not path.exists():
        return None
    services = load_services(path)
    issues = check_services_against_metrics(services, config)
    if issues:
        raise ServicesFileError(issues)
    return services


def _compute_and_record(
    con: duckdb.DuckDBPyConnection,
    config: MetricsConfig,
    services: ServicesConfig | None,
    run: _Run,
    clock: StepClock,
    progress: Progress,
    *,
    changed_run_id: str | None = None,
) -> int:
    """Compute every metric (and the service tables), record the run and its steps.

    ``changed_run_id``: the run merged into a copy of the published warehouse; metrics are
    then updated from its values and that run's new versions (pipelines/metrics/incremental.py).
    """
    assert run.as_of is not None
    progress("computing metrics")
    pause_point("metrics")

    def each_metric(message: str) -> None:
        # compute_metrics reports "<metric id>: N rows" after each metric's insert.
        pause_point("metric:" + message.partition(":")[0])
        progress(message)

    with clock.step(None, "metrics"):
        rows = compute_metrics(
            con, config, run.as_of, progress=each_metric, changed_run_id=changed_run_id
        )
    if services is not None:
        progress("ranking services, leadership index and district gaps")
        with clock.step(None, "services"):
            compute_service_tables(con, services, run.as_of)
    pause_point("publish")
    with clock.step(None, "publish"):
        _record_run(con, run, "published")
        con.execute("CHECKPOINT")
    pause_point("publish:checkpointed")
    # Written after the timed publish step so it is included; the close checkpoints them.
    clock.write(con, run.run_id)
    return rows


def _record_run(con: duckdb.DuckDBPyConnection, run: _Run, status: str) -> None:
    con.execute(
        "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            run.run_id,
            run.started,
            _now(),
            status,
            run.is_demo,
            run.as_of,
            run.validated,
            run.message,
        ],
    )


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


__all__ = [
    "MetricsConfig",
    "PublishError",
    "RunError",
    "RunResult",
    "SourceResult",
    "failed_path",
    "recompute_metrics",
    "run_pipeline",
]
