"""Real permit and inspection extracts from ../shared/data/real load with every row accounted
for, and spot values agree with the raw files worked out by hand.

Rows read are counted independently of DuckDB (Python's json and csv modules); each extract
is read, staged and validated with its kind's suite exactly as a run does, file by file.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest import extract
from pipelines.ingest.mapping_files import load_source
from pipelines.validate import ValidationReport, validate_and_quarantine
from pipelines.warehouse.layout import EXPECTATIONS_DIR, in_city
from pipelines.warehouse.schema import create_schema
from tests.real_cities import city_of

pytestmark = [pytest.mark.realdata, pytest.mark.slow]


@dataclass
class Loaded:
    """One real source loaded into an in-memory warehouse."""

    con: duckdb.DuckDBPyConnection
    read: int
    staged: int
    quarantined: int
    rejected: int
    reports: list[ValidationReport]
    staged_rows: list[tuple]


def _load(source: str) -> Loaded:
    """Read, stage and validate each main file in turn; keep the staged rows of all files."""
    with in_city(city_of(source)):  # the real city whose mappings hold the source
        return _load_in_city(source)


def _load_in_city(source: str) -> Loaded:
    mapping = load_source(source)
    con = duckdb.connect()
    create_schema(con)
    read = rejected = 0
    reports: list[ValidationReport] = []
    rows: list[tuple] = []
    for path in extract.resolve_files(mapping):
        counts = extract.read_raw(con, mapping, [path], "run1")
        extract.stage(con, mapping, "run1")
        reports.append(
            validate_and_quarantine(
                con,
                extract.staged_table(mapping),
                run_id="run1",
                source=source,
                parameters=mapping.validation_parameters(),
                suite_path=EXPECTATIONS_DIR / f"{mapping.kind}.json",
            )
        )
        extract.apply_district_lookup(con, mapping)
        read += sum(c.rows_read for c in counts)
        rejected += sum(c.rows_rejected for c in counts)
        # The canonical columns, not the staged UTC twins of the timestamps (working columns).
        canonical = ", ".join(f'"{c}"' for c in mapping.table.columns)
        rows += con.execute(f"SELECT {canonical} FROM {extract.staged_table(mapping)}").fetchall()
    (quarantined,) = con.execute(
        "SELECT count(DISTINCT (source_file, source_row)) FROM quarantine "
        "WHERE rule <> 'csv_reader_rejected'"
    ).fetchall()[0]
    return Loaded(con, read, len(rows), int(quarantined), rejected, reports, rows)


def _csv_records(path: Path, encoding: str = "utf-8") -> list[dict[str, str]]:
    with path.open(newline="", encoding=encoding) as handle:
        return list(csv.DictReader(handle))


def _columns(source: str) -> list[str]:
    with in_city(city_of(source)):
        return list(load_source(source).table.columns)


def _by_id(loaded: Loaded, source: str) -> dict[str, dict[str, object]]:
    names = _columns(source)
    return {str(row[0]): dict(zip(names, row, strict=True)) for row in loaded.staged_rows}


@pytest.fixture(scope="module")
def philadelphia(real_data: Path) -> Loaded:
    return _load("philadelphia_permits")


def test_philadelphia_permits_reconcile(real_data: Path, philadelphia: Loaded) -> None:
    pages = sorted((real_data / "philadelphia_permits").glob("permits.*.json"))
    records = [len(json.loads(page.read_text(encoding="utf-8"))["d"]["results"]) for page in pages]
    assert (len(pages), sum(records)) == (10, 10_000)
    assert philadelphia.read == 10_000
    assert philadelphia.read == (
        philadelphia.staged + philadelphia.quarantined + philadelphia.rejected
    )
    assert all(report.passed for report in philadelphia.reports)


def test_philadelphia_epoch_dates_become_philadelphia_time(
    real_data: Path, philadelphia: Loaded
) -> None:
    first = json.loads((real_data / "philadelphia_permits" / "permits.001.json").read_text())
    record = first["d"]["results"][0]
    assert record["issued_datetime"] == "/Date(1365754380000)/"
    assert record["locations"]["zip"] == "19128-5018"
    # 1365754380 s = 15807 days (to 2013-04-12) + 29580 s = 08:13:00 on the city's clock: the
    # service wrote wall-clock time as if it were UTC (see the mapping's comment).
    assert 1365754380 == 15807 * 86400 + 8 * 3600 + 13 * 60
    permit = _by_id(philadelphia, "philadelphia_permits")[record["permit_number"]]
    assert permit["issued_at"] == datetime(2013, 4, 12, 8, 13)
    assert (permit["zip"], permit["council_district"], permit["status"]) == (
        "19128",
        "4",  # "04" in the file
        "completed",
    )
    assert permit["applied_at"] is None  # the extract has no application date


def test_philadelphia_permits_are_issued_in_office_hours(philadelphia: Loaded) -> None:
    # The evidence for reading /Date(ms)/ as wall-clock time: L&I issues permits by day.
    issued = [p["issued_at"] for p in _by_id(philadelphia, "philadelphia_permits").values()]
    hours = [when.hour for when in issued if isinstance(when, datetime)]
    assert len(hours) == len(issued)
    in_office_hours = sum(7 <= hour < 18 for hour in hours)
    assert in_office_hours / len(hours) > 0.95


def test_chicago_permits_reconcile_with_money_fees(real_data: Path) -> None:
    rows = _csv_records(real_data / "chicago_permits" / "Building_Permits.csv")
    assert len(rows) == 441
    loaded = _load("chicago_permits")
    assert loaded.read == 441 == loaded.staged + loaded.quarantined + loaded.rejected
    permits = _by_id(loaded, "chicago_permits")
    raw = next(r for r in rows if r["PERMIT#"] == "100388985")
    assert raw["    TOTAL_FEE"] == "$131518.83"  # header padded with spaces in the file
    assert permits["100388985"]["fee"] == 131518.83
    no_issue_date = [r["PERMIT#"] for r in rows if not r["         ISSUE_DATE"].strip()]
    assert len(no_issue_date) == 4
    assert {permits[p]["status"] for p in no_issue_date if p in permits} <= {"in_review"}


@pytest.fixture(scope="module")
def san_francisco(real_data: Path) -> Loaded:
    return _load("sf_inspections")


def test_sf_inspections_reconcile_and_report_orphan_violations(
    real_data: Path, san_francisco: Loaded
) -> None:
    folder = real_data / "sf_inspections"
    inspections = _csv_records(folder / "inspections.csv")
    violations = _csv_records(folder / "violations.csv")
    keys = {(r["business_id"], r["date"]) for r in inspections}
    orphans = sum(1 for v in violations if (v["business_id"], v["date"]) not in keys)
    assert (len(inspections), orphans) == (14_233, 932)
    assert san_francisco.read == 14_233
    assert san_francisco.read == (
        san_francisco.staged + san_francisco.quarantined + san_francisco.rejected
    )
    # Three (business_id, date) pairs appear twice: the second of each is set aside.
    assert san_francisco.quarantined == 3
    (message,) = [
        m for m in extract.join_messages(san_francisco.con, "run1", "sf_inspections") if "viol" in m
    ]
    assert message.startswith("932 violations match no inspection (on business_id, date)")


def test_sf_days_to_correct_from_the_violation_text(real_data: Path, san_francisco: Loaded) -> None:
    # Business 194, inspection 2017-09-19: its violations say "date violation corrected:
    # 10/10/2017" (four) and "10/17/2017" (two); all were corrected on 2017-10-17, which is
    # 11 days to the end of September + 17 = 28 days after the inspection.
    violations = [
        v["description"]
        for v in _csv_records(real_data / "sf_inspections" / "violations.csv")
        if (v["business_id"], v["date"]) == ("194", "20170919")
    ]
    assert sum("corrected: 10/17/2017" in v for v in violations) == 2
    case = _by_id(san_francisco, "sf_inspections")["194-20170919"]
    assert case["corrected_at"] == datetime(2017, 10, 17)
    assert case["first_inspected_at"] == datetime(2017, 9, 19)
    assert (case["corrected_at"] - case["first_inspected_at"]).days == 28  # type: ignore[operator]
    business = next(
        b
        for b in _csv_records(real_data / "sf_inspections" / "businesses.csv", "latin-1")
        if b["business_id"] == "194"
    )
    assert case["zip"] == business["postal_code"]


def test_chicago_food_inspections_reconcile_with_na_as_null(real_data: Path) -> None:
    rows = _csv_records(real_data / "chicago_inspections" / "Food_Inspections.csv")
    assert len(rows) == 342
    loaded = _load("chicago_food_inspections")
    assert loaded.read == 342 == loaded.staged + loaded.quarantined + loaded.rejected
    cases = _by_id(loaded, "chicago_food_inspections")
    na_facility = [r["ID"] for r in rows if r["FacilityType"] == "NA"]
    assert len(na_facility) == 2
    assert all(cases[i]["case_type"] is None for i in na_facility)
    not_inspected = {r["ID"] for r in rows if r["Results"] in ("No Entry", "Not Ready")}
    assert len(not_inspected) == 20  # 14 No Entry + 6 Not Ready
    assert {i for i, c in cases.items() if c["status"] == "open"} == not_inspected
    assert cases["2365442"]["outcome"] == "No Entry"
