"""Permissions are checked where the meetings store writes, on SQLite and PostgreSQL: a refused
write says why, changes nothing and records nothing in the audit trail."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest

from dashboard.meetings import actions as meeting_actions
from dashboard.meetings import audit, store
from dashboard.meetings import schema as meeting_schema
from dashboard.meetings.database import MeetingError, MeetingsDB
from dashboard.meetings.permissions import Actor, PermissionDenied
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
