"""A hand-made warehouse with five years of months, for the seasonal comparisons and the index
history (tests/test_seasonal.py). The values follow simple rules so each can be worked out:

Data as of 2026-11-20 (November 2026 in progress); the fiscal year starts in July, so FY2027
runs Jul 2026 - Jun 2027. Months 2021-07 .. 2026-11, citywide only.
  pothole_requests (count, requests, no target): 100 + 10 * (year - 2021) + month
      2026-10 = 160, 2026-09 = 159, 2025-10 = 150, 2024-10 = 140, 2023-10 = 130, 2022-10 = 120
  pothole_on_time (share, higher is better, target 0.80): denominator 100 in odd months, 200 in
      even ones; rate 0.60 + 0.05 * (year - 2021), except 2026-08 at 0.76 (numerator 152)
      2026: 0.85; 2025: 0.80; on_track at or above 0.80, watch from 0.75, off_track below
  pothole_median_days (percentile, days, lower is better, target 5.0): 4.0 every month except
      2026-10 at 6.25 (off_track: above 5.0 * 1.1)
  graffiti_on_time (share, sanitation, higher is better, target 0.90): 0.90 every month
Departments: streets (the pothole metrics), sanitation (graffiti).
Leadership index, month (cap 1.5; value/target, target/value when lower is better):
  2026-09 streets: on time 0.85/0.80 = 1.0625, median 5/4 = 1.25 -> 1.15625
          city: (1.0625 + 1.25 + 1.0) / 3 = 1.1041667
  2026-10 streets: 1.0625, median 5/6.25 = 0.8 -> 0.93125; change -0.225
          city: (1.0625 + 0.8 + 1.0) / 3 = 0.9541667; change -0.15
          contributions to the city index: median 1.25/3 = 0.4166667 -> 0.8/3 = 0.2666667
          (-0.15, status on_track -> off_track); on time 1.0625/3 and graffiti 1.0/3 unchanged
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb

from pipelines.catalog import compute_service_tables, load_services_text
from pipelines.city.tables import ProfileRows, write_profile_tables
from pipelines.warehouse.schema import create_schema

AS_OF = datetime(2026, 11, 20, 8, 0)
FISCAL_YEAR_START_MONTH = 7

# id, label, department, cohort service, unit, direction, kind, target
METRICS = [
    (
        "pothole_requests",
        "Pothole requests",
        "streets",
        "Potholes",
        "requests",
        None,
        "count",
        None,
    ),
    (
        "pothole_on_time",
        "Potholes repaired on time",
        "streets",
        "Potholes",
        "percent",
        "higher_is_better",
        "share",
        0.80,
    ),
    (
        "pothole_median_days",
        "Median days to repair a pothole",
        "streets",
        "Potholes",
        "days",
        "lower_is_better",
        "duration_percentile",
        5.0,
    ),
    (
        "graffiti_on_time",
        "Graffiti removed on time",
        "sanitation",
        "Graffiti",
        "percent",
        "higher_is_better",
        "share",
        0.90,
    ),
]

SERVICES_YML = """\
channels: {311_phone: 311 phone}
prioritization:
  weights: {importance: 0.4, life_safety: 0.2, equity: 0.2, time_tax: 0.1, resources: 0.05,
            spillover: 0.05}
  people_served_full_score: 9999
cohorts: {first_start: 2026-07-01, capacity: 1}
equity: {gap_threshold: 0.15, full_score_gap: 0.5, grain: month}
leadership_index: {cap: 1.5}
services:
  - name: Potholes
    department: streets
    description: Pothole repair.
    channels: [311_phone]
    mechanism: Crews patch the hole.
    fees: None
    resident_must: Report it through 311.
    cohort_service: Potholes
    service_names: [Pothole]
    priority: {people_served: 5000, life_safety: 0.8, equity: 0.1, time_tax: 0.4,
               resources: 0.6, spillover: 0.5}
  - name: Graffiti
    department: sanitation
    description: Graffiti removal.
    channels: [311_phone]
    mechanism: Crews paint over it.
    fees: None
    resident_must: Report it through 311.
    cohort_service: Graffiti
    service_names: [Graffiti]
    priority: {people_served: 500, life_safety: 0.1, equity: 0.1, time_tax: 0.1,
               resources: 0.1, spillover: 0.1}
"""

PROFILE = ProfileRows(
    city=[
        ("Testburg", "America/New_York", FISCAL_YEAR_START_MONTH, 500_000, "Census", 2020, ["en"])
    ],
    departments=[("streets", "Streets Department", 0), ("sanitation", "Sanitation", 1)],
)


def _months() -> list[tuple[date, date, bool]]:
    months = []
    year, month = 2021, 7
    while (year, month) <= (2026, 11):
        start = date(year, month, 1)
        end = date(year + month // 12, month % 12 + 1, 1)
        months.append((start, end, (year, month) != (2026, 11)))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _share_status(value: float, target: float) -> str:
    return "on_track" if value >= target else "watch" if value >= target - 0.05 else "off_track"


def _rows_of_month(start: date, end: date, complete: bool) -> list[tuple[object, ...]]:
    year, month = start.year, start.month
    key = ("month", start, end, start.strftime("%Y-%m"), complete, "citywide", "Citywide")
    requests = 100 + 10 * (year - 2021) + month
    denominator = 100.0 if month % 2 else 200.0
    rate = 0.76 if (year, month) == (2026, 8) else round(0.60 + 0.05 * (year - 2021), 2)
    days = 6.25 if (year, month) == (2026, 10) else 4.0
    days_status = "on_track" if days <= 5.0 else "watch" if days <= 5.5 else "off_track"
    return [
        ("pothole_requests", *key, float(requests), None, None, requests, None, "no_target"),
        (
            "pothole_on_time",
            *key,
            rate,
            round(rate * denominator),
            denominator,
            int(denominator),
            0.80,
            _share_status(rate, 0.80),
        ),
        ("pothole_median_days", *key, days, None, None, 60, 5.0, days_status),
        ("graffiti_on_time", *key, 0.90, 90.0, 100.0, 100, 0.90, "on_track"),
    ]


def build_seasonal_warehouse(path: Path) -> None:
    """Create a warehouse at ``path`` holding the values described above."""
    con = duckdb.connect(str(path))
    try:
        create_schema(con)
        con.executemany(
            "INSERT INTO metric_definitions (metric_id, label, description, methodology, "
            "department, owner, cohort_service, unit, direction, kind, grains, dimensions, "
            "min_count, sql, canonical_table, public) VALUES "
            "(?, ?, 'A test metric.', 'Worked out by hand.', ?, 'Tester', ?, ?, ?, ?, "
            "['month'], [], 30, 'SELECT 1', 'service_requests', true)",
            [metric[:7] for metric in METRICS],
        )
        write_profile_tables(con, PROFILE)
        rows = [row for month in _months() for row in _rows_of_month(*month)]
        con.executemany(
            "INSERT INTO metric_values VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
        )
        con.execute(
            "INSERT INTO runs VALUES ('run-seasonal', ?, ?, 'published', true, ?, true, "
            "'published')",
            [AS_OF, AS_OF, AS_OF],
        )
        compute_service_tables(
            con,
            load_services_text(SERVICES_YML),
            AS_OF,
            fiscal_year_start_month=FISCAL_YEAR_START_MONTH,
        )
    finally:
        con.close()
