"""Permissions are checked where the meetings store writes, on SQLite and PostgreSQL: a refused
write says why, changes nothing and records nothing in the audit trail."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.meetings import actions as meeting_actions
from dashboard.meetings import audit, store
from dashboard.meetings import schema as meeting_schema
from dashboard.meetings.database import MEETINGS_ENV, MeetingError, MeetingsDB
from dashboard.meetings.permissions import Actor, PermissionDenied
from dashboard.views.actor import ACTOR_KEY
from tests.dashboard_fixture import build_fixture_warehouse
from tests.meetings_support import (
    ANALYST,
    LEAD,
    ON_TIME,
    POLICE_HEAD,
    RESPONSE,
    STREETS_HEAD,
    VIEWER,
    cohort_meeting,
    definitions,
    department_meeting,
    values,
)

APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
PLAN = {"improvement_plan": "Two more crews."}


@pytest.fixture
def db(meetings_target: Path | str) -> Iterator[MeetingsDB]:
    with meeting_schema.connect(meetings_target) as store_db:
        yield store_db


def _unchanged(db: MeetingsDB, meeting_id: int, trail_length: int) -> None:
    assert store.commentary(db, meeting_id).empty
    assert len(audit.meeting_trail(db, meeting_id)) == trail_length


def test_a_department_head_cannot_change_another_departments_commentary(db: MeetingsDB) -> None:
    meeting = department_meeting(db)  # streets
    with pytest.raises(PermissionDenied) as refused:
        store.save_commentary(db, POLICE_HEAD, meeting, ON_TIME, "2025-03", PLAN, read_version=0)
    assert str(refused.value) == (
        "Kevin Bethel (department_head) may write commentary only for their own departments "
        "(police), not for streets"
    )
    _unchanged(db, meeting, trail_length=2)  # created and froze, nothing else
    # Their own department's head may.
    assert (
        store.save_commentary(db, STREETS_HEAD, meeting, ON_TIME, "2025-03", PLAN, read_version=0)
        == 1
    )


def test_on_a_cohort_meeting_a_head_writes_only_their_departments_metrics(db: MeetingsDB) -> None:
    meeting = cohort_meeting(db)
    store.save_commentary(db, STREETS_HEAD, meeting, ON_TIME, "2025-03", PLAN, read_version=0)
    store.save_commentary(db, POLICE_HEAD, meeting, RESPONSE, "2025-03", PLAN, read_version=0)
    with pytest.raises(PermissionDenied, match=r"only for their own departments \(streets\)"):
        store.save_commentary(db, STREETS_HEAD, meeting, RESPONSE, "2025-02", PLAN, read_version=0)
    with pytest.raises(
        PermissionDenied, match=r"may write action only .*\(police\), not for streets"
    ):
        meeting_actions.add_action(db, POLICE_HEAD, meeting, ON_TIME, "Patch", "Crew", date.today())
    item = meeting_actions.add_action(db, LEAD, meeting, ON_TIME, "Patch", "Crew", date.today())
    with pytest.raises(PermissionDenied, match="not for streets"):
        meeting_actions.set_action_status(db, POLICE_HEAD, item, "done", read_version=1)
    assert meeting_actions.set_action_status(db, STREETS_HEAD, item, "done", read_version=1) == 2
    notes = store.commentary(db, meeting)
    assert sorted(zip(notes["metric_id"], notes["period_label"], strict=True)) == [
        (RESPONSE, "2025-03"),
        (ON_TIME, "2025-03"),
    ]


@pytest.mark.parametrize("actor", [ANALYST, VIEWER, STREETS_HEAD], ids=lambda a: a.role)
def test_only_leadership_schedules_and_closes_meetings(db: MeetingsDB, actor: Actor) -> None:
    spec = store.MeetingSpec(date(2025, 4, 20), "department", "streets", "month")
    with pytest.raises(PermissionDenied, match="may not schedule meeting"):
        store.create_meeting(
            db, actor, spec, definitions(ON_TIME), values(ON_TIME), store.Provenance(None, None, "")
        )
    assert store.list_meetings(db).empty
    meeting = department_meeting(db)
    with pytest.raises(PermissionDenied, match="may not close meeting"):
        store.close_meeting(db, actor, meeting)
    assert store.get_meeting(db, meeting)["closed_at"] is None  # type: ignore[index]


@pytest.mark.parametrize("actor", [ANALYST, VIEWER], ids=lambda a: a.role)
@pytest.mark.parametrize(
    "write",
    [
        lambda db, a, m: store.save_commentary(db, a, m, ON_TIME, "2025-03", PLAN, read_version=0),
        lambda db, a, m: meeting_actions.add_action(db, a, m, ON_TIME, "x", "y", date.today()),
    ],
    ids=["commentary", "action"],
)
def test_analysts_and_viewers_write_nothing(
    db: MeetingsDB, actor: Actor, write: Callable[[MeetingsDB, Actor, int], object]
) -> None:
    meeting = department_meeting(db)
    with pytest.raises(PermissionDenied, match=f"{actor.name} \\({actor.role}\\) may not write"):
        write(db, actor, meeting)
    _unchanged(db, meeting, trail_length=2)


def test_a_closed_meeting_takes_no_commentary_or_new_items_until_reopened(db: MeetingsDB) -> None:
    meeting = department_meeting(db)
    item = meeting_actions.add_action(db, LEAD, meeting, ON_TIME, "Patch", "Crew", date.today())
    store.close_meeting(db, LEAD, meeting)
    with pytest.raises(MeetingError, match=f"meeting {meeting} was closed at .* reopen it"):
        store.save_commentary(db, STREETS_HEAD, meeting, ON_TIME, "2025-03", PLAN, read_version=0)
    with pytest.raises(MeetingError, match="was closed"):
        meeting_actions.add_action(db, LEAD, meeting, ON_TIME, "More", "Crew", date.today())
    with pytest.raises(MeetingError, match="already closed"):
        store.close_meeting(db, LEAD, meeting)
    # Its items carry over to later meetings, so their status still changes.
    meeting_actions.set_action_status(db, STREETS_HEAD, item, "done", read_version=1)
    store.reopen_meeting(db, LEAD, meeting)
    store.save_commentary(db, STREETS_HEAD, meeting, ON_TIME, "2025-03", PLAN, read_version=0)
    trail = audit.meeting_trail(db, meeting)
    assert trail["action"].tolist() == [
        "created",
        "froze",
        "created",
        "closed",
        "status_changed",
        "reopened",
        "created",
    ]


# ------------------------------------------------------------------- the page (AppTest)


@pytest.fixture
def page_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    """A warehouse and a meetings store holding one streets meeting; its id."""
    warehouse = tmp_path / "wh.duckdb"
    build_fixture_warehouse(warehouse)
    monkeypatch.setenv("CITYSTAT_WAREHOUSE", str(warehouse))
    monkeypatch.setenv(MEETINGS_ENV, str(tmp_path / "meetings.sqlite"))
    monkeypatch.delenv("CITYSTAT_PUBLIC", raising=False)
    with meeting_schema.connect() as db:
        return department_meeting(db)


def _meetings_page(actor: Actor | None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=30)
    if actor is not None:
        at.session_state[ACTOR_KEY] = actor
    at.run()
    at.switch_page("views/meetings.py").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    return at


def test_the_page_shows_another_departments_head_read_only_forms(page_env: int) -> None:
    at = _meetings_page(POLICE_HEAD)
    suffix = f"{page_env}_{ON_TIME}"
    captions = [c.value for c in at.caption]
    assert "Only leadership schedules meetings; you are signed in as department head." in captions
    assert (
        "Read only: Kevin Bethel (department_head) may write commentary only for their own "
        "departments (police), not for streets."
    ) in captions
    assert at.button(key=f"comment_save_{suffix}_2025-03").disabled
    assert at.button(key=f"action_add_{suffix}").disabled
    assert not [b for b in at.button if b.key == "meetings_close"]


def test_without_sign_in_the_local_user_writes_and_closes(page_env: int) -> None:
    at = _meetings_page(None)  # sign-in not configured: the local user, leadership
    suffix = f"{page_env}_{ON_TIME}_2025-03"
    at.text_area(key=f"comment_drivers_{suffix}").input("Rain.")
    at.button(key=f"comment_save_{suffix}").click().run()
    assert "Commentary on 2025-03 saved." in [s.value for s in at.success]
    at.button(key="meetings_close").click().run()
    assert f"Meeting {page_env} closed." in [s.value for s in at.success]
    assert any(i.value.startswith("Closed at ") for i in at.info)
    assert at.button(key=f"comment_save_{suffix}").disabled
    at.button(key="meetings_close").click().run()  # now "Reopen the meeting"
    assert f"Meeting {page_env} reopened." in [s.value for s in at.success]
    assert not at.button(key=f"comment_save_{suffix}").disabled
    with meeting_schema.connect() as db:
        trail = audit.meeting_trail(db, page_env)
    assert trail["actor_name"].tolist()[-3:] == ["Local user"] * 3
    assert trail["action"].tolist()[-3:] == ["created", "closed", "reopened"]
