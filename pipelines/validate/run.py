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
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.validate.counts import RuleCounts, RuleKey, rule_counts, unexpected_examples

# ge_batches imports GE only when shared_runner() first builds the context: the CLI imports
# this package and GE takes seconds to import.
from pipelines.validate.ge_batches import GeSample, shared_runner, table_columns
from pipelines.validate.ge_jobs import GeJob, GeVerdict, check_load, prepare_sample, sample_folder
from pipelines.validate.report import (
    ExpectationOutcome,
    ValidationReport,
    write_validation_results,
)
from pipelines.validate.sql_rules import enforce, one_row, table_reference
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
    resolved,
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

    GE runs in this process; a run hands the same job to its GE worker instead
    (``validate_in_sql``, then ``finish_validation`` with the worker's verdict).
    ``unmapped``: canonical columns the source never fills; row rules on them are left out.
    """
    with sample_folder() as folder:
        pending = validate_in_sql(
            con,
            table,
            run_id=run_id,
            source=source,
            parameters=parameters,
            folder=Path(folder),
            suite_path=suite_path,
            batch_rows=batch_rows,
            sample_rows=sample_rows,
            unmapped=unmapped,
        )
        verdict = check_load(shared_runner(), pending.job)
    return finish_validation(con, pending, verdict)


@dataclass(frozen=True)
class PendingValidation:
    """A load judged and quarantined by SQL, whose GE check (``job``) is still to come.

    ``report`` is SQL's verdict, what the loader acts on; the outcomes written to
    validation_results wait for GE's results on the sample (``finish_validation``).
    """

    run_id: str
    source: str
    job: GeJob
    report: ValidationReport
    row_rules: list[tuple[Rule, RuleCounts, list[str]]]
    notes: Mapping[tuple[str, str | None, str | None], str]


def validate_in_sql(
    con: duckdb.DuckDBPyConnection,
    table: str,
    *,
    run_id: str,
    source: str,
    parameters: Mapping[str, ParameterValue],
    folder: Path,
    suite_path: Path = DEFAULT_SUITE,
    batch_rows: int = 250_000,
    sample_rows: int = DEFAULT_SAMPLE_ROWS,
    unmapped: Collection[str] = (),
    label: str = "",
) -> PendingValidation:
    """Judge every rule by exact SQL counts, quarantine, and write GE's sample into ``folder``."""
    if batch_rows < 1:
        raise ValueError(f"batch_rows must be at least 1, got {batch_rows}")
    if sample_rows < 1:
        raise ValueError(f"sample_rows must be at least 1, got {sample_rows}")
    table_sql = table_reference(table)
    suite = _judging_instants(con, table_sql, _mapped_rules(load_suite(suite_path), unmapped))
    values = check_parameters(suite, parameters)
    columns = table_columns(con, table_sql)
    (row_count,) = one_row(con, f"SELECT count(*) FROM {table_sql}")
    outcomes = sql_table_outcomes(suite, columns, int(row_count), values)
    job = GeJob(
        label=label or source,
        suite=suite,
        parameters=values,
        columns=tuple(columns),
        table_rows=int(row_count),
        rules=(),
        sample_files=(),
        sample_rows=0,
        batch_rows=batch_rows,
        sql={},
    )
    if any(o.expectation_type == TABLE_COLUMNS and not o.success for o in outcomes):
        report = ValidationReport(outcomes=outcomes, rows_quarantined=0, values_cleared=0)
        return PendingValidation(run_id, source, job, report, [], {})
    rules = [r for r in suite.rules if not r.is_table_level]
    failing: dict[RuleKey, int] = {}
    row_rules: list[tuple[Rule, RuleCounts, list[str]]] = []
    if rules:
        exact = rule_counts(con, table_sql, rules, values)[0]
        table_rows = exact[rules[0].key].element_count
        rows, files, sql = prepare_sample(
            con,
            table_sql,
            suite,
            rules,
            values,
            folder,
            table_rows=table_rows,
            sample_rows=sample_rows,
            batch_rows=batch_rows,
        )
        job = dataclasses.replace(
            job, rules=tuple(rules), sample_files=tuple(files), sample_rows=rows, sql=sql
        )
        for rule in rules:
            counts = exact[rule.key]
            examples = unexpected_examples(
                con, table_sql, rule, counts, values, suite.table.id_column
            )
            row_rules.append((rule, counts, examples))
            outcomes.append(_sql_row_outcome(rule, counts))
            failing[rule.key] = counts.unexpected_count
    enforced = enforce(con, table_sql, suite, values, run_id=run_id, source=source, failing=failing)
    report = ValidationReport(
        outcomes=outcomes,
        rows_quarantined=enforced.rows_quarantined,
        values_cleared=enforced.values_cleared,
    )
    return PendingValidation(run_id, source, job, report, row_rules, enforced.notes)


def finish_validation(
    con: duckdb.DuckDBPyConnection, pending: PendingValidation, verdict: GeVerdict
) -> ValidationReport:
    """The load's report with what GE saw, written to validation_results.

    Table-level outcomes are GE's; row outcomes SQL's exact counts with GE's sample beside them.
    """
    outcomes = list(verdict.table_outcomes)
    outcomes += [_row_outcome(r, c, e, verdict.sample) for r, c, e in pending.row_rules]
    outcomes = [_with_note(o, pending.notes) for o in outcomes]
    write_validation_results(
        con,
        run_id=pending.run_id,
        source=pending.source,
        suite_name=pending.job.suite.name,
        outcomes=outcomes,
    )
    return dataclasses.replace(pending.report, outcomes=outcomes)


def ge_disagreements(pending: PendingValidation, verdict: GeVerdict) -> list[str]:
    """Where GE's verdict differs from SQL's: table-level verdicts, or counts on the sample."""
    sql = {(o.expectation_type, o.column): o.success for o in pending.report.outcomes}
    problems = [
        f"{o.expectation_type}: Great Expectations says {'passed' if o.success else 'failed'}, "
        f"citystat's SQL {'passed' if sql.get((o.expectation_type, o.column)) else 'failed'}"
        for o in verdict.table_outcomes
        if sql.get((o.expectation_type, o.column)) != o.success
    ]
    for rule, _, _ in pending.row_rules:
        if not verdict.sample.agrees(rule):
            ge = verdict.sample.ge_total(rule.key)
            counted = verdict.sample.sql_total(rule.key)
            problems.append(
                f"{rule.label}: on the same sample rows Great Expectations counted "
                f"{ge.unexpected_count} of {ge.considered} failing, SQL "
                f"{counted.unexpected_count} of {counted.considered}; the SQL translation in "
                "pipelines/validate/sql_rules.py no longer matches GE's rule"
            )
    return problems


def sql_table_outcomes(
    suite: Suite, columns: Sequence[str], row_count: int, parameters: Mapping[str, ParameterValue]
) -> list[ExpectationOutcome]:
    """SQL's verdict on the table-level expectations; GE must reach the same one."""
    outcomes = []
    for rule in (r for r in suite.rules if r.is_table_level):
        if rule.expectation_type == TABLE_COLUMNS:
            wanted = set(resolved(rule.kwargs.get("column_set"), parameters) or [])
            exact = rule.kwargs.get("exact_match", True) is not False
            success = set(columns) == wanted if exact else wanted <= set(columns)
            details = f"columns {sorted(columns)}; the suite expects {sorted(wanted)}"
            elements = len(columns)
        else:
            low = resolved(rule.kwargs.get("min_value"), parameters)
            high = resolved(rule.kwargs.get("max_value"), parameters)
            success = (low is None or row_count >= low) and (high is None or row_count <= high)
            details = f"{row_count} rows staged; the source mapping expects {low} to {high}"
            elements = row_count
        outcomes.append(
            ExpectationOutcome(
                expectation_type=rule.expectation_type,
                column=rule.column,
                critical=rule.critical,
                success=success,
                element_count=elements,
                unexpected_count=0 if success else 1,
                on_failure=rule.on_failure,
                details=details,
            )
        )
    return outcomes


def _sql_row_outcome(rule: Rule, counts: RuleCounts) -> ExpectationOutcome:
    """SQL's verdict on a row rule, before GE's sample is checked."""
    return ExpectationOutcome(
        expectation_type=rule.expectation_type,
        column=rule.column,
        critical=rule.critical,
        success=counts.success(rule.mostly),
        element_count=counts.element_count,
        unexpected_count=counts.unexpected_count,
        on_failure=rule.on_failure,
        details=f"{counts.unexpected_count} of {counts.considered} checked value(s) failed",
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
