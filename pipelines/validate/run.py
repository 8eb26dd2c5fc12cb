"""validate_and_quarantine: the step the loader runs on a staged table before appending it.

Order, on purpose: validate the full staged batch FIRST, so the stored validation_results show
how many rows broke each rule and whether the ``mostly`` tolerance held on what the city sent;
THEN quarantine and clear. A failed critical expectation means the run must not publish; the
report's ``passed`` is False and ``failures_summary()`` says why. Failing rows are still
quarantined in that case, so the quarantine table explains the failure row by row. When the
staged columns are not the canonical set, the row rules cannot be evaluated and nothing is
quarantined. Row rules on a column the source does not map (``unmapped``: no coordinates,
no received date) are not judged: every value would be NULL for want of a field, not a fault
of any row, and a coordinate rule would have no box to compare with.

The counts behind every verdict are exact: one SQL aggregate over every staged row
(``counts.rule_counts``). Great Expectations checks the same rules on a bounded, reproducible
sample (every row of a small load) and its counts on that sample must equal SQL's on the same
rows; a difference is recorded in the expectation's details and listed by
``ValidationReport.disagreements``, because it means the SQL translation of the rule and GE
no longer describe the same rule.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping
from pathlib import Path

import duckdb

from pipelines.validate.counts import RuleCounts, RuleKey, rule_counts, unexpected_examples

# ge_batches imports GE only when shared_runner() first builds the context: the CLI imports
# this package and GE takes seconds to import.
from pipelines.validate.ge_batches import (
    GeSample,
    shared_runner,
    validate_sample,
    validate_table_level,
)
from pipelines.validate.report import (
    ExpectationOutcome,
    ValidationReport,
    write_validation_results,
)
from pipelines.validate.sql_rules import enforce, table_reference
from pipelines.validate.suite import (
    NOT_NULL,
    PAIR_A_GREATER,
    TABLE_COLUMNS,
    UNIQUE,
    ParameterValue,
    Rule,
    Suite,
    check_parameters,
    load_suite,
)
from pipelines.warehouse.layout import EXPECTATIONS_DIR
from pipelines.warehouse.schema import instant_column

DEFAULT_SUITE = EXPECTATIONS_DIR / "service_requests.json"
# GE's sample: large enough for GE to meet every kind of defect a real extract has, small
# enough that GE's cost and memory stop growing with the extract.
DEFAULT_SAMPLE_ROWS = 100_000


def validate_and_quarantine(
    con: duckdb.DuckDBPyConnection,
    table: str,
    *,
    run_id: str,
    source: str,
    parameters: Mapping[str, ParameterValue],
    suite_path: Path = DEFAULT_SUITE,
    batch_rows: int = 250_000,
    sample_rows: int = DEFAULT_SAMPLE_ROWS,
    unmapped: Collection[str] = (),
) -> ValidationReport:
    """Count every rule exactly in SQL, check them with GE on a sample, then quarantine.

    ``unmapped``: canonical columns the source never fills; row rules on them are left out.
    """
    if batch_rows < 1:
        raise ValueError(f"batch_rows must be at least 1, got {batch_rows}")
    if sample_rows < 1:
        raise ValueError(f"sample_rows must be at least 1, got {sample_rows}")
    table_sql = table_reference(table)
    suite = _judging_instants(con, table_sql, _mapped_rules(load_suite(suite_path), unmapped))
    values = check_parameters(suite, parameters)
    runner = shared_runner()
    outcomes = validate_table_level(runner, con, table_sql, suite, values)
    if any(o.expectation_type == TABLE_COLUMNS and not o.success for o in outcomes):
        write_validation_results(
            con, run_id=run_id, source=source, suite_name=suite.name, outcomes=outcomes
        )
        return ValidationReport(outcomes=outcomes, rows_quarantined=0, values_cleared=0)
    rules = [r for r in suite.rules if not r.is_table_level]
    failing: dict[RuleKey, int] = {}
    if rules:
        exact = rule_counts(con, table_sql, rules, values)[0]
        table_rows = exact[rules[0].key].element_count
        sample = validate_sample(
            runner,
            con,
            table_sql,
            suite,
            rules,
            values,
            table_rows=table_rows,
            sample_rows=sample_rows,
            batch_rows=batch_rows,
        )
        for rule in rules:
            counts = exact[rule.key]
            examples = unexpected_examples(
                con, table_sql, rule, counts, values, suite.table.id_column
            )
            outcomes.append(_row_outcome(rule, counts, examples, sample))
            failing[rule.key] = counts.unexpected_count
    enforced = enforce(con, table_sql, suite, values, run_id=run_id, source=source, failing=failing)
    outcomes = [_with_note(o, enforced.notes) for o in outcomes]
    write_validation_results(
        con, run_id=run_id, source=source, suite_name=suite.name, outcomes=outcomes
    )
    return ValidationReport(
        outcomes=outcomes,
        rows_quarantined=enforced.rows_quarantined,
        values_cleared=enforced.values_cleared,
    )


def _mapped_rules(suite: Suite, unmapped: Collection[str]) -> Suite:
    """The suite without the row rules about a column the source does not map."""
    if not unmapped:
        return suite

    def judged(rule: Rule) -> bool:
        named = {rule.column, rule.column_b, *rule.clear_columns} - {None}
        return rule.is_table_level or not named & set(unmapped)

    return dataclasses.replace(suite, rules=tuple(r for r in suite.rules if judged(r)))


def _judging_instants(con: duckdb.DuckDBPyConnection, table_sql: str, suite: Suite) -> Suite:
    """The suite with its timestamp pairs and duplicates judged by instants, where staged.

    Wall-clock time repeats an hour each autumn, so only instants order two moments. A table
    staged without the UTC columns (built by hand) keeps the wall-clock comparison.
    """
    present = {str(row[0]) for row in con.execute(f"DESCRIBE {table_sql}").fetchall()}
    timestamps = [c for c, t in suite.table.columns.items() if t == "TIMESTAMP"]

    def judged(rule: Rule) -> Rule:
        needed = [rule.column, rule.column_b] if rule.expectation_type == PAIR_A_GREATER else []
        needed = needed if all(c in timestamps for c in needed) else []
        if rule.expectation_type == UNIQUE and "updated_at" in timestamps:
            needed = ["updated_at"]
        if needed and all(instant_column(str(c)) in present for c in needed):
            return dataclasses.replace(rule, instants=True)
        return rule

    return dataclasses.replace(suite, rules=tuple(judged(rule) for rule in suite.rules))


def _row_outcome(
    rule: Rule, counts: RuleCounts, examples: list[str], sample: GeSample
) -> ExpectationOutcome:
    """The outcome from the exact counts, with what GE saw on its sample."""
    unexpected, considered = counts.unexpected_count, counts.considered
    success = counts.success(rule.mostly)
    share = 100.0 * unexpected / considered if considered else 0.0
    tolerance = "held" if success else "exceeded"
    details = (
        f"{unexpected} of {considered} checked value(s) failed ({share:.2f}%); "
        f"tolerance mostly={rule.mostly:g} {tolerance}"
    )
    if counts.missing_count:
        details += f"; {counts.missing_count} row(s) with NULLs not judged"
    if examples and rule.expectation_type != NOT_NULL:
        shown = f"({rule.column}, {rule.column_b}) " if rule.column_b else ""
        details += f"; e.g. {shown}{', '.join(examples)}"
    ge = sample.ge_total(rule.key)
    agrees = sample.agrees(rule)
    details += "; " + _ge_note(rule, counts, ge, sample, agrees)
    return ExpectationOutcome(
        expectation_type=rule.expectation_type,
        column=rule.column,
        critical=rule.critical,
        success=success,
        element_count=counts.element_count,
        unexpected_count=unexpected,
        on_failure=rule.on_failure,
        details=details,
        ge_rows=sample.rows,
        ge_unexpected_count=ge.unexpected_count,
        ge_agrees=agrees,
    )


def _ge_note(rule: Rule, counts: RuleCounts, ge: RuleCounts, sample: GeSample, agrees: bool) -> str:
    """What GE saw next to the exact counts, and whether it judged as SQL did."""
    note = f"GE over {len(sample.batches)} batch(es)"
    if not sample.is_whole_table:
        note += (
            f" of a reproducible sample of {sample.rows:,} of the {sample.table_rows:,} rows: "
            f"{ge.unexpected_count} of {ge.considered} checked value(s) failed there"
        )
        if agrees:
            note += ", as SQL counts on the same rows"
    if rule.expectation_type == UNIQUE:
        # GE judges uniqueness within each batch of its sample; the decision uses the
        # table-wide count.
        note += (
            f"; table-wide count from SQL: {counts.unexpected_count} row(s) share "
            f"{counts.repeated_values} repeated value(s) "
            f"(GE saw {ge.unexpected_count} within single batches)"
        )
    if not agrees:
        sql = sample.sql_total(rule.key)
        note += (
            f"; GE DISAGREES with SQL on the same rows: GE counted {ge.unexpected_count} of "
            f"{ge.considered} failing, SQL {sql.unexpected_count} of {sql.considered}; the SQL "
            "translation in pipelines/validation/sql_rules.py no longer matches GE's rule, "
            "fix it before trusting the quarantine"
        )
    return note


def _with_note(
    outcome: ExpectationOutcome, notes: Mapping[tuple[str, str | None, str | None], str]
) -> ExpectationOutcome:
    for key, note in notes.items():
        if key[:2] == (outcome.expectation_type, outcome.column):
            return dataclasses.replace(outcome, details=f"{outcome.details}; {note}")
    return outcome
