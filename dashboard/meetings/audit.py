"""The audit trail: who changed what in the meetings store, when, and from what to what.

Every write of the store records its change here with ``record``, on the connection of the
write's own transaction, so the change and its trail commit (or roll back) together. The trail
is append-only: this module has no update or delete, and the database refuses them (a trigger
on SQLite and PostgreSQL). Each row names the person (stable user id, name and role), the UTC
instant, the entity (kind and id, and the meeting it belongs to), the action, and what the
entity was before and became after, as JSON. Nothing here imports Streamlit.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import pandas as pd
from sqlalchemy import Connection, text

from dashboard.meetings.database import (
    MeetingsDB,
    StaleEdit,
    first_row,
    frame,
    reading,
    utc_now,
)

# The database checks the same words (dashboard/meetings/schema.py, migration 4).
AuditAction = Literal[
    "created",
    "edited",
    "closed",
    "reopened",
    "froze",
    "status_changed",
    "role_changed",
    "confirmed",
    "carried",
    "deleted",
]
EntityKind = Literal[
    "meeting", "packet", "commentary", "action_item", "user", "cohort", "milestone", "memo"
]


class Who(Protocol):
    """Whoever a change is recorded under: a signed-in ``Actor``, or a ``Recorder``."""

    @property
    def user(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def role(self) -> str: ...


@dataclass(frozen=True)
class Recorder:
    """A change no signed-in person made (roles.yml edited by the city's IT): the trail
    names its source, with the role ``system``."""

    user: str
    name: str
    role: str = "system"


_INSERT = """
INSERT INTO audit_log (at, actor_user, actor_name, actor_role, meeting_id, entity_kind,
                       entity_id, action, before_json, after_json)
VALUES (:at, :user, :name, :role, :meeting_id, :kind, :entity_id, :action, :before, :after)
"""


def _json(state: Mapping[str, Any] | None) -> str | None:
    if state is None:
        return None
    return json.dumps(dict(state), ensure_ascii=False, default=str)


def record(
    conn: Connection,
    actor: Who,
    action: AuditAction,
    kind: EntityKind,
    entity_id: object,
    meeting_id: int | None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> None:
    """Append one change to the trail, in the transaction ``conn`` is in."""
    conn.execute(
        text(_INSERT),
        {
            "at": utc_now(),
            "user": actor.user,
            "name": actor.name,
            "role": actor.role,
            "meeting_id": meeting_id,
            "kind": kind,
            "entity_id": str(entity_id),
            "action": action,
            "before": _json(before),
            "after": _json(after),
        },
    )


def meeting_trail(source: MeetingsDB | Connection, meeting_id: int) -> pd.DataFrame:
    """Every recorded change of one meeting: the meeting, its packet, its commentary and the
    action items it raised (wherever their status was later changed), oldest first."""
    with reading(source) as conn:
        return frame(
            conn,
            "SELECT * FROM audit_log WHERE meeting_id = :meeting ORDER BY audit_id",
            {"meeting": meeting_id},
        )


def last_change(conn: Connection, kind: EntityKind, entity_id: object) -> dict[str, Any] | None:
    """The latest recorded change of one entity (who and when), if any."""
    return first_row(
        conn,
        "SELECT actor_name, actor_role, at FROM audit_log "
        "WHERE entity_kind = :kind AND entity_id = :entity ORDER BY audit_id DESC LIMIT 1",
        {"kind": kind, "entity": str(entity_id)},
    )


def stale(
    conn: Connection,
    what: str,
    kind: EntityKind,
    entity_id: object,
    read_version: int,
    current_version: int,
    yours: Mapping[str, str | None],
    theirs: Mapping[str, str | None],
) -> StaleEdit:
    """The refusal of a save against a version someone else has replaced, naming who
    replaced it and when (from the trail)."""
    change = last_change(conn, kind, entity_id)
    return StaleEdit(
        what,
        str(entity_id),
        read_version,
        current_version,
        dict(yours),
        dict(theirs),
        changed_by=None if change is None else f"{change['actor_name']} ({change['actor_role']})",
        changed_at=None if change is None else str(change["at"]),
    )


_KINDS = {
    "meeting": "Meeting",
    "packet": "Packet",
    "commentary": "Commentary",
    "action_item": "Action item",
    "user": "User",
    "cohort": "Cohort",
    "milestone": "Milestone",
    "memo": "Briefing memo of meeting",
}
_ACTIONS = {
    "created": "Created",
    "edited": "Edited",
    "closed": "Closed",
    "reopened": "Reopened",
    "froze": "Froze",
    "status_changed": "Changed status",
    "role_changed": "Changed role",
    "confirmed": "Confirmed",
    "carried": "Carried",
    "deleted": "Deleted",
}
AUDIT_CSV_COLUMNS = (
    "audit_id",
    "at",
    "actor_user",
    "actor_name",
    "actor_role",
    "meeting_id",
    "entity_kind",
    "entity_id",
    "action",
    "before_json",
    "after_json",
)


def describe(state_json: object) -> str:
    """A before/after JSON summary as one line of text: 'status: done; owner: HR'."""
    if state_json is None or (isinstance(state_json, float) and pd.isna(state_json)):
        return ""
    state = json.loads(str(state_json))
    return "; ".join(f"{key}: {_value(value)}" for key, value in state.items())


def _value(value: object) -> str:
    if value is None or value == []:
        return "—"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def _entity(kind: str, entity_id: str) -> str:
    if kind == "commentary":  # meeting/metric/period
        return "Commentary on " + ", ".join(entity_id.split("/", 2)[1:])
    if kind in ("action_item", "milestone"):
        return f"{_KINDS[kind]} #{entity_id}"
    if kind == "user":  # user:<e-mail> or group:<name>, as roles.yml grants them
        holder, _, name = entity_id.partition(":")
        return f"Role of {holder} {name}" if name else f"Role of {entity_id}"
    return f"{_KINDS.get(kind, kind)} {entity_id}"


def audit_rows(trail: pd.DataFrame) -> pd.DataFrame:
    """Display rows of an audit trail: when, who, what, the change, before and after."""
    return pd.DataFrame(
        {
            "When (UTC)": trail["at"].astype(str).tolist(),
            "Who": [
                f"{name} ({role}, {user})"
                for name, role, user in zip(
                    trail["actor_name"], trail["actor_role"], trail["actor_user"], strict=True
                )
            ],
            "What": [
                _entity(str(k), str(i))
                for k, i in zip(trail["entity_kind"], trail["entity_id"], strict=True)
            ],
            "Change": [_ACTIONS.get(str(a), str(a)) for a in trail["action"]],
            "Before": [describe(v) for v in trail["before_json"]],
            "After": [describe(v) for v in trail["after_json"]],
        },
        columns=["When (UTC)", "Who", "What", "Change", "Before", "After"],
    )
