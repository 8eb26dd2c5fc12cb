"""Loader formats by configuration: OData JSON, padded headers, money, NA, Latin-1, joins,
derived ids, statuses and due times. Every expected value is worked out by hand from the tiny
inline fixture of its test (the comments say how)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest import extract
from pipelines.ingest.mapping import SourceMapping, column_coverage
from pipelines.warehouse.schema import create_schema

BOX = {"lat_min": 39, "lat_max": 41, "lon_min": -76, "lon_max": -74}


def _mapping(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **spec: object) -> SourceMapping:
    monkeypatch.setenv("CITYSTAT_DATA_DIR", str(tmp_path))
    base: dict[str, object] = {
        "source": "town",
        "title": "Town",
        "city": "Town",
        "timezone": "America/New_York",
        "bounds": BOX,
    }
    return SourceMapping.model_validate({**base, **spec})


# Whether _load types CSV rows as it reads them (the run's way) or reads text, then stages.
TYPED_READ = False


@pytest.fixture(autouse=True, params=[False, True], ids=["text-read", "typed-read"])
def _read_both_ways(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every format must stage the same whichever way the loader reads it."""
    monkeypatch.setitem(globals(), "TYPED_READ", request.param)


def _load(mapping: SourceMapping) -> tuple[duckdb.DuckDBPyConnection, list[extract.FileCount]]:
    con = duckdb.connect()
    create_schema(con)
    files = extract.resolve_files(mapping)
    counts = extract.read_raw(con, mapping, files, "run1", typed=TYPED_READ)
    extract.stage(con, mapping, "run1")
    return con, counts


def _rows(con: duckdb.DuckDBPyConnection, columns: str) -> list[tuple]:
    return con.execute(
        f'SELECT {columns} FROM "stg_town" ORDER BY source_file, source_row'
    ).fetchall()


def _page(records: list[dict]) -> str:
    return json.dumps({"d": {"results": records, "__count": len(records)}})


ODATA = {
    "kind": "permits",
    "files": {"pattern": "pages/permits.*.json"},
    "format": "json",
    "json": {"records": "d.results"},
    "timestamps": {"formats": ["odata_epoch_ms"]},
    "columns": {
        "permit_id": "permit_number",
        "status": "status",
        "issued_at": "issued_datetime",
        "zip": "locations.zip",
        "council_district": "locations.council_district",
    },
    "statuses": {"ACTIVE": "issued", "COMPLETED": "completed"},
}


def test_odata_pages_form_one_extract_with_nested_fields_and_epoch_dates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    # 1365754380000 ms = 1365754380 s after 1970-01-01 UTC = 2013-04-12 08:13:00 UTC; Eastern
    # Daylight Time is UTC-4 in April, so 04:13 in Philadelphia.
    # 1358000000000 ms = 2013-01-12 14:13:20 UTC; EST is UTC-5 in January: 09:13:20.
    (pages / "permits.001.json").write_text(
        _page(
            [
                {
                    "permit_number": "P1",
                    "status": "ACTIVE",
                    "issued_datetime": "/Date(1365754380000)/",
                    "locations": {"zip": "19128-5018", "council_district": "04"},
                },
                {"permit_number": "P2", "status": "COMPLETED", "issued_datetime": None},
            ]
        ),
        encoding="utf-8",
    )
    (pages / "permits.002.json").write_text(
        _page(
            [
                {
                    "permit_number": "P3",
                    "status": "COMPLETED",
                    "issued_datetime": "/Date(1358000000000)/",
                    "locations": {"zip": "19103", "council_district": "10"},
                },
                {"permit_number": "P4", "status": "ACTIVE", "issued_datetime": "yesterday"},
            ]
        ),
        encoding="utf-8",
    )
    con, counts = _load(_mapping(tmp_path, monkeypatch, **ODATA))
    assert counts == [
        extract.FileCount("permits.001.json", rows_read=2, rows_rejected=0),
        extract.FileCount("permits.002.json", rows_read=2, rows_rejected=0),
    ]
    got = _rows(
        con, "permit_id, status, CAST(issued_at AS VARCHAR), zip, council_district, source_row"
    )
    assert got == [
        ("P1", "issued", "2013-04-12 04:13:00", "19128", "4", 1),
        ("P2", "completed", None, None, None, 2),  # no locations object: NULL, not an error
        ("P3", "completed", "2013-01-12 09:13:20", "19103", "10", 1),  # record 1 of page 2
    ]
    (reason,) = con.execute("SELECT reason FROM quarantine WHERE record_id = 'P4'").fetchall()[0]
    assert reason.startswith("issued_at (raw field issued_datetime) value 'yesterday'")


