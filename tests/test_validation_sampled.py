"""Exact SQL counts decide; Great Expectations checks them on a bounded, reproducible sample.

The staged tables here are generated in SQL with a defect pattern per column (NULLs, values
outside the set, the box or the clock, malformed ZIPs, timestamp pairs in the wrong order,
repeated ids), so every row-level expectation of every suite in expectations/ has failing and
unjudged rows to count.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from pipelines.validate import ValidationReport, ge_batches, validate_and_quarantine
from pipelines.validate.counts import RuleCounts, rule_counts
from pipelines.validate.sql_rules import enforce
from pipelines.validate.suite import ParameterValue, check_parameters, load_suite
from pipelines.warehouse.layout import PROJECT_ROOT
from pipelines.warehouse.schema import CANONICAL_TABLES, create_schema

SUITES = {
    name: PROJECT_ROOT / "expectations" / f"{name}.json"
    for name in ("service_requests", "permits", "inspections")
}
PARAMETERS: dict[str, ParameterValue] = {
    "lat_min": 39.86,
    "lat_max": 40.14,
    "lon_min": -75.29,
    "lon_max": -74.95,
    "min_rows": 1,
    "max_rows": 10_000_000,
    "latest_timestamp": datetime(2026, 1, 1),
}
NOT_NULL = "expect_column_values_to_not_be_null"


def _column_expression(table: str, column: str, kind: str, position: int) -> str:
    """A defect pattern for one column over row number i (deterministic, varied per column)."""
    spec = CANONICAL_TABLES[table]
    if column == spec.id_column:
        # Ids repeat (i and i + 7 share one every 50 rows) and are sometimes missing.
        return (
            "CASE WHEN i % 97 = 13 THEN NULL WHEN i % 50 = 7 THEN 'ID' || (i - 7) "
            "ELSE 'ID' || i END"
        )
    if column == "status":
        statuses = ", ".join(f"'{s}'" for s in spec.statuses)
        return (
            "CASE WHEN i % 89 = 3 THEN NULL WHEN i % 61 = 5 THEN 'bogus' "
            f"ELSE ([{statuses}])[1 + i % {len(spec.statuses)}] END"
        )
    if column == "zip":
        return (
            "CASE WHEN i % 31 = 2 THEN NULL WHEN i % 37 = 4 THEN '123' "
            "WHEN i % 41 = 6 THEN '1910A' WHEN i % 43 = 8 THEN '191030' ELSE '19103' END"
        )
    if column in {"latitude", "longitude"}:
        inside = "40.0" if column == "latitude" else "-75.1"
        return (
            "CASE WHEN i % 29 = 1 THEN NULL WHEN i % 23 = 2 THEN 0.0 "
            f"WHEN i % 47 = 9 THEN {inside} + 5 ELSE {inside} END"
        )
    if column == "fee":
        return "CASE WHEN i % 19 = 0 THEN NULL WHEN i % 17 = 3 THEN -5.0 ELSE 25.0 + i % 7 END"
    if kind == "TIMESTAMP":
        # Hours after 2024-01-01 that differ per column, so every pair is sometimes in order,
        # sometimes equal, sometimes reversed; a few rows lie after the run's start.
        step = 3 + position
        return (
            f"CASE WHEN (i + {position}) % 13 = 0 THEN NULL "
            f"WHEN i % 53 = {position % 53} THEN TIMESTAMP '2030-06-01 00:00' "
            f"ELSE TIMESTAMP '2024-01-01 00:00' + to_hours((i * {step}) % 60) END"
        )
    return "NULL"


def stage_generated(con: duckdb.DuckDBPyConnection, table: str, rows: int) -> str:
    """stg_<table> with ``rows`` generated rows and the canonical columns; returns its name."""
    create_schema(con)
    spec = CANONICAL_TABLES[table]
    expressions = []
    for position, (column, kind) in enumerate(spec.columns.items()):
        if column == "source":
            value = "'testcity'"
        elif column == "source_file":
            value = "'extract.csv'"
        elif column == "source_row":
            value = "i"
        else:
            value = _column_expression(table, column, kind, position)
        expressions.append(f"CAST({value} AS {kind}) AS {column}")
    con.execute(
        f"CREATE OR REPLACE TABLE stg_{table} AS SELECT {', '.join(expressions)} "
        "FROM range(1, ? + 1) AS t(i)",
        [rows],
    )
    return f"stg_{table}"


def ge_counts_on_every_row(
    con: duckdb.DuckDBPyConnection, staged: str, suite_path: Path
) -> dict[tuple[str, str | None, str | None], tuple[RuleCounts, bool]]:
    """GE's own counts and verdicts, from one DataFrame of the whole table (no sampling code)."""
    suite = load_suite(suite_path)
    rules = [r for r in suite.rules if not r.is_table_level]
    runner = ge_batches.shared_runner()
    frame = con.execute(f"SELECT * FROM {staged}").df()
    values = check_parameters(suite, PARAMETERS)
    counted = {}
    for result in runner.validate(frame, runner.suite(suite, rules), values):
        config = result.expectation_config
        key = (
            config.type,
            config.kwargs.get("column") or config.kwargs.get("column_A"),
            config.kwargs.get("column_B"),
        )
        stats = result.result
        counted[key] = (
            RuleCounts(
                int(stats["element_count"]),
                int(stats["unexpected_count"]),
                int(stats.get("missing_count") or 0),
            ),
            bool(result.success),
        )
    return counted


