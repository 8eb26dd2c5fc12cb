"""One source's files through read, stage, validate and merge, each file's rows accounted for."""

from __future__ import annotations

import dataclasses
import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.ingest import extract
from pipelines.ingest.mapping import SourceMapping
from pipelines.ingest.matching import MatchedFiles
from pipelines.ingest.merge import MergeCounts, MergeError, merge_staged
from pipelines.ingest.provenance import (
    FileLoad,
    StepClock,
    file_sha256,
    known_hashes,
    loaded_files,
    loaded_sizes,
    record_file,
    record_skipped,
    record_source_columns,
)
from pipelines.ingest.staging import keep_staged
from pipelines.run.ge_gate import GeGate
from pipelines.run.outcome import Progress, RunError, SourceResult
from pipelines.validate import ValidationReport
from pipelines.warehouse.layout import EXPECTATIONS_DIR
from pipelines.warehouse.pause import pause_point
from pipelines.warehouse.schema import CANONICAL_TABLES, quote


def suite_path(mapping: SourceMapping) -> Path:
    """The Great Expectations suite that validates a source's kind."""
    return EXPECTATIONS_DIR / f"{mapping.kind}.json"


@dataclass(frozen=True)
class FileContext:
    """What every file load of a run needs besides the connection."""

    run_id: str
    clock: StepClock
    progress: Progress
    gate: GeGate


def load_source_files(
    con: duckdb.DuckDBPyConnection, mapping: SourceMapping, found: MatchedFiles, ctx: FileContext
) -> SourceResult:
    """Load a source's files not merged before, in name order, stopping at a failed one.

    Files its patterns matched but that cannot be read (a folder, a FIFO, ...) are recorded
    in skipped_files and printed.
    """
    table = CANONICAL_TABLES[mapping.kind]
    result = SourceResult(mapping.source, table.name)
    record_source_columns(con, mapping)
    record_skipped(con, ctx.run_id, mapping.source, found.skipped)
    for skipped in found.skipped:
        ctx.progress(f"{mapping.source}: {skipped.file} is {skipped.reason}")
    files = found.files
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
            load, report = load_file(con, mapping, path, identity, ctx)
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


def load_file(
    con: duckdb.DuckDBPyConnection,
    mapping: SourceMapping,
    path: Path,
    identity: tuple[str | Future[str], os.stat_result],
    ctx: FileContext,
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
        report = ctx.gate.validate(
            con,
            staged,
            run_id=ctx.run_id,
            source=source,
            file=path.name,
            parameters=mapping.validation_parameters(),
            suite_path=suite_path(mapping),
            unmapped=mapping.unmapped_columns(),
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
            con,
            CANONICAL_TABLES[mapping.kind],
            staged,
            source=mapping.source,
            run_id=run_id,
            timezone=mapping.timezone,
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
