"""The cohort calendar as the run published it, and a cohort's proposal from the ranking.

The calendar (history, current, next; each quarter's capacity) is the warehouse's. Which
services leadership confirmed lives in the meetings store, so the proposal is made here, at
read time: the next ``capacity`` services by rank, leaving out the ones the caller names
(services still improving in an earlier confirmed cohort, or already in the current one).
"""

from __future__ import annotations

import pandas as pd

from dashboard.queries.metric_info import has_column, with_department_names
from dashboard.queries.reader import Warehouse, run_query


def has_calendar(wh: Warehouse) -> bool:
    """Whether the warehouse's cohorts are the calendar's (a run before it numbered them)."""
    return has_column(wh, "service_cohorts", "state")


_CALENDAR_SQL = """
SELECT cohort, cohort_label, cohort_start, cohort_end, capacity, capacity_assessed,
       capacity_note, state, data_as_of
FROM service_cohorts ORDER BY cohort
"""


def cohort_calendar(wh: Warehouse) -> pd.DataFrame:
    """Every quarterly cohort from the first to the next, with its state and capacity."""
    calendar = run_query(wh, _CALENDAR_SQL)
    for column in ("cohort_start", "cohort_end", "data_as_of"):
        calendar[column] = [value.date() for value in pd.to_datetime(calendar[column])]
    return calendar


_PROPOSAL_SQL = """
SELECT rank, service, department, score
FROM service_priorities
WHERE NOT list_contains(CAST($taken AS VARCHAR[]), service)
ORDER BY rank
LIMIT $capacity
"""


def cohort_proposal(wh: Warehouse, capacity: int, taken: list[str]) -> pd.DataFrame:
    """The ``capacity`` highest-ranked services not in ``taken``, with their departments' names."""
    proposal = run_query(wh, _PROPOSAL_SQL, taken=sorted(taken), capacity=int(capacity))
    return with_department_names(wh, proposal)
