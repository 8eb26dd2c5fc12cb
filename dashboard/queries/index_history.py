"""The leadership index over time for one scope (city, cohort, department), and the metrics
that moved it between two periods, read from leadership_index and leadership_index_members."""

from __future__ import annotations

import pandas as pd

from dashboard.queries.metric_info import missing_tables, with_department_names
from dashboard.queries.reader import Warehouse, run_query

# Which tables the history and its drill-down read (a warehouse published before the
# members table has the history but no drill-down).
HISTORY_TABLES = ["leadership_index"]
MOVES_TABLES = ["leadership_index_members", "metric_index_scores"]

_SCOPE_NAMES_SQL = """
SELECT DISTINCT i.scope_name, c.cohort
FROM leadership_index i
LEFT JOIN service_cohorts c ON i.scope = 'cohort' AND c.cohort_label = i.scope_name
WHERE i.scope = $scope AND i.grain = $grain
ORDER BY c.cohort NULLS LAST, i.scope_name
"""


def scope_names(wh: Warehouse, scope: str, grain: str) -> list[str]:
    """The members of a scope that have an index at a grain (cohorts in their order)."""
    return [str(n) for n in run_query(wh, _SCOPE_NAMES_SQL, scope=scope, grain=grain)["scope_name"]]


_HISTORY_SQL = """
SELECT period_start, period_label, index_value, index_change, metrics_scored, metrics_total,
       on_track, watch, off_track
FROM leadership_index
WHERE scope = $scope AND scope_name = $name AND grain = $grain AND is_complete
ORDER BY period_start
"""


def index_history(wh: Warehouse, scope: str, name: str, grain: str) -> pd.DataFrame:
    """One scope member's index in every complete period of a grain, oldest first."""
    return run_query(wh, _HISTORY_SQL, scope=scope, name=name, grain=grain)


# Every metric in scope in either period, side by side: a metric scored in one period only
# contributed nothing in the other. The contributions' change adds up to the index change.
_MOVES_SQL = """
WITH members AS (
    SELECT * FROM leadership_index_members
    WHERE scope = $scope AND scope_name = $name AND grain = $grain
      AND period_label IN ($before, $after)
),
before AS (SELECT * FROM members WHERE period_label = $before),
after AS (SELECT * FROM members WHERE period_label = $after)
SELECT metric_id, d.label, d.department, d.unit,
       vb.value AS value_before, va.value AS value_after,
       b.status AS status_before, a.status AS status_after,
       b.score AS score_before, a.score AS score_after,
       coalesce(b.contribution, 0) AS contribution_before,
       coalesce(a.contribution, 0) AS contribution_after,
       coalesce(a.contribution, 0) - coalesce(b.contribution, 0) AS contribution_change,
       b.status IS DISTINCT FROM a.status AS status_changed
FROM before b
FULL JOIN after a USING (metric_id)
JOIN metric_definitions d USING (metric_id)
LEFT JOIN metric_index_scores vb
    ON vb.metric_id = d.metric_id AND vb.grain = $grain AND vb.period_label = $before
LEFT JOIN metric_index_scores va
    ON va.metric_id = d.metric_id AND va.grain = $grain AND va.period_label = $after
ORDER BY abs(contribution_change) DESC, status_changed DESC, d.label
"""


def index_moves(
    wh: Warehouse, scope: str, name: str, grain: str, before: str, after: str
) -> pd.DataFrame:
    """Per metric in scope, its status, score and contribution to the index in the period
    ``before`` and the period ``after`` (labels), largest move first; empty when the
    warehouse predates the members table."""
    if missing_tables(wh, MOVES_TABLES):
        return pd.DataFrame()
    frame = run_query(
        wh, _MOVES_SQL, scope=scope, name=name, grain=grain, before=before, after=after
    )
    return with_department_names(wh, frame)
