"""Action items raised in meetings: adding them, editing their owner, due date and status
between meetings, their history, the open and overdue ones by department or by owner.

Both writes check the actor against the department of the item's metric (as frozen in the
packet of the meeting that raised it) and record the change in the audit trail, which is the
item's history; an edit names the version it was read at (``StaleEdit`` when someone changed
the item since).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import Connection, text

from dashboard.meetings import audit
from dashboard.meetings.checks import metric_department, require_meeting, require_open
from dashboard.meetings.database import (
    MeetingError,
    MeetingsDB,
    first_row,
    frame,
    reading,
    utc_now,
)
from dashboard.meetings.permissions import Actor

ACTION_STATUSES = ("open", "done", "dropped")
_SHOWN = ("description", "owner", "due_date", "status", "status_changed_on")

_INSERT_ACTION = """
INSERT INTO action_items (meeting_id, metric_id, description, owner, owner_user, due_date,
                          created_at)
VALUES (:meeting_id, :metric_id, :description, :owner, :owner_user, :due_date, :created_at)
RETURNING action_id
"""


def add_action(
    db: MeetingsDB,
    actor: Actor,
    meeting_id: int,
    metric_id: str,
    description: str,
    owner: str,
    due_date: date,
    *,
    owner_user: str | None = None,
) -> int:
    """Raise an open action item at a meeting, on one of its packet's metrics; its id.
    ``owner_user`` is the owner's sign-in id (e-mail) when they were picked from roles.yml."""
    if not description.strip():
        raise MeetingError("describe the action: what will be done")
    if not owner.strip():
        raise MeetingError("name the action's owner: who will do it")
    item = {
        "meeting_id": meeting_id,
        "metric_id": metric_id,
        "description": description.strip(),
        "owner": owner.strip(),
        "due_date": due_date.isoformat(),
    }
    if owner_user and owner_user.strip():
        item["owner_user"] = owner_user.strip().lower()
    with db.write() as conn:
        meeting = require_meeting(conn, meeting_id)
        actor.require("write_action", metric_department(conn, meeting_id, metric_id))
        require_open(meeting)
        action_id = int(
            conn.execute(
                text(_INSERT_ACTION), {"owner_user": None, **item, "created_at": utc_now()}
            ).scalar_one()
        )
        audit.record(conn, actor, "created", "action_item", action_id, meeting_id, after=item)
    return action_id


_ITEM_SQL = """
SELECT a.*, p.department FROM action_items a
JOIN packet_metrics p ON p.meeting_id = a.meeting_id AND p.metric_id = a.metric_id
WHERE a.action_id = :id
"""
# Only the version that was read is replaced: a concurrent change makes this change no row.
_UPDATE_ITEM = """
UPDATE action_items SET owner = :owner, owner_user = :owner_user, due_date = :due_date,
       status = :status, status_changed_on = :status_changed_on, version = version + 1
WHERE action_id = :id AND version = :read_version
"""
# What an edit may change, and what its history records of the item.
_EDITABLE = ("owner", "owner_user", "due_date", "status")
_STATE = (*_SHOWN, "owner_user")


def _item(conn: Connection, action_id: int) -> dict[str, Any]:
    item = first_row(conn, _ITEM_SQL, {"id": action_id})
    if item is None:
        raise MeetingError(f"there is no action item {action_id}")
    return item


def _changed(item: dict[str, Any], changes: dict[str, Any], on: date | None) -> dict[str, Any]:
    """The item's state after ``changes``, its status date set when the status moves."""
    after = {field: item[field] for field in _STATE}
    if "owner" in changes:
        owner = str(changes["owner"] or "").strip()
        if not owner:
            raise MeetingError("name the action's owner: who will do it")
        after["owner"] = owner
        after["owner_user"] = (str(changes.get("owner_user") or "").strip().lower()) or None
    if "due_date" in changes:
        due = changes["due_date"]
        if not isinstance(due, date):
            raise MeetingError("give the due date as a date")
        after["due_date"] = due.isoformat()
    status = changes.get("status", item["status"])
    if status != item["status"]:
        after["status"] = status
        after["status_changed_on"] = None if status == "open" else (on or date.today()).isoformat()
    return after