@pytest.mark.parametrize("table", sorted(SUITES))
def test_exact_sql_counts_equal_great_expectations_on_every_row(table: str) -> None:
    con = duckdb.connect()
    staged = stage_generated(con, table, 1_500)
    suite = load_suite(SUITES[table])
    rules = [r for r in suite.rules if not r.is_table_level]
    values = check_parameters(suite, PARAMETERS)
    sql = rule_counts(con, staged, rules, values)[0]
    ge = ge_counts_on_every_row(con, staged, SUITES[table])
    assert set(ge) == {rule.key for rule in rules}
    for rule in rules:
        counts, success = ge[rule.key]
        exact = sql[rule.key]
        assert (exact.element_count, exact.unexpected_count, exact.missing_count) == (
            counts.element_count,
            counts.unexpected_count,
            counts.missing_count,
        ), rule.label
        assert exact.success(rule.mostly) == success, rule.label
        # Every rule meets failing rows, so the comparison says something.
        assert counts.unexpected_count > 0, rule.label
        if rule.expectation_type != NOT_NULL:
            assert counts.missing_count > 0, rule.label
    # The pipeline's outcomes carry the same numbers, and GE (on every row: the table is
    # smaller than the sample) agreed with SQL on each rule.
    report = validate_and_quarantine(
        con, staged, run_id="r", source="testcity", parameters=PARAMETERS, suite_path=SUITES[table]
    )
    row_outcomes = [o for o in report.outcomes if o.ge_rows is not None]
    assert len(row_outcomes) == len(rules)
    for rule, outcome in zip(rules, row_outcomes, strict=True):
        counts, _ = ge[rule.key]
        assert (outcome.element_count, outcome.unexpected_count) == (
            counts.element_count,
            counts.unexpected_count,
        )
        assert outcome.ge_rows == 1_500
        assert outcome.ge_unexpected_count == counts.unexpected_count
        assert outcome.ge_agrees is True
        assert "sample" not in outcome.details
    assert report.disagreements == []
    assert {o.expectation_type for o in report.outcomes if o.ge_rows is None} == {
        "expect_table_columns_to_match_set",
        "expect_table_row_count_to_be_between",
    }


