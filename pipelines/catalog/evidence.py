"""What the warehouse says about each service: request volume and district gaps, in SQL."""

from __future__ import annotations

from datetime import datetime

import duckdb

from pipelines.catalog.model import ServicesConfig
from pipelines.catalog.prioritize import DistrictGap, Evidence

# The config's (service, request type) pairs arrive as two bound lists unnested side by side.
_VOLUME_SQL = """
WITH mapping AS (
    SELECT unnest($services) AS service, unnest($request_types) AS service_name
)
SELECT m.service, count(r.opened_at) AS requests
FROM mapping m
LEFT JOIN service_requests r
    ON r.service_name = m.service_name
   AND r.opened_at > CAST($as_of AS TIMESTAMP) - INTERVAL 12 MONTH
   AND r.opened_at <= CAST($as_of AS TIMESTAMP)
GROUP BY m.service
"""

# Per service, the largest comparable district gap among its metrics, each metric in its
# latest complete period at the configured grain.
_GAP_SQL = """
WITH mapping AS (
    SELECT unnest($services) AS service, unnest($cohort_services) AS cohort_service
),
latest AS (
    SELECT metric_id, max(period_start) AS period_start
    FROM district_gaps
    WHERE grain = $grain AND is_complete
    GROUP BY metric_id
),
candidates AS (
    SELECT m.service, d.label, g.council_district, g.period_label, g.gap,
           row_number() OVER (
               PARTITION BY m.service ORDER BY g.gap DESC, d.label, g.council_district
           ) AS pick
    FROM mapping m
    JOIN metric_definitions d ON d.cohort_service = m.cohort_service
    JOIN latest l ON l.metric_id = d.metric_id
    JOIN district_gaps g
        ON g.metric_id = l.metric_id AND g.grain = $grain AND g.period_start = l.period_start
    WHERE g.comparable AND g.gap IS NOT NULL
)
SELECT service, label, council_district, period_label, gap
FROM candidates
WHERE pick = 1
"""


def gather_evidence(
    con: duckdb.DuckDBPyConnection, config: ServicesConfig, as_of: datetime
) -> dict[str, Evidence]:
    """Request volume (last 12 months) and the worst district gap, per service, from SQL."""
    pairs = [(s.name, t) for s in config.services for t in s.service_names]
    volumes: dict[str, int] = {}
    if pairs:
        rows = con.execute(
            _VOLUME_SQL,
            {
                "services": [p[0] for p in pairs],
                "request_types": [p[1] for p in pairs],
                "as_of": as_of,
            },
        ).fetchall()
        volumes = {str(service): int(count) for service, count in rows}
    linked = [(s.name, s.cohort_service) for s in config.services if s.cohort_service]
    gaps: dict[str, DistrictGap] = {}
    if linked:
        rows = con.execute(
            _GAP_SQL,
            {
                "services": [p[0] for p in linked],
                "cohort_services": [p[1] for p in linked],
                "grain": config.equity.grain,
            },
        ).fetchall()
        gaps = {
            str(service): DistrictGap(float(gap), str(label), str(district), str(period))
            for service, label, district, period, gap in rows
        }
    return {
        s.name: Evidence(
            requests_last_year=volumes.get(s.name) or None,
            as_of=as_of.date(),
            gap=gaps.get(s.name),
        )
        for s in config.services
    }
