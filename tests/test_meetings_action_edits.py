"""Action items between meetings: owner, due date and status edited against the version read,
each change in the item's history; refusals (another department, a stale edit); an edited
item carried to the next meeting of its scope; overdue and "my actions" lists worked out by
hand. Both backends (meetings_target)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from dashboard.meetings import actions as meeting_actions
from dashboard.meetings import schema as meeting_schema
from dashboard.meetings import store
from dashboard.meetings.database import MeetingError, StaleEdit
from dashboard.meetings.permissions import PermissionDenied
from dashboard.meetings.tables import meeting_name
from tests.meetings_support import (
    ANALYST,
    LEAD,
    ON_TIME,
    POLICE_HEAD,
    STREETS_HEAD,
    department_meeting,
)


def test_an_edit_is_versioned_refused_when_stale_or_not_yours_and_kept_in_history(
    meetings_target: Path | str,
) -> None:
    with meeting_schema.connect(meetings_target) as db:
        meeting = department_meeting(db)
        item = meeting_actions.add_action(
            db, LEAD, meeting, ON_TIME, "Patch faster", "Highways", date(2025, 5, 1)
        )
        with pytest.raises(PermissionDenied, match="own departments"):
            meeting_actions.edit_action(db, POLICE_HEAD, item, {"owner": "X"}, read_version=1)
        with pytest.raises(PermissionDenied):
            meeting_actions.edit_action(db, ANALYST, item, {"owner": "X"}, read_version=1)
        with pytest.raises(MeetingError, match="cannot edit description"):
            meeting_actions.edit_action(db, LEAD, item, {"description": "X"}, read_version=1)
        with pytest.raises(MeetingError, match="owner"):
            meeting_actions.edit_action(db, LEAD, item, {"owner": "  "}, read_version=1)
        changes = {
            "owner": "Dana Ruiz",
            "owner_user": "Dana@City.Example",
            "due_date": date(2025, 6, 1),
        }
        assert meeting_actions.edit_action(db, STREETS_HEAD, item, changes, read_version=1) == 2
        # Someone who read version 1 is refused and told who changed it.
        with pytest.raises(StaleEdit, match="Carlton Williams") as stale:
            meeting_actions.edit_action(db, LEAD, item, {"status": "dropped"}, read_version=1)
        assert stale.value.theirs["owner"] == "Dana Ruiz"
        assert (
            meeting_actions.edit_action(
                db, LEAD, item, {"status": "done"}, read_version=2, on=date(2025, 5, 30)
            )
            == 3
        )
        # The same values again: no new version, nothing recorded.
        assert meeting_actions.edit_action(db, LEAD, item, {"status": "done"}, read_version=3) == 3
        history = meeting_actions.action_history(db, item)
        assert history["action"].tolist() == ["created", "edited", "status_changed"]
        assert history["actor_user"].tolist() == [LEAD.user, STREETS_HEAD.user, LEAD.user]
        edited = json.loads(history["after_json"].iloc[1])
        before = json.loads(history["before_json"].iloc[1])
        assert (before["owner"], before["due_date"], before["owner_user"]) == (
            "Highways",
            "2025-05-01",
            None,
        )
        assert (edited["owner"], edited["due_date"], edited["owner_user"]) == (
            "Dana Ruiz",
            "2025-06-01",
            "dana@city.example",
        )
        done = json.loads(history["after_json"].iloc[2])
        assert (done["status"], done["status_changed_on"]) == ("done", "2025-05-30")


def test_an_item_of_a_closed_meeting_is_still_edited_and_carries_with_its_new_due_date(
    meetings_target: Path | str,
) -> None:
    with meeting_schema.connect(meetings_target) as db:
        april = department_meeting(db, date(2025, 4, 20))
        late = meeting_actions.add_action(
            db, LEAD, april, ON_TIME, "Patch faster", "Highways", date(2025, 5, 1)
        )
        moved = meeting_actions.add_action(
            db, LEAD, april, ON_TIME, "Survey", "Ops", date(2025, 5, 1)
        )
        store.close_meeting(db, LEAD, april)
        # Between meetings: Survey's due date moves past May's meeting.
        meeting_actions.edit_action(
            db, STREETS_HEAD, moved, {"due_date": date(2025, 6, 1)}, read_version=1
        )
        may = department_meeting(db, date(2025, 5, 20))
        agenda = store.agenda(db, may).set_index("action_id")
        # Both open on 20 May: carried. Patch due 1 May < 20 May: overdue; Survey due 1 June.
        assert agenda.index.tolist() == [late, moved]
        assert agenda["carried_over"].tolist() == [True, True]
        assert agenda["overdue"].tolist() == [True, False]
        assert agenda.loc[moved, "due_date"] == "2025-06-01"


def test_overdue_and_my_actions_lists(meetings_target: Path | str) -> None:
    with meeting_schema.connect(meetings_target) as db:
        meeting = department_meeting(db)
        mine = meeting_actions.add_action(
            db,
            LEAD,
            meeting,
            ON_TIME,
            "Mine, overdue",
            "Carlton Williams",
            date(2025, 5, 1),
            owner_user="STREETS@city.example",
        )
        typed = meeting_actions.add_action(
            db, LEAD, meeting, ON_TIME, "Typed e-mail", "streets@city.example", date(2025, 7, 1)
        )
        other = meeting_actions.add_action(
            db, LEAD, meeting, ON_TIME, "Someone else's", "Carlton Williams", date(2025, 4, 1)
        )
        closed = meeting_actions.add_action(
            db, LEAD, meeting, ON_TIME, "Done", "Ops", date(2025, 4, 1)
        )
        meeting_actions.set_action_status(db, LEAD, closed, "done", read_version=1)
        # On 1 June: due 1 April and 1 May are before it; 1 July is not; done items never are.
        overdue = meeting_actions.overdue_actions(db, "streets", date(2025, 6, 1))
        assert overdue["action_id"].tolist() == [other, mine]
        assert meeting_actions.overdue_actions(db, "police", date(2025, 6, 1)).empty
        # On 1 May, a item due 1 May is not yet overdue.
        assert meeting_actions.overdue_actions(db, None, date(2025, 5, 1))[
            "action_id"
        ].tolist() == [other]
        # Matched on the sign-in id, picked or typed, ignoring case; never on a display name.
        by_me = meeting_actions.open_actions(
            db, today=date(2025, 6, 1), owner_user=STREETS_HEAD.user
        )
        assert by_me["action_id"].tolist() == [mine, typed]
        assert by_me["overdue"].tolist() == [True, False]


def test_a_meeting_without_a_title_is_named_without_nan() -> None:
    meetings = pd.DataFrame(
        {
            "meeting_id": [1, 2, 3],
            "meeting_date": ["2025-04-20"] * 3,
            "scope_name": ["Streets"] * 3,
            "grain": ["month"] * 3,
            "title": [None, float("nan"), "April review"],
        }
    )
    assert meeting_name(meetings, "1") == "2025-04-20 · Streets (Month)"
    assert meeting_name(meetings, "2") == "2025-04-20 · Streets (Month)"
    assert meeting_name(meetings, "3") == "2025-04-20 · Streets (Month) · April review"