def edit_action(
    db: MeetingsDB,
    actor: Actor,
    action_id: int,
    changes: dict[str, Any],
    *,
    read_version: int,
    on: date | None = None,
) -> int:
    """Change an action item's owner (and the owner's sign-in id), due date or status.

    Leadership, or the head of the department of the item's metric, may do it, also after
    its meeting closed (items live on between meetings). ``read_version`` is the version the
    person read; when someone changed the item since, ``StaleEdit`` is raised and nothing is
    written. Each change is recorded in the item's history (the audit trail). A status moved
    off "open" is dated ``on`` (today by default). Returns the version now saved.
    """
    unknown = sorted(set(changes) - set(_EDITABLE))
    if unknown:
        raise MeetingError(f"cannot edit {', '.join(unknown)}; edit one of {', '.join(_EDITABLE)}")
    status = changes.get("status", "open")
    if status not in ACTION_STATUSES:
        raise MeetingError(f"unknown status '{status}'; use one of: {', '.join(ACTION_STATUSES)}")
    with db.write() as conn:
        item = _item(conn, action_id)
        actor.require("write_action", item["department"])
        before = {field: item[field] for field in _STATE}
        after = _changed(item, changes, on)
        current = int(item["version"])
        if current == read_version and after == before:
            return read_version  # nothing changed: no new version, nothing to audit
        written = 0
        if current == read_version:
            update = {**after, "id": action_id, "read_version": read_version}
            written = conn.execute(text(_UPDATE_ITEM), update).rowcount
        if written != 1:  # an older version was read, or another change won the race
            item = _item(conn, action_id)
            raise audit.stale(
                conn,
                f"action item #{action_id}",
                "action_item",
                action_id,
                read_version,
                int(item["version"]),
                after,
                {field: item[field] for field in _STATE},
            )
        moved = {field for field in _STATE if before[field] != after[field]}
        kind: audit.AuditAction = (
            "status_changed" if moved <= {"status", "status_changed_on"} else "edited"
        )
        audit.record(conn, actor, kind, "action_item", action_id, item["meeting_id"], before, after)
    return read_version + 1


def set_action_status(
    db: MeetingsDB,
    actor: Actor,
    action_id: int,
    status: str,
    *,
    read_version: int,
    on: date | None = None,
) -> int:
    """Mark an action item open, done or dropped (on ``on``, today by default); the version
    now saved (``StaleEdit`` when someone changed the item since ``read_version``)."""
    return edit_action(db, actor, action_id, {"status": status}, read_version=read_version, on=on)


def action_history(source: MeetingsDB | Connection, action_id: int) -> pd.DataFrame:
    """Every recorded change of one action item (created, edited, status), oldest first."""
    with reading(source) as conn:
        return frame(
            conn,
            "SELECT * FROM audit_log WHERE entity_kind = 'action_item' AND entity_id = :id "
            "ORDER BY audit_id",
            {"id": str(action_id)},
        )


_OPEN_ACTIONS_SQL = """
SELECT a.action_id, a.meeting_id AS raised_at_meeting, m.meeting_date AS raised_on,
       m.scope_name, a.metric_id, p.label AS metric_label, p.department, a.description,
       a.owner, a.owner_user, a.due_date, a.status, a.version, a.due_date < :as_of AS overdue
FROM action_items a
JOIN meetings m ON m.meeting_id = a.meeting_id
JOIN packet_metrics p ON p.meeting_id = a.meeting_id AND p.metric_id = a.metric_id
WHERE a.status = 'open' AND (CAST(:department AS TEXT) IS NULL OR p.department = :department)
  AND (CAST(:user AS TEXT) IS NULL OR lower(a.owner_user) = :user OR lower(a.owner) = :user)
ORDER BY a.due_date, a.action_id
"""


def open_actions(
    source: MeetingsDB | Connection,
    department: str | None = None,
    today: date | None = None,
    *,
    owner_user: str | None = None,
) -> pd.DataFrame:
    """Open action items (of one department's metrics, or owned by one person's sign-in id),
    soonest due first; overdue when due before ``today`` (the date the page counts from)."""
    params = {
        "department": department,
        "as_of": (today or date.today()).isoformat(),
        "user": None if owner_user is None else owner_user.strip().lower(),
    }
    with reading(source) as conn:
        items = frame(conn, _OPEN_ACTIONS_SQL, params)
    items["overdue"] = items["overdue"].astype(bool)
    return items


def overdue_actions(
    source: MeetingsDB | Connection, department: str | None, today: date
) -> pd.DataFrame:
    """Open action items due before ``today`` (of one department's metrics, or all)."""
    items = open_actions(source, department, today)
    return items[items["overdue"]].reset_index(drop=True)
