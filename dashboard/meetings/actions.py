"""Action items raised in meetings: adding them, changing their status, the open ones by scope.

Both writes check the actor against the department of the item's metric (as frozen in the
packet of the meeting that raised it) and record the change in the audit trail; a status
change names the version it was read at (``StaleEdit`` when someone changed the item since).
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
INSERT INTO action_items (meeting_id, metric_id, description, owner, due_date, created_at)
VALUES (:meeting_id, :metric_id, :description, :owner, :due_date, :created_at)
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
) -> int:
    """Raise an open action item at a meeting, on one of its packet's metrics; its id."""
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
    with db.write() as conn:
        meeting = require_meeting(conn, meeting_id)
        actor.require("write_action", metric_department(conn, meeting_id, metric_id))
        require_open(meeting)
        action_id = int(
            conn.execute(text(_INSERT_ACTION), {**item, "created_at": utc_now()}).scalar_one()
        )
        audit.record(conn, actor, "created", "action_item", action_id, meeting_id, after=item)
    return action_id


_ITEM_SQL = """
SELECT a.*, p.department FROM action_items a
JOIN packet_metrics p ON p.meeting_id = a.meeting_id AND p.metric_id = a.metric_id
WHERE a.action_id = :id
"""
# Only the version that was read is replaced: a concurrent change makes this change no row.
_SET_STATUS = """
UPDATE action_items SET status = :status, status_changed_on = :changed_on,
       version = version + 1
WHERE action_id = :id AND version = :read_version
"""


def _item(conn: Connection, action_id: int) -> dict[str, Any]:
    item = first_row(conn, _ITEM_SQL, {"id": action_id})
    if item is None:
        raise MeetingError(f"there is no action item {action_id}")
    return item


def set_action_status(
    db: MeetingsDB,
    actor: Actor,
    action_id: int,
    status: str,
    *,
    read_version: int,
    on: date | None = None,
) -> int:
    """Mark an action item open, done or dropped (on ``on``, today by default).

    ``read_version`` is the item's version the person read; when someone changed the item
    since, ``StaleEdit`` is raised and nothing is written. Returns the version now saved.
    """
    if status not in ACTION_STATUSES:
        raise MeetingError(f"unknown status '{status}'; use one of: {', '.join(ACTION_STATUSES)}")
    changed_on = None if status == "open" else (on or date.today()).isoformat()
    with db.write() as conn:
        item = _item(conn, action_id)
        actor.require("write_action", item["department"])
        before = {field: item[field] for field in _SHOWN}
        if int(item["version"]) == read_version and item["status"] == status:
            return read_version  # already so: no new version, nothing to audit
        params = {"status": status, "changed_on": changed_on, "id": action_id}
        written = 0
        if int(item["version"]) == read_version:
            update = {**params, "read_version": read_version}
            written = conn.execute(text(_SET_STATUS), update).rowcount
        if written != 1:  # an older version was read, or another change won the race
            item = _item(conn, action_id)
            raise audit.stale(
                conn,
                f"action item #{action_id}",
                "action_item",
                action_id,
                read_version,
                int(item["version"]),
                {**before, "status": status, "status_changed_on": changed_on},
                {field: item[field] for field in _SHOWN},
            )
        after = {**before, "status": status, "status_changed_on": changed_on}
        audit.record(
            conn,
            actor,
            "status_changed",
            "action_item",
            action_id,
            item["meeting_id"],
            before,
            after,
        )
    return read_version + 1


_OPEN_ACTIONS_SQL = """
SELECT a.action_id, a.meeting_id AS raised_at_meeting, m.meeting_date AS raised_on,
       m.scope_name, a.metric_id, p.label AS metric_label, p.department, a.description,
       a.owner, a.due_date, a.due_date < :today AS overdue
FROM action_items a
JOIN meetings m ON m.meeting_id = a.meeting_id
JOIN packet_metrics p ON p.meeting_id = a.meeting_id AND p.metric_id = a.metric_id
WHERE a.status = 'open' AND (CAST(:department AS TEXT) IS NULL OR p.department = :department)
ORDER BY a.due_date, a.action_id
"""


def open_actions(
    source: MeetingsDB | Connection, department: str | None = None, today: date | None = None
) -> pd.DataFrame:
    """Open action items (of one department's metrics), soonest due first, overdue flagged."""
    with reading(source) as conn:
        items = frame(
            conn,
            _OPEN_ACTIONS_SQL,
            {"department": department, "today": (today or date.today()).isoformat()},
        )
    items["overdue"] = items["overdue"].astype(bool)
    return items
