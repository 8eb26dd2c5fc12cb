"""The meetings store: stat review meetings, their frozen packets, commentary, action items.

It is the dashboard's own database (``database``: a SQLite file by default, or PostgreSQL),
never the warehouse: the pipeline can rebuild the warehouse at any time without losing a
meeting, and the dashboard keeps opening the warehouse read-only.

Creating a meeting freezes its packet: the metric definitions and citywide values under
review are copied in, so a later run does not change what was discussed. Action items stay
linked to the meeting that raised them; a meeting's agenda also carries over every item from
the previous meeting of the same department or cohort that was still open on its date.

Every write takes the signed-in ``Actor`` and checks it here, whatever the page showed:
scheduling, closing and reopening a meeting need ``leadership``; commentary and action items
need the right to write for the department of the metric they are about, as frozen in the
packet (``packet_metrics.department``). On a department meeting that is the meeting's own
department; on a cohort meeting, which reviews services of several departments, a department
head writes the commentary and action items of their own departments' metrics only, and
leadership all of them. A closed meeting takes no new commentary or action items until it is
reopened (the status of its items can still change, as they carry over). Every write records
its change in the audit trail (``audit``) in the same transaction. Commentary and action items
carry a version: a save names the version it was read at and is refused with ``StaleEdit``
when someone else saved a newer one meanwhile. Nothing here imports Streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Connection, text

from dashboard.meetings import audit
from dashboard.meetings.checks import require_meeting
from dashboard.meetings.commentary import COMMENTARY_FIELDS, commentary, save_commentary
from dashboard.meetings.database import (
    MeetingError,
    MeetingsDB,
    first_row,
    frame,
    reading,
    utc_now,
)
from dashboard.meetings.memo import memo
from dashboard.meetings.permissions import Actor

# The store's API: meetings and packets here, commentary from its own module.
__all__ = [
    "COMMENTARY_FIELDS",
    "SCOPE_KINDS",
    "MeetingSpec",
    "Packet",
    "Provenance",
    "agenda",
    "close_meeting",
    "commentary",
    "create_meeting",
    "frozen_metrics",
    "frozen_values",
    "get_meeting",
    "list_meetings",
    "load_packet",
    "previous_meeting",
    "reopen_meeting",
    "save_commentary",
]

SCOPE_KINDS = ("department", "cohort")


@dataclass(frozen=True)
class MeetingSpec:
    """What a person chooses when scheduling a meeting."""

    meeting_date: date
    scope_kind: str  # department | cohort
    scope_name: str
    grain: str
    title: str | None = None


@dataclass(frozen=True)
class Provenance:
    """Which warehouse the packet was copied from."""

    run_id: str | None
    data_as_of: datetime | None
    warehouse: str


def _iso(value: object) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):  # type: ignore[call-overload]
        return None
    if isinstance(value, datetime | pd.Timestamp):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _number(value: object) -> float | None:
    if value is None or pd.isna(value):  # type: ignore[call-overload]
        return None
    return float(value)  # type: ignore[arg-type]


def _as_date(value: object) -> object:
    return value.date() if isinstance(value, datetime | pd.Timestamp) else value


_INSERT_MEETING = """
INSERT INTO meetings (meeting_date, scope_kind, scope_name, grain, title, created_at, run_id,
                      data_as_of, warehouse)
VALUES (:meeting_date, :scope_kind, :scope_name, :grain, :title, :created_at, :run_id,
        :data_as_of, :warehouse)
RETURNING meeting_id
"""
_INSERT_METRIC = """
INSERT INTO packet_metrics (meeting_id, metric_id, position, label, description, methodology,
                            department, owner, cohort_service, unit, direction, public,
                            definition_version, definition_effective_from, definition_json)
VALUES (:meeting_id, :metric_id, :position, :label, :description, :methodology, :department,
        :owner, :cohort_service, :unit, :direction, :public, :definition_version,
        :definition_effective_from, :definition_json)
