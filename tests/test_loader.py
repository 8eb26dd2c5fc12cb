"""Loader: reading extracts as text, typing them, and accounting for every row."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines.ingest import extract
from pipelines.ingest.mapping import SourceMapping
from pipelines.warehouse.schema import create_schema

HEADER = "id,opened,closed,state,zipcode,lat,lon,district\n"


def _mapping(**overrides: object) -> SourceMapping:
    spec: dict[str, object] = {
        "source": "testcity",
        "title": "Test city",
        "city": "Testville",
        "files": {"pattern": "unused.csv"},
        "timezone": "America/New_York",
        "timestamps": {"formats": ["%Y-%m-%d %H:%M:%S", "%m/%d/%Y %I:%M %p"]},
        "columns": {
            "request_id": "id",
            "opened_at": "opened",
            "closed_at": "closed",
            "status": "state",
            "zip": "zipcode",
            "latitude": "lat",
            "longitude": "lon",
            "council_district": "district",
        },
        "constants": {"channel": "Phone"},
        "statuses": {"Open": "open", "CLOSED": "closed", "Cancelled": "cancelled"},
        "bounds": {"lat_min": 39, "lat_max": 41, "lon_min": -76, "lon_max": -74},
    }
    spec.update(overrides)
    return SourceMapping.model_validate(spec)


def _load(tmp_path: Path, body: str, mapping: SourceMapping | None = None):
    path = tmp_path / "extract.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    con = duckdb.connect()
    create_schema(con)
    m = mapping or _mapping()
    counts = extract.read_raw(con, m, [path], "run1")
    staged = extract.stage(con, m, "run1")
    return con, counts, staged


def test_types_and_normalises_values(tmp_path: Path) -> None:
    con, counts, staged = _load(
        tmp_path,
        "A1,2024-03-01 08:00:00,03/02/2024 09:30 AM,closed,2128.0,40.1,-75.1,3.0\n"
        "A2,2024-03-01 09:00:00,,Open,19103-1234,,,\n",
    )
    assert counts == [extract.FileCount("extract.csv", rows_read=2, rows_rejected=0)]
    assert staged == 2
    rows = con.execute(
        "SELECT request_id, status, status_raw, closed_at, zip, council_district, channel, "
        'source, source_row FROM "stg_testcity" ORDER BY request_id'
    ).fetchall()
    a1, a2 = rows
    # Lower-case "closed" matches the mapping's "CLOSED"; 12-hour time parses with the 2nd format.
    assert a1[1:3] == ("closed", "closed")
    assert str(a1[3]) == "2024-03-02 09:30:00"
    assert a1[4] == "02128"  # float zip with its New England leading zero restored
    assert a1[5] == "3"
    assert a1[6:9] == ("Phone", "testcity", 2)
    assert a2[4] == "19103"  # ZIP+4 cut to five digits
    assert a2[8] == 3


def test_only_a_district_that_is_a_number_loses_its_zero_padding(tmp_path: Path) -> None:
    # New York's 311 writes community boards "01 BRONX", exactly as its boundary file's
    # community_board property does: a label, kept as written, not a padded number.
    con, _, _ = _load(
        tmp_path,
        "".join(
            f"D{i},2024-03-01 08:00:00,,Open,19103,,,{district}\n"
            for i, district in enumerate(
                ["03", "00", "0", "007", "03.0", "12", "01 BRONX", "12 MANHATTAN", "0 Unspecified"]
            )
        ),
    )
    districts = con.execute(
        'SELECT council_district FROM "stg_testcity" ORDER BY source_row'
    ).fetchall()
    # "00" stays "00": an id of zeros is not a padded number (issue 14).
    assert [d for (d,) in districts] == [
        "3", "00", "0", "7", "3", "12", "01 BRONX", "12 MANHATTAN", "0 Unspecified"
    ]  # fmt: skip


def test_unparseable_values_and_unknown_statuses_are_quarantined_with_reasons(
    tmp_path: Path,
) -> None:
    con, counts, staged = _load(
        tmp_path,
        "B1,2024-03-01 08:00:00,,Open,19103,40,-75,1\n"
        "B2,yesterday,,Open,19103,40,-75,1\n"
        "B3,2024-03-01 08:00:00,,Referred,19103,40,-75,1\n"
        "B4,2024-03-01 08:00:00,,Open,19103,north,-75,1\n",
    )
    assert counts[0].rows_read == 4 and staged == 1
    got = con.execute(
        "SELECT source_row, record_id, rule, column_name, reason FROM quarantine ORDER BY 1"
    ).fetchall()
    assert [g[:4] for g in got] == [
        (3, "B2", "value_parses", "opened_at"),
        (4, "B3", "status_mapped", "status"),
        (5, "B4", "value_parses", "latitude"),
    ]
    assert got[0][4] == (
        "opened_at (raw column opened) value 'yesterday' does not parse; "
        "add its format to timestamps.formats in the mapping"
    )
    assert (
        "status value 'Referred' is not in the statuses of pipelines/sources/testcity.yml"
        in (got[1][4])
    )


def test_malformed_lines_are_rejected_with_their_line_numbers(tmp_path: Path) -> None:
    con, counts, staged = _load(
        tmp_path,
        "C1,2024-03-01 08:00:00,,Open,19103,40,-75,1\n"
        "C2,2024-03-01 08:00:00,,Open\n"
        "C3,2024-03-01 08:00:00,,Open,19103,40,-75,1\n"
        "C4,2024-03-01 08:00:00,,Open,19103,40,-75,1,extra,fields\n"
        "C5,2024-03-01 08:00:00,,Open,19103,40,-75,1\n",
    )
    assert counts == [extract.FileCount("extract.csv", rows_read=5, rows_rejected=2)]
    assert staged == 3
    lines = con.execute(
        'SELECT request_id, source_row FROM "stg_testcity" ORDER BY request_id'
    ).fetchall()
    assert lines == [("C1", 2), ("C3", 4), ("C5", 6)]
    rejects = con.execute(
        "SELECT source_row, rule, reason FROM quarantine ORDER BY source_row"
    ).fetchall()
    assert [(r[0], r[1]) for r in rejects] == [
        (3, "csv_reader_rejected"),
        (5, "csv_reader_rejected"),
    ]
    assert rejects[0][2].startswith("line 3 could not be read: ")


def test_utc_sources_are_converted_to_city_local_time(tmp_path: Path) -> None:
    mapping = _mapping(timestamps={"formats": ["%Y-%m-%d %H:%M:%S"], "utc": True})
    con, _, _ = _load(tmp_path, "D1,2024-07-01 12:00:00,,Open,19103,40,-75,1\n", mapping)
    (opened,) = con.execute('SELECT opened_at FROM "stg_testcity"').fetchone()
    assert str(opened) == "2024-07-01 08:00:00"  # EDT is UTC-4 in July


def test_missing_required_column_names_the_file_and_the_fix(tmp_path: Path) -> None:
    mapping = _mapping(columns={"request_id": "id", "opened_at": "created", "status": "state"})
    with pytest.raises(extract.LoadError, match=r"extract\.csv: required column\(s\) created"):
        _load(tmp_path, "E1,2024-03-01 08:00:00,,Open,19103,40,-75,1\n", mapping)


def test_district_comes_from_the_zip_crosswalk_when_the_extract_has_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    crosswalk = tmp_path / "xwalk.csv"
    crosswalk.write_text("zip,council_district\n19103,5\n", encoding="utf-8")
    monkeypatch.setenv("CITYSTAT_SOURCES_DIR", str(tmp_path))
    mapping = _mapping(district_from_zip={"file": "xwalk.csv"})
    con, _, _ = _load(
        tmp_path,
        "F1,2024-03-01 08:00:00,,Open,19103,40,-75,\nF2,2024-03-01 08:00:00,,Open,19104,40,-75,\n",
        mapping,
    )
    extract.apply_district_lookup(con, mapping)
    got = con.execute(
        'SELECT request_id, council_district FROM "stg_testcity" ORDER BY 1'
    ).fetchall()
    assert got == [("F1", "5"), ("F2", None)]


def test_missing_files_say_how_to_get_them() -> None:
    mapping = _mapping(files={"pattern": "nowhere/*.csv"})
    with pytest.raises(extract.LoadError, match=r"no file matches .*nowhere"):
        extract.resolve_files(mapping)


def test_several_files_form_one_extract_with_their_own_accounting(tmp_path: Path) -> None:
    first, second = tmp_path / "day1.csv", tmp_path / "day2.csv"
    first.write_text(HEADER + "G1,2024-03-01 08:00:00,,Open\n", encoding="utf-8")
    second.write_text(
        HEADER + "G2,2024-03-02 08:00:00,,Open,19103,40,-75,1\n"
        "G3,2024-03-02 08:00:00,,Open,19103,40,-75,1\n",
        encoding="utf-8",
    )
    con = duckdb.connect()
    create_schema(con)
    counts = extract.read_raw(con, _mapping(), [first, second], "run1")
    assert counts == [
        extract.FileCount("day1.csv", rows_read=1, rows_rejected=1),
        extract.FileCount("day2.csv", rows_read=2, rows_rejected=0),
    ]
    raw = extract.raw_table(_mapping())
    rows = con.execute(f"SELECT id, _file, _line FROM {raw} ORDER BY id").fetchall()
    assert rows == [("G2", "day2.csv", 2), ("G3", "day2.csv", 3)]


def test_line_numbers_count_rejects_and_breaks_in_every_file_and_column(tmp_path: Path) -> None:
    # A multi-line note in a column the mapping does not read still moves later records
    # down; a second file is numbered on its own; and a connection that does not keep
    # insertion order (faster bulk inserts elsewhere) does not change the line numbers.
    header = HEADER.replace("\n", ",note\n")
    row = "{},2024-03-01 08:00:00,,Open,19103,40,-75,1,{}\n"
    first, second = tmp_path / "day1.csv", tmp_path / "day2.csv"
    first.write_text(
        header + row.format("H1", '"two\nlines"') + "H2,short\n" + row.format("H3", "plain"),
        encoding="utf-8",
    )
    second.write_text(
        header + row.format("H4", '"three\nline\nnote"') + row.format("H5", ""), encoding="utf-8"
    )
    con = duckdb.connect()
    create_schema(con)
    con.execute("SET preserve_insertion_order = false")
    counts = extract.read_raw(con, _mapping(), [first, second], "run1")
    assert counts == [
        extract.FileCount("day1.csv", rows_read=3, rows_rejected=1),
        extract.FileCount("day2.csv", rows_read=2, rows_rejected=0),
    ]
    assert extract.stage(con, _mapping(), "run1") == 4
    rows = con.execute(
        'SELECT request_id, source_file, source_row FROM "stg_testcity" ORDER BY request_id'
    ).fetchall()
    assert rows == [
        ("H1", "day1.csv", 2),
        ("H3", "day1.csv", 5),
        ("H4", "day2.csv", 2),
        ("H5", "day2.csv", 5),
    ]
    # (The rejected line itself is numbered by DuckDB's reader, which does not count H1's
    # embedded break; only its file is checked here.)
    rejected = con.execute("SELECT source_file, rule FROM quarantine").fetchall()
    assert rejected == [("day1.csv", "csv_reader_rejected")]
    setting = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()
    assert setting == (False,)


def _read_and_stage(
    tmp_path: Path, bodies: dict[str, str], mapping: SourceMapping, *, typed: bool
) -> tuple[list[extract.FileCount], int, list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Counts, staged count, staged rows and quarantine rows of one read + stage."""
    paths = []
    for name, body in bodies.items():
        path = tmp_path / name
        path.write_text(body, encoding="utf-8")
        paths.append(path)
    con = duckdb.connect()
    create_schema(con)
    con.execute("SET preserve_insertion_order = false")
    counts = extract.read_raw(con, mapping, paths, "run1", typed=typed)
    staged = extract.stage(con, mapping, "run1")
    rows = con.execute('SELECT * FROM "stg_testcity" ORDER BY ALL').fetchall()
    quarantined = con.execute("SELECT * FROM quarantine ORDER BY ALL").fetchall()
    return counts, staged, rows, quarantined


