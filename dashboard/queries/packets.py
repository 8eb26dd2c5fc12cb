"""What a meeting packet freezes, and the open data residents download: definitions and values."""

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


# Citywide and council-district values only: the aggregates a resident can compare. ZIP and
# other breakdowns stay out of the download (small cells, and a file too large to offer).
_OPEN_DATA_SQL = """
SELECT v.metric_id, d.label, d.unit, d.direction, v.grain, v.period_label, v.period_start,
       v.period_end, v.is_complete, v.dimension, v.dimension_value, v.value, v.target,
       v.status, v.count
FROM metric_values v JOIN metric_definitions d USING (metric_id)
WHERE list_contains($public_ids, v.metric_id)
  AND v.dimension IN ('citywide', 'council_district')
ORDER BY d.rowid, v.grain, v.period_start, v.dimension <> 'citywide',
         try_cast(v.dimension_value AS INTEGER) NULLS LAST, v.dimension_value
"""


def open_data_values(wh: Warehouse) -> pd.DataFrame:
    """Every value of the public metrics, citywide and by council district (the open data)."""
    return run_query(wh, _OPEN_DATA_SQL, public_ids=public_metric_ids(wh))


_OPEN_DEFINITIONS_SQL = """
SELECT metric_id, label, description, methodology, department, unit, direction, grains,
       dimensions, min_count, coalesce(availability, '') AS availability
FROM metric_definitions
WHERE list_contains($public_ids, metric_id)
ORDER BY rowid
"""


def open_data_definitions(wh: Warehouse) -> pd.DataFrame:
    """How each public metric is computed: description, methodology, unit, direction, and
    the department (its id and name)."""
    frame = run_query(wh, _OPEN_DEFINITIONS_SQL, public_ids=public_metric_ids(wh))
    frame = with_department_names(wh, frame)
    return frame[[*frame.columns[:5], "department_name", *frame.columns[5:-1]]]
