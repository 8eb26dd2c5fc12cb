"""The meetings database file: where it is, opening it, and its numbered schema migrations."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from pipelines.warehouse.layout import data_dir

MEETINGS_ENV = "CITYSTAT_MEETINGS_DB"


# Each migration brings the file from version index to index + 1; new ones are appended, never
# edited, so a meetings file written by any older citystat opens and upgrades in place.
_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE meetings (
        meeting_id INTEGER PRIMARY KEY,
        meeting_date TEXT NOT NULL,              -- ISO date of the meeting
        scope_kind TEXT NOT NULL CHECK (scope_kind IN ('department', 'cohort')),
        scope_name TEXT NOT NULL,                -- the department or the cohort's label
        grain TEXT NOT NULL,                     -- the periods reviewed: month, quarter, ...
        title TEXT,
        created_at TEXT NOT NULL,                -- UTC, when the packet was frozen
        run_id TEXT,                             -- the warehouse run the packet was copied from
        data_as_of TEXT,
        warehouse TEXT                           -- the warehouse file (version) read
    );
    CREATE TABLE packet_metrics (
        meeting_id INTEGER NOT NULL REFERENCES meetings (meeting_id),
        metric_id TEXT NOT NULL,
        position INTEGER NOT NULL,
        label TEXT, description TEXT, methodology TEXT, department TEXT, owner TEXT,
        cohort_service TEXT, unit TEXT, direction TEXT, public INTEGER,
        PRIMARY KEY (meeting_id, metric_id)
    );
    CREATE TABLE packet_values (
        meeting_id INTEGER NOT NULL,
        metric_id TEXT NOT NULL,
        period_label TEXT NOT NULL,
        period_start TEXT, period_end TEXT,
        value REAL, target REAL, status TEXT, count INTEGER,
        PRIMARY KEY (meeting_id, metric_id, period_label),
        FOREIGN KEY (meeting_id, metric_id) REFERENCES packet_metrics (meeting_id, metric_id)
    );
    CREATE TABLE commentary (
        meeting_id INTEGER NOT NULL,
        metric_id TEXT NOT NULL,
        period_label TEXT NOT NULL,
        why_it_matters TEXT, drivers TEXT, barriers TEXT, improvement_plan TEXT,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (meeting_id, metric_id, period_label),
        FOREIGN KEY (meeting_id, metric_id, period_label)
            REFERENCES packet_values (meeting_id, metric_id, period_label)
    );
    CREATE TABLE action_items (
        action_id INTEGER PRIMARY KEY,
        meeting_id INTEGER NOT NULL,             -- the meeting that raised it, for good
        metric_id TEXT NOT NULL,
        description TEXT NOT NULL,
        owner TEXT NOT NULL,
        due_date TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'dropped')),
        created_at TEXT NOT NULL,
        status_changed_on TEXT,                  -- ISO date it was last marked done/dropped/open
        FOREIGN KEY (meeting_id, metric_id) REFERENCES packet_metrics (meeting_id, metric_id)
    );
    CREATE INDEX action_items_by_meeting ON action_items (meeting_id);
    """,
)


SCHEMA_VERSION = len(_MIGRATIONS)


def meetings_db_path() -> Path:
    """Where the meetings database lives (env CITYSTAT_MEETINGS_DB overrides)."""
    return Path(os.environ.get(MEETINGS_ENV, data_dir() / "meetings.sqlite"))


def connect(path: Path | None = None) -> sqlite3.Connection:
    """Open (creating or upgrading) the meetings database; foreign keys are enforced."""
    target = path or meetings_db_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    # Several Streamlit sessions write the same file: wait for a lock instead of failing.
    con = sqlite3.connect(target, timeout=15)
    con.execute("PRAGMA foreign_keys = ON")
    _migrate(con, target)
    return con


def _migrate(con: sqlite3.Connection, path: Path) -> None:
    version = int(con.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        con.close()
        raise MeetingError(
            f"{path} was written by a newer citystat (meetings schema {version}, this one "
            f"knows {SCHEMA_VERSION}); upgrade citystat, or point {MEETINGS_ENV} elsewhere"
        )
    for number in range(version, SCHEMA_VERSION):
        with con:  # each migration and its version number commit together
            con.executescript(f"BEGIN; {_MIGRATIONS[number]} PRAGMA user_version = {number + 1};")


class MeetingError(ValueError):
    """A mistake in what a person entered (unknown metric, empty owner, ...): say what to do."""
