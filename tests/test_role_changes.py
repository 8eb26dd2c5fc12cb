"""Role changes in the audit trail (issue 15): every change of who roles.yml gives which role
and departments is appended, once, under the roles file itself; leadership reads them on the
Meetings page; a meeting's own trail and its packet export are unchanged by them."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from dashboard.auth.role_changes import granted, record_role_changes, role_trail
from dashboard.auth.roles import ROLES_ENV, parse_roles
from dashboard.meetings import audit, packet, store
from dashboard.meetings import schema as meeting_schema
from dashboard.meetings.database import MeetingsDB
from tests import meetings_support as support
from tests.dashboard_fixture import build_fixture_warehouse
from tests.tables_support import shown_tables

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "dashboard" / "app.py"
FIRST = """\
users:
  Lee@City.example: {role: leadership}
  old@city.example: {role: analyst}
groups:
  streets-managers: {role: department_head, departments: [streets]}
"""
# Lee unchanged (same grant, e-mail case aside); old@ removed; streets-managers gains police;
# staff added.
SECOND = """\
users:
  lee@city.example: {role: leadership}
groups:
  streets-managers: {role: department_head, departments: [streets, police]}
  staff: {role: viewer}
"""


def _config(text_: str) -> Any:
    return parse_roles(text_, Path("roles.yml"))


def _rows(db: MeetingsDB) -> list[tuple[Any, ...]]:
    with db.read() as conn:
        return [
            (
                row.actor_user,
                row.actor_name,
                row.actor_role,
                row.meeting_id,
                row.entity_kind,
                row.entity_id,
                row.action,
                None if row.before_json is None else json.loads(row.before_json),
                None if row.after_json is None else json.loads(row.after_json),
            )
            for row in conn.execute(text("SELECT * FROM audit_log ORDER BY audit_id"))
        ]


def _change(entity: str, before: Any, after: Any) -> tuple[Any, ...]:
    return (
        "roles.yml",
        "roles file",
        "system",
        None,
        "user",
        entity,
        "role_changed",
        before,
        after,
    )


LEAD = {"role": "leadership", "departments": []}
STREETS = {"role": "department_head", "departments": ["streets"]}


def test_each_change_of_the_roles_file_is_recorded_once(meetings_target: Path | str) -> None:
    with meeting_schema.connect(meetings_target) as db:
        # The first look records every grant as new, sorted by entity id.
        assert record_role_changes(db, _config(FIRST), "roles.yml") == 3
        assert record_role_changes(db, _config(FIRST), "roles.yml") == 0  # nothing new
        first = [
            _change("group:streets-managers", None, STREETS),
            _change("user:lee@city.example", None, LEAD),
            _change("user:old@city.example", None, {"role": "analyst", "departments": []}),
        ]
        assert _rows(db) == first
        assert record_role_changes(db, _config(SECOND), "roles.yml") == 3
        assert _rows(db)[3:] == [
            _change(
                "group:staff",
                None,
                {"role": "viewer", "departments": []},
            ),
            _change(
                "group:streets-managers",
                STREETS,
                {"role": "department_head", "departments": ["streets", "police"]},
            ),
            _change("user:old@city.example", {"role": "analyst", "departments": []}, None),
        ]
        # Back to the first file: each difference again, the removed user comes back.
        assert record_role_changes(db, _config(FIRST), "roles.yml") == 3
        assert record_role_changes(db, _config(FIRST), "roles.yml") == 0
        assert len(_rows(db)) == 9


def test_role_changes_stay_out_of_a_meetings_trail_and_its_packet_export(tmp_path: Path) -> None:
    with meeting_schema.connect(tmp_path / "meetings.sqlite") as db:
        meeting = support.department_meeting(db)
        before_trail = audit.meeting_trail(db, meeting)
        before_csv = packet.packet_audit_csv(store.load_packet(db, meeting))
        record_role_changes(db, _config(FIRST), "roles.yml")
        loaded = store.load_packet(db, meeting)
        assert audit.meeting_trail(db, meeting).equals(before_trail)
        assert packet.packet_audit_csv(loaded) == before_csv
        assert "roles file" not in packet.packet_html(loaded)
        assert len(role_trail(db)) == 3


_START_SCRIPT = """
import sys, time
from pathlib import Path
from dashboard.auth.role_changes import record_role_changes
from dashboard.auth.roles import parse_roles
from dashboard.meetings import schema
target, roles, ready, go = sys.argv[1], sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4])
config = parse_roles(roles, Path("roles.yml"))
ready.touch()
while not go.exists():
    time.sleep(0.002)
