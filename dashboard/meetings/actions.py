"""Action items raised in meetings: adding them, changing their status, the open ones by scope."""

from __future__ import annotations

import sqlite3
from datetime import date

import pandas as pd

from dashboard.meetings.schema import MeetingError
from dashboard.meetings.store import require_packet_metric, utc_now

ACTION_STATUSES = ("open", "done", "dropped")


def add_action(
    con: sqlite3.Connection,
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
    require_packet_metric(con, meeting_id, metric_id)
    with con:
        cursor = con.execute(
            "INSERT INTO action_items (meeting_id, metric_id, description, owner, due_date, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (
                meeting_id,
                metric_id,
                description.strip(),
                owner.strip(),
                due_date.isoformat(),
                utc_now(),
            ),
        )
    return int(cursor.lastrowid or 0)


def set_action_status(
    con: sqlite3.Connection, action_id: int, status: str, on: date | None = None
) -> None:
    """Mark an action item open, done or dropped (on ``on``, today by default)."""
    if status not in ACTION_STATUSES:
        raise MeetingError(f"unknown status '{status}'; use one of: {', '.join(ACTION_STATUSES)}")
    changed_on = (on or date.today()).isoformat()
    with con:
        cursor = con.execute(
            "UPDATE action_items SET status = ?, status_changed_on = ? WHERE action_id = ?",
            (status, None if status == "open" else changed_on, action_id),
        )
    if cursor.rowcount == 0:
        raise MeetingError(f"there is no action item {action_id}")


_OPEN_ACTIONS_SQL = """
SELECT a.action_id, a.meeting_id AS raised_at_meeting, m.meeting_date AS raised_on,
       m.scope_name, a.metric_id, p.label AS metric_label, p.department, a.description,
       a.owner, a.due_date, a.due_date < :today AS overdue
FROM action_items a
JOIN meetings m USING (meeting_id)
JOIN packet_metrics p ON p.meeting_id = a.meeting_id AND p.metric_id = a.metric_id
WHERE a.status = 'open' AND (:department IS NULL OR p.department = :department)
ORDER BY a.due_date, a.action_id
"""


def open_actions(
    con: sqlite3.Connection, department: str | None = None, today: date | None = None
) -> pd.DataFrame:
    """Open action items (of one department's metrics), soonest due first, overdue flagged."""
    frame = pd.read_sql_query(
        _OPEN_ACTIONS_SQL,
        con,
        params={"department": department, "today": (today or date.today()).isoformat()},
    )
    frame["overdue"] = frame["overdue"].astype(bool)
    return frame
