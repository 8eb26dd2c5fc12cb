"""What a meeting packet freezes: the metrics' definitions and their latest values."""

from __future__ import annotations

import pandas as pd

from dashboard.queries.metric_info import has_column, public_metric_ids, with_department_names
from dashboard.queries.reader import Warehouse, run_query

_PACKET_DEFINITIONS_SQL = """
SELECT metric_id, label, description, methodology, department, owner, cohort_service, unit,
       direction
FROM metric_definitions
WHERE list_contains($metric_ids, metric_id)
ORDER BY rowid
"""

# The definition each metric is computed with now: its latest version.
_PACKET_VERSIONS_SQL = """
SELECT metric_id, version AS definition_version,
       CAST(effective_from AS VARCHAR) AS definition_effective_from,
       definition AS definition_json
FROM metric_definition_versions
WHERE list_contains($metric_ids, metric_id)
QUALIFY row_number() OVER (PARTITION BY metric_id ORDER BY version DESC) = 1
"""

_VERSION_COLUMNS = ["definition_version", "definition_effective_from", "definition_json"]


def current_definitions(wh: Warehouse, metric_ids: list[str]) -> pd.DataFrame:
    """Each metric's latest definition version: metric_id, definition_version,
    definition_effective_from, definition_json (no rows from a warehouse without history)."""
    if not has_column(wh, "metric_definition_versions", "definition"):
        return pd.DataFrame(columns=["metric_id", *_VERSION_COLUMNS])
    return run_query(wh, _PACKET_VERSIONS_SQL, metric_ids=metric_ids)


# The last `periods` complete citywide periods of each metric at one grain, oldest first.
_PACKET_VALUES_SQL = """
SELECT metric_id, period_label, period_start, period_end, value, target, status, count
FROM metric_values
WHERE list_contains($metric_ids, metric_id) AND grain = $grain
  AND dimension = 'citywide' AND is_complete
QUALIFY row_number() OVER (PARTITION BY metric_id ORDER BY period_start DESC) <= $periods
ORDER BY metric_id, period_start
"""


def packet_source(
    wh: Warehouse, metric_ids: list[str], grain: str, periods: int = 12
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What a new meeting's packet freezes: the metrics' definitions (metrics.yml order) and
    their last ``periods`` complete citywide values at ``grain`` (oldest first).

    The packet freezes each metric's department by the name pages show (not its id), as it
    was when the meeting was held, and the definition version it was computed with.
    """
    definitions = with_department_names(
        wh, run_query(wh, _PACKET_DEFINITIONS_SQL, metric_ids=metric_ids), into="department"
    )
    definitions["public"] = definitions["metric_id"].isin(public_metric_ids(wh))
    # A metric the warehouse keeps no history for freezes NULLs: "not recorded".
    definitions = definitions.merge(
        current_definitions(wh, metric_ids), on="metric_id", how="left"
    ).astype({column: object for column in _VERSION_COLUMNS})
    values = run_query(wh, _PACKET_VALUES_SQL, metric_ids=metric_ids, grain=grain, periods=periods)
    return definitions, values