with schema.connect(target if "://" in target else Path(target)) as db:
    print(record_role_changes(db, config, "roles.yml"))
"""


def test_four_dashboards_starting_at_once_record_each_change_once(
    meetings_target: Path | str, tmp_path: Path
) -> None:
    go = tmp_path / "go"

    def signals(n: int) -> tuple[str, str]:
        return str(tmp_path / f"r{n}"), str(go)

    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _START_SCRIPT, *(str(meetings_target), FIRST), *signals(n)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(4)
    ]
    deadline = time.monotonic() + 120
    while not all((tmp_path / f"r{n}").exists() for n in range(4)):
        assert time.monotonic() < deadline, "the processes did not start"
        assert all(p.poll() is None for p in processes), [p.communicate() for p in processes]
        time.sleep(0.01)
    go.touch()  # all four start (migrate the fresh store, then look at the roles) now
    outcomes = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0] * 4, [err for _, err in outcomes]
    # One process found the three grants new; the others found them recorded.
    assert sorted(int(out) for out, _ in outcomes) == [0, 0, 0, 3]
    with meeting_schema.connect(meetings_target) as db:
        assert len(role_trail(db)) == 3


def test_granted_names_users_as_matched_and_groups_by_name() -> None:
    assert granted(_config(FIRST)) == {
        "user:lee@city.example": LEAD,
        "user:old@city.example": {"role": "analyst", "departments": []},
        "group:streets-managers": STREETS,
    }


# --- On the Meetings page ------------------------------------------------------------------

AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "a-test-cookie-secret-of-some-length",
    "client_id": "citystat",
    "client_secret": "test",
    "server_metadata_url": "https://login.city.example/.well-known/openid-configuration",
}
LEE = {"is_logged_in": True, "email": "lee@city.example", "name": "Lee Leader"}
DANA = {
    "is_logged_in": True,
    "email": "d@city.example",
    "name": "Dana",
    "groups": ["streets-managers"],
}


def _meetings_page(user: dict[str, Any]) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.user = user
    at.secrets["auth"] = AUTH
    at.run()
    at.switch_page("views/meetings.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_leadership_reads_role_changes_on_the_meetings_page_and_others_do_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = tmp_path / "wh.duckdb"
    build_fixture_warehouse(warehouse)
    roles = tmp_path / "roles.yml"
    roles.write_text(FIRST)
    meetings = tmp_path / "meetings.sqlite"
    monkeypatch.setenv("CITYSTAT_WAREHOUSE", str(warehouse))
    monkeypatch.setenv(meeting_schema.MEETINGS_ENV, str(meetings))
    monkeypatch.setenv(ROLES_ENV, str(roles))
    at = _meetings_page(LEE)  # the first page view records the file in force
    assert "Role changes" in [s.value for s in at.subheader]
    assert at.expander[-1].label == "Who was given which role (3 changes recorded from roles.yml)"
    shown = shown_tables(at)[-1].value
    assert shown["Who"].tolist() == ["roles file (system, roles.yml)"] * 3
    assert shown["What"].tolist()[0] == "Role of user old@city.example"
    assert shown["After"].tolist()[-1] == "role: department_head; departments: streets"
    # IT edits the file: the next page view records the differences, newest first.
    roles.write_text(SECOND)
    again = _meetings_page(LEE)
    assert again.expander[-1].label.startswith("Who was given which role (6 changes")
    assert shown_tables(again)[-1].value["Before"].tolist()[0] == "role: analyst; departments: —"
    assert shown_tables(again)[-1].value["After"].tolist()[0] == ""  # old@ removed
    # A department head sees the meetings, not who has which role.
    head = _meetings_page(DANA)
    assert head.title[-1].value == "Stat review meetings"
    assert "Role changes" not in [s.value for s in head.subheader]
    with meeting_schema.connect(meetings) as db:
        assert len(role_trail(db)) == 6  # the head's visit recorded nothing new
        store.list_meetings(db)  # and the store is still a working meetings store
