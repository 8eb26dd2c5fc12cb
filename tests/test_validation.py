"""Tests for pipelines.validate: GE in bounded batches, SQL quarantine and clearing.

Every count below is worked out by hand from the staged rows written in the test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.validate import ValidationConfigError, ValidationReport, validate_and_quarantine
from pipelines.validate.run import DEFAULT_SUITE
from pipelines.warehouse.layout import PROJECT_ROOT
from pipelines.warehouse.schema import create_schema

PARAMETERS = {
    "lat_min": 40.4,
    "lat_max": 41.0,
    "lon_min": -74.3,
    "lon_max": -73.6,
    "min_rows": 1,
    "max_rows": 1000,
}
NOT_NULL = "expect_column_values_to_not_be_null"
UNIQUE = "expect_column_values_to_be_unique"
IN_SET = "expect_column_values_to_be_in_set"
PAIR = "expect_column_pair_values_a_to_be_greater_than_b"
BETWEEN = "expect_column_values_to_be_between"
REGEX = "expect_column_values_to_match_regex"
COLUMNS = "expect_table_columns_to_match_set"
ROW_COUNT = "expect_table_row_count_to_be_between"

# One row per defect kind. Unlisted values: opened_at 2024-01-02 10:00, due_at 2024-01-05 10:00,
# status open, zip 10001, latitude 40.7, longitude -73.9 (inside the box), updated_at NULL.
DEFECT_ROWS = [
    # source_row, request_id, status, opened_at, closed_at, due_at, updated_at, zip, lat, lon
    (1, "A", "open", "2024-01-02 10:00", None, None, "2024-01-02 11:00", None, None, None),
    (2, "A", "closed", None, "2024-01-03 09:00", None, "2024-01-03 09:00", None, None, None),
    (3, "B", "closed", None, "2024-01-01 09:00", None, None, None, None, None),  # closed < opened
    (4, "C", None, "NULL", None, None, None, None, None, None),  # opened_at NULL
    (5, "D", "bogus", None, None, None, None, None, None, None),  # status not in set
    (6, "E", None, None, None, None, None, None, 0.0, 0.0),  # coordinates 0,0
    (7, "F", None, None, None, None, None, "123", None, None),  # zip too short
    (8, "G", None, None, None, "2024-01-01 00:00", None, None, None, None),  # due < opened
    (9, "H", "closed", None, "2024-01-04 10:00", None, None, None, None, None),  # clean
]


def _stage(con: duckdb.DuckDBPyConnection, rows: list[tuple], *, clean_padding: int = 0) -> None:
    """Create stg_service_requests with the given rows plus ``clean_padding`` valid rows."""
    create_schema(con)
    con.execute("CREATE TABLE stg_service_requests AS SELECT * FROM service_requests LIMIT 0")
    for source_row, request_id, status, opened, closed, due, updated, zip_, lat, lon in rows:
        con.execute(
            "INSERT INTO stg_service_requests (source, request_id, status, opened_at, closed_at, "
            "due_at, updated_at, zip, latitude, longitude, source_file, source_row) "
            "VALUES ('testcity', ?, ?, ?, ?, ?, ?, ?, ?, ?, 'extract.csv', ?)",
            [
                request_id,
                status or "open",
                None if opened == "NULL" else opened or "2024-01-02 10:00",
                closed,
                due or "2024-01-05 10:00",
                updated,
                zip_ or "10001",
                40.7 if lat is None else lat,
                -73.9 if lon is None else lon,
                source_row,
            ],
        )
    con.execute(
        "INSERT INTO stg_service_requests (source, request_id, status, opened_at, due_at, zip, "
        "latitude, longitude, source_file, source_row) "
        "SELECT 'testcity', 'P' || lpad(CAST(i AS VARCHAR), 4, '0'), 'open', "
        "TIMESTAMP '2024-01-02 10:00', TIMESTAMP '2024-01-05 10:00', '10001', 40.7, -73.9, "
        "'extract.csv', 100 + i FROM range(?) AS t(i)",
        [clean_padding],
    )


def _validate(con: duckdb.DuckDBPyConnection, **overrides: object) -> ValidationReport:
    options: dict = {"run_id": "run-1", "source": "testcity", "parameters": PARAMETERS}
    options.update(overrides)
    return validate_and_quarantine(con, "stg_service_requests", **options)


def _outcome_counts(report: ValidationReport) -> dict[tuple[str, str | None], tuple]:
    return {
        (o.expectation_type, o.column): (o.element_count, o.unexpected_count, o.success)
        for o in report.outcomes
    }


@pytest.fixture(scope="module")
def defect_run() -> tuple[duckdb.DuckDBPyConnection, ValidationReport]:
    """The defect rows plus 291 clean rows (300 in all), validated once."""
    con = duckdb.connect()
    _stage(con, DEFECT_ROWS, clean_padding=291)
    return con, _validate(con)


def test_counts_per_expectation_on_the_full_staged_batch(defect_run) -> None:
    _, report = defect_run
    assert _outcome_counts(report) == {
        (COLUMNS, None): (18, 0, True),
        (ROW_COUNT, None): (300, 0, True),
        (NOT_NULL, "request_id"): (300, 0, True),
        # 1 of 300 = 0.33 % NULL, inside the 1 % tolerance of a critical rule
        (NOT_NULL, "opened_at"): (300, 1, True),
        (NOT_NULL, "status"): (300, 0, True),
        (IN_SET, "status"): (300, 1, True),
        # only A v2, B and H have both timestamps; B fails: 2/3 < 0.99
        (PAIR, "closed_at"): (300, 1, False),
        # 299 rows have both (C lacks opened_at); G fails: 298/299 >= 0.99
        (PAIR, "due_at"): (300, 1, True),
        # both rows of A are unexpected, as GE counts them: 298/300 >= 0.99
        (UNIQUE, "request_id"): (300, 2, True),
        (BETWEEN, "latitude"): (300, 1, True),
        (BETWEEN, "longitude"): (300, 1, True),
        # no request is opened after the run started (issue 5: dates in the future)
        (BETWEEN, "opened_at"): (300, 0, True),
        # no version is dated more than a day after the run started (issue 14: 2099 freezes)
        (BETWEEN, "updated_at"): (300, 0, True),
        (REGEX, "zip"): (300, 1, True),
        # reported only: a missing ZIP keeps the row and shows as Unknown in breakdowns
        (NOT_NULL, "zip"): (300, 0, True),
    }
    assert report.passed
    assert report.failures_summary() == ""


def test_quarantined_rows_rules_and_reasons(defect_run) -> None:
    con, report = defect_run
    assert report.rows_quarantined == 5
    rows = con.execute(
        "SELECT run_id, source, source_file, source_row, record_id, rule, column_name, reason "
        "FROM quarantine ORDER BY source_row"
    ).fetchall()
    assert rows == [
        (
            "run-1",
            "testcity",
            "extract.csv",
            1,
            "A",
            UNIQUE,
            "request_id",
            'request_id "A" appears 2 times; kept the most recently updated version at '
            "extract.csv row 2 (updated_at 2024-01-03 09:00) and set this one aside "
            "(updated_at 2024-01-02 11:00); no action needed unless the extract should hold "
            "one row per request",
        ),
        (
            "run-1",
            "testcity",
            "extract.csv",
            3,
            "B",
            PAIR,
            "closed_at",
            "closed_at 2024-01-01 09:00 is before opened_at 2024-01-02 10:00; fix the source "
            "system's timestamps or correct the extract",
        ),
        (
            "run-1",
            "testcity",
            "extract.csv",
            4,
            "C",
            NOT_NULL,
            "opened_at",
            "opened_at is empty but every request needs it; fill it in the source system or "
            "map it in the city's source mapping",
        ),
        (
            "run-1",
            "testcity",
            "extract.csv",
            5,
            "D",
            IN_SET,
            "status",
            'status "bogus" is not one of open, closed, cancelled; map this raw value to one '
            "of them in the city's source mapping",
        ),
        (
            "run-1",
            "testcity",
            "extract.csv",
            8,
            "G",
            PAIR,
            "due_at",
            "due_at 2024-01-01 00:00 is before opened_at 2024-01-02 10:00; fix the source "
            "system's timestamps or correct the extract",
        ),
    ]
    remaining = con.execute(
        "SELECT request_id, source_row FROM stg_service_requests WHERE source_row < 100 "
        "ORDER BY source_row"
    ).fetchall()
    assert remaining == [("A", 2), ("E", 6), ("F", 7), ("H", 9)]
    (count,) = con.execute("SELECT count(*) FROM stg_service_requests").fetchall()[0]
    assert count == 295


def test_out_of_range_values_are_cleared_and_rows_kept(defect_run) -> None:
    con, report = defect_run
    # E loses latitude and longitude (2 values), F loses its zip (1 value).
    assert report.values_cleared == 3
    cleared = con.execute(
        "SELECT request_id, zip, latitude, longitude FROM stg_service_requests "
        "WHERE zip IS NULL OR latitude IS NULL OR longitude IS NULL ORDER BY request_id"
    ).fetchall()
    assert cleared == [("E", "10001", None, None), ("F", None, 40.7, -73.9)]


def test_stored_validation_results(defect_run) -> None:
    con, _ = defect_run
    stored = con.execute(
        "SELECT expectation_type, column_name, critical, success, element_count, "
        "unexpected_count FROM validation_results WHERE run_id = 'run-1' AND source = 'testcity' "
        "AND suite = 'service_requests' ORDER BY expectation_type, column_name"
    ).fetchall()
    assert stored == [
        (PAIR, "closed_at", False, False, 300, 1),
        (PAIR, "due_at", False, True, 300, 1),
        (BETWEEN, "latitude", False, True, 300, 1),
        (BETWEEN, "longitude", False, True, 300, 1),
        (BETWEEN, "opened_at", False, True, 300, 0),
        (BETWEEN, "updated_at", False, True, 300, 0),
        (IN_SET, "status", False, True, 300, 1),
        (UNIQUE, "request_id", False, True, 300, 2),
        (REGEX, "zip", False, True, 300, 1),
        (NOT_NULL, "opened_at", True, True, 300, 1),
        (NOT_NULL, "request_id", True, True, 300, 0),
        (NOT_NULL, "status", True, True, 300, 0),
        (NOT_NULL, "zip", False, True, 300, 0),
        (COLUMNS, None, True, True, 18, 0),
        (ROW_COUNT, None, True, True, 300, 0),
    ]
    details = dict(
        con.execute(
            "SELECT column_name, details FROM validation_results "
            "WHERE expectation_type = ? OR expectation_type = ?",
            [PAIR, BETWEEN],
        ).fetchall()
    )
    assert details["closed_at"].startswith(
        "1 of 3 checked value(s) failed (33.33%); tolerance mostly=0.99 exceeded; "
        "297 row(s) with NULLs not judged"
    )
    assert details["closed_at"].endswith("1 row(s) quarantined")
    assert (
        "e.g. (closed_at, opened_at) (2024-01-01 09:00, 2024-01-02 10:00)" in details["closed_at"]
    )
    assert details["latitude"].endswith(
        "2 value(s) of latitude, longitude cleared in 1 row(s) (rows kept)"
    )


def test_tiny_batches_aggregate_to_the_single_batch_counts() -> None:
    single, tiny = duckdb.connect(), duckdb.connect()
    _stage(single, DEFECT_ROWS)
    _stage(tiny, DEFECT_ROWS)
    one_batch = _validate(single)
    five_batches = _validate(tiny, batch_rows=2)
    assert _outcome_counts(five_batches) == _outcome_counts(one_batch)
    # 9 rows: the NULL opened_at is 11 % of the batch, so the critical rule fails either way.
    assert _outcome_counts(one_batch)[(NOT_NULL, "opened_at")] == (9, 1, False)
    assert _outcome_counts(one_batch)[(PAIR, "due_at")] == (9, 1, False)
    details = {o.column: o.details for o in five_batches.outcomes if o.expectation_type == NOT_NULL}
    assert "GE over 5 batch(es)" in details["opened_at"]
    for con in (single, tiny):
        quarantined = con.execute(
            "SELECT source_row, rule FROM quarantine ORDER BY source_row"
        ).fetchall()
        assert quarantined == [(1, UNIQUE), (3, PAIR), (4, NOT_NULL), (5, IN_SET), (8, PAIR)]


def test_duplicate_pair_split_across_batches_is_counted_table_wide() -> None:
    con = duckdb.connect()
    # Sorted by request_id the batches of two are [A, B(row 2)] and [B(row 3), C]: the pair
    # of B straddles the boundary, so no single GE batch sees it.
    rows = [
        (1, "A", None, None, None, None, None, None, None, None),
        (2, "B", None, None, None, None, "2024-01-03 08:00", None, None, None),
        (3, "B", None, None, None, None, "2024-01-02 08:00", None, None, None),
        (4, "C", None, None, None, None, None, None, None, None),
    ]
    _stage(con, rows)
    report = _validate(con, batch_rows=2)
    (unique,) = [o for o in report.outcomes if o.expectation_type == UNIQUE]
    assert (unique.element_count, unique.unexpected_count, unique.success) == (4, 2, False)
    assert "2 row(s) share 1 repeated value(s) (GE saw 0 within single batches)" in unique.details
    assert "GE over 2 batch(es)" in unique.details
    quarantined = con.execute("SELECT source_row, record_id, rule FROM quarantine").fetchall()
    assert quarantined == [(3, "B", UNIQUE)]  # row 2 was updated more recently and is kept


def test_half_the_rows_without_opened_at_fail_the_run() -> None:
    con = duckdb.connect()
    rows = [
        (1, "A", None, None, None, None, None, None, None, None),
        (2, "B", None, "NULL", None, None, None, None, None, None),
    ]
    _stage(con, rows)
    report = _validate(con)
    assert not report.passed
    assert report.failures_summary().splitlines() == [
        "expect_column_values_to_not_be_null on opened_at: 1 of 2 checked value(s) failed "
        "(50.00%); tolerance mostly=0.99 exceeded; GE over 1 batch(es); 1 row(s) quarantined"
    ]
    (stored,) = con.execute(
        "SELECT success FROM validation_results WHERE column_name = 'opened_at' "
        "AND expectation_type = ?",
        [NOT_NULL],
    ).fetchall()
    assert stored == (False,)


def test_row_count_above_max_rows_fails_the_run() -> None:
    con = duckdb.connect()
    _stage(con, [], clean_padding=3)
    report = _validate(con, parameters={**PARAMETERS, "min_rows": 1, "max_rows": 2})
    assert not report.passed
    assert report.failures_summary() == (
        "expect_table_row_count_to_be_between: 3 rows staged; the source mapping expects 1 to 2; "
        "check that the extract is complete and is the right file, or adjust the bounds"
    )
    assert report.rows_quarantined == 0


def test_wrong_staged_columns_fail_without_touching_rows() -> None:
    con = duckdb.connect()
    _stage(con, [], clean_padding=2)
    con.execute("ALTER TABLE stg_service_requests RENAME COLUMN zip TO postcode")
    report = _validate(con)
    assert not report.passed
    assert [o.expectation_type for o in report.outcomes] == [COLUMNS, ROW_COUNT]
    assert report.failures_summary().startswith(
        "expect_table_columns_to_match_set: missing columns ['zip'], unexpected columns "
        "['postcode']"
    )
    (count,) = con.execute("SELECT count(*) FROM stg_service_requests").fetchall()[0]
    assert count == 2


def test_suite_file_loads_in_ge_and_parameters_resolve() -> None:
    import great_expectations as gx
    import pandas as pd

    raw = json.loads(DEFAULT_SUITE.read_text(encoding="utf-8"))
    suite = gx.ExpectationSuite(**raw)
    assert suite.name == "service_requests"
    assert len(suite.expectations) == 15  # 14 + issue 14's updated_at bound
    for expectation in suite.expectations:
        assert expectation.meta["on_failure"] in {"quarantine", "clear_value", "report"}
    context = gx.get_context(mode="ephemeral")
    batch = (
        context.data_sources.add_pandas("t")
        .add_dataframe_asset("frame")
        .add_batch_definition_whole_dataframe("whole")
        .get_batch(batch_parameters={"dataframe": pd.DataFrame({"latitude": [0.0, 40.7]})})
    )
    (latitude,) = [e for e in suite.expectations if getattr(e, "column", None) == "latitude"]
    result = batch.validate(latitude, expectation_parameters=PARAMETERS)
    assert result.expectation_config.kwargs["min_value"] == 40.4
    assert result.expectation_config.kwargs["max_value"] == 41.0
    assert result.result["unexpected_count"] == 1


def test_missing_suite_parameters_are_named() -> None:
    con = duckdb.connect()
    _stage(con, [], clean_padding=1)
    parameters = {k: v for k, v in PARAMETERS.items() if k not in {"lat_min", "max_rows"}}
    with pytest.raises(ValidationConfigError, match=r"suite parameters lat_min, max_rows have no"):
        _validate(con, parameters=parameters)


def test_suite_errors_name_the_file_and_the_fix(tmp_path: Path) -> None:
    con = duckdb.connect()
    _stage(con, [], clean_padding=1)
    broken = tmp_path / "broken.json"
    broken.write_text('{\n  "name": "x",\n  "expectations": [,]\n}\n', encoding="utf-8")
    with pytest.raises(ValidationConfigError, match=r"broken\.json, line 3, column 20: invalid"):
        _validate(con, suite_path=broken)
    raw = json.loads(DEFAULT_SUITE.read_text(encoding="utf-8"))
    raw["expectations"][9]["kwargs"]["column"] = "lat"
    renamed = tmp_path / "renamed.json"
    renamed.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(ValidationConfigError, match=r"expectation #10: column 'lat' is not a"):
        _validate(con, suite_path=renamed)


def test_importing_the_package_does_not_import_great_expectations() -> None:
    code = "import sys\nimport pipelines.validate\nprint('great_expectations' in sys.modules)\n"
    probe = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    )
    assert probe.stdout.strip() == "False"


def test_accepts_the_loaders_quoted_name_after_a_partly_read_result() -> None:
    con = duckdb.connect()
    _stage(con, [(1, "A", None, None, None, None, None, "123", None, None)], clean_padding=1)
    # The loader passes '"stg_<source>"' and may leave a result read with fetchone().
    con.execute("SELECT * FROM range(3)").fetchone()
    report = validate_and_quarantine(
        con, '"stg_service_requests"', run_id="run-2", source="testcity", parameters=PARAMETERS
    )
    assert report.passed
    assert (report.rows_quarantined, report.values_cleared) == (0, 1)
    with pytest.raises(ValueError, match="must be an identifier"):
        validate_and_quarantine(
            con, "stg; DROP TABLE quarantine", run_id="r", source="s", parameters=PARAMETERS
        )


# Permits and inspections: the same machinery, driven by each kind's suite.
PERMITS_SUITE = PROJECT_ROOT / "expectations" / "permits.json"
INSPECTIONS_SUITE = PROJECT_ROOT / "expectations" / "inspections.json"


def _stage_kind(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict]) -> None:
    """stg_<table> with the canonical columns of that table and the given rows."""
    create_schema(con)
    con.execute(f"CREATE TABLE stg_{table} AS SELECT * FROM {table} LIMIT 0")
    for i, row in enumerate(rows, 1):
        values = {"source": "testcity", "source_file": "extract.csv", "source_row": i, **row}
        names = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        con.execute(f"INSERT INTO stg_{table} ({names}) VALUES ({marks})", list(values.values()))


def test_permits_suite_quarantines_timeline_breaks_and_clears_fees_and_places() -> None:
    con = duckdb.connect()
    ok = {"status": "issued", "applied_at": "2024-01-02 09:00", "issued_at": "2024-01-05 09:00"}
    _stage_kind(
        con,
        "permits",
        [
            {"permit_id": "P1", **ok, "fee": 25.0, "zip": "19103"},  # clean
            {"permit_id": "P2", **ok, "issued_at": "2024-01-01 09:00"},  # issued < applied
            {"permit_id": "P3", **ok, "completed_at": "2024-01-04 00:00"},  # completed < issued
            {"permit_id": "P4", **ok, "fee": -5.0},  # negative fee: cleared, row kept
            {"permit_id": "P5", **ok, "latitude": 0.0, "longitude": 0.0},  # 0,0: cleared
            {"permit_id": "P6", **ok, "status": "open"},  # a 311 word, not a permits status
            {"permit_id": None, **ok},  # no id
            {"permit_id": "P8", **ok, "zip": "1910"},  # malformed zip: cleared
            {"permit_id": "P9", **ok, "issued_at": None},  # no issue date: pair not judged
        ],
    )
    report = validate_and_quarantine(
        con,
        "stg_permits",
        run_id="run-1",
        source="testcity",
        parameters=PARAMETERS,
        suite_path=PERMITS_SUITE,
    )
    # One NULL id in 9 rows is 11%, more than the 1% mostly=0.99 tolerates: the critical
    # not-null rule stops publication (and the row is quarantined all the same).
    assert not report.passed
    assert [o.column for o in report.critical_failures] == ["permit_id"]
    quarantined = con.execute(
        "SELECT source_row, record_id, rule, column_name FROM quarantine ORDER BY source_row"
    ).fetchall()
    assert quarantined == [
        (2, "P2", PAIR, "issued_at"),
        (3, "P3", PAIR, "completed_at"),
        (6, "P6", IN_SET, "status"),
        (7, None, NOT_NULL, "permit_id"),
    ]
    kept = con.execute(
        "SELECT permit_id, fee, latitude, zip FROM stg_permits ORDER BY permit_id"
    ).fetchall()
    assert kept == [
        ("P1", 25.0, None, "19103"),
        ("P4", None, None, None),
        ("P5", None, None, None),
        ("P8", None, None, None),
        ("P9", None, None, None),
    ]
    (reason,) = con.execute("SELECT reason FROM quarantine WHERE record_id = 'P2'").fetchall()[0]
    assert reason == (
        "issued_at 2024-01-01 09:00 is before applied_at 2024-01-02 09:00; fix the source "
        "system's timestamps or correct the extract"
    )
    (reason,) = con.execute("SELECT reason FROM quarantine WHERE source_row = 7").fetchall()[0]
    assert reason.startswith("permit_id is empty but every permit needs it")


def test_inspections_suite_keeps_the_inspection_but_clears_an_early_correction() -> None:
    con = duckdb.connect()
    ok = {
        "status": "closed",
        "received_at": "2024-01-02 09:00",
        "first_inspected_at": "2024-01-03 09:00",
    }
    _stage_kind(
        con,
        "inspections",
        [
            {"case_id": "C1", **ok, "corrected_at": "2024-01-10 00:00"},  # clean
            {"case_id": "C2", **ok, "corrected_at": "2024-01-01 00:00"},  # corrected < inspected
            {"case_id": "C3", **ok, "first_inspected_at": "2024-01-01 09:00"},  # before received
            {"case_id": "C4", **ok, "received_at": None},  # routine: no complaint received
            {"case_id": "C1", **ok, "updated_at": "2024-02-01 00:00"},  # newer version of C1
        ],
    )
    report = validate_and_quarantine(
        con,
        "stg_inspections",
        run_id="run-1",
        source="testcity",
        parameters=PARAMETERS,
        suite_path=INSPECTIONS_SUITE,
    )
    quarantined = con.execute(
        "SELECT source_row, record_id, rule, column_name FROM quarantine ORDER BY source_row"
    ).fetchall()
    # C1 row 1 loses to row 5 (the most recently updated version); C3 breaks a rule. C4 is
    # a routine inspection: received_at is optional (issue 14), so it is kept.
    assert quarantined == [
        (1, "C1", UNIQUE, "case_id"),
        (3, "C3", PAIR, "first_inspected_at"),
    ]
    kept = con.execute(
        "SELECT case_id, source_row, corrected_at FROM stg_inspections ORDER BY case_id"
    ).fetchall()
    # C2's early correction date cleared
    assert kept == [("C1", 5, None), ("C2", 2, None), ("C4", 4, None)]
    counts = _outcome_counts(report)
    assert counts[(PAIR, "corrected_at")] == (5, 1, False)
    assert report.critical_failures == []


def test_a_suite_for_an_unknown_table_is_refused(tmp_path: Path) -> None:
    con = duckdb.connect()
    _stage(con, [], clean_padding=1)
    raw = json.loads(PERMITS_SUITE.read_text(encoding="utf-8"))
    raw["name"] = "licenses"
    del raw["meta"]["canonical_table"]
    odd = tmp_path / "licenses.json"
    odd.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(ValidationConfigError, match=r"set meta\.canonical_table to one of"):
        _validate(con, suite_path=odd)


def test_a_permits_suite_naming_a_311_column_is_refused(tmp_path: Path) -> None:
    con = duckdb.connect()
    _stage(con, [], clean_padding=1)
    raw = json.loads(PERMITS_SUITE.read_text(encoding="utf-8"))
    raw["expectations"][2]["kwargs"]["column"] = "request_id"
    odd = tmp_path / "permits.json"
    odd.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(
        ValidationConfigError, match=r"#3: column 'request_id' is not a canonical permits column"
    ):
        _validate(con, suite_path=odd)
