"""The meetings database: stat review meetings, their frozen packets, commentary, action items.

It is its own SQLite file owned by the dashboard (``data/meetings.sqlite``, or the path in
``CITYSTAT_MEETINGS_DB``), never the warehouse: the pipeline can rebuild the warehouse at any
time without losing a meeting, and the dashboard keeps opening the warehouse read-only.

Creating a meeting freezes its packet: the metric definitions and citywide values under
review are copied in, so a later run does not change what was discussed. Action items stay
linked to the meeting that raised them; a meeting's agenda also carries over every item from
the previous meeting of the same department or cohort that was still open on its date.
Nothing here imports Streamlit.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd

from dashboard.meetings.schema import MeetingError

SCOPE_KINDS = ("department", "cohort")
# The four questions a Stat meeting asks of every metric, in the order they are discussed.
COMMENTARY_FIELDS: dict[str, str] = {
    "why_it_matters": "Why it matters",
    "drivers": "What drives performance",
    "barriers": "What holds it back",
    "improvement_plan": "Improvement plan",
}


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


def utc_now() -> str:
    return datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="seconds")


def create_meeting(
    con: sqlite3.Connection,
    spec: MeetingSpec,
    definitions: pd.DataFrame,
    values: pd.DataFrame,
    provenance: Provenance,
) -> int:
    """Record a meeting and freeze its packet (``packet_source``'s frames).

    ``definitions`` has metric_id, label, description, methodology, department, owner,
    cohort_service, unit, direction, public; ``values`` has metric_id, period_label,
    period_start, period_end, value, target, status, count. Returns the new meeting id.
    """
    if spec.scope_kind not in SCOPE_KINDS:
        raise MeetingError(f"unknown scope '{spec.scope_kind}'; use department or cohort")
    if not spec.scope_name.strip():
        raise MeetingError("choose the department or cohort the meeting reviews")
    if definitions.empty:
        raise MeetingError(
            f"{spec.scope_name} has no metrics to review; pick another {spec.scope_kind}"
        )
    with con:
        cursor = con.execute(
            "INSERT INTO meetings (meeting_date, scope_kind, scope_name, grain, title, "
            "created_at, run_id, data_as_of, warehouse) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                spec.meeting_date.isoformat(),
                spec.scope_kind,
                spec.scope_name,
                spec.grain,
                (spec.title or "").strip() or None,
                utc_now(),
                provenance.run_id,
                _iso(provenance.data_as_of),
                provenance.warehouse,
            ),
        )
        meeting_id = int(cursor.lastrowid or 0)
        # A packet is a few dozen metrics and a dozen periods each: copied row by row.
        con.executemany(
            "INSERT INTO packet_metrics VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    meeting_id,
                    str(row["metric_id"]),
                    position,
                    *(_iso(row[c]) for c in ("label", "description", "methodology")),
                    *(_iso(row[c]) for c in ("department", "owner", "cohort_service")),
                    _iso(row["unit"]),
                    _iso(row["direction"]),
                    int(bool(row.get("public", False))),
                )
                for position, row in enumerate(definitions.to_dict("records"))
            ],
        )
        con.executemany(
            "INSERT INTO packet_values VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    meeting_id,
                    str(row["metric_id"]),
                    str(row["period_label"]),
                    _iso(_as_date(row["period_start"])),
                    _iso(_as_date(row["period_end"])),
                    _number(row["value"]),
                    _number(row["target"]),
                    _iso(row["status"]),
                    None if _number(row["count"]) is None else int(row["count"]),
                )
                for row in values.to_dict("records")
            ],
        )
    return meeting_id


def _as_date(value: object) -> object:
    return value.date() if isinstance(value, datetime | pd.Timestamp) else value


def _frame(con: sqlite3.Connection, sql: str, params: tuple[Any, ...] = ()) -> pd.DataFrame:
    return pd.read_sql_query(sql, con, params=params)


_MEETINGS_SQL = """
SELECT m.meeting_id, m.meeting_date, m.scope_kind, m.scope_name, m.grain, m.title,
       m.created_at, m.run_id, m.data_as_of, m.warehouse,
       (SELECT count(*) FROM packet_metrics p WHERE p.meeting_id = m.meeting_id) AS metrics
FROM meetings m
ORDER BY m.meeting_date DESC, m.meeting_id DESC
"""


def list_meetings(con: sqlite3.Connection) -> pd.DataFrame:
    """Every meeting, newest first, with the number of metrics in its packet."""
    return _frame(con, _MEETINGS_SQL)


def _row(con: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> dict[str, Any] | None:
    cursor = con.execute(sql, params)
    row = cursor.fetchone()
    if row is None:
        return None
    return {str(column[0]): value for column, value in zip(cursor.description, row, strict=True)}


def get_meeting(con: sqlite3.Connection, meeting_id: int) -> dict[str, Any] | None:
    """One meeting's row (date, scope, grain, provenance), or None when there is none."""
    return _row(con, "SELECT * FROM meetings WHERE meeting_id = ?", (meeting_id,))


# The meetings of one department or cohort in the order they happen (same-day ones by id).
_PREVIOUS_SQL = """
SELECT p.* FROM meetings p JOIN meetings m
  ON p.scope_kind = m.scope_kind AND p.scope_name = m.scope_name
 AND (p.meeting_date < m.meeting_date
      OR (p.meeting_date = m.meeting_date AND p.meeting_id < m.meeting_id))
WHERE m.meeting_id = ?
ORDER BY p.meeting_date DESC, p.meeting_id DESC
LIMIT 1
"""


def previous_meeting(con: sqlite3.Connection, meeting_id: int) -> dict[str, Any] | None:
    """The last meeting of the same department or cohort before this one, if any."""
    return _row(con, _PREVIOUS_SQL, (meeting_id,))


def frozen_metrics(con: sqlite3.Connection, meeting_id: int) -> pd.DataFrame:
    """The packet's metric definitions as they were when the meeting was created."""
    frame = _frame(
        con,
        "SELECT * FROM packet_metrics WHERE meeting_id = ? ORDER BY position",
        (meeting_id,),
    )
    frame["public"] = frame["public"].astype(bool)
    return frame


def frozen_values(con: sqlite3.Connection, meeting_id: int) -> pd.DataFrame:
    """The packet's citywide values (metric, period, value, target, status), oldest first."""
    return _frame(
        con,
        "SELECT v.* FROM packet_values v JOIN packet_metrics p USING (meeting_id, metric_id) "
        "WHERE v.meeting_id = ? ORDER BY p.position, v.period_start",
        (meeting_id,),
    )


def require_packet_metric(con: sqlite3.Connection, meeting_id: int, metric_id: str) -> None:
    row = con.execute(
        "SELECT count(*) FROM packet_metrics WHERE meeting_id = ? AND metric_id = ?",
        (meeting_id, metric_id),
    ).fetchone()
    if not row[0]:
        raise MeetingError(
            f"metric '{metric_id}' is not in the packet of meeting {meeting_id}; pick one of "
            "the metrics the meeting reviews"
        )


def save_commentary(
    con: sqlite3.Connection,
    meeting_id: int,
    metric_id: str,
    period_label: str,
    texts: Mapping[str, str],
) -> None:
    """Write (or rewrite) the four-part commentary on one metric and period of a meeting."""
    unknown = sorted(set(texts) - set(COMMENTARY_FIELDS))
    if unknown:
        raise MeetingError(
            f"unknown commentary field(s) {', '.join(unknown)}; use " + ", ".join(COMMENTARY_FIELDS)
        )
    require_packet_metric(con, meeting_id, metric_id)
    known = con.execute(
        "SELECT count(*) FROM packet_values WHERE meeting_id = ? AND metric_id = ? "
        "AND period_label = ?",
        (meeting_id, metric_id, period_label),
    ).fetchone()
    if not known[0]:
        raise MeetingError(
            f"period '{period_label}' of '{metric_id}' is not in the packet of meeting "
            f"{meeting_id}; comment on one of the periods it froze"
        )
    cleaned = [(texts.get(field) or "").strip() or None for field in COMMENTARY_FIELDS]
    with con:
        con.execute(
            "INSERT INTO commentary VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (meeting_id, metric_id, period_label) DO UPDATE SET "
            "why_it_matters = excluded.why_it_matters, drivers = excluded.drivers, "
            "barriers = excluded.barriers, improvement_plan = excluded.improvement_plan, "
            "updated_at = excluded.updated_at",
            (meeting_id, metric_id, period_label, *cleaned, utc_now()),
        )


def commentary(con: sqlite3.Connection, meeting_id: int) -> pd.DataFrame:
    """Every commentary of a meeting, in packet order then period."""
    return _frame(
        con,
        "SELECT c.* FROM commentary c JOIN packet_metrics p USING (meeting_id, metric_id) "
        "WHERE c.meeting_id = ? ORDER BY p.position, c.period_label",
        (meeting_id,),
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
    SELECT chain.n, a.action_id FROM action_items a JOIN chain USING (meeting_id)
    UNION
    SELECT nxt.n, agenda.action_id
    FROM agenda JOIN chain nxt ON nxt.n = agenda.n + 1
    JOIN action_items a ON a.action_id = agenda.action_id
    WHERE a.status = 'open' OR a.status_changed_on >= nxt.meeting_date
)
SELECT a.action_id, a.meeting_id AS raised_at_meeting, raised.meeting_date AS raised_on,
       a.metric_id, p.label AS metric_label, p.department, a.description, a.owner,
       a.due_date, a.status, a.status_changed_on,
       a.meeting_id <> :meeting AS carried_over,
       a.status = 'open' AND a.due_date < here.meeting_date AS overdue
FROM agenda
JOIN chain here ON here.meeting_id = :meeting AND agenda.n = here.n
JOIN action_items a USING (action_id)
JOIN meetings raised ON raised.meeting_id = a.meeting_id
JOIN packet_metrics p ON p.meeting_id = a.meeting_id AND p.metric_id = a.metric_id
ORDER BY carried_over DESC, a.due_date, a.action_id
"""


def agenda(con: sqlite3.Connection, meeting_id: int) -> pd.DataFrame:
    """The action items a meeting reviews: carried over from the previous meeting (still
    open on its date; overdue flagged when due before it) first, then those it raised."""
    frame = pd.read_sql_query(_AGENDA_SQL, con, params={"meeting": meeting_id})
    for column in ("carried_over", "overdue"):
        frame[column] = frame[column].astype(bool)
    return frame


@dataclass(frozen=True)
class Packet:
    """Everything a meeting's packet shows: the meeting, its frozen metrics and values, the
    commentary, the agenda of action items and the meeting before it (if any)."""

    meeting: dict[str, Any]
    metrics: pd.DataFrame
    values: pd.DataFrame
    commentary: pd.DataFrame
    actions: pd.DataFrame
    previous: dict[str, Any] | None


def load_packet(con: sqlite3.Connection, meeting_id: int) -> Packet:
    """The whole packet of one meeting, read from the meetings database only."""
    meeting = get_meeting(con, meeting_id)
    if meeting is None:
        raise MeetingError(f"there is no meeting {meeting_id}; pick one from the list")
    return Packet(
        meeting=meeting,
        metrics=frozen_metrics(con, meeting_id),
        values=frozen_values(con, meeting_id),
        commentary=commentary(con, meeting_id),
        actions=agenda(con, meeting_id),
        previous=previous_meeting(con, meeting_id),
    )
