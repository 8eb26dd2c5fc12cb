"""The audit trail, on SQLite and PostgreSQL: every write records who, when, what and the
before and after in its own transaction; the database refuses to change or delete a row of it;
the meeting page and the packet export (HTML and CSV) show it, escaped."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import exc, text
from streamlit.testing.v1 import AppTest

from dashboard.meetings import actions as meeting_actions
from dashboard.meetings import audit, store
from dashboard.meetings import schema as meeting_schema
from dashboard.meetings.database import MEETINGS_ENV, MeetingsDB
from dashboard.meetings.packet import packet_audit_csv, packet_html
from dashboard.meetings.permissions import Actor
from tests.dashboard_fixture import DownloadCapture, build_fixture_warehouse
from tests.meetings_support import LEAD, ON_TIME, STREETS_HEAD, department_meeting
from tests.postgres_cluster import PostgresCluster
from tests.tables_support import shown_tables

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = Actor("x@city.example", "<b>Eve</b> [link](http://evil.example)", "leadership")


@pytest.fixture
def db(meetings_target: Path | str) -> Iterator[MeetingsDB]:
    with meeting_schema.connect(meetings_target) as store_db:
        yield store_db


def _utc_now() -> datetime:
    """Now as the trail writes it: UTC without an offset."""
    return datetime.now(UTC).replace(tzinfo=None)


def _state(value: object) -> object:
    return None if value is None else json.loads(str(value))


def test_every_write_records_who_when_what_and_the_change(db: MeetingsDB) -> None:
    before = _utc_now().replace(microsecond=0)
    meeting = department_meeting(db)
    store.save_commentary(
        db, STREETS_HEAD, meeting, ON_TIME, "2025-03", {"drivers": "Rain."}, read_version=0
    )
    store.save_commentary(
        db, LEAD, meeting, ON_TIME, "2025-03", {"drivers": "Rain and frost."}, read_version=1
    )
    due = date(2025, 5, 1)
    item = meeting_actions.add_action(db, STREETS_HEAD, meeting, ON_TIME, "Patch", "Crew", due)
    meeting_actions.set_action_status(db, LEAD, item, "done", read_version=1, on=date(2025, 4, 25))
    store.close_meeting(db, LEAD, meeting)

    trail = audit.meeting_trail(db, meeting)
    rows = list(
        zip(
            trail["actor_user"],
            trail["entity_kind"],
            trail["entity_id"],
            trail["action"],
            strict=True,
        )
    )
    assert rows == [
        (LEAD.user, "meeting", str(meeting), "created"),
        (LEAD.user, "packet", str(meeting), "froze"),
        (STREETS_HEAD.user, "commentary", f"{meeting}/{ON_TIME}/2025-03", "created"),
        (LEAD.user, "commentary", f"{meeting}/{ON_TIME}/2025-03", "edited"),
        (STREETS_HEAD.user, "action_item", str(item), "created"),
        (LEAD.user, "action_item", str(item), "status_changed"),
        (LEAD.user, "meeting", str(meeting), "closed"),
    ]
    assert set(trail["actor_role"]) == {"leadership", "department_head"}
    assert trail["actor_name"].iloc[2] == "Carlton Williams"
    for instant in trail["at"]:
        assert before <= datetime.fromisoformat(str(instant)) <= _utc_now()
    assert _state(trail["after_json"].iloc[1]) == {
        "data_as_of": None,
        "metrics": 1,
        "run_id": "run-1",
        "values": 3,
        "warehouse": "wh",
    }
    edited = trail.iloc[3]
    assert _state(edited["before_json"])["drivers"] == "Rain."  # type: ignore[index]
    assert _state(edited["after_json"])["drivers"] == "Rain and frost."  # type: ignore[index]
    status = trail.iloc[5]
    assert _state(status["before_json"])["status"] == "open"  # type: ignore[index]
    assert _state(status["after_json"])["status_changed_on"] == "2025-04-25"  # type: ignore[index]


def test_a_save_that_changes_nothing_records_nothing(db: MeetingsDB) -> None:
    meeting = department_meeting(db)
    texts = {"drivers": "Rain."}
    assert store.save_commentary(db, LEAD, meeting, ON_TIME, "2025-03", texts, read_version=0) == 1
    assert store.save_commentary(db, LEAD, meeting, ON_TIME, "2025-03", texts, read_version=1) == 1
    assert len(audit.meeting_trail(db, meeting)) == 3


def test_the_change_and_its_trail_commit_together(
    db: MeetingsDB, monkeypatch: pytest.MonkeyPatch
) -> None:
    meeting = department_meeting(db)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the trail could not be written")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(RuntimeError, match="trail could not be written"):
        store.save_commentary(
            db, LEAD, meeting, ON_TIME, "2025-03", {"drivers": "x"}, read_version=0
        )
    with pytest.raises(RuntimeError):
        store.close_meeting(db, LEAD, meeting)
    assert store.commentary(db, meeting).empty
    assert store.get_meeting(db, meeting)["closed_at"] is None  # type: ignore[index]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET actor_name = 'someone else'",
        "DELETE FROM audit_log",
    ],
)
def test_the_database_refuses_to_change_or_delete_the_trail(db: MeetingsDB, statement: str) -> None:
    meeting = department_meeting(db)
    with pytest.raises(exc.DBAPIError, match="append-only"), db.write() as conn:
        conn.execute(text(statement))
    assert audit.meeting_trail(db, meeting)["actor_name"].tolist() == [LEAD.name] * 2


def test_postgresql_refuses_to_truncate_the_trail(postgres_cluster: PostgresCluster) -> None:
    with meeting_schema.connect(postgres_cluster.new_database()) as db:
        department_meeting(db)
        with pytest.raises(exc.DBAPIError, match="append-only"), db.write() as conn:
            conn.execute(text("TRUNCATE audit_log"))


def test_no_code_path_updates_or_deletes_the_trail() -> None:
    writes = re.compile(r"(UPDATE|DELETE\s+FROM|TRUNCATE(\s+TABLE)?)\s+audit_log", re.I)
    for module in (ROOT / "dashboard").rglob("*.py"):
        assert not writes.search(module.read_text()), module


def test_the_packet_export_carries_the_trail_escaped(db: MeetingsDB) -> None:
    meeting = department_meeting(db)
    store.save_commentary(
        db, HOSTILE, meeting, ON_TIME, "2025-03", {"drivers": "=cmd|' /C calc'!A0"}, read_version=0
    )
    packet = store.load_packet(db, meeting)
    html = packet_html(packet)
    trail = html[html.index("<h2>Audit trail</h2>") :]
    assert (
        "&lt;b&gt;Eve&lt;/b&gt; [link](http://evil.example) (leadership, x@city.example)" in trail
    )
    assert "<b>Eve</b>" not in html
    assert "Commentary on street_defect_on_time, 2025-03" in trail
    assert "Froze" in trail and "Created" in trail
    rows = list(csv.DictReader(io.StringIO(packet_audit_csv(packet).decode("utf-8"))))
    assert [r["action"] for r in rows] == ["created", "froze", "created"]
    assert rows[2]["actor_name"] == HOSTILE.name
    assert json.loads(rows[2]["after_json"])["drivers"] == "=cmd|' /C calc'!A0"
    assert list(rows[0]) == list(audit.AUDIT_CSV_COLUMNS)


def test_the_meeting_page_shows_the_trail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    warehouse = tmp_path / "wh.duckdb"
    build_fixture_warehouse(warehouse)
    monkeypatch.setenv("CITYSTAT_WAREHOUSE", str(warehouse))
    monkeypatch.setenv(MEETINGS_ENV, str(tmp_path / "meetings.sqlite"))
    monkeypatch.delenv("CITYSTAT_PUBLIC", raising=False)
    with meeting_schema.connect() as db:
        meeting = department_meeting(db)
        store.save_commentary(
            db, HOSTILE, meeting, ON_TIME, "2025-03", {"drivers": "*Rain*"}, read_version=0
        )
    downloads = DownloadCapture().install(monkeypatch)
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=30).run()
    at.switch_page("views/meetings.py").run()
    assert not at.exception and not at.error
    assert "Audit trail (3 changes recorded)" in [e.label for e in at.expander]
    shown = next(t.value for t in shown_tables(at) if "Who" in t.value.columns)
    assert shown["Change"].tolist() == ["Created", "Froze", "Created"]
    # The name shows as the text it is (the table's HTML escapes it).
    assert shown["Who"].iloc[2].startswith("<b>Eve</b> [link]")
    assert "drivers: *Rain*" in shown["After"].iloc[2]
    trail_csv = downloads.content(at, "Download the audit trail (CSV)").decode("utf-8")
    assert "status_changed" not in trail_csv and "froze" in trail_csv