def test_odata_local_token_reads_the_clock_as_city_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "permits.001.json").write_text(
        _page(
            [
                {
                    "permit_number": "P1",
                    "status": "ACTIVE",
                    "issued_datetime": "/Date(1365754380000)/",
                }
            ]
        ),
        encoding="utf-8",
    )
    columns = {"permit_id": "permit_number", "status": "status", "issued_at": "issued_datetime"}
    spec = {**ODATA, "columns": columns, "timestamps": {"formats": ["odata_epoch_ms_local"]}}
    con, _ = _load(_mapping(tmp_path, monkeypatch, **spec))
    assert _rows(con, "CAST(issued_at AS VARCHAR)") == [("2013-04-12 08:13:00",)]


def test_json_records_path_and_missing_fields_are_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pages").mkdir()
    page = tmp_path / "pages" / "permits.001.json"
    page.write_text(json.dumps({"results": []}), encoding="utf-8")
    with pytest.raises(extract.LoadError, match=r"permits\.001\.json: no array of records at json"):
        _load(_mapping(tmp_path, monkeypatch, **ODATA))
    page.write_text(_page([{"permit_number": "P1", "status": "ACTIVE"}]), encoding="utf-8")
    with pytest.raises(extract.LoadError, match=r"no record has the field\(s\) issued_datetime, "):
        _load(_mapping(tmp_path, monkeypatch, **ODATA))


CHICAGO_LIKE = {
    "kind": "permits",
    "files": {"pattern": "permits.csv"},
    "timestamps": {"formats": ["%m/%d/%Y"]},
    "columns": {"permit_id": "PERMIT#", "issued_at": "ISSUE_DATE", "fee": "TOTAL_FEE"},
    "status_from": [{"when": "issued_at", "status": "issued"}, {"status": "in_review"}],
}


def test_padded_headers_money_text_and_status_from_dates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "permits.csv").write_text(
        "PERMIT#,         ISSUE_DATE,    TOTAL_FEE\n"
        "1,03/22/2016,$525.00\n"
        '2,,"$1,200.50"\n'
        "3,03/25/2016,\n"
        "4,03/25/2016,twenty dollars\n",
        encoding="utf-8",
    )
    con, counts = _load(_mapping(tmp_path, monkeypatch, **CHICAGO_LIKE))
    assert counts[0].rows_read == 4
    # "$1,200.50" -> strip "$" and "," -> 1200.50; permit 2 has no issue date -> in_review.
    assert _rows(con, "permit_id, status, fee, status_raw") == [
        ("1", "issued", 525.0, None),
        ("2", "in_review", 1200.5, None),
        ("3", "issued", None, None),
    ]
    (row,) = con.execute("SELECT source_row, column_name, reason FROM quarantine").fetchall()
    assert row == (
        5,
        "fee",
        "fee (raw column TOTAL_FEE) value 'twenty dollars' does not parse; "
        "correct the value or leave it blank",
    )


def test_null_strings_latin1_crlf_and_compact_dates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Latin-1 "Ñ" is the single byte 0xD1; CRLF line ends; "NA" stands for null.
    (tmp_path / "inspections.csv").write_bytes(
        (
            "id,date,facility,result\r\n1,20171211,TROPISUEÑO,Pass\r\n2,20160513,NA,No Entry\r\n"
        ).encode("latin-1")
    )
    spec = {
        "kind": "inspections",
        "files": {"pattern": "inspections.csv"},
        "csv": {"encoding": "latin-1", "null_strings": ["NA", ""]},
        "timestamps": {"formats": ["%Y%m%d"]},
        "columns": {
            "case_id": "id",
            "received_at": "date",
            "case_type": "facility",
            "status": "result",
        },
        "statuses": {"Pass": "closed", "No Entry": "open"},
    }
    con, _ = _load(_mapping(tmp_path, monkeypatch, **spec))
    assert _rows(con, "case_id, CAST(received_at AS VARCHAR), case_type, status, source_row") == [
        ("1", "2017-12-11 00:00:00", "TROPISUEÑO", "closed", 2),
        ("2", "2016-05-13 00:00:00", None, "open", 3),
    ]


def test_unmapped_status_is_quarantined_naming_the_mapping_and_the_kinds_vocabulary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "permits.csv").write_text("id,state\nA,ISSUED\nB,ON HOLD\n", encoding="utf-8")
    spec = {
        "kind": "permits",
        "files": {"pattern": "permits.csv"},
        "timestamps": {"formats": ["%Y-%m-%d"]},
        "columns": {"permit_id": "id", "status": "state"},
        "statuses": {"Issued": "issued"},
    }
    con, _ = _load(_mapping(tmp_path, monkeypatch, **spec))
    assert _rows(con, "permit_id, status, status_raw") == [("A", "issued", "ISSUED")]
    (reason,) = con.execute("SELECT reason FROM quarantine WHERE record_id = 'B'").fetchall()[0]
    assert reason == (
        "status value 'ON HOLD' is not in the statuses of pipelines/sources/town.yml; "
        "map it to one of in_review, issued, completed, expired, cancelled"
    )


