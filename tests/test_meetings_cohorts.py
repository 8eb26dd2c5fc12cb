"""Confirmed cohorts and improvement plans in the meetings store, on SQLite and PostgreSQL:
who may confirm and plan (refusals change nothing and record nothing), what a confirmation
keeps, concurrent milestone edits, and which services are still improving."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from dashboard.meetings import cohorts, milestones
from dashboard.meetings import schema as meeting_schema
from dashboard.meetings.cohorts import Candidate, CohortQuarter
from dashboard.meetings.database import MeetingError, MeetingsDB, StaleEdit
from dashboard.meetings.milestones import Milestone
from dashboard.meetings.packet_plans import plans_html
from dashboard.meetings.permissions import PermissionDenied
from tests.meetings_support import ANALYST, LEAD, POLICE_HEAD, STREETS_HEAD, VIEWER

Q2 = CohortQuarter(date(2026, 10, 1), date(2027, 1, 1), "FY2027 Q2", 2, date(2026, 11, 15))
Q3 = CohortQuarter(date(2027, 1, 1), date(2027, 4, 1), "FY2027 Q3", 2, date(2026, 11, 15))
POTHOLES = Candidate("Street defects and potholes", "streets", 1)
DUMPING = Candidate("Illegal dumping", "streets", 2)
VEHICLES = Candidate("Abandoned vehicles", "police", 3)


@pytest.fixture
def db(meetings_target: Path | str) -> Iterator[MeetingsDB]:
    with meeting_schema.connect(meetings_target) as store_db:
        yield store_db


def _trail(db: MeetingsDB) -> list[tuple[str, str, str, str]]:
    with db.read() as conn:
        rows = conn.execute(
            text(
                "SELECT actor_name, entity_kind, entity_id, action FROM audit_log ORDER BY audit_id"
            )
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def test_leadership_confirms_a_cohort_with_a_change_from_the_proposal(db: MeetingsDB) -> None:
    # Proposed: ranks 1 and 2. Leadership keeps potholes, swaps dumping for abandoned vehicles.
    cohorts.confirm_cohort(db, LEAD, Q2, [POTHOLES, DUMPING], [POTHOLES, VEHICLES], " Police ask ")
    (confirmation,) = cohorts.confirmations(db).to_dict("records")
    assert {k: confirmation[k] for k in ("cohort_start", "cohort_label", "capacity", "note")} == {
        "cohort_start": "2026-10-01",
        "cohort_label": "FY2027 Q2",
        "capacity": 2,
        "note": "Police ask",
    }
    assert (confirmation["confirmed_by"], confirmation["data_as_of"]) == (
        "mayor@city.example",
        "2026-11-15",
    )
    members = cohorts.confirmed_services(db)
    assert [(r.service, r.department, r.proposed, r.in_cohort) for r in members.itertuples()] == [
        ("Street defects and potholes", "streets", True, True),
        ("Abandoned vehicles", "police", False, True),  # added by leadership
        ("Illegal dumping", "streets", True, False),  # proposed, left out
    ]
    with db.read() as conn:
        after = conn.execute(text("SELECT after_json FROM audit_log")).scalar_one()
    assert json.loads(after) == {
        "quarter": "2026-10-01",
        "services": ["Street defects and potholes", "Abandoned vehicles"],
        "added": ["Abandoned vehicles"],
        "left_out": ["Illegal dumping"],
        "note": "Police ask",
    }
    assert _trail(db) == [("Cherelle Parker", "cohort", "FY2027 Q2", "confirmed")]


@pytest.mark.parametrize("actor", [STREETS_HEAD, ANALYST, VIEWER], ids=lambda a: a.role)
def test_only_leadership_confirms(db: MeetingsDB, actor) -> None:
    with pytest.raises(PermissionDenied, match="may not confirm cohort"):
        cohorts.confirm_cohort(db, actor, Q2, [POTHOLES], [POTHOLES])
    assert cohorts.confirmations(db).empty
    assert _trail(db) == []


def test_a_confirmation_is_refused_twice_over_capacity_and_empty(db: MeetingsDB) -> None:
    with pytest.raises(MeetingError, match=r"FY2027 Q2 can take 2 service\(s\) and 3 were"):
        cohorts.confirm_cohort(db, LEAD, Q2, [POTHOLES], [POTHOLES, DUMPING, VEHICLES])
    with pytest.raises(MeetingError, match="at least one service"):
        cohorts.confirm_cohort(db, LEAD, Q2, [POTHOLES], [])
    cohorts.confirm_cohort(db, LEAD, Q2, [POTHOLES], [POTHOLES])
    with pytest.raises(MeetingError, match="already confirmed by Cherelle Parker"):
        cohorts.confirm_cohort(db, LEAD, Q2, [DUMPING], [DUMPING])
    assert cohorts.confirmed_services(db)["service"].tolist() == ["Street defects and potholes"]
    assert len(_trail(db)) == 1


def _confirmed(db: MeetingsDB) -> None:
    cohorts.confirm_cohort(db, LEAD, Q2, [POTHOLES, VEHICLES], [POTHOLES, VEHICLES])


def test_the_department_head_plans_their_own_services_only(db: MeetingsDB) -> None:
    _confirmed(db)
    patch = Milestone("Second night crew", date(2026, 12, 15), " Highways ")
    first = milestones.add_milestone(db, STREETS_HEAD, Q2.start, POTHOLES.service, patch)
    for actor in (POLICE_HEAD, ANALYST, VIEWER):
        with pytest.raises(PermissionDenied):
            milestones.add_milestone(db, actor, Q2.start, POTHOLES.service, patch)
        with pytest.raises(PermissionDenied):
            milestones.update_milestone(db, actor, first, patch, read_version=1)
    tow = Milestone("Tow contract renewed", date(2027, 1, 31), "Fleet", "in_progress")
    milestones.add_milestone(db, POLICE_HEAD, Q2.start, VEHICLES.service, tow)
    milestones.add_milestone(db, LEAD, Q2.start, POTHOLES.service, patch)  # leadership: any
    plan = milestones.improvement_plans(db, service=POTHOLES.service)
    assert plan[["title", "due_date", "owner", "status", "department"]].values.tolist() == [
        ["Second night crew", "2026-12-15", "Highways", "planned", "streets"],
        ["Second night crew", "2026-12-15", "Highways", "planned", "streets"],
    ]
    assert [row[1:] for row in _trail(db)] == [
        ("cohort", "FY2027 Q2", "confirmed"),
        ("milestone", "1", "created"),
        ("milestone", "2", "created"),
        ("milestone", "3", "created"),
    ]


def test_milestones_only_for_services_in_a_confirmed_cohort(db: MeetingsDB) -> None:
    patch = Milestone("Second night crew", date(2026, 12, 15), "Highways")
    with pytest.raises(MeetingError, match="in no confirmed cohort"):
        milestones.add_milestone(db, LEAD, Q2.start, POTHOLES.service, patch)
    cohorts.confirm_cohort(db, LEAD, Q2, [POTHOLES, DUMPING], [POTHOLES])
    with pytest.raises(MeetingError, match="in no confirmed cohort"):  # proposed, left out
        milestones.add_milestone(db, LEAD, Q2.start, DUMPING.service, patch)
    with pytest.raises(MeetingError, match="name the milestone's owner"):
        milestones.add_milestone(
            db, LEAD, Q2.start, POTHOLES.service, patch.__class__("Crew", date(2026, 12, 1), "  ")
        )
    with pytest.raises(MeetingError, match="unknown status 'late'"):
        milestones.add_milestone(
            db, LEAD, Q2.start, POTHOLES.service, Milestone("Crew", date(2026, 12, 1), "H", "late")
        )


def test_a_concurrent_milestone_edit_is_refused(db: MeetingsDB) -> None:
    _confirmed(db)
    patch = Milestone("Second night crew", date(2026, 12, 15), "Highways")
    mid = milestones.add_milestone(db, STREETS_HEAD, Q2.start, POTHOLES.service, patch)
    # Both read version 1; leadership saves first, the department head's save is refused.
    done = Milestone("Second night crew", date(2026, 12, 15), "Highways", "done")
    assert milestones.update_milestone(db, LEAD, mid, done, read_version=1) == 2
    later = Milestone("Second night crew", date(2027, 1, 15), "Highways", "in_progress")
    with pytest.raises(StaleEdit, match=r"changed by Cherelle Parker \(leadership\)") as refused:
        milestones.update_milestone(db, STREETS_HEAD, mid, later, read_version=1)
    assert (refused.value.read_version, refused.value.current_version) == (1, 2)
    assert refused.value.theirs["status"] == "done"
    assert milestones.update_milestone(db, STREETS_HEAD, mid, later, read_version=2) == 3
    (row,) = milestones.improvement_plans(db).to_dict("records")
    assert (row["status"], row["due_date"], row["version"]) == ("in_progress", "2027-01-15", 3)
    assert [row[3] for row in _trail(db)] == ["confirmed", "created", "status_changed", "edited"]
    # Saving what is already there writes nothing and records nothing.
    assert milestones.update_milestone(db, STREETS_HEAD, mid, later, read_version=3) == 3
    assert len(_trail(db)) == 4


def test_still_improving(db: MeetingsDB) -> None:
    # FY2027 Q1 (history) confirmed potholes and dumping; potholes' plan has a milestone in
    # progress, dumping's plan is all done. FY2027 Q2 (current) confirmed abandoned vehicles.
    q1 = CohortQuarter(date(2026, 7, 1), date(2026, 10, 1), "FY2027 Q1", 2)
    cohorts.confirm_cohort(db, LEAD, q1, [POTHOLES, DUMPING], [POTHOLES, DUMPING])
    cohorts.confirm_cohort(db, LEAD, Q2, [VEHICLES], [VEHICLES])
    crew = Milestone("Crew", date(2026, 9, 1), "Highways", "in_progress")
    milestones.add_milestone(db, LEAD, q1.start, POTHOLES.service, crew)
    cameras = Milestone("Cameras", date(2026, 9, 1), "Sanitation", "done")
    milestones.add_milestone(db, LEAD, q1.start, DUMPING.service, cameras)
    # Proposing FY2027 Q3: vehicles (current cohort) and potholes (open milestone) are taken;
    # dumping's plan is finished, so it may be proposed again.
    taken = cohorts.still_improving(db, before=Q3.start, current_start=Q2.start)
    assert taken == ["Abandoned vehicles", "Street defects and potholes"]
    # Proposing the current quarter itself looks only at the quarters before it.
    assert cohorts.still_improving(db, before=Q2.start, current_start=Q2.start) == [
        "Street defects and potholes"
    ]


def test_the_packet_section_lists_the_scopes_plans(db: MeetingsDB) -> None:
    cohorts.confirm_cohort(db, LEAD, Q2, [POTHOLES, VEHICLES], [POTHOLES, VEHICLES])
    hostile = Milestone("<script>alert(1)</script> crews", date(2026, 12, 15), "Highways & co")
    milestones.add_milestone(db, LEAD, Q2.start, POTHOLES.service, hostile)
    done = Milestone("Bid out patching", date(2026, 10, 30), "Procurement", "done")
    milestones.add_milestone(db, LEAD, Q2.start, POTHOLES.service, done)
    # A cohort meeting of FY2027 Q2: both services, potholes' milestones by due date, and
    # abandoned vehicles with none yet.
    plans = milestones.scope_plans(db, "cohort", "FY2027 Q2")
    assert plans[["service", "title"]].fillna("").values.tolist() == [
        ["Street defects and potholes", "Bid out patching"],
        ["Street defects and potholes", "<script>alert(1)</script> crews"],
        ["Abandoned vehicles", ""],
    ]
    # A department meeting of police: its own service only.
    assert milestones.scope_plans(db, "department", "police")["service"].tolist() == [
        "Abandoned vehicles"
    ]
    html = plans_html(plans, "2026-11-20 09:00:00")
    assert "<h2>Improvement plans</h2>" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; crews" in html and "<script>" not in html
    assert "Highways &amp; co" in html
    assert '<td class="status">✔ Done</td>' in html
    assert '<td class="status">○ Planned</td>' in html
    assert html.count("<h3>") == 2 and "No milestone yet." in html
    empty = plans_html(milestones.scope_plans(db, "department", "parks"), "2026-11-20")
    assert "No confirmed cohort service in this meeting's scope." in empty