"""
_INSERT_VALUE = """
INSERT INTO packet_values (meeting_id, metric_id, period_label, period_start, period_end, value,
                           target, status, count)
VALUES (:meeting_id, :metric_id, :period_label, :period_start, :period_end, :value, :target,
        :status, :count)
"""
_METRIC_TEXTS = (
    "label",
    "description",
    "methodology",
    "department",
    "owner",
    "cohort_service",
    "unit",
    "direction",
)


def _version(value: Any) -> int | None:
    return None if _iso(value) is None else int(value)


def _metric_rows(meeting_id: int, definitions: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {
            "meeting_id": meeting_id,
            "metric_id": str(row["metric_id"]),
            "position": position,
            **{column: _iso(row[column]) for column in _METRIC_TEXTS},
            "public": int(bool(row.get("public", False))),
            # NULL when the warehouse kept no definition history.
            "definition_version": _version(row.get("definition_version")),
            "definition_effective_from": _iso(row.get("definition_effective_from")),
            "definition_json": _iso(row.get("definition_json")),
        }
        for position, row in enumerate(definitions.to_dict("records"))
    ]


def _value_rows(meeting_id: int, values: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {
            "meeting_id": meeting_id,
            "metric_id": str(row["metric_id"]),
            "period_label": str(row["period_label"]),
            "period_start": _iso(_as_date(row["period_start"])),
            "period_end": _iso(_as_date(row["period_end"])),
            "value": _number(row["value"]),
            "target": _number(row["target"]),
            "status": _iso(row["status"]),
            "count": None if _number(row["count"]) is None else int(row["count"]),
        }
        for row in values.to_dict("records")
    ]


def create_meeting(
    db: MeetingsDB,
    actor: Actor,
    spec: MeetingSpec,
    definitions: pd.DataFrame,
    values: pd.DataFrame,
    provenance: Provenance,
) -> int:
    """Record a meeting and freeze its packet (``packet_source``'s frames); leadership only.

    ``definitions`` has metric_id, label, description, methodology, department, owner,
    cohort_service, unit, direction, public and (optional, NULL when absent) the definition
    version it was computed with: definition_version, definition_effective_from,
    definition_json; ``values`` has metric_id, period_label,
    period_start, period_end, value, target, status, count. Returns the new meeting id.
    """
    actor.require("schedule_meeting")
    if spec.scope_kind not in SCOPE_KINDS:
        raise MeetingError(f"unknown scope '{spec.scope_kind}'; use department or cohort")
    if not spec.scope_name.strip():
        raise MeetingError("choose the department or cohort the meeting reviews")
    if definitions.empty:
        raise MeetingError(
            f"{spec.scope_name} has no metrics to review; pick another {spec.scope_kind}"
        )
    meeting = {
        "meeting_date": spec.meeting_date.isoformat(),
        "scope_kind": spec.scope_kind,
        "scope_name": spec.scope_name,
        "grain": spec.grain,
        "title": (spec.title or "").strip() or None,
    }
    frozen = {
        "run_id": provenance.run_id,
        "data_as_of": _iso(provenance.data_as_of),
        "warehouse": provenance.warehouse,
    }
    with db.write() as conn:
        meeting_id = int(
            conn.execute(
                text(_INSERT_MEETING), {**meeting, **frozen, "created_at": utc_now()}
            ).scalar_one()
        )
        # A packet is a few dozen metrics and a dozen periods each.
        conn.execute(text(_INSERT_METRIC), _metric_rows(meeting_id, definitions))
        value_rows = _value_rows(meeting_id, values)
        if value_rows:
            conn.execute(text(_INSERT_VALUE), value_rows)
        audit.record(conn, actor, "created", "meeting", meeting_id, meeting_id, after=meeting)
        froze = {**frozen, "metrics": len(definitions), "values": len(value_rows)}
        audit.record(conn, actor, "froze", "packet", meeting_id, meeting_id, after=froze)
    return meeting_id


def _set_closed(db: MeetingsDB, actor: Actor, meeting_id: int, close: bool) -> None:
    actor.require("close_meeting")
    with db.write() as conn:
        before = require_meeting(conn, meeting_id)["closed_at"]
        if (before is not None) == close:
            state = "closed" if close else "open"
            raise MeetingError(f"meeting {meeting_id} is already {state}")
        after = utc_now() if close else None
        conn.execute(
            text("UPDATE meetings SET closed_at = :at WHERE meeting_id = :id"),
            {"at": after, "id": meeting_id},
        )
        action: audit.AuditAction = "closed" if close else "reopened"
        audit.record(
            conn,
            actor,
            action,
            "meeting",
            meeting_id,
            meeting_id,
            before={"closed_at": before},
            after={"closed_at": after},
        )


def close_meeting(db: MeetingsDB, actor: Actor, meeting_id: int) -> None:
    """Close a meeting (leadership): its commentary and action items are final."""
    _set_closed(db, actor, meeting_id, close=True)


def reopen_meeting(db: MeetingsDB, actor: Actor, meeting_id: int) -> None:
    """Reopen a closed meeting (leadership), so its commentary and items can change again."""
    _set_closed(db, actor, meeting_id, close=False)


_MEETINGS_SQL = """
SELECT m.meeting_id, m.meeting_date, m.scope_kind, m.scope_name, m.grain, m.title,
       m.created_at, m.run_id, m.data_as_of, m.warehouse, m.closed_at,
       (SELECT count(*) FROM packet_metrics p WHERE p.meeting_id = m.meeting_id) AS metrics
FROM meetings m
ORDER BY m.meeting_date DESC, m.meeting_id DESC
"""


def list_meetings(source: MeetingsDB | Connection) -> pd.DataFrame:
    """Every meeting, newest first, with the number of metrics in its packet."""
    with reading(source) as conn:
        return frame(conn, _MEETINGS_SQL)


def get_meeting(source: MeetingsDB | Connection, meeting_id: int) -> dict[str, Any] | None:
    """One meeting's row (date, scope, grain, provenance), or None when there is none."""
    with reading(source) as conn:
        return first_row(conn, "SELECT * FROM meetings WHERE meeting_id = :id", {"id": meeting_id})


# The meetings of one department or cohort in the order they happen (same-day ones by id).
_PREVIOUS_SQL = """
SELECT p.* FROM meetings p JOIN meetings m
  ON p.scope_kind = m.scope_kind AND p.scope_name = m.scope_name
 AND (p.meeting_date < m.meeting_date
      OR (p.meeting_date = m.meeting_date AND p.meeting_id < m.meeting_id))
WHERE m.meeting_id = :id
ORDER BY p.meeting_date DESC, p.meeting_id DESC
LIMIT 1
"""


def previous_meeting(source: MeetingsDB | Connection, meeting_id: int) -> dict[str, Any] | None:
    """The last meeting of the same department or cohort before this one, if any."""
    with reading(source) as conn:
        return first_row(conn, _PREVIOUS_SQL, {"id": meeting_id})


def frozen_metrics(source: MeetingsDB | Connection, meeting_id: int) -> pd.DataFrame:
    """The packet's metric definitions as they were when the meeting was created."""
    with reading(source) as conn:
        metrics = frame(
            conn,
            "SELECT * FROM packet_metrics WHERE meeting_id = :id ORDER BY position",
            {"id": meeting_id},
        )
    metrics["public"] = metrics["public"].astype(bool)
    if "definition_version" in metrics:  # from migration 7 on
        # Whole numbers, None where not recorded (not floats with NaN, as pandas reads a mix).
        metrics["definition_version"] = pd.Series(
            metrics["definition_version"].astype("Int64"), dtype=object
        ).where(metrics["definition_version"].notna(), None)
    return metrics


def frozen_values(source: MeetingsDB | Connection, meeting_id: int) -> pd.DataFrame:
    """The packet's citywide values (metric, period, value, target, status), oldest first."""
    with reading(source) as conn:
        return frame(
            conn,
            "SELECT v.* FROM packet_values v JOIN packet_metrics p "
            "ON p.meeting_id = v.meeting_id AND p.metric_id = v.metric_id "
            "WHERE v.meeting_id = :id ORDER BY p.position, v.period_start",
            {"id": meeting_id},
        )


# A meeting's agenda: the items it raised, plus every item on the previous meeting's agenda
# of the same department or cohort that was still open on this meeting's date (not closed,
# or closed on or after that date). Recursing along the chain carries an item from meeting to
# meeting until it is closed; it stays linked to the meeting that raised it.
_AGENDA_SQL = """
WITH RECURSIVE chain AS (
    SELECT c.meeting_id, c.meeting_date,
           row_number() OVER (ORDER BY c.meeting_date, c.meeting_id) AS n
    FROM meetings c JOIN meetings m
      ON c.scope_kind = m.scope_kind AND c.scope_name = m.scope_name
    WHERE m.meeting_id = :meeting
),
agenda (n, action_id) AS (
    SELECT chain.n, a.action_id FROM action_items a JOIN chain ON chain.meeting_id = a.meeting_id
    UNION
    SELECT nxt.n, agenda.action_id
    FROM agenda JOIN chain nxt ON nxt.n = agenda.n + 1
    JOIN action_items a ON a.action_id = agenda.action_id
    WHERE a.status = 'open' OR a.status_changed_on >= nxt.meeting_date
)
SELECT a.action_id, a.meeting_id AS raised_at_meeting, raised.meeting_date AS raised_on,
       a.metric_id, p.label AS metric_label, p.department, a.description, a.owner,
       a.due_date, a.status, a.status_changed_on, a.version,
       a.meeting_id <> :meeting AS carried_over,
       a.status = 'open' AND a.due_date < here.meeting_date AS overdue
FROM agenda
JOIN chain here ON here.meeting_id = :meeting AND agenda.n = here.n
JOIN action_items a ON a.action_id = agenda.action_id
JOIN meetings raised ON raised.meeting_id = a.meeting_id
JOIN packet_metrics p ON p.meeting_id = a.meeting_id AND p.metric_id = a.metric_id
ORDER BY carried_over DESC, a.due_date, a.action_id
"""


def agenda(source: MeetingsDB | Connection, meeting_id: int) -> pd.DataFrame:
    """The action items a meeting reviews: carried over from the previous meeting (still
    open on its date; overdue flagged when due before it) first, then those it raised."""
    with reading(source) as conn:
        items = frame(conn, _AGENDA_SQL, {"meeting": meeting_id})
    for column in ("carried_over", "overdue"):
        items[column] = items[column].astype(bool)
    return items


@dataclass(frozen=True)
class Packet:
    """Everything a meeting's packet shows: the meeting, its frozen metrics and values, the
    commentary, the agenda of action items, the meeting before it (if any), the audit trail
    of the meeting's changes and its briefing memo (None until one is saved)."""

    meeting: dict[str, Any]
    metrics: pd.DataFrame
    values: pd.DataFrame
    commentary: pd.DataFrame
    actions: pd.DataFrame
    previous: dict[str, Any] | None
    audit: pd.DataFrame
    memo: dict[str, Any] | None = None


def load_packet(db: MeetingsDB, meeting_id: int) -> Packet:
    """The whole packet of one meeting, read in one transaction from the meetings store."""
    with db.read() as conn:
        return Packet(
            meeting=require_meeting(conn, meeting_id),
            metrics=frozen_metrics(conn, meeting_id),
            values=frozen_values(conn, meeting_id),
            commentary=commentary(conn, meeting_id),
            actions=agenda(conn, meeting_id),
            previous=previous_meeting(conn, meeting_id),
            audit=audit.meeting_trail(conn, meeting_id),
            memo=memo(conn, meeting_id),
        )
