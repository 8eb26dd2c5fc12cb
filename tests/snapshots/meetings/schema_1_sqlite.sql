-- The meetings schema as citystat wrote it before numbered migrations had more than one step
-- (dashboard/meetings/schema.py, migration 1, run by sqlite3 executescript): files in use today.
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
