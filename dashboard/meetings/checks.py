"""The checks every write of the meetings store makes before it changes anything: the meeting
exists (and is still open, for commentary and new action items) and the metric is in its
packet, whose frozen department decides who may write about it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection

from dashboard.meetings.database import MeetingError, first_row


def require_meeting(conn: Connection, meeting_id: int) -> dict[str, Any]:
    """One meeting's row; refuses a meeting that does not exist."""
    meeting = first_row(conn, "SELECT * FROM meetings WHERE meeting_id = :id", {"id": meeting_id})
    if meeting is None:
        raise MeetingError(f"there is no meeting {meeting_id}; pick one from the list")
    return meeting


def require_open(meeting: Mapping[str, Any]) -> None:
    """Refuse a change to a closed meeting's commentary or new action items."""
    if meeting["closed_at"] is not None:
        raise MeetingError(
            f"meeting {meeting['meeting_id']} was closed at {meeting['closed_at']} UTC; "
            "leadership can reopen it to change it"
        )


def metric_department(conn: Connection, meeting_id: int, metric_id: str) -> str | None:
    """The department a packet metric belongs to (as frozen); refuses a metric the packet
    does not review."""
    row = first_row(
        conn,
        "SELECT department FROM packet_metrics WHERE meeting_id = :meeting AND metric_id = :metric",
        {"meeting": meeting_id, "metric": metric_id},
    )
    if row is None:
        raise MeetingError(
            f"metric '{metric_id}' is not in the packet of meeting {meeting_id}; pick one of "
            "the metrics the meeting reviews"
        )
    return None if row["department"] is None else str(row["department"])
