"""Improvement plans: the milestones of each confirmed cohort service (what, by when, who, and
how it stands: planned, in progress, done or missed).

Leadership and the head of the service's department (as recorded when the cohort was
confirmed) may add and change milestones; each write is checked here and recorded in the
audit trail (entity 'milestone'). A change names the version it was read at: ``StaleEdit``
when someone changed the milestone since. Nothing here imports Streamlit.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import Connection, text

from dashboard.meetings import audit
from dashboard.meetings.database import MeetingError, MeetingsDB, first_row, frame, reading, utc_now
from dashboard.meetings.permissions import Actor

MILESTONE_STATUSES = ("planned", "in_progress", "done", "missed")
STATUS_WORDS = {
    "planned": "Planned",
    "in_progress": "In progress",
    "done": "Done",
    "missed": "Missed",
}


@dataclass(frozen=True)
class Milestone:
    """What a person entered for a milestone."""

    title: str
    due_date: date
    owner: str
    status: str = "planned"

    def checked(self) -> dict[str, str]:
        """The milestone as stored (ISO date, trimmed text), or MeetingError saying what to fix."""
        if not self.title.strip():
            raise MeetingError("describe the milestone: what will be done")
        if not self.owner.strip():
            raise MeetingError("name the milestone's owner: who will do it")
        if self.status not in MILESTONE_STATUSES:
            raise MeetingError(
                f"unknown status '{self.status}'; use one of: {', '.join(MILESTONE_STATUSES)}"
            )
        return {
            **asdict(self),
            "title": self.title.strip(),
            "owner": self.owner.strip(),
            "due_date": self.due_date.isoformat(),
        }


_MEMBER_SQL = """
SELECT s.department, c.cohort_label FROM cohort_services s
JOIN cohort_confirmations c USING (cohort_start)
WHERE s.cohort_start = :start AND s.service = :service AND s.in_cohort = 1
"""
_INSERT = """
INSERT INTO milestones (cohort_start, service, title, due_date, owner, status, created_at,
                        updated_at)
VALUES (:start, :service, :title, :due_date, :owner, :status, :at, :at)
RETURNING milestone_id
"""


def add_milestone(
    db: MeetingsDB, actor: Actor, cohort_start: date, service: str, milestone: Milestone
) -> int:
    """Add a milestone to the improvement plan of a service of a confirmed cohort; its id."""
    values = milestone.checked()
    start = cohort_start.isoformat()
    with db.write() as conn:
        member = first_row(conn, _MEMBER_SQL, {"start": start, "service": service})
        if member is None:
            raise MeetingError(
                f"'{service}' is in no confirmed cohort starting {start}; confirm the cohort "
                "first, then plan its services"
            )
        actor.require("write_milestone", member["department"])
        params = {**values, "start": start, "service": service, "at": utc_now()}
        milestone_id = int(conn.execute(text(_INSERT), params).scalar_one())
        after = {"cohort": member["cohort_label"], "service": service, **values}
        audit.record(conn, actor, "created", "milestone", milestone_id, None, after=after)
    return milestone_id


_ROW_SQL = """
SELECT m.*, s.department FROM milestones m
JOIN cohort_services s ON s.cohort_start = m.cohort_start AND s.service = m.service
WHERE m.milestone_id = :id
"""
# Only the version that was read is replaced: a concurrent change makes this change no row.
_UPDATE = """
UPDATE milestones SET title = :title, due_date = :due_date, owner = :owner, status = :status,
       updated_at = :at, version = version + 1
WHERE milestone_id = :id AND version = :read_version
"""
_SHOWN = ("title", "due_date", "owner", "status")


def _row(conn: Connection, milestone_id: int) -> dict[str, Any]:
    row = first_row(conn, _ROW_SQL, {"id": milestone_id})
    if row is None:
        raise MeetingError(f"there is no milestone {milestone_id}")
    return row


def update_milestone(
    db: MeetingsDB, actor: Actor, milestone_id: int, milestone: Milestone, *, read_version: int
) -> int:
    """Change a milestone's title, date, owner or status; the version now saved.

    ``read_version`` is the version the person read; when someone changed the milestone
    since, ``StaleEdit`` is raised and nothing is written."""
    values = milestone.checked()
    with db.write() as conn:
        row = _row(conn, milestone_id)
        actor.require("write_milestone", row["department"])
        before = {field: row[field] for field in _SHOWN}
        current = int(row["version"])
        if current == read_version and before == values:
            return read_version  # nothing changed: no new version, nothing to audit
        written = 0
        if current == read_version:
            params = {**values, "id": milestone_id, "at": utc_now(), "read_version": read_version}
            written = conn.execute(text(_UPDATE), params).rowcount
        if written != 1:  # an older version was read, or another change won the race
            row = _row(conn, milestone_id)
            raise audit.stale(
                conn,
                f"milestone #{milestone_id}",
                "milestone",
                milestone_id,
                read_version,
                int(row["version"]),
                values,
                {field: row[field] for field in _SHOWN},
            )
        action: audit.AuditAction = (
            "status_changed" if set(_changed(before, values)) == {"status"} else "edited"
        )
        audit.record(conn, actor, action, "milestone", milestone_id, None, before, values)
    return read_version + 1


def _changed(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [field for field in _SHOWN if before[field] != after[field]]


_PLAN_SQL = """
SELECT m.milestone_id, m.cohort_start, c.cohort_label, m.service, s.department, m.title,
       m.due_date, m.owner, m.status, m.version, m.updated_at
FROM milestones m
JOIN cohort_services s ON s.cohort_start = m.cohort_start AND s.service = m.service
JOIN cohort_confirmations c ON c.cohort_start = m.cohort_start
WHERE (CAST(:service AS TEXT) IS NULL OR m.service = :service)
  AND (CAST(:start AS TEXT) IS NULL OR m.cohort_start = :start)
ORDER BY m.cohort_start, m.service, m.due_date, m.milestone_id
"""


def improvement_plans(
    source: MeetingsDB | Connection, service: str | None = None, cohort_start: date | None = None
) -> pd.DataFrame:
    """Milestones (of one service, of one cohort, or all), by cohort, service and due date."""
    params = {
        "service": service,
        "start": None if cohort_start is None else cohort_start.isoformat(),
    }
    with reading(source) as conn:
        return frame(conn, _PLAN_SQL, params)


# A cohort meeting's scope is the cohort's label; a department meeting's is the department id.
# Every confirmed service of the scope, with its milestones (none yet: one row of NULLs).
_SCOPE_SQL = """
SELECT c.cohort_start, c.cohort_label, s.service, s.department, m.milestone_id, m.title,
       m.due_date, m.owner, m.status
FROM cohort_services s
JOIN cohort_confirmations c ON c.cohort_start = s.cohort_start
LEFT JOIN milestones m ON m.cohort_start = s.cohort_start AND m.service = s.service
WHERE s.in_cohort = 1
  AND ((:kind = 'cohort' AND c.cohort_label = :name)
       OR (:kind = 'department' AND s.department = :name))
ORDER BY c.cohort_start, s.rank, s.service, m.due_date, m.milestone_id
"""


def scope_plans(source: MeetingsDB | Connection, scope_kind: str, scope_name: str) -> pd.DataFrame:
    """The improvement plans a meeting of this scope reviews: each confirmed service of the
    cohort (or of the department, in any cohort) with its milestones, by cohort and due date."""
    with reading(source) as conn:
        return frame(conn, _SCOPE_SQL, {"kind": scope_kind, "name": scope_name})
