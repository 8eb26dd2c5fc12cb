"""What a run reports: each source's accounting, the run's outcome, and the error that stops it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.ingest.merge import MergeCounts
from pipelines.ingest.provenance import (
    FileLoad,
    StepTime,
)
from pipelines.validate import (
    ValidationReport,
)

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


def quiet(_: str) -> None:
    return None