SF_LIKE = {
    "kind": "inspections",
    "files": {"pattern": "sf/inspections.csv"},
    "timestamps": {"formats": ["%Y%m%d"]},
    "id_from": ["business_id", "date"],
    "columns": {
        "received_at": "date",
        "first_inspected_at": "date",
        "corrected_at": "violations.corrected",
        "outcome": "violations.violations",
        "zip": "businesses.postal_code",
    },
    "status_from": [{"status": "closed"}],
    "joins": [
        {
            "name": "businesses",
            "files": {"pattern": "sf/businesses.csv"},
            "csv": {"encoding": "latin-1"},
            "on": {"business_id": "business_id"},
        },
        {
            "name": "violations",
            "files": {"pattern": "sf/violations.csv"},
            "on": {"business_id": "business_id", "date": "date"},
            "aggregate": {
                "corrected": {
                    "max_of": "description",
                    "extract": r"date violation corrected: (\d{2}/\d{2}/\d{4})",
                    "format": "%m/%d/%Y",
                },
                "violations": {"count": True},
            },
        },
    ],
}


def test_joined_files_give_zip_latest_correction_and_counts_and_report_orphans(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sf = tmp_path / "sf"
    sf.mkdir()
    (sf / "inspections.csv").write_text(
        '"business_id","date"\r\n10,"20171201"\r\n10,"20180105"\r\n20,"20171201"\r\n',
        encoding="utf-8",
    )
    # Business 20 is listed twice: the first line (94103) is used and the repeat reported.
    (sf / "businesses.csv").write_bytes(
        "business_id,postal_code\r\n10,94110\r\n20,94103\r\n20,94999\r\n30,94102\r\n".encode(
            "latin-1"
        )
    )
    (sf / "violations.csv").write_text(
        "business_id,date,description\n"
        # Inspection 10/20171201: corrected 12/05/2017 and 02/01/2018. As text "12/05/2017" is
        # the larger, as dates 2018-02-01 is the later: the aggregate must compare dates.
        '10,20171201,"Vermin [ date violation corrected: 12/05/2017 ]"\n'
        '10,20171201,"Floors [ date violation corrected: 02/01/2018 ]"\n'
        '10,20171201,"Signage"\n'
        # Inspection 10/20180105: one violation, never corrected -> corrected_at NULL.
        '10,20180105,"Signage"\n'
        # Two violations of inspections that are not in inspections.csv.
        '10,20170101,"Old [ date violation corrected: 01/02/2017 ]"\n'
        '99,20171201,"Unknown business"\n',
        encoding="utf-8",
    )
    mapping = _mapping(tmp_path, monkeypatch, **SF_LIKE)
    con, counts = _load(mapping)
    assert counts == [extract.FileCount("inspections.csv", rows_read=3, rows_rejected=0)]
    assert _rows(con, "case_id, CAST(corrected_at AS VARCHAR), outcome, zip, status") == [
        ("10-20171201", "2018-02-01 00:00:00", "3", "94110", "closed"),
        ("10-20180105", None, "1", "94110", "closed"),
        ("20-20171201", None, None, "94103", "closed"),  # no violations: no count either
    ]
    messages = extract.join_messages(con, "run1", "town")
    # businesses: 4 rows, business 30 has no inspection; violations: 6 rows, 2 orphans.
    assert messages[0].startswith("1 businesses match no inspection (on business_id); of 4 rows")
    assert "1 key(s) appear more than once; the first line of each is used" in messages[0]
    assert messages[1].startswith(
        "2 violations match no inspection (on business_id, date); of 6 rows read from "
        "violations.csv, these are not input rows of inspections"
    )
    stored = con.execute(
        "SELECT suite, success, element_count, unexpected_count FROM validation_results "
        "ORDER BY suite"
    ).fetchall()
    assert stored == [("join businesses", False, 4, 1), ("join violations", False, 6, 2)]


def test_a_joined_column_missing_from_its_file_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sf = tmp_path / "sf"
    sf.mkdir()
    (sf / "inspections.csv").write_text("business_id,date\n10,20171201\n", encoding="utf-8")
    (sf / "businesses.csv").write_text("business_id,zip\n10,94110\n", encoding="utf-8")
    (sf / "violations.csv").write_text("business_id,date,description\n", encoding="utf-8")
    with pytest.raises(
        extract.LoadError, match=r"businesses\.csv: column\(s\) postal_code named by join"
    ):
        _load(_mapping(tmp_path, monkeypatch, **SF_LIKE))


DUE = {
    "kind": "permits",
    "files": {"pattern": "permits.csv"},
    "timestamps": {"formats": ["%Y-%m-%d %H:%M"]},
    "columns": {
        "permit_id": "id",
        "status": "state",
        "permit_type": "type",
        "applied_at": "applied",
    },
    "statuses": {"IN REVIEW": "in_review"},
}


def _due_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rule: dict) -> list[tuple]:
    # 2024-03-01 is a Friday, 2024-03-02 a Saturday, 2024-03-04 a Monday.
    (tmp_path / "permits.csv").write_text(
        "id,state,type,applied\n"
        "A,IN REVIEW,Electrical,2024-03-01 10:00\n"
        "B,IN REVIEW,BUILDING,2024-03-02 09:30\n"
        "C,IN REVIEW,SIGN,2024-03-04 08:00\n"
        "D,IN REVIEW,BUILDING,\n",
        encoding="utf-8",
    )
    con, _ = _load(_mapping(tmp_path, monkeypatch, **DUE, due_rules=[rule]))
    return _rows(con, "permit_id, CAST(review_due_at AS VARCHAR)")