def test_a_typed_read_stages_exactly_what_reading_text_then_staging_does(tmp_path: Path) -> None:
    # Unparseable values, unknown statuses, rejected lines and line breaks inside quoted
    # fields (mapped or not), over two files: the typed read (one statement per file) must
    # give the same rows, line numbers, quarantine and accounting as the text read + stage.
    header = HEADER.replace("\n", ",note\n")
    row = "{},{},,{},{},40,-75,{},{}\n"
    bodies = {
        "day1.csv": header
        + row.format("T1", "2024-03-01 08:00:00", "Open", "19103", "1", '"two\nlines"')
        + "T2,short\n"
        + row.format("T3", "yesterday", "Open", "2128.0", "03", "plain")
        + row.format("T4", "03/02/2024 09:30 AM", "Referred", " 19104 ", "", "")
        + row.format("T5", "2024-03-01 08:00:00", "closed", "19103-1234", "2.0", "x")
        + row.format('"T6\nbis"', "2024-03-01 08:00:00", "Open", "", "1", "")
        + "T7,2024-03-01 08:00:00,,Open,19103,north,-75,1,x,too,many\n"
        + row.format("T8", "  ", "  ", "19103", "1", ""),
        "day2.csv": header
        + row.format("T9", "2024-03-02 08:00:00", "Cancelled", "19103", "1", '"a\nb\nc"')
        + row.format("T10", "2024-03-02 08:00:00", "Open", "19103", "1", ""),
    }
    untyped = _read_and_stage(tmp_path, bodies, _mapping(), typed=False)
    typed = _read_and_stage(tmp_path, bodies, _mapping(), typed=True)
    assert typed == untyped
    counts, staged, rows, quarantined = typed
    assert counts == [
        extract.FileCount("day1.csv", rows_read=8, rows_rejected=2),
        extract.FileCount("day2.csv", rows_read=2, rows_rejected=0),
    ]
    assert staged == 5
    assert [(r[0], r[-2], r[-1]) for r in rows] == [
        ("T1", "day1.csv", 2),
        ("T10", "day2.csv", 5),
        ("T5", "day1.csv", 7),
        ("T6\nbis", "day1.csv", 8),
        ("T9", "day2.csv", 2),
    ]
    # Rejected lines are at their physical lines too, past T1's and T6's line breaks (DuckDB's
    # reader numbers them 3 and 8).
    assert [(q[3], q[4], q[5]) for q in quarantined] == [
        (4, None, "csv_reader_rejected"),
        (5, "T3", "value_parses"),
        (6, "T4", "status_mapped"),
        (10, None, "csv_reader_rejected"),
        (11, "T8", "status_mapped"),
    ]


def test_a_typed_read_of_a_file_without_rows_stages_nothing(tmp_path: Path) -> None:
    untyped = _read_and_stage(tmp_path, {"empty.csv": HEADER}, _mapping(), typed=False)
    assert _read_and_stage(tmp_path, {"empty.csv": HEADER}, _mapping(), typed=True) == untyped
    assert untyped[1] == 0


def test_a_typed_read_fails_with_the_error_staging_would_give(tmp_path: Path) -> None:
    # An OData date past the timestamp range fails the typing statement; the typed read
    # reports DuckDB's conversion error, not a CSV problem, as text read + stage did.
    mapping = _mapping(timestamps={"formats": ["odata_epoch_ms_local"]})
    body = HEADER + "O1,/Date(9000000000000000000)/,,Open,19103,40,-75,1\n"
    messages = []
    for typed in (False, True):
        with pytest.raises(duckdb.Error) as caught:
            _read_and_stage(tmp_path, {"odata.csv": body}, mapping, typed=typed)
        messages.append(str(caught.value))
    assert messages[0] == messages[1]
    assert "Could not convert" in messages[0]
