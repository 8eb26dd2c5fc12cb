"""Time across daylight-saving changes (America/New_York, 2024): instants and wall-clock time.

Autumn: on 3 Nov 2024 clocks go from 01:59 EDT (UTC-4) back to 01:00 EST (UTC-5), so 01:00-01:59
happens twice. Spring: on 10 Mar 2024 they go from 01:59 EST to 03:00 EDT; 02:00-02:59 never
happens. Every expected row below is worked out by hand in its comment. The connection runs
under Asia/Tokyo, so nothing may depend on the process's or connection's time zone.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest import extract
from pipelines.ingest.mapping import MappingProblems, SourceMapping
from pipelines.ingest.merge import merge_staged
from pipelines.validate.run import validate_and_quarantine
from pipelines.warehouse.layout import EXPECTATIONS_DIR
from pipelines.warehouse.schema import CANONICAL_TABLES, create_schema

HEADER = "id,status,opened,closed,updated\n"
TABLE = CANONICAL_TABLES["service_requests"]


def _mapping(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, timestamps: dict) -> SourceMapping:
    monkeypatch.setenv("CITYSTAT_DATA_DIR", str(tmp_path))
    return SourceMapping.model_validate(
        {
            "source": "town",
            "title": "Town",
            "city": "Town",
            "timezone": "America/New_York",
            "bounds": {"lat_min": 39, "lat_max": 41, "lon_min": -76, "lon_max": -74},
            "files": {"pattern": "day*.csv"},
            "timestamps": timestamps,
            "columns": {
                "request_id": "id",
                "status": "status",
                "opened_at": "opened",
                "closed_at": "closed",
                "updated_at": "updated",
            },
            "statuses": {"Open": "open", "Closed": "closed"},
        }
    )


INSTANT = {"formats": ["%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d %H:%M:%S%z"], "kind": "instant"}
LOCAL = {"formats": ["%Y-%m-%d %H:%M:%S"], "kind": "local"}


def _connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    # Far from New York and from UTC: a conversion relying on the session zone shows.
    con.execute("SET TimeZone = 'Asia/Tokyo'")
    create_schema(con)
    return con


def _load_day(
    con: duckdb.DuckDBPyConnection, mapping: SourceMapping, tmp_path: Path, name: str, rows: str
) -> dict[str, int]:
    """Read, stage, validate and merge one file; return its row accounting and merge counts."""
    for old in tmp_path.glob("day*.csv"):
        old.unlink()
    (tmp_path / name).write_text(HEADER + rows)
    run_id = name
    (count,) = extract.read_raw(con, mapping, extract.resolve_files(mapping), run_id)
    extract.stage(con, mapping, run_id)
    validate_and_quarantine(
        con,
        extract.staged_table(mapping),
        run_id=run_id,
        source=mapping.source,
        parameters=mapping.validation_parameters(),
        suite_path=EXPECTATIONS_DIR / "service_requests.json",
    )
    staged = con.execute(f"SELECT count(*) FROM {extract.staged_table(mapping)}").fetchone()
    quarantined = con.execute(
        "SELECT count(*) FROM quarantine WHERE run_id = ?", [run_id]
    ).fetchone()
    merged = merge_staged(
        con,
        TABLE,
        extract.staged_table(mapping),
        source=mapping.source,
        run_id=run_id,
        timezone=mapping.timezone,
    )
    con.execute(f"DROP TABLE {extract.staged_table(mapping)}")
    result = {
        "read": count.rows_read,
        "rejected": count.rows_rejected,
        "staged": int(staged[0]) if staged else -1,
        "quarantined": int(quarantined[0]) if quarantined else -1,
        "inserted": sum(m.inserted for m in merged.values()),
        "updated": sum(m.updated for m in merged.values()),
    }
    assert result["read"] == result["staged"] + result["quarantined"] + result["rejected"]
    return result


def _first_day(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, timestamps: dict, rows: str
) -> tuple[duckdb.DuckDBPyConnection, dict[str, int]]:
    """A fresh warehouse (connection under Asia/Tokyo) after loading day1.csv of a town."""
    con = _connect()
    mapping = _mapping(tmp_path, monkeypatch, timestamps)
    return con, _load_day(con, mapping, tmp_path, "day1.csv", rows)


def _quarantined(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    rows = con.execute("SELECT record_id, reason FROM quarantine ORDER BY record_id").fetchall()
    return {str(r): str(reason) for r, reason in rows}


def _record(con: duckdb.DuckDBPyConnection, request_id: str) -> tuple:
    row = con.execute(
        "SELECT status, opened_at, closed_at, updated_at FROM service_requests "
        "WHERE request_id = ?",
        [request_id],
    ).fetchone()
    assert row is not None
    return row


def test_instant_source_checks_order_by_instant_across_both_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = (
        # F1: opened 05:40Z = 01:40 EDT, closed 06:10Z = 01:10 EST: 30 minutes later. Kept,
        # though its wall-clock close (01:10) is before its open (01:40).
        "F1,Closed,2024-11-03T05:40:00Z,2024-11-03T06:10:00Z,2024-11-03T06:10:00Z\n"
        # F2: the reverse, truly closed 30 minutes before opening, though its wall-clock
        # times (open 01:10, close 01:40) look right. Quarantined.
        "F2,Closed,2024-11-03T06:10:00Z,2024-11-03T05:40:00Z,2024-11-03T06:10:00Z\n"
        # S1: opened 06:50Z = 01:50 EST, closed 03:10 EDT (07:10Z, written with its offset):
        # 20 minutes. Kept.
        "S1,Closed,2024-03-10T06:50:00Z,2024-03-10 03:10:00-04:00,2024-03-10T07:10:00Z\n"
        # S2: opened 07:10Z = 03:10 EDT, closed 06:50Z = 01:50 EST. Quarantined.
        "S2,Closed,2024-03-10T07:10:00Z,2024-03-10T06:50:00Z,2024-03-10T07:10:00Z\n"
    )
    con, counts = _first_day(tmp_path, monkeypatch, INSTANT, rows)
    assert counts == {
        "read": 4, "rejected": 0, "staged": 2, "quarantined": 2, "inserted": 2, "updated": 0
    }  # fmt: skip
    reasons = _quarantined(con)
    assert set(reasons) == {"F2", "S2"}
    assert reasons["F2"].startswith(
        "closed_at 2024-11-03 01:40 is before opened_at 2024-11-03 01:10"
    )
    # Stored as city wall-clock time, converted exactly whatever the connection's zone.
    assert _record(con, "F1") == (
        "closed",
        datetime(2024, 11, 3, 1, 40),
        datetime(2024, 11, 3, 1, 10),
        datetime(2024, 11, 3, 1, 10),
    )
    assert _record(con, "S1")[1:3] == (datetime(2024, 3, 10, 1, 50), datetime(2024, 3, 10, 3, 10))
    utc = con.execute(
        "SELECT request_id, _utc_version FROM service_requests ORDER BY request_id"
    ).fetchall()
    assert utc == [("F1", datetime(2024, 11, 3, 6, 10)), ("S1", datetime(2024, 3, 10, 7, 10))]


def test_local_source_follows_the_documented_dst_rule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = (
        # L1: open 01:50, close 01:10, both in the repeated hour, both read as standard time
        # (06:50Z, 06:10Z): closed before opened. Quarantined.
        "L1,Closed,2024-11-03 01:50:00,2024-11-03 01:10:00,2024-11-03 01:10:00\n"
        # L2: open 00:50 EDT (04:50Z), close 01:20 read as EST (06:20Z). Kept.
        "L2,Closed,2024-11-03 00:50:00,2024-11-03 01:20:00,2024-11-03 01:20:00\n"
        # L3: open 02:40 never happened: moved on to 03:40 EDT (07:40Z); close 03:10 EDT
        # (07:10Z) is before it. Quarantined, though its wall-clock times look right.
        "L3,Closed,2024-03-10 02:40:00,2024-03-10 03:10:00,2024-03-10 03:10:00\n"
        # L4: open 01:50 EST (06:50Z), close 02:10 moved on to 03:10 EDT (07:10Z). Kept.
        "L4,Closed,2024-03-10 01:50:00,2024-03-10 02:10:00,2024-03-10 02:10:00\n"
    )
    con, counts = _first_day(tmp_path, monkeypatch, LOCAL, rows)
    assert (counts["staged"], counts["quarantined"]) == (2, 2)
    assert set(_quarantined(con)) == {"L1", "L3"}
    # Local sources keep the wall-clock text as written, even a time the spring skips.
    assert _record(con, "L4")[1:3] == (datetime(2024, 3, 10, 1, 50), datetime(2024, 3, 10, 2, 10))


def test_newest_instant_wins_the_merge_in_the_repeated_hour(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mapping = _mapping(tmp_path, monkeypatch, INSTANT)
    con = _connect()
    # M: first seen open, updated 05:50Z = 01:50 EDT.
    day1 = "M,Open,2024-11-03T05:30:00Z,,2024-11-03T05:50:00Z\n"
    # N: first seen closed, updated 06:20Z = 01:20 EST.
    day1 += "N,Closed,2024-11-03T05:30:00Z,2024-11-03T06:20:00Z,2024-11-03T06:20:00Z\n"
    assert _load_day(con, mapping, tmp_path, "day1.csv", day1)["inserted"] == 2
    # M closed at 06:20Z = 01:20 EST, 30 minutes after its last update, though 01:20 < 01:50
    # on the wall clock: it replaces the open version. N's "new" row, updated 05:50Z = 01:50
    # EDT, is 30 minutes OLDER than the warehouse's though its wall clock says later: no
    # roll back.
    day2 = "M,Closed,2024-11-03T05:30:00Z,2024-11-03T06:20:00Z,2024-11-03T06:20:00Z\n"
    day2 += "N,Open,2024-11-03T05:30:00Z,,2024-11-03T05:50:00Z\n"
    counts = _load_day(con, mapping, tmp_path, "day2.csv", day2)
    assert (counts["updated"], counts["quarantined"]) == (1, 0)
    assert _record(con, "M")[0] == "closed"
    assert _record(con, "N")[0] == "closed"
    # Every version is kept: M's two and N's two, whose 01:20 EST and 01:50 EDT are
    # distinct instants.
    (versions,) = con.execute("SELECT count(*) FROM service_requests_versions").fetchone() or (0,)
    assert versions == 4


def test_newest_instant_wins_among_duplicates_of_one_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # D twice: the closed version (updated 06:20Z = 01:20 EST) is listed first, the open one
    # (05:50Z = 01:50 EDT) second. The closed one is newer and is kept; the other quarantined.
    rows = (
        "D,Closed,2024-11-03T05:30:00Z,2024-11-03T06:20:00Z,2024-11-03T06:20:00Z\n"
        "D,Open,2024-11-03T05:30:00Z,,2024-11-03T05:50:00Z\n"
    )
    con, counts = _first_day(tmp_path, monkeypatch, INSTANT, rows)
    assert (counts["staged"], counts["quarantined"], counts["inserted"]) == (1, 1, 1)
    assert _record(con, "D")[0] == "closed"
    (row,) = con.execute("SELECT source_row FROM quarantine").fetchall()
    assert row == (3,)


def test_local_source_merge_follows_the_spring_rule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Updated 03:10 EDT (07:10Z), then 02:40, which never happened and reads as 03:40 EDT
    # (07:40Z): the second is the newer version.
    con, first = _first_day(
        tmp_path, monkeypatch, LOCAL, "P,Open,2024-03-10 01:00:00,,2024-03-10 03:10:00\n"
    )
    assert first["inserted"] == 1
    later = "P,Closed,2024-03-10 01:00:00,2024-03-10 02:40:00,2024-03-10 02:40:00\n"
    mapping = _mapping(tmp_path, monkeypatch, LOCAL)
    assert _load_day(con, mapping, tmp_path, "day2.csv", later)["updated"] == 1
    assert _record(con, "P")[0] == "closed"


def test_newest_instant_wins_the_merge_across_the_spring_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Q updated 06:50Z (01:50 EST), then 07:10Z (03:10 EDT, 20 minutes later): replaced. Then
    # a copy updated 06:55Z (01:55 EST), older though it arrives last: never rolls back.
    con, first = _first_day(
        tmp_path, monkeypatch, INSTANT, "Q,Open,2024-03-10T06:00:00Z,,2024-03-10T06:50:00Z\n"
    )
    assert first["inserted"] == 1
    mapping = _mapping(tmp_path, monkeypatch, INSTANT)
    newer = "Q,Closed,2024-03-10T06:00:00Z,2024-03-10T07:10:00Z,2024-03-10T07:10:00Z\n"
    assert _load_day(con, mapping, tmp_path, "day2.csv", newer)["updated"] == 1
    older = "Q,Open,2024-03-10T06:00:00Z,,2024-03-10T06:55:00Z\n"
    assert _load_day(con, mapping, tmp_path, "day3.csv", older)["updated"] == 0
    assert _record(con, "Q")[0] == "closed"


def test_local_source_merge_follows_the_autumn_rule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # R updated 00:50 EDT (04:50Z), then 01:10, in the repeated hour, read as EST (06:10Z):
    # the newer version, and it wins.
    con, first = _first_day(
        tmp_path, monkeypatch, LOCAL, "R,Open,2024-11-03 00:30:00,,2024-11-03 00:50:00\n"
    )
    assert first["inserted"] == 1
    later = "R,Closed,2024-11-03 00:30:00,2024-11-03 01:10:00,2024-11-03 01:10:00\n"
    mapping = _mapping(tmp_path, monkeypatch, LOCAL)
    assert _load_day(con, mapping, tmp_path, "day2.csv", later)["updated"] == 1
    assert _record(con, "R")[0] == "closed"


# T was updated in 2099: quarantined. U a day after opening: staged.
FUTURE_ROWS = (
    "T,Open,2024-05-01T12:00:00Z,,2099-01-01T00:00:00Z\n"
    "U,Open,2024-05-01T12:00:00Z,,2024-05-02T12:00:00Z\n"
)


def test_an_updated_at_far_in_the_future_is_quarantined(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    con, counts = _first_day(tmp_path, monkeypatch, INSTANT, FUTURE_ROWS)
    mapping = _mapping(tmp_path, monkeypatch, INSTANT)
    assert (counts["read"], counts["staged"], counts["quarantined"]) == (2, 1, 1)
    reason = _quarantined(con)["T"]
    # 2099-01-01 00:00 UTC is 2098-12-31 19:00 in New York.
    assert reason.startswith("updated_at 2098-12-31 19:00 is after ")
    assert "plus one day of tolerance" in reason
    assert "correct the date in the source system" in reason
    # A day later, the same record with a sane date merges as a newer version.
    later = "T,Closed,2024-05-01T12:00:00Z,2024-05-03T12:00:00Z,2024-05-03T12:00:00Z\n"
    assert _load_day(con, mapping, tmp_path, "day2.csv", later)["inserted"] == 1


def test_timestamp_kind_spelling(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    formats = ["%Y-%m-%dT%H:%M:%SZ"]
    old = _mapping(tmp_path, monkeypatch, {"formats": formats, "utc": True})
    assert old.timestamps.kind == "instant" and old.timestamps.utc
    assert _mapping(tmp_path, monkeypatch, {"formats": formats}).timestamps.kind == "local"
    with pytest.raises((ValueError, MappingProblems), match="'local' or 'instant'"):
        _mapping(tmp_path, monkeypatch, {"formats": formats, "kind": "utc"})
    with pytest.raises(ValueError, match="utc: true contradicts kind: local"):
        _mapping(tmp_path, monkeypatch, {"formats": formats, "utc": True, "kind": "local"})
