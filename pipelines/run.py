"""One pipeline run: load every source, validate, compute metrics, publish the warehouse.

The new warehouse is built in a file beside the published one and moved over it only when
every step succeeded, so a failed run leaves the last good warehouse in place. A build that
failed validation is kept as ``<name>.failed.duckdb`` for the analyst to inspect.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipelines import loader
from pipelines.metrics import MetricsConfig, compute_metrics, load_metrics
from pipelines.source_config import SourceMapping, load_source
from pipelines.validation import ValidationReport, validate_and_quarantine
from pipelines.warehouse import (
    METRICS_FILE,
    SERVICE_REQUESTS_COLUMNS,
    create_schema,
    warehouse_path,
)

Progress = Callable[[str], None]


class RunError(Exception):
    """A run that stopped before publishing; the message says why and what to do."""


@dataclass
class SourceResult:
    """What one source contributed to a run."""

    source: str
    files: list[loader.FileCount]
    rows_read: int
    rows_staged: int
    rows_quarantined: int
    rows_rejected: int
    report: ValidationReport


@dataclass
class RunResult:
    """Outcome of a run: whether it published, where, and each source's accounting."""

    run_id: str
    published: bool
    warehouse: Path
    message: str
    sources: list[SourceResult] = field(default_factory=list)
    metric_rows: int = 0


def _quiet(_: str) -> None:
    return None


def new_run_id() -> str:
    """A sortable, unique id for a run."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:6]


def build_path(published: Path) -> Path:
    """Where a run builds the next warehouse before publishing it."""
    return published.with_name(published.name + ".tmp")


def failed_path(published: Path) -> Path:
    """Where a build that failed validation is kept for inspection."""
    return published.with_name(published.stem + ".failed.duckdb")


def run_pipeline(
    metrics_file: Path = METRICS_FILE,
    warehouse: Path | None = None,
    progress: Progress = _quiet,
) -> RunResult:
    """Load the sources metrics.yml names, validate, compute metrics and publish atomically."""
    config = load_metrics(metrics_file)
    published = warehouse or warehouse_path()
    mappings = [load_source(name) for name in config.city.sources]
    for mapping in mappings:
        loader.resolve_files(mapping)  # fail before building anything if an extract is missing
    run_id = new_run_id()
    target = _fresh_build_file(published)
    started = _now()
    con = duckdb.connect(str(target))
    try:
        create_schema(con)
        results = [_load_source(con, mapping, run_id, progress) for mapping in mappings]
        passed = all(r.report.passed for r in results)
        as_of = _data_as_of(con)
        is_demo = any(m.demo for m in mappings)
        if not passed:
            message = "validation failed; nothing published:\n" + "\n".join(
                f"{r.source}: {r.report.failures_summary()}" for r in results if not r.report.passed
            )
            _record_run(con, _Run(run_id, started, is_demo, as_of, False, message), "failed")
            con.close()
            os.replace(target, failed_path(published))
            return RunResult(run_id, False, published, message, results)
        message = f"published {sum(r.rows_staged for r in results):,} requests"
        run = _Run(run_id, started, is_demo, as_of, True, message)
        metric_rows = _compute_and_record(con, config, run, progress)
    finally:
        con.close()
    os.replace(target, published)
    progress(f"published {published}")
    return RunResult(run_id, True, published, message, results, metric_rows)


def recompute_metrics(
    metrics_file: Path = METRICS_FILE,
    warehouse: Path | None = None,
    progress: Progress = _quiet,
) -> RunResult:
    """Recompute metric tables from the published warehouse's requests without reloading."""
    config = load_metrics(metrics_file)
    published = warehouse or warehouse_path()
    if not published.exists():
        raise RunError(f"{published}: no published warehouse yet; run `citystat run` first")
    run_id = new_run_id()
    target = _fresh_build_file(published)
    started = _now()
    target.write_bytes(published.read_bytes())
    con = duckdb.connect(str(target))
    try:
        last = con.execute(
            "SELECT is_demo, data_as_of, validation_passed FROM runs "
            "WHERE status = 'published' ORDER BY finished_at DESC LIMIT 1"
        ).fetchone()
        if last is None:
            raise RunError(f"{published}: holds no published run; run `citystat run`")
        is_demo, as_of, validated = last
        message = "metrics recomputed from metrics.yml; extracts not reloaded"
        run = _Run(run_id, started, is_demo, as_of, validated, message)
        metric_rows = _compute_and_record(con, config, run, progress)
    finally:
        con.close()
    os.replace(target, published)
    return RunResult(run_id, True, published, message, [], metric_rows)


