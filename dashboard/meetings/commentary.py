"""Commentary: the four questions a Stat meeting asks of each metric and period, saved against
the version the person read (``StaleEdit`` when someone else saved a newer one since), each
save checked against the actor and recorded in the audit trail."""

from __future__ import annotations

from collections.abc import Mapping
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

# The four questions a Stat meeting asks of every metric, in the order they are discussed.
COMMENTARY_FIELDS: dict[str, str] = {
    "why_it_matters": "Why it matters",
    "drivers": "What drives performance",
    "barriers": "What holds it back",
    "improvement_plan": "Improvement plan",
}


_COMMENTARY_ROW = """
SELECT * FROM commentary
WHERE meeting_id = :meeting AND metric_id = :metric AND period_label = :period
"""
_INSERT_COMMENTARY = """
INSERT INTO commentary (meeting_id, metric_id, period_label, why_it_matters, drivers, barriers,
                        improvement_plan, updated_at, version)
VALUES (:meeting, :metric, :period, :why_it_matters, :drivers, :barriers, :improvement_plan,
        :updated_at, 1)
ON CONFLICT (meeting_id, metric_id, period_label) DO NOTHING
"""
# Only the version that was read is replaced: a concurrent save makes this change no row.
_UPDATE_COMMENTARY = """
UPDATE commentary SET why_it_matters = :why_it_matters, drivers = :drivers,
       barriers = :barriers, improvement_plan = :improvement_plan, updated_at = :updated_at,
       version = version + 1
WHERE meeting_id = :meeting AND metric_id = :metric AND period_label = :period
  AND version = :read_version
"""


def _texts(row: Mapping[str, Any] | None) -> dict[str, str | None]:
    return {field: None if row is None else row[field] for field in COMMENTARY_FIELDS}


def _check_commentary_target(
    conn: Connection, actor: Actor, meeting_id: int, metric_id: str, period_label: str
) -> None:
    meeting = require_meeting(conn, meeting_id)
    actor.require("write_commentary", metric_department(conn, meeting_id, metric_id))
    known = first_row(
        conn,
        "SELECT 1 AS known FROM packet_values WHERE meeting_id = :meeting "
        "AND metric_id = :metric AND period_label = :period",
        {"meeting": meeting_id, "metric": metric_id, "period": period_label},
    )
    if known is None:
        raise MeetingError(
            f"period '{period_label}' of '{metric_id}' is not in the packet of meeting "
            f"{meeting_id}; comment on one of the periods it froze"
        )
    require_open(meeting)


def save_commentary(
    db: MeetingsDB,
    actor: Actor,
    meeting_id: int,
    metric_id: str,
    period_label: str,
    texts: Mapping[str, str],
    *,
    read_version: int,
) -> int:
    """Write (or rewrite) the four-part commentary on one metric and period of a meeting.

    ``read_version`` is the version the person read (0: there was none yet); when someone
    saved another since, ``StaleEdit`` is raised and nothing is written. Returns the version
    now saved.
    """
    unknown = sorted(set(texts) - set(COMMENTARY_FIELDS))
    if unknown:
        raise MeetingError(
            f"unknown commentary field(s) {', '.join(unknown)}; use " + ", ".join(COMMENTARY_FIELDS)
        )
    cleaned = {field: (texts.get(field) or "").strip() or None for field in COMMENTARY_FIELDS}
    key = {"meeting": meeting_id, "metric": metric_id, "period": period_label}
    entity = f"{meeting_id}/{metric_id}/{period_label}"
    with db.write() as conn:
        _check_commentary_target(conn, actor, meeting_id, metric_id, period_label)
        current = first_row(conn, _COMMENTARY_ROW, key)
        version = 0 if current is None else int(current["version"])
        if version == read_version and _texts(current) == cleaned:
            return version  # nothing changed: no new version, nothing to audit
        params = {**key, **cleaned, "updated_at": utc_now(), "read_version": read_version}
        written = 0
        if version == read_version:
            sql = _INSERT_COMMENTARY if current is None else _UPDATE_COMMENTARY
            written = conn.execute(text(sql), params).rowcount
        if written != 1:  # an older version was read, or another save won the race
            current = first_row(conn, _COMMENTARY_ROW, key)
            raise audit.stale(
                conn,
                f"the commentary on {metric_id}, {period_label}",
                "commentary",
                entity,
                read_version,
                0 if current is None else int(current["version"]),
                cleaned,
                _texts(current),
            )
        action: audit.AuditAction = "created" if read_version == 0 else "edited"
        before = None if read_version == 0 else _texts(current)
        audit.record(conn, actor, action, "commentary", entity, meeting_id, before, cleaned)
    return read_version + 1


def commentary(source: MeetingsDB | Connection, meeting_id: int) -> pd.DataFrame:
    """Every commentary of a meeting (with its version), in packet order then period."""
    with reading(source) as conn:
        return frame(
            conn,
            "SELECT c.* FROM commentary c JOIN packet_metrics p "
            "ON p.meeting_id = c.meeting_id AND p.metric_id = c.metric_id "
            "WHERE c.meeting_id = :id ORDER BY p.position, c.period_label",
            {"id": meeting_id},
        )
