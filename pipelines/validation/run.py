"""validate_and_quarantine: the step the loader runs on a staged table before appending it.

Order, on purpose: validate the full staged batch FIRST, so the stored validation_results show
how many rows broke each rule and whether the ``mostly`` tolerance held on what the city sent;
THEN quarantine and clear. A failed critical expectation means the run must not publish; the
report's ``passed`` is False and ``failures_summary()`` says why. Failing rows are still
quarantined in that case, so the quarantine table explains the failure row by row. When the
staged columns are not the canonical set, the row rules cannot be evaluated and nothing is
quarantined.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path

import duckdb

from pipelines.validation.report import (
    ExpectationOutcome,
    ValidationReport,
    write_validation_results,
)
from pipelines.validation.sql_rules import enforce, table_reference
from pipelines.validation.suite import TABLE_COLUMNS, ParameterValue, check_parameters, load_suite
from pipelines.warehouse import EXPECTATIONS_DIR

DEFAULT_SUITE = EXPECTATIONS_DIR / "service_requests.json"


def validate_and_quarantine(
    con: duckdb.DuckDBPyConnection,
    table: str,
    *,
    run_id: str,
    source: str,
    parameters: Mapping[str, ParameterValue],
    suite_path: Path = DEFAULT_SUITE,
    batch_rows: int = 250_000,
) -> ValidationReport:
    """Validate the staged table with GE in bounded batches, then quarantine and clear in SQL."""
    # GE is imported here, not at module level: the CLI imports this package and GE is slow.
    from pipelines.validation.ge_batches import (
        GeRunner,
        validate_rows_in_batches,
        validate_table_level,
    )

    if batch_rows < 1:
        raise ValueError(f"batch_rows must be at least 1, got {batch_rows}")
    suite = load_suite(suite_path)
    values = check_parameters(suite, parameters)
    table_sql = table_reference(table)
    runner = GeRunner()
    outcomes = validate_table_level(runner, con, table_sql, suite, values)
    if any(o.expectation_type == TABLE_COLUMNS and not o.success for o in outcomes):
        write_validation_results(
            con, run_id=run_id, source=source, suite_name=suite.name, outcomes=outcomes
        )
        return ValidationReport(outcomes=outcomes, rows_quarantined=0, values_cleared=0)
    outcomes += validate_rows_in_batches(runner, con, table_sql, suite, values, batch_rows)
    enforced = enforce(con, table_sql, suite, values, run_id=run_id, source=source)
    outcomes = [_with_note(o, enforced.notes) for o in outcomes]
    write_validation_results(
        con, run_id=run_id, source=source, suite_name=suite.name, outcomes=outcomes
    )
    return ValidationReport(
        outcomes=outcomes,
        rows_quarantined=enforced.rows_quarantined,
        values_cleared=enforced.values_cleared,
    )


def _with_note(
    outcome: ExpectationOutcome, notes: Mapping[tuple[str, str | None, str | None], str]
) -> ExpectationOutcome:
    for key, note in notes.items():
        if key[:2] == (outcome.expectation_type, outcome.column):
            return dataclasses.replace(outcome, details=f"{outcome.details}; {note}")
    return outcome
