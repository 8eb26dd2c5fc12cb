"""Provenance of a run: file hashes, per-file row accounting, step timings, column coverage.

Writes the ``load_files``, ``skipped_files``, ``run_steps`` and ``source_columns`` tables (DDL in
pipelines/warehouse.py). ``load_files`` doubles as the register of extracts already merged: a
file whose sha256 is there for its source is not loaded again.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipelines.ingest.common import LoadError
from pipelines.ingest.mapping import SourceMapping, column_coverage
from pipelines.ingest.matching import SkippedFile
from pipelines.warehouse.files import NotAFile, open_regular
from pipelines.warehouse.rows import insert_rows
from pipelines.warehouse.schema import CANONICAL_TABLES


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file's bytes, read in 1 MiB chunks; LoadError if it is not a file."""
    digest = hashlib.sha256()
    try:
        handle = open_regular(path)
    except NotAFile as exc:
        raise LoadError(f"{exc} (it was replaced while the run read it); run again") from None
    with handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def known_hashes(con: duckdb.DuckDBPyConnection, source: str) -> dict[tuple[str, int, int], str]:
    """(file name, size, mtime in ns) -> sha256 of every file already merged for a source.

    A file still there with the same name, size and modification time is not hashed again:
    hashing every extract of a city on every daily run reads gigabytes for nothing.
    """
    rows = con.execute(
        "SELECT DISTINCT file, file_bytes, file_mtime_ns, file_sha256 FROM load_files "
        "WHERE source = ? AND file_sha256 IS NOT NULL AND file_mtime_ns IS NOT NULL",
        [source],
    ).fetchall()
    return {(str(name), int(size), int(mtime)): str(sha) for name, size, mtime, sha in rows}


def loaded_sizes(con: duckdb.DuckDBPyConnection, source: str) -> set[int] | None:
    """Byte sizes of every file already merged for a source; None if one's size is unknown."""
    rows = con.execute(
        "SELECT DISTINCT file_bytes FROM load_files WHERE source = ? AND file_sha256 IS NOT NULL",
        [source],
    ).fetchall()
    sizes = {row[0] for row in rows}
    return None if None in sizes else {int(size) for size in sizes}


def loaded_files(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, tuple[str, str]]:
    """sha256 -> (file, run_id) of every file already merged for a source."""
    rows = con.execute(
        "SELECT file_sha256, arg_min(file, run_id), min(run_id) FROM load_files "
        "WHERE source = ? AND file_sha256 IS NOT NULL GROUP BY file_sha256",
        [source],
    ).fetchall()
    return {str(sha): (str(name), str(run)) for sha, name, run in rows}


@dataclass(frozen=True)
class FileLoad:
    """One file's row in load_files: what was read and what the merge did with it."""

    source: str
    file: str
    canonical_table: str
    sha256: str
    size: int
    rows_read: int
    rows_staged: int
    rows_quarantined: int
    rows_rejected: int
    # None when the file was staged but not merged (its batch failed validation).
    rows_inserted: int | None = None
    rows_updated: int | None = None
    rows_unchanged: int | None = None
    mtime_ns: int | None = None


def record_file(con: duckdb.DuckDBPyConnection, run_id: str, load: FileLoad) -> None:
    """Insert one file's accounting into load_files."""
    con.execute(
        "INSERT INTO load_files (run_id, source, file, rows_read, rows_staged, rows_quarantined, "
        "rows_rejected, canonical_table, file_sha256, file_bytes, rows_inserted, rows_updated, "
        "rows_unchanged, file_mtime_ns) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            run_id,
            load.source,
            load.file,
            load.rows_read,
            load.rows_staged,
            load.rows_quarantined,
            load.rows_rejected,
            load.canonical_table,
            load.sha256,
            load.size,
            load.rows_inserted,
            load.rows_updated,
            load.rows_unchanged,
            load.mtime_ns,
        ],
    )


def record_skipped(
    con: duckdb.DuckDBPyConnection, run_id: str, source: str, skipped: list[SkippedFile]
) -> None:
    """Insert the files a source's patterns matched but the run did not read, with why."""
    insert_rows(
        con,
        "INSERT INTO skipped_files (run_id, source, file, reason)",
        [[run_id, source, s.file, s.reason] for s in skipped],
    )


@dataclass(frozen=True)
class StepTime:
    """How long one step of a run took; source is None for steps of the whole run."""

    source: str | None
    step: str
    started_at: datetime
    seconds: float


@dataclass
class StepClock:
    """Times the steps of a run and keeps them for run_steps and the CLI summary."""

    steps: list[StepTime] = field(default_factory=list)

    @contextmanager
    def step(self, source: str | None, name: str) -> Iterator[None]:
        """Time the enclosed block as step ``name`` of ``source`` (kept even if it raises)."""
        started = datetime.now(UTC).replace(tzinfo=None)
        start = time.perf_counter()
        try:
            yield
        finally:
            self.steps.append(StepTime(source, name, started, time.perf_counter() - start))

    def note(self, source: str | None, name: str) -> None:
        """Record an event that takes no time, such as a file skipped because already loaded."""
        self.steps.append(StepTime(source, name, datetime.now(UTC).replace(tzinfo=None), 0.0))

    def totals(self, source: str | None) -> dict[str, float]:
        """Seconds per step name for one source (None: the whole-run steps), in first-run order."""
        out: dict[str, float] = {}
        for s in self.steps:
            if s.source == source:
                out[s.step] = out.get(s.step, 0.0) + s.seconds
        return out

    def write(self, con: duckdb.DuckDBPyConnection, run_id: str) -> None:
        """Insert every timed step into run_steps."""
        insert_rows(
            con,
            "INSERT INTO run_steps (run_id, source, step, started_at, seconds)",
            [[run_id, s.source, s.step, s.started_at, s.seconds] for s in self.steps],
        )


def record_source_columns(con: duckdb.DuckDBPyConnection, mapping: SourceMapping) -> None:
    """Replace a source's rows in source_columns with its current column coverage (nothing
    is written when they hold it already, as on most daily runs)."""
    table = CANONICAL_TABLES[mapping.kind].name
    rows = [[mapping.source, table, c, m] for c, m in column_coverage(mapping).items()]
    held = con.execute(
        "SELECT source, canonical_table, column_name, mapped FROM source_columns WHERE source = ?",
        [mapping.source],
    ).fetchall()
    if len(held) == len(rows) and set(held) == {tuple(row) for row in rows}:
        return
    con.execute("DELETE FROM source_columns WHERE source = ?", [mapping.source])
    into = "INSERT INTO source_columns (source, canonical_table, column_name, mapped)"
    insert_rows(con, into, rows)
