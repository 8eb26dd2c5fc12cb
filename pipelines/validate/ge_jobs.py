"""A load's GE check as a job another process can run: the sample as Parquet, the verdict back.

The run's process writes the sample (``prepare_sample``: the same reproducible sample and
batches as ``pipelines.validate.ge_batches`` describes, written by DuckDB) and counts it in
SQL; the GE worker runs ``check_load`` on the job without ever opening the warehouse.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.validate.counts import RuleCounts, RuleKey, rule_counts
from pipelines.validate.ge_batches import (
    _BATCH,
    _ROW,
    SAMPLE_TABLE,
    GeBatchResult,
    GeRunner,
    GeSample,
    _batch_result,
    _create_sample,
    _frame_select,
    _key,
    _nanosecond_timestamps,
    _read_columns,
    validate_table_level,
)
from pipelines.validate.report import ExpectationOutcome
from pipelines.validate.suite import ParameterValue, Rule, Suite
from pipelines.warehouse.schema import quote

# Linux's shared memory: a folder no disk is behind, where the system has one, used when it
# has room for many loads' samples (a container's is often 64 MiB).
_MEMORY_FOLDER = "/dev/shm"
_MEMORY_FREE_BYTES = 1 << 30


def sample_folder() -> tempfile.TemporaryDirectory[str]:
    """A temporary folder for the samples a run hands to GE, in memory where it can be.

    A run's build copy is still being written back to disk while it validates (publish/
    compaction.py syncs it meanwhile). On ext4 a small file written then can wait for that
    write-back: the 10M benchmark's Parquet sample took 0.17-0.43 s in 10 of 18 daily runs
    on disk, 0.01 s in each of 11 in /dev/shm. Without a roomy one, the system's temporary
    folder.
    """
    return tempfile.TemporaryDirectory(prefix="citystat-ge-", dir=_memory_folder())


def _memory_folder() -> str | None:
    try:
        room = os.statvfs(_MEMORY_FOLDER)
    except (OSError, AttributeError):  # no such folder; no statvfs (Windows)
        return None
    roomy = room.f_bavail * room.f_frsize >= _MEMORY_FREE_BYTES
    return _MEMORY_FOLDER if roomy and os.access(_MEMORY_FOLDER, os.W_OK | os.X_OK) else None


@dataclass(frozen=True)
class GeJob:
    """Everything GE needs to check one staged load, without the warehouse: picklable.

    ``sample_files`` hold the sample's rows as Parquet, one file per group of rules (GE judges
    pairs of instants on the UTC twins under the canonical names), in batch order.
    """

    label: str  # "source (file)": how a failure names the load
    suite: Suite
    parameters: Mapping[str, ParameterValue]
    columns: tuple[str, ...]
    table_rows: int
    rules: tuple[Rule, ...]
    sample_files: tuple[tuple[tuple[int, ...], str], ...]  # (positions of rules, parquet path)
    sample_rows: int
    batch_rows: int
    sql: Mapping[int, Mapping[RuleKey, RuleCounts]]


@dataclass(frozen=True)
class GeVerdict:
    """What GE found for one load: its table-level outcomes and its results on the sample."""

    table_outcomes: list[ExpectationOutcome]
    sample: GeSample


def prepare_sample(
    con: duckdb.DuckDBPyConnection,
    table_sql: str,
    suite: Suite,
    rules: Sequence[Rule],
    parameters: Mapping[str, ParameterValue],
    folder: Path,
    *,
    table_rows: int,
    sample_rows: int,
    batch_rows: int,
) -> tuple[int, list[tuple[tuple[int, ...], str]], dict[int, dict[RuleKey, RuleCounts]]]:
    """Write GE's sample of the staged table as Parquet and count it in SQL, batch by batch.

    Returns the sample's row count, the Parquet file of each group of rules, and the SQL
    counts per batch GE's results must equal.
    """
    id_column = suite.table.id_column
    columns = sorted({c for r in rules for c in _read_columns(r)} | {id_column})
    selected = ", ".join(quote(c) for c in columns)
    order = f"{quote(id_column)}, source_file, source_row"
    files: list[tuple[tuple[int, ...], str]] = []
    try:
        rows = _create_sample(
            con,
            f"SELECT {selected}, source_file, source_row FROM {table_sql}",
            order,
            table_rows=table_rows,
            sample_rows=sample_rows,
            batch_rows=batch_rows,
        )
        groups = [
            group
            for group in (
                [r for r in rules if not r.compares_instants],
                [r for r in rules if r.compares_instants],
            )
            if group
        ]
        for number, group in enumerate(groups):
            path = folder / f"sample-{number}.parquet"
            con.execute(
                f"COPY (SELECT {_frame_select(group)} FROM {SAMPLE_TABLE} ORDER BY {_ROW}) "
                f"TO '{path}' (FORMAT parquet)"
            )
            files.append((tuple(r.position for r in group), str(path)))
        sql = rule_counts(con, SAMPLE_TABLE, rules, parameters, group_by=_BATCH)
    finally:
        con.execute(f"DROP TABLE IF EXISTS {SAMPLE_TABLE}")
    return rows, files, sql


def check_load(runner: GeRunner, job: GeJob) -> GeVerdict:
    """Run GE on one load's table-level expectations and on its sample's batches."""
    import pyarrow.parquet as pq

    table = validate_table_level(runner, job.columns, job.table_rows, job.suite, job.parameters)
    by_position = {r.position: r for r in job.rules}
    batches: list[dict[RuleKey, GeBatchResult]] = [
        {} for _ in range(max(1, -(-job.sample_rows // job.batch_rows)))
    ]
    for positions, path in job.sample_files:
        group = [by_position[p] for p in positions]
        sample = pq.read_table(path)
        ge_suite = runner.suite(job.suite, group)
        # An empty table still gets one (empty) batch, so GE validates every load.
        for number, batch in enumerate(batches):
            rows_of_batch = sample.slice(number * job.batch_rows, job.batch_rows)
            frame = _nanosecond_timestamps(rows_of_batch.to_pandas())
            results = runner.validate(frame, ge_suite, job.parameters)
            batch.update({_key(result): _batch_result(result) for result in results})
    sample_of = GeSample(
        rows=job.sample_rows,
        table_rows=job.table_rows,
        batches=batches,
        sql={n: dict(c) for n, c in job.sql.items()},
    )
    return GeVerdict(table, sample_of)
