"""The cohort calendar on hand-worked dates: fiscal quarters counted from the data's current
date, their names, their states and capacities, and the ranks the ranking alone proposes."""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import pytest

from pipelines.catalog.calendar import compute_cohort_calendar
from pipelines.catalog.model import CapacityAssessment, Cohorts
from pipelines.catalog.tables import create_service_tables
from pipelines.metrics.fiscal_quarters import fiscal_quarter_label_sql, fiscal_quarter_start_sql


@pytest.mark.parametrize(
    ("day", "fiscal_start", "quarter_start", "label"),
    [
        # July fiscal year: FY2027 runs Jul 2026 - Jun 2027; November is in its second quarter.
        (date(2026, 11, 15), 7, date(2026, 10, 1), "FY2027 Q2"),
        (date(2026, 7, 1), 7, date(2026, 7, 1), "FY2027 Q1"),
        (date(2026, 6, 30), 7, date(2026, 4, 1), "FY2026 Q4"),
        # October (federal) fiscal year: October 2026 starts FY2027.
        (date(2026, 10, 1), 10, date(2026, 10, 1), "FY2027 Q1"),
        (date(2026, 9, 30), 10, date(2026, 7, 1), "FY2026 Q4"),
        # A fiscal year starting in February: quarters Feb-Apr, May-Jul, Aug-Oct, Nov-Jan.
        (date(2027, 1, 31), 2, date(2026, 11, 1), "FY2027 Q4"),
        # Calendar-year city: plain calendar quarters.
        (date(2026, 12, 31), 1, date(2026, 10, 1), "2026 Q4"),
        (date(2026, 1, 1), 1, date(2026, 1, 1), "2026 Q1"),
    ],
)
def test_fiscal_quarter_start_and_name(
    day: date, fiscal_start: int, quarter_start: date, label: str
) -> None:
    start_sql = fiscal_quarter_start_sql("$day", fiscal_start)
    label_sql = fiscal_quarter_label_sql(start_sql, fiscal_start)
    row = duckdb.connect().execute(f"SELECT {start_sql}, {label_sql}", {"day": day}).fetchone()
    assert row == (quarter_start, label)


