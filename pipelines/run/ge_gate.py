"""The run's side of the GE worker: hand it each load, and before publishing, hear its verdicts.

Every load is judged by citystat's exact SQL counts as it is staged (that decides quarantine
and whether later files load); Great Expectations checks the same load in the worker
(pipelines.validate.worker) while the run merges and computes metrics. ``settle`` waits for
every verdict, writes each load's validation_results as the in-process path did, and says
which loads GE failed, could not check, or judged differently from SQL: any of those keeps
the build from being published.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

import duckdb

from pipelines.validate.ge_jobs import sample_folder
from pipelines.validate.report import ValidationReport
from pipelines.validate.run import (
    PendingValidation,
    finish_validation,
    ge_disagreements,
    validate_in_sql,
)
from pipelines.validate.suite import ParameterValue
from pipelines.validate.worker import GeWorker, WorkerFailure


@dataclass
class GeGate:
    """The loads of one run waiting for GE's verdict, and the worker that gives it."""

    serve: Callable[[Connection], None] | None = None  # the worker's loop (tests replace it)
    worker: GeWorker | None = None
    pending: list[tuple[str, str, PendingValidation]] = field(default_factory=list)
    _folder: tempfile.TemporaryDirectory[str] | None = None

    def start(self) -> None:
        """Start the worker now, so GE's import overlaps the run's own work."""
        if self.worker is None:
            self.worker = GeWorker(serve=self.serve)

    def validate(
        self,
        con: duckdb.DuckDBPyConnection,
        table: str,
        *,
        run_id: str,
        source: str,
        file: str,
        parameters: Mapping[str, ParameterValue],
        suite_path: Path,
        unmapped: Collection[str],
    ) -> ValidationReport:
        """SQL's verdict on one staged load; GE's check of it goes to the worker."""
        self.start()
        assert self.worker is not None
        if self._folder is None:
            self._folder = sample_folder()
        folder = Path(self._folder.name) / str(len(self.pending))
        folder.mkdir()
        pending = validate_in_sql(
            con,
            table,
            run_id=run_id,
            source=source,
            parameters=parameters,
            folder=folder,
            suite_path=suite_path,
            unmapped=unmapped,
            label=f"{source} ({file})",
        )
        self.worker.submit(pending.job)
        self.pending.append((source, file, pending))
        return pending.report

    def settle(
        self, con: duckdb.DuckDBPyConnection
    ) -> tuple[dict[tuple[str, str], ValidationReport], list[str]]:
        """Every load's final report, and one line per load GE did not pass as SQL did."""
        reports: dict[tuple[str, str], ValidationReport] = {}
        problems: list[str] = []
        try:
            for source, file, pending in self.pending:
                assert self.worker is not None
                verdict = self.worker.verdict()
                if isinstance(verdict, WorkerFailure):
                    problems.append(
                        f"{source} ({file}): not checked by Great Expectations: {verdict.reason}"
                    )
                    continue
                reports[(source, file)] = finish_validation(con, pending, verdict)
                problems += [
                    f"{source} ({file}): Great Expectations disagrees with citystat's SQL: {line}"
                    for line in ge_disagreements(pending, verdict)
                ]
        finally:
            self.close()
        return reports, problems

    def close(self) -> None:
        """Stop the worker and remove the samples."""
        if self.worker is not None:
            self.worker.close()
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None
