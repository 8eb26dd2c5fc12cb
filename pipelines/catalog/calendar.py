"""The cohort calendar, in SQL: quarterly cohorts are the city's fiscal quarters, counted from
the data's current date (the newest moment the warehouse speaks of, not the wall clock, so a
warehouse built on any day reads the same).

Every fiscal quarter from ``cohorts.first_start`` on is a cohort: the quarter holding the
data's current date is the ``current`` cohort, the one after it the ``next`` (proposed), and
the ones before are ``history``. Each takes ``cohorts.capacity`` services, or the capacity a
capacity assessment set for that quarter. The ranking alone proposes the current and the next
cohort (ranks 1..capacity, then the following ones); which services leadership confirmed, and
so which the next proposal leaves out, lives in the dashboard's meetings store.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from pipelines.catalog.model import Cohorts
from pipelines.metrics.fiscal_quarters import fiscal_quarter_label_sql, fiscal_quarter_start_sql

COHORT_STATES = ("history", "current", "next")

# generate_series runs from the first cohort to the quarter after the current one (or to the
# first cohort alone, when it starts later than that: then it is the next, nothing current).
_CALENDAR_SQL = """
INSERT INTO service_cohorts BY NAME
WITH bounds AS (
    SELECT CAST($first_start AS DATE) AS first_start, {current} AS current_start
),
quarters AS (
    SELECT CAST(q.generate_series AS DATE) AS cohort_start, b.current_start
    FROM bounds b,
         generate_series(
             CAST(b.first_start AS TIMESTAMP),
             CAST(greatest(b.first_start, b.current_start + INTERVAL 3 MONTH) AS TIMESTAMP),
             INTERVAL 3 MONTH
         ) AS q
),
assessed AS (
    SELECT unnest(CAST($assessed_quarters AS DATE[])) AS cohort_start,
           unnest(CAST($assessed_capacities AS INTEGER[])) AS capacity,
           unnest(CAST($assessed_notes AS VARCHAR[])) AS note
),
calendar AS (
    SELECT row_number() OVER (ORDER BY q.cohort_start) AS cohort,
           {label} AS cohort_label,
           q.cohort_start,
           CAST(q.cohort_start + INTERVAL 3 MONTH AS DATE) AS cohort_end,
           coalesce(a.capacity, $capacity) AS capacity,
           a.capacity IS NOT NULL AS capacity_assessed,
           a.note AS capacity_note,
           CASE WHEN q.cohort_start < q.current_start THEN 'history'
                WHEN q.cohort_start = q.current_start THEN 'current'
                ELSE 'next' END AS state
    FROM quarters q LEFT JOIN assessed a USING (cohort_start)
),
-- Ranks already proposed for an open cohort (current, then next) before this one.
placed AS (
    SELECT *,
           coalesce(sum(CASE WHEN state <> 'history' THEN capacity END) OVER (
               ORDER BY cohort ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
    FROM calendar
)
SELECT cohort, cohort_label, cohort_start, cohort_end, capacity, capacity_assessed,
       capacity_note, state, CAST($as_of AS DATE) AS data_as_of,
       CASE WHEN state = 'history' THEN 0
            ELSE (SELECT count(*) FROM service_priorities p
                  WHERE p.rank > before AND p.rank <= before + capacity) END AS services,
       CASE WHEN state = 'history' THEN NULL ELSE before END AS ranks_before
FROM placed
"""

# Each service the ranking alone proposes for the current or the next cohort.
_ASSIGN_SQL = """
UPDATE service_priorities p
SET cohort = c.cohort, cohort_label = c.cohort_label, cohort_start = c.cohort_start,
    cohort_end = c.cohort_end
FROM service_cohorts c
WHERE c.state <> 'history'
  AND p.rank > c.ranks_before AND p.rank <= c.ranks_before + c.capacity
"""


def compute_cohort_calendar(
    con: duckdb.DuckDBPyConnection,
    cohorts: Cohorts,
    as_of: datetime,
    fiscal_year_start_month: int,
) -> None:
    """Fill service_cohorts (every cohort from the first to the next, with its state and
    capacity) and place service_priorities' ranks in the current and the next cohort."""
    current = fiscal_quarter_start_sql("$as_of", fiscal_year_start_month)
    label = fiscal_quarter_label_sql("q.cohort_start", fiscal_year_start_month)
    con.execute(
        _CALENDAR_SQL.format(current=current, label=label),
        {
            "first_start": cohorts.first_start,
            "as_of": as_of,
            "capacity": cohorts.capacity,
            "assessed_quarters": [a.quarter for a in cohorts.assessments],
            "assessed_capacities": [a.capacity for a in cohorts.assessments],
            "assessed_notes": [a.note for a in cohorts.assessments],
        },
    )
    con.execute(_ASSIGN_SQL)
