"""Validation outcomes, the report the loader acts on, and the validation_results writer."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from pipelines.warehouse.rows import insert_rows


@dataclass(frozen=True)
class ExpectationOutcome:
    """How the whole staged batch fared against one expectation."""

    expectation_type: str
    column: str | None
    critical: bool
    success: bool
    element_count: int
    unexpected_count: int
    on_failure: str
    details: str
    # What Great Expectations saw on its sample (None for table-level expectations): rows in
    # the sample, failing rows GE counted there, and whether GE's counts and verdict equal
    # the SQL counts on the same rows.
    ge_rows: int | None = None
    ge_unexpected_count: int | None = None
    ge_agrees: bool | None = None


@dataclass(frozen=True)
class ValidationReport:
    """Every outcome plus what enforcement did to the staged table."""

    outcomes: list[ExpectationOutcome]
    rows_quarantined: int
    values_cleared: int

    @property
    def passed(self) -> bool:
        """True when no critical expectation failed, so the run may publish."""
        return not self.critical_failures

    @property
    def critical_failures(self) -> list[ExpectationOutcome]:
        """The failed expectations that stop the run from publishing."""
        return [o for o in self.outcomes if o.critical and not o.success]

    @property
    def disagreements(self) -> list[ExpectationOutcome]:
        """Expectations GE judged differently from SQL on the same sample rows."""
        return [o for o in self.outcomes if o.ge_agrees is False]

    def failures_summary(self) -> str:
        """One line per failed critical expectation, for the CLI."""
        return "\n".join(
            f"{o.expectation_type}{f' on {o.column}' if o.column else ''}: {o.details}"
            for o in self.critical_failures
        )


def write_validation_results(
    con: duckdb.DuckDBPyConnection,
    *,
    run_id: str,
    source: str,
    suite_name: str,
    outcomes: list[ExpectationOutcome],
) -> None:
    """Append one validation_results row per outcome."""
    insert_rows(
        con,
        "INSERT INTO validation_results (run_id, source, suite, expectation_type, column_name, "
        "critical, success, element_count, unexpected_count, details)",
        [
            [
                run_id,
                source,
                suite_name,
                o.expectation_type,
                o.column,
                o.critical,
                o.success,
                o.element_count,
                o.unexpected_count,
                o.details,
            ]
            for o in outcomes
        ],
    )
