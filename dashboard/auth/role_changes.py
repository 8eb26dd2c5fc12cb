"""Role changes in the audit trail: who roles.yml gives which role, recorded whenever it
changes.

roles.yml is a file the city's IT edits, not something anyone does in the dashboard, so its
changes are found by comparison: the grants in force (each user and group of roles.yml, with
its role and departments) against the last state the trail recorded for each. Every
difference is appended as entity ``user``, action ``role_changed``, before and after as JSON,
under the roles file itself (role ``system``); a grant removed from the file becomes
``after: null``. The comparison and the records are one write transaction of the meetings
store (SQLite's write lock, PostgreSQL's advisory lock), so dashboards starting at once record
each change once, and a second look finds nothing to record. Nothing here imports Streamlit.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Connection, text

from dashboard.auth.roles import Grant, RolesConfig
from dashboard.meetings import audit, schema
from dashboard.meetings.database import MeetingsDB, StoreUnavailable, frame, meetings_url, reading

_LOG = logging.getLogger("citystat.dashboard")
# The roles files (path, version) and stores whose changes this process has recorded.
_RECORDED: set[tuple[str, int, int, str]] = set()
# Any fixed number, not the migrations' own: the lock the recording process holds (PostgreSQL).
_ROLE_CHANGES_LOCK = 7_240_315_002
_LATEST_SQL = """
SELECT entity_id, after_json FROM audit_log
WHERE audit_id IN (
    SELECT max(audit_id) FROM audit_log
    WHERE entity_kind = 'user' AND action = 'role_changed'
    GROUP BY entity_id
)
"""
_TRAIL_SQL = """
SELECT * FROM audit_log WHERE entity_kind = 'user' AND action = 'role_changed'
ORDER BY audit_id DESC
"""


def recorder(file_name: str) -> audit.Recorder:
    """Who the trail names for a change of roles.yml: the file itself."""
    return audit.Recorder(user=file_name, name="roles file")


def granted(config: RolesConfig) -> dict[str, dict[str, Any]]:
    """The grants in force, by entity id (``user:<e-mail>``, ``group:<name>``): the role, and
    the department ids of a department head."""

    def state(grant: Grant) -> dict[str, Any]:
        return {"role": grant.role, "departments": list(grant.departments)}

    grants = {f"user:{user}": state(grant) for user, grant in config.users.items()}
    grants.update({f"group:{group}": state(grant) for group, grant in config.groups.items()})
    return grants


def recorded(conn: Connection) -> dict[str, dict[str, Any] | None]:
    """The last state the trail recorded for each user and group (None: removed)."""
    rows = conn.execute(text(_LATEST_SQL)).all()
    return {str(entity): None if after is None else json.loads(after) for entity, after in rows}


def record_role_changes(db: MeetingsDB, config: RolesConfig, file_name: str) -> int:
    """Append one ``role_changed`` for every grant of ``config`` that differs from the trail's
    last record of it (new, changed or removed), in one write transaction; how many."""
    changes = 0
    with db.write() as conn:
        if db.backend == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ROLE_CHANGES_LOCK})
        before, after = recorded(conn), granted(config)
        for entity in sorted(set(before) | set(after)):
            old, new = before.get(entity), after.get(entity)
            if old == new:
                continue
            audit.record(conn, recorder(file_name), "role_changed", "user", entity, None, old, new)
            changes += 1
    return changes


def role_trail(source: MeetingsDB | Connection) -> pd.DataFrame:
    """Every recorded role change, newest first."""
    with reading(source) as conn:
        return frame(conn, _TRAIL_SQL)


def record_once(path: Path, config: RolesConfig) -> None:
    """Record how roles.yml's grants changed since the trail last looked, once per version of
    the file in this process: at the first page view after the dashboard starts, and after
    each edit. A store that cannot be used is left to the meetings pages to report."""
    try:
        stat = path.stat()
    except OSError:
        return
    key = (str(path), stat.st_mtime_ns, stat.st_size, str(meetings_url()))
    if key in _RECORDED:
        return
    try:
        with schema.connect() as db:
            record_role_changes(db, config, path.name)
    except StoreUnavailable as problem:
        _LOG.warning("role changes not recorded: %s", problem)
        return
    _RECORDED.add(key)
