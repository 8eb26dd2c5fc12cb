"""What a meeting packet freezes: the metrics' definitions and their latest values."""

from __future__ import annotations

import pandas as pd

from dashboard.queries.metric_info import public_metric_ids, with_department_names
from dashboard.queries.reader import Warehouse, run_query

_PACKET_DEFINITIONS_SQL = """
SELECT metric_id, label, description, methodology, department, owner, cohort_service, unit,
       direction
FROM metric_definitions
WHERE list_contains($metric_ids, metric_id)
ORDER BY rowid
"""


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
    was when the meeting was held.
    """
    definitions = with_department_names(
        wh, run_query(wh, _PACKET_DEFINITIONS_SQL, metric_ids=metric_ids), into="department"
    )
    definitions["public"] = definitions["metric_id"].isin(public_metric_ids(wh))
    values = run_query(wh, _PACKET_VALUES_SQL, metric_ids=metric_ids, grain=grain, periods=periods)
    return definitions, values