def _fresh_build_file(published: Path) -> Path:
    published.parent.mkdir(parents=True, exist_ok=True)
    target = build_path(published)
    # A killed run leaves its half-built file behind; it is never published, so drop it.
    for leftover in (target, target.with_name(target.name + ".wal")):
        leftover.unlink(missing_ok=True)
    return target


def _load_source(
    con: duckdb.DuckDBPyConnection, mapping: SourceMapping, run_id: str, progress: Progress
) -> SourceResult:
    files = loader.resolve_files(mapping)
    progress(f"{mapping.source}: reading {len(files)} file(s)")
    counts = loader.read_raw(con, mapping, files, run_id)
    progress(f"{mapping.source}: staging {sum(c.rows_read for c in counts):,} rows")
    loader.stage(con, mapping, run_id)
    progress(f"{mapping.source}: validating with Great Expectations")
    report = validate_and_quarantine(
        con,
        loader.staged_table(mapping),
        run_id=run_id,
        source=mapping.source,
        parameters=mapping.validation_parameters(),
    )
    loader.apply_district_lookup(con, mapping)
    columns = ", ".join(SERVICE_REQUESTS_COLUMNS)
    con.execute(
        f"INSERT INTO service_requests ({columns}) "
        f"SELECT {columns} FROM {loader.staged_table(mapping)}"
    )
    con.execute(f"DROP TABLE {loader.staged_table(mapping)}")
    return _account(con, mapping, run_id, counts, report)


def _account(
    con: duckdb.DuckDBPyConnection,
    mapping: SourceMapping,
    run_id: str,
    counts: list[loader.FileCount],
    report: ValidationReport,
) -> SourceResult:
    """Write per-file accounting and check that read = staged + quarantined + rejected."""
    for count in counts:
        staged, quarantined = con.execute(
            "SELECT (SELECT count(*) FROM service_requests WHERE source = $s AND source_file = $f),"
            " (SELECT count(DISTINCT source_row) FROM quarantine WHERE run_id = $r AND source = $s"
            "  AND source_file = $f AND rule <> 'csv_reader_rejected')",
            {"s": mapping.source, "f": count.file, "r": run_id},
        ).fetchone() or (0, 0)
        if count.rows_read != staged + quarantined + count.rows_rejected:
            raise RunError(
                f"{count.file}: {count.rows_read} rows read but {staged} staged, {quarantined} "
                f"quarantined and {count.rows_rejected} rejected; rows were lost, report this bug"
            )
        con.execute(
            "INSERT INTO load_files (run_id, source, file, rows_read, rows_staged, "
            "rows_quarantined, rows_rejected) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                mapping.source,
                count.file,
                count.rows_read,
                staged,
                quarantined,
                count.rows_rejected,
            ],
        )
    totals = con.execute(
        "SELECT sum(rows_read), sum(rows_staged), sum(rows_quarantined), sum(rows_rejected) "
        "FROM load_files WHERE run_id = ? AND source = ?",
        [run_id, mapping.source],
    ).fetchone() or (0, 0, 0, 0)
    read, staged, quarantined, rejected = (int(v or 0) for v in totals)
    return SourceResult(mapping.source, counts, read, staged, quarantined, rejected, report)


def _data_as_of(con: duckdb.DuckDBPyConnection) -> datetime:
    """Latest moment the data speaks of, ignoring timestamps in the future."""
    row = con.execute(
        "SELECT max(ts) FROM (SELECT unnest([opened_at, closed_at, updated_at]) AS ts "
        "FROM service_requests) WHERE ts <= localtimestamp"
    ).fetchone()
    if row is None or row[0] is None:
        raise RunError("no request with a usable timestamp was staged; nothing to publish")
    value: datetime = row[0]
    return value


@dataclass(frozen=True)
class _Run:
    """What the runs table records about a run besides its outcome."""

    run_id: str
    started: datetime
    is_demo: bool
    as_of: datetime | None
    validated: bool
    message: str


def _compute_and_record(
    con: duckdb.DuckDBPyConnection, config: MetricsConfig, run: _Run, progress: Progress
) -> int:
    """Compute every metric into the build, record the run as published, and checkpoint."""
    assert run.as_of is not None
    progress("computing metrics")
    rows = compute_metrics(con, config, run.as_of, progress=progress)
    _record_run(con, run, "published")
    con.execute("CHECKPOINT")
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


__all__ = ["MetricsConfig", "RunError", "RunResult", "recompute_metrics", "run_pipeline"]