def test_due_rules_add_business_days_by_key_with_a_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rule = {
        "target": "review_due_at",
        "start": "applied_at",
        "key": "permit_type",
        "days": {"ELECTRICAL": 1, "BUILDING": 6, "default": 4},
        "business_days": True,
    }
    assert _due_rows(tmp_path, monkeypatch, rule) == [
        # Fri 10:00 + 1 business day (Mon) = Mon 03-04 10:00 (the key matches case-blind).
        ("A", "2024-03-04 10:00:00"),
        # Sat + 6: Mon 1, Tue 2, Wed 3, Thu 4, Fri 5, next Mon 6 = 03-11, time kept.
        ("B", "2024-03-11 09:30:00"),
        # SIGN is not listed: default 4. Mon + 4 = Fri 03-08.
        ("C", "2024-03-08 08:00:00"),
        ("D", None),  # no application date, no due time
    ]


def test_due_rules_in_calendar_days_and_without_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rule = {
        "target": "review_due_at",
        "start": "applied_at",
        "key": "permit_type",
        "days": {"BUILDING": 6, "electrical": 0},
    }
    assert _due_rows(tmp_path, monkeypatch, rule) == [
        ("A", "2024-03-01 10:00:00"),  # 0 days: due at application
        ("B", "2024-03-08 09:30:00"),  # Sat 03-02 + 6 calendar days
        ("C", None),  # SIGN unknown and no default
        ("D", None),
    ]


def test_business_days_across_every_weekday_against_a_step_by_step_count() -> None:
    """The SQL closed form agrees with stepping day by day (weekends skipped) for 0-12 days."""
    from datetime import datetime, timedelta

    from pipelines.ingest.staging import add_business_days

    con = duckdb.connect()
    got = con.execute(
        f"SELECT d, n, {add_business_days('d', 'n')} FROM "
        "(SELECT TIMESTAMP '2024-03-04 09:00' + to_days(CAST(i AS INTEGER)) AS d "
        "FROM range(7) t(i)) CROSS JOIN (SELECT CAST(n AS INTEGER) AS n FROM range(13) u(n)) "
        "ORDER BY d, n"
    ).fetchall()
    for start, n, due in got:
        # Counting from a weekend starts as if from the Friday before.
        cursor = start - timedelta(days=max(0, start.isoweekday() - 5))
        counted = 0
        while counted < n:
            cursor += timedelta(days=1)
            counted += cursor.isoweekday() <= 5
        expected = start if n == 0 else cursor
        assert due == expected, (start, n)
        assert isinstance(due, datetime)


def test_column_coverage_marks_what_the_source_fills(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mapping = _mapping(tmp_path, monkeypatch, **CHICAGO_LIKE)
    coverage = column_coverage(mapping)
    assert set(coverage) == set(mapping.table.columns)
    filled = {c for c, ok in coverage.items() if ok}
    # status comes from status_from (so no status_raw); no applied_at, no due rule.
    assert filled == {
        "permit_id",
        "issued_at",
        "fee",
        "status",
        "source",
        "source_file",
        "source_row",
    }
    due = _mapping(
        tmp_path,
        monkeypatch,
        **DUE,
        due_rules=[
            {
                "target": "review_due_at",
                "start": "applied_at",
                "key": "permit_type",
                "days": {"A": 1},
            }
        ],
    )
    assert column_coverage(due)["review_due_at"] and column_coverage(due)["status_raw"]
    assert extract.column_coverage is column_coverage
