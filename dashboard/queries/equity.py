"""District equity: metrics with district breakdowns, each district's gap, district centroids."""

from __future__ import annotations

import pandas as pd

from dashboard.queries.metric_info import public_metric_ids
from dashboard.queries.reader import Warehouse, run_query

_EQUITY_METRICS_SQL = """
SELECT d.metric_id, d.label, d.department, d.unit, d.direction, d.methodology,
       d.canonical_table
FROM metric_definitions d
WHERE d.metric_id IN (SELECT DISTINCT metric_id FROM district_gaps)
  AND (NOT $public_only OR list_contains($public_ids, d.metric_id))
ORDER BY d.rowid
"""


def equity_metrics(wh: Warehouse, public_only: bool = False) -> pd.DataFrame:
    """Metrics that have council-district values (public ones only), in metrics.yml order."""
    return run_query(
        wh, _EQUITY_METRICS_SQL, public_only=public_only, public_ids=public_metric_ids(wh)
    )


_DISTRICT_GAPS_SQL = """
SELECT period_label, period_start, council_district, value, count, status, citywide_value,
       reference_value, reference_kind, gap, comparable, flagged, gap_threshold
FROM district_gaps
WHERE metric_id = $metric_id AND grain = $grain AND is_complete
ORDER BY period_start, try_cast(council_district AS INTEGER) NULLS LAST, council_district
"""


def district_gaps(wh: Warehouse, metric_id: str, grain: str) -> pd.DataFrame:
    """Each council district against citywide in every complete period, oldest first."""
    return run_query(wh, _DISTRICT_GAPS_SQL, metric_id=metric_id, grain=grain)


_CENTROIDS_SQL = """
SELECT council_district, latitude, longitude, records
FROM district_centroids
ORDER BY try_cast(council_district AS INTEGER) NULLS LAST, council_district
"""


def district_centroids(wh: Warehouse) -> pd.DataFrame:
    """Where each council district lies: the average position of its located requests."""
    return run_query(wh, _CENTROIDS_SQL)
