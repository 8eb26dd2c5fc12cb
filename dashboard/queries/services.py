"""The service catalog as ranked: services, their factor scores, ranking and quarterly cohorts."""

from __future__ import annotations

import pandas as pd

from dashboard.queries.metric_info import with_department_names
from dashboard.queries.reader import Warehouse, run_query

_SERVICE_CATALOG_SQL = """
SELECT s.service, s.department, s.description, s.channels, s.channel_labels, s.mechanism,
       s.fees, s.costs, s.resident_must, s.application, s.documents, s.cohort_service,
       p.rank, p.cohort, p.cohort_label
FROM services s LEFT JOIN service_priorities p USING (service)
ORDER BY s.position
"""


def service_catalog(wh: Warehouse) -> pd.DataFrame:
    """Every service in services.yml order, with its rank, quarterly cohort and department
    name."""
    frame = run_query(wh, _SERVICE_CATALOG_SQL)
    for column in ("channels", "channel_labels", "documents"):
        frame[column] = [[] if v is None else [str(x) for x in v] for v in frame[column]]
    return with_department_names(wh, frame)


_RANKING_SQL = """
SELECT rank, service, department, score, people_served, people_served_basis, cohort,
       cohort_label, cohort_start, cohort_end, reason
FROM service_priorities
ORDER BY rank
"""


def service_ranking(wh: Warehouse) -> pd.DataFrame:
    """Services by priority rank, with score, cohort, the reason in words and the department's
    name."""
    return with_department_names(wh, run_query(wh, _RANKING_SQL))


_FACTORS_SQL = """
SELECT f.service, f.factor, f.factor_label, f.factor_order, f.weight, f.score,
       f.contribution, f.basis, f.detail
FROM service_priority_factors f JOIN service_priorities p USING (service)
ORDER BY p.rank, f.factor_order
"""


def service_factors(wh: Warehouse) -> pd.DataFrame:
    """Each service's six factor scores and contributions, in rank then factor order."""
    return run_query(wh, _FACTORS_SQL)


_COHORTS_SQL = """
SELECT cohort, cohort_label, cohort_start, cohort_end, capacity, services
FROM service_cohorts ORDER BY cohort
"""


def service_cohorts(wh: Warehouse) -> pd.DataFrame:
    """The quarterly cohorts, first first."""
    return run_query(wh, _COHORTS_SQL)