def _calendar(
    cohorts: Cohorts, as_of: datetime, fiscal_start: int, services: int = 7
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    con = duckdb.connect()
    create_service_tables(con)
    con.executemany(
        "INSERT INTO service_priorities (service, rank) VALUES (?, ?)",
        [(f"S{rank}", rank) for rank in range(1, services + 1)],
    )
    compute_cohort_calendar(con, cohorts, as_of, fiscal_start)
    calendar = con.execute(
        "SELECT cohort, cohort_label, cohort_start, cohort_end, state, capacity, services "
        "FROM service_cohorts ORDER BY cohort"
    ).fetchall()
    placed = con.execute(
        "SELECT service, cohort_label FROM service_priorities WHERE cohort IS NOT NULL "
        "ORDER BY rank"
    ).fetchall()
    return calendar, placed


def test_a_july_fiscal_city_in_the_middle_of_a_quarter() -> None:
    # Cohorts from FY2026 Q4 (Apr 2026); data to 15 Nov 2026, inside FY2027 Q2 (Oct-Dec 2026):
    # FY2026 Q4 and FY2027 Q1 are history, FY2027 Q2 current, FY2027 Q3 (Jan-Mar 2027) next.
    calendar, placed = _calendar(
        Cohorts(first_start=date(2026, 4, 1), capacity=3),
        datetime(2026, 11, 15, 14, 30),
        fiscal_start=7,
    )
    assert calendar == [
        (1, "FY2026 Q4", date(2026, 4, 1), date(2026, 7, 1), "history", 3, 0),
        (2, "FY2027 Q1", date(2026, 7, 1), date(2026, 10, 1), "history", 3, 0),
        (3, "FY2027 Q2", date(2026, 10, 1), date(2027, 1, 1), "current", 3, 3),
        (4, "FY2027 Q3", date(2027, 1, 1), date(2027, 4, 1), "next", 3, 3),
    ]
    # The ranking alone: ranks 1-3 for the current cohort, 4-6 for the next, 7 waits.
    assert placed == [
        ("S1", "FY2027 Q2"),
        ("S2", "FY2027 Q2"),
        ("S3", "FY2027 Q2"),
        ("S4", "FY2027 Q3"),
        ("S5", "FY2027 Q3"),
        ("S6", "FY2027 Q3"),
    ]


def test_a_calendar_year_city_on_the_first_day_of_a_quarter() -> None:
    # Data to the first minute of 1 Oct 2026: 2026 Q4 has begun and is current.
    calendar, _ = _calendar(
        Cohorts(first_start=date(2026, 7, 1), capacity=2),
        datetime(2026, 10, 1, 0, 0),
        fiscal_start=1,
    )
    assert [(label, start, state) for _, label, start, _, state, *_ in calendar] == [
        ("2026 Q3", date(2026, 7, 1), "history"),
        ("2026 Q4", date(2026, 10, 1), "current"),
        ("2027 Q1", date(2027, 1, 1), "next"),
    ]
    # One moment earlier the same calendar has 2026 Q3 current.
    calendar, _ = _calendar(
        Cohorts(first_start=date(2026, 7, 1), capacity=2),
        datetime(2026, 9, 30, 23, 59),
        fiscal_start=1,
    )
    assert [(label, state) for _, label, _, _, state, *_ in calendar] == [
        ("2026 Q3", "current"),
        ("2026 Q4", "next"),
    ]


def test_an_assessed_capacity_shapes_its_quarter_only() -> None:
    # Default 2 a quarter; the assessment for FY2027 Q3 allows 1 (and one for a history
    # quarter, 5, changes what it could have taken but proposes nothing there).
    cohorts = Cohorts(
        first_start=date(2026, 7, 1),
        capacity=2,
        assessments=[
            CapacityAssessment(quarter=date(2027, 1, 1), capacity=1, note="Budget season"),
            CapacityAssessment(quarter=date(2026, 7, 1), capacity=5),
        ],
    )
    calendar, placed = _calendar(cohorts, datetime(2026, 11, 15), fiscal_start=7)
    assert [
        (label, state, capacity, services) for _, label, _, _, state, capacity, services in calendar
    ] == [
        ("FY2027 Q1", "history", 5, 0),
        ("FY2027 Q2", "current", 2, 2),
        ("FY2027 Q3", "next", 1, 1),
    ]
    assert placed == [("S1", "FY2027 Q2"), ("S2", "FY2027 Q2"), ("S3", "FY2027 Q3")]


def test_fewer_services_than_places() -> None:
    # Capacity 4, three services: the current cohort takes all three, the next proposes none.
    calendar, placed = _calendar(
        Cohorts(first_start=date(2026, 10, 1), capacity=4),
        datetime(2026, 11, 15),
        fiscal_start=7,
        services=3,
    )
    assert [(label, state, services) for _, label, _, _, state, _, services in calendar] == [
        ("FY2027 Q2", "current", 3),
        ("FY2027 Q3", "next", 0),
    ]
    assert [cohort for _, cohort in placed] == ["FY2027 Q2"] * 3


def test_a_first_cohort_after_the_next_quarter_is_the_next_and_only_one() -> None:
    # Data to Nov 2026 (FY2027 Q2) but cohorts start in FY2027 Q4 (Apr 2027): nothing is
    # current; the first cohort is the one to propose.
    calendar, placed = _calendar(
        Cohorts(first_start=date(2027, 4, 1), capacity=2),
        datetime(2026, 11, 15),
        fiscal_start=7,
    )
    assert [(label, state, services) for _, label, _, _, state, _, services in calendar] == [
        ("FY2027 Q4", "next", 2)
    ]
    assert placed == [("S1", "FY2027 Q4"), ("S2", "FY2027 Q4")]
