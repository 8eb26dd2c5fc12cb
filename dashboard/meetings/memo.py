"""A meeting's briefing memo in the meetings store: drafted from the data, edited by an analyst
or leadership against the version they read (``StaleEdit`` otherwise), then frozen by
leadership for the printed packet, after which it never changes. Every save and the freeze are
recorded in the audit trail (entity ``memo``, its id the meeting's). Nothing here imports
Streamlit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from dashboard.meetings import audit
from dashboard.meetings.checks import require_meeting
from dashboard.meetings.database import MeetingError, MeetingsDB, first_row, reading, utc_now
from dashboard.meetings.permissions import Actor

# A memo is a few pages at most; a bound keeps a pasted file out of the packet.
MAX_MEMO_CHARS = 20_000

_INSERT = """
INSERT INTO memos (meeting_id, body, updated_at, version)
VALUES (:meeting, :body, :at, 1)
ON CONFLICT (meeting_id) DO NOTHING
"""
# Only the version that was read, and only while not frozen: otherwise no row changes.
_UPDATE = """
UPDATE memos SET body = :body, updated_at = :at, version = version + 1
WHERE meeting_id = :meeting AND version = :read_version AND frozen_at IS NULL
"""
_FREEZE = """
UPDATE memos SET frozen_at = :at, frozen_by = :by
WHERE meeting_id = :meeting AND version = :read_version AND frozen_at IS NULL
"""


def memo(source: MeetingsDB | Connection, meeting_id: int) -> dict[str, Any] | None:
    """A meeting's memo (body, version, updated_at, frozen_at, frozen_by), or None."""
    with reading(source) as conn:
        return first_row(conn, "SELECT * FROM memos WHERE meeting_id = :id", {"id": meeting_id})


def _refuse_frozen(current: dict[str, Any] | None, meeting_id: int) -> None:
    if current is not None and current["frozen_at"] is not None:
        raise MeetingError(
            f"the briefing memo of meeting {meeting_id} was frozen at {current['frozen_at']} UTC "
            "for the printed packet and cannot change"
        )


def save_memo(
    db: MeetingsDB, actor: Actor, meeting_id: int, body: str, *, read_version: int
) -> int:
    """Save the memo's text against ``read_version`` (0: no memo yet); the version now saved.

    Analysts and leadership may; a frozen memo is refused; ``StaleEdit`` when someone saved
    another version since."""
    actor.require("write_memo")
    cleaned = body.strip()
    if not cleaned:
        raise MeetingError("the memo is empty; draft it from the data or write it")
    if len(cleaned) > MAX_MEMO_CHARS:
        raise MeetingError(f"the memo is longer than {MAX_MEMO_CHARS:,} characters; shorten it")
    with db.write() as conn:
        require_meeting(conn, meeting_id)
        current = memo(conn, meeting_id)
        _refuse_frozen(current, meeting_id)
        version = 0 if current is None else int(current["version"])
        if version == read_version and current is not None and current["body"] == cleaned:
            return version  # nothing changed: no new version, nothing to audit
        params = {"meeting": meeting_id, "body": cleaned, "at": utc_now()}
        written = 0
        if version == read_version:
            sql = _INSERT if current is None else _UPDATE
            written = conn.execute(text(sql), {**params, "read_version": read_version}).rowcount
        if written != 1:  # an older version was read, or another save won the race
            current = memo(conn, meeting_id)
            _refuse_frozen(current, meeting_id)
            raise audit.stale(
                conn,
                f"the briefing memo of meeting {meeting_id}",
                "memo",
                meeting_id,
                read_version,
                0 if current is None else int(current["version"]),
                {"body": cleaned},
                {"body": None if current is None else current["body"]},
            )
        before = None if current is None else {"body": current["body"]}
        action: audit.AuditAction = "created" if current is None else "edited"
        audit.record(conn, actor, action, "memo", meeting_id, meeting_id, before, {"body": cleaned})
    return read_version + 1


def freeze_memo(db: MeetingsDB, actor: Actor, meeting_id: int, *, read_version: int) -> None:
    """Make the memo final for the printed packet (leadership): the version read, and only
    once; ``StaleEdit`` when it was changed since it was read."""
    actor.require("freeze_memo")
    with db.write() as conn:
        require_meeting(conn, meeting_id)
        current = memo(conn, meeting_id)
        if current is None:
            raise MeetingError(f"meeting {meeting_id} has no memo yet; save one before freezing")
        _refuse_frozen(current, meeting_id)
        at = utc_now()
        params = {"meeting": meeting_id, "at": at, "by": actor.user, "read_version": read_version}
        if conn.execute(text(_FREEZE), params).rowcount != 1:
            raise audit.stale(
                conn,
                f"the briefing memo of meeting {meeting_id}",
                "memo",
                meeting_id,
                read_version,
                int(current["version"]),
                {"body": None},
                {"body": current["body"]},
            )
        after = {"version": read_version, "frozen_at": at}
        audit.record(conn, actor, "froze", "memo", meeting_id, meeting_id, after=after)