def _frames_seen(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Record every DataFrame of rows GE validates (not the table-level frames without data)."""
    runner = ge_batches.shared_runner()
    original = runner.validate
    seen: list[Any] = []

    def recording(frame: Any, ge_suite: Any, parameters: Any) -> list[Any]:
        if len(frame.columns) and len(frame):
            seen.append(frame.copy())
        return original(frame, ge_suite, parameters)

    monkeypatch.setattr(runner, "validate", recording)
    return seen


def test_a_large_table_gets_exact_counts_and_ge_on_a_bounded_sample(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    con = duckdb.connect()
    staged = stage_generated(con, "service_requests", 300_000)
    suite = load_suite(SUITES["service_requests"])
    rules = [r for r in suite.rules if not r.is_table_level]
    exact = rule_counts(con, staged, rules, check_parameters(suite, PARAMETERS))[0]
    frames = _frames_seen(monkeypatch)
    report = validate_and_quarantine(
        con, staged, run_id="r", source="testcity", parameters=PARAMETERS
    )
    # GE held one 100,000-row DataFrame of the columns the rules read, never the table.
    assert [len(frame) for frame in frames] == [100_000]
    row_outcomes = {
        (o.expectation_type, o.column): o for o in report.outcomes if o.ge_rows is not None
    }
    assert len(row_outcomes) == len(rules)
    for rule in rules:
        outcome = row_outcomes[rule.expectation_type, rule.column]
        counts = exact[rule.key]
        assert outcome.ge_rows == 100_000
        assert (outcome.element_count, outcome.unexpected_count) == (
            300_000,
            counts.unexpected_count,
        ), rule.label
        assert outcome.success == counts.success(rule.mostly), rule.label
        assert outcome.ge_agrees is True, outcome.details
        assert 0 < (outcome.ge_unexpected_count or 0) < counts.unexpected_count, rule.label
        assert "of a reproducible sample of 100,000 of the 300,000 rows" in outcome.details
        assert "as SQL counts on the same rows" in outcome.details
    assert report.disagreements == []
    # NULL ids (1 row in 97), statuses (1 in 89) and open times (1 in 13) all exceed the 1 %
    # that mostly=0.99 tolerates on the whole table; the decision follows the exact counts.
    assert [o.column for o in report.critical_failures] == ["request_id", "opened_at", "status"]
    assert [o.column for o in report.critical_failures] == [
        rule.column for rule in rules if rule.critical and not exact[rule.key].success(rule.mostly)
    ]


def test_the_sample_is_reproducible_and_batches_agree_one_by_one() -> None:
    details = []
    for _ in range(2):
        con = duckdb.connect()
        staged = stage_generated(con, "inspections", 5_000)
        report = validate_and_quarantine(
            con,
            staged,
            run_id="r",
            source="testcity",
            parameters=PARAMETERS,
            suite_path=SUITES["inspections"],
            sample_rows=1_000,
            batch_rows=300,
        )
        assert report.disagreements == []
        details.append([o.details for o in report.outcomes])
        unique = next(o for o in report.outcomes if o.expectation_type.endswith("unique"))
        assert "GE over 4 batch(es) of a reproducible sample of 1,000 of the 5,000 rows" in (
            unique.details
        )
    assert details[0] == details[1]


def _opened_at(report: ValidationReport) -> Any:
    return next(
        o for o in report.outcomes if o.expectation_type == NOT_NULL and o.column == "opened_at"
    )


def _clean_table(con: duckdb.DuckDBPyConnection, rows: int) -> str:
    """A 311 staged table without defects, so only the NULLs a test adds can fail."""
    staged = stage_generated(con, "service_requests", rows)
    con.execute(
        f"UPDATE {staged} SET request_id = 'ID' || source_row, status = 'open', "
        "opened_at = TIMESTAMP '2024-01-01 00:00', closed_at = NULL, due_at = NULL, "
        "updated_at = NULL, zip = '19103', latitude = 40.0, longitude = -75.1"
    )
    return staged


def _sampled_ids(monkeypatch: pytest.MonkeyPatch, rows: int, sample_rows: int) -> set[str]:
    """The ids GE's sample holds for a clean table of ``rows`` rows."""
    con = duckdb.connect()
    staged = _clean_table(con, rows)
    with monkeypatch.context() as patch:
        frames = _frames_seen(patch)
        validate_and_quarantine(
            con,
            staged,
            run_id="probe",
            source="testcity",
            parameters=PARAMETERS,
            sample_rows=sample_rows,
        )
    return set(frames[0]["request_id"])


def _validate_with_null_opened_at(
    sampled: set[str], nulls: int, *, in_sample: bool
) -> ValidationReport:
    """A clean 20,000-row table with ``nulls`` NULL opened_at, inside or outside GE's
    2,000-row sample, validated."""
    con = duckdb.connect()
    staged = _clean_table(con, 20_000)
    where = "list_contains(?, request_id)" if in_sample else "NOT list_contains(?, request_id)"
    con.execute(
        f"UPDATE {staged} SET opened_at = NULL WHERE source_row IN (SELECT source_row FROM "
        f"{staged} WHERE {where} ORDER BY source_row LIMIT ?)",
        [sorted(sampled), nulls],
    )
    return validate_and_quarantine(
        con, staged, run_id="r", source="testcity", parameters=PARAMETERS, sample_rows=2_000
    )


def test_the_critical_decision_uses_the_exact_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    sampled = _sampled_ids(monkeypatch, 20_000, 2_000)
    assert len(sampled) == 2_000
    # 400 NULL opened_at (2 %) in rows GE's sample does not hold: GE sees none, the exact
    # count exceeds mostly=0.99 of a critical rule, and nothing may publish.
    report = _validate_with_null_opened_at(sampled, 400, in_sample=False)
    outcome = _opened_at(report)
    assert (outcome.unexpected_count, outcome.ge_unexpected_count) == (400, 0)
    assert outcome.ge_agrees is True  # SQL on the sample rows finds no NULL either
    assert not report.passed
    assert report.critical_failures == [outcome]
    assert report.rows_quarantined == 400

    # 30 NULLs, all inside the sample: 1.5 % of what GE saw (GE fails the rule there), but
    # 0.15 % of the table, so the exact count lets the run publish.
    report = _validate_with_null_opened_at(sampled, 30, in_sample=True)
    outcome = _opened_at(report)
    assert (outcome.unexpected_count, outcome.ge_unexpected_count) == (30, 30)
    assert outcome.success and outcome.ge_agrees is True
    assert report.passed


def test_a_disagreement_between_ge_and_sql_is_flagged() -> None:
    con = duckdb.connect()
    staged = _clean_table(con, 200)
    # Python's $ (GE) matches before a trailing newline; DuckDB's RE2 $ does not, so SQL
    # counts this ZIP as malformed and GE does not.
    con.execute(f"UPDATE {staged} SET zip = '19103' || chr(10) WHERE source_row = 7")
    report = validate_and_quarantine(
        con, staged, run_id="r", source="testcity", parameters=PARAMETERS
    )
    (flagged,) = report.disagreements
    assert (flagged.expectation_type, flagged.column) == (
        "expect_column_values_to_match_regex",
        "zip",
    )
    assert (flagged.unexpected_count, flagged.ge_unexpected_count) == (1, 0)
    assert (
        "GE DISAGREES with SQL on the same rows: GE counted 0 of 200 failing, SQL 1 of 200"
    ) in flagged.details
    (stored,) = con.execute(
        "SELECT details FROM validation_results WHERE column_name = 'zip' "
        "AND expectation_type = 'expect_column_values_to_match_regex'"
    ).fetchall()[0]
    assert "GE DISAGREES" in stored
    assert all(o.ge_agrees for o in report.outcomes if o is not flagged and o.ge_rows)


def test_enforcement_skips_clean_rules_without_changing_what_it_does() -> None:
    suite = load_suite(SUITES["permits"])
    values = check_parameters(suite, PARAMETERS)
    rules = [r for r in suite.rules if not r.is_table_level]
    results = []
    for use_counts in (False, True):
        con = duckdb.connect()
        staged = stage_generated(con, "permits", 2_000)
        # No negative fee this time, so the fee rule has nothing to clear and is skipped.
        con.execute(f"UPDATE {staged} SET fee = abs(fee)")
        exact = rule_counts(con, staged, rules, values)[0]
        failing = {key: counts.unexpected_count for key, counts in exact.items()}
        assert failing[("expect_column_values_to_be_between", "fee", None)] == 0
        done = enforce(
            con,
            staged,
            suite,
            values,
            run_id="r",
            source="testcity",
            failing=failing if use_counts else None,
        )
        quarantine = con.execute("SELECT * FROM quarantine ORDER BY ALL").fetchall()
        kept = con.execute(f"SELECT * FROM {staged} ORDER BY source_row").fetchall()
        results.append((done, quarantine, kept))
    assert results[0] == results[1]
    assert results[0][0].rows_quarantined > 0 and results[0][0].values_cleared > 0


def test_one_ge_context_serves_every_validation_of_the_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built = []

    class CountingRunner(ge_batches.GeRunner):
        def __init__(self) -> None:
            built.append(self)
            super().__init__()

    monkeypatch.setattr(ge_batches, "_shared", None)
    monkeypatch.setattr(ge_batches, "GeRunner", CountingRunner)
    for table in ("permits", "inspections", "permits"):
        con = duckdb.connect()
        staged = stage_generated(con, table, 100)
        validate_and_quarantine(
            con, staged, run_id="r", source="t", parameters=PARAMETERS, suite_path=SUITES[table]
        )
    assert len(built) == 1


def test_an_empty_staged_table_is_validated_without_rows() -> None:
    con = duckdb.connect()
    staged = stage_generated(con, "service_requests", 0)
    report = validate_and_quarantine(
        con, staged, run_id="r", source="testcity", parameters=PARAMETERS
    )
    assert [o.column for o in report.critical_failures] == [None]  # row count below min_rows
    assert report.disagreements == []
    assert all(o.element_count == 0 for o in report.outcomes if o.ge_rows is not None)


def test_a_timestamp_beyond_pandas_nanoseconds_is_still_judged_alike() -> None:
    con = duckdb.connect()
    staged = _clean_table(con, 100)
    # Year 2999 does not fit pandas' nanosecond timestamps: GE gets that column as it comes.
    con.execute(f"UPDATE {staged} SET opened_at = TIMESTAMP '2999-01-01' WHERE source_row = 5")
    report = validate_and_quarantine(
        con, staged, run_id="r", source="testcity", parameters=PARAMETERS
    )
    (future,) = [
        o
        for o in report.outcomes
        if o.expectation_type == "expect_column_values_to_be_between" and o.column == "opened_at"
    ]
    assert (future.unexpected_count, future.ge_unexpected_count, future.ge_agrees) == (1, 1, True)
    assert report.disagreements == []


@pytest.mark.parametrize(
    ("rows", "sample_rows", "hash_values"),
    [
        (20_000, 2_000, 2**64),  # the first pass keeps about 3,500 rows
        (10_000, 6_000, 2**64),  # a cut-off above 2**63 binds and compares as UBIGINT
        (20_000, 2_000, 2**40),  # the first pass keeps too few rows: the top-N over all
    ],
)
def test_the_sample_is_the_rows_with_the_smallest_hash_of_file_and_line(
    monkeypatch: pytest.MonkeyPatch, rows: int, sample_rows: int, hash_values: int
) -> None:
    monkeypatch.setattr(ge_batches, "_HASH_VALUES", hash_values)
    con = duckdb.connect()
    staged = _clean_table(con, rows)
    expected = {
        row[0]
        for row in con.execute(
            f"SELECT request_id FROM {staged} ORDER BY hash(source_file, source_row), "
            "source_file, source_row LIMIT ?",
            [sample_rows],
        ).fetchall()
    }
    frames = _frames_seen(monkeypatch)
    validate_and_quarantine(
        con, staged, run_id="r", source="testcity", parameters=PARAMETERS, sample_rows=sample_rows
    )
    (frame,) = frames
    assert len(frame) == sample_rows
    assert set(frame["request_id"]) == expected
    # GE's frame is in record-id order, as its batches have always been.
    assert list(frame["request_id"]) == sorted(expected)
