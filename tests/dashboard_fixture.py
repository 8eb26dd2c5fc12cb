"""A tiny hand-made warehouse for the dashboard tests.

Three metrics in two departments; month and quarter grains; council districts 1–3; every
status; one published demo run (plus an earlier failed run) with file accounting, validation
results and quarantined rows. The values below are the ones the tests assert on:

Month grain, latest complete month 2025-03 (2025-04 is still in progress):
  street_defect_on_time      0.824 (target 0.80, on_track)  prior 2025-02 0.780 → +4.4 pts better
  street_defect_median_days  3.2 days (target 3.0, off_track) prior 2.9 → +0.3 days worse
  abandoned_vehicle_requests 1,234 (no target)               prior 1,100 → +134, no direction
Quarter grain, latest complete quarter 2025-Q1:
  street_defect_on_time      0.770 (target 0.80, watch)      prior 2024-Q4 0.700 off_track
  street_defect_median_days  3.4 days (too_little_data)
  abandoned_vehicle_requests 3,500 (no target)
File accounting: city_311_2025a.csv 1000 = 990 + 8 + 2 (adds up);
                 city_311_2025b.csv 500 ≠ 495 + 3 + 1 = 499 (does not add up).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb

from pipelines.warehouse import create_schema

RUN_ID = "run-2025-04-15"

METRICS = [
    (
        "street_defect_on_time",
        "Street defects closed on time",
        "Share of street defect requests closed within the service-level target.",
        "Closed on or before due_at, over requests closed or still open past due.",
        "Streets Department",
        "Deputy Commissioner, Highways",
        "Street defects and potholes",
        "percent",
        "higher_is_better",
        "share",
        ["month", "quarter"],
        ["council_district"],
        30,
    ),
    (
        "street_defect_median_days",
        "Median days to close a street defect",
        "Typical time from report to closure.",
        "Median of (closed_at - opened_at) in days over requests closed in the period.",
        "Streets Department",
        "Deputy Commissioner, Highways",
        "Street defects and potholes",
        "days",
        "lower_is_better",
        "duration_percentile",
        ["month", "quarter"],
        ["council_district"],
        30,
    ),
    (
        "abandoned_vehicle_requests",
        "Abandoned vehicle requests",
        "Requests reporting an abandoned vehicle.",
        "Count of requests opened in the period.",
        "Police Department",
        "Captain, Abandoned Vehicles Unit",
        "Abandoned vehicles",
        "requests",
        None,
        "count",
        ["month", "quarter"],
        [],
        30,
    ),
]

MONTHS = [
    ("2025-01", date(2025, 1, 1), date(2025, 2, 1), True),
    ("2025-02", date(2025, 2, 1), date(2025, 3, 1), True),
    ("2025-03", date(2025, 3, 1), date(2025, 4, 1), True),
    ("2025-04", date(2025, 4, 1), date(2025, 5, 1), False),
]
QUARTERS = [
    ("2024-Q4", date(2024, 10, 1), date(2025, 1, 1), True),
    ("2025-Q1", date(2025, 1, 1), date(2025, 4, 1), True),
    ("2025-Q2", date(2025, 4, 1), date(2025, 7, 1), False),
]

# (metric, grain, period label) → (value, count, target, status) for the citywide row.
CITYWIDE: dict[tuple[str, str, str], tuple[float, int, float | None, str]] = {
    ("street_defect_on_time", "month", "2025-01"): (0.700, 200, 0.80, "off_track"),
    ("street_defect_on_time", "month", "2025-02"): (0.780, 210, 0.80, "watch"),
    ("street_defect_on_time", "month", "2025-03"): (0.824, 250, 0.80, "on_track"),
    ("street_defect_on_time", "month", "2025-04"): (0.900, 40, 0.80, "on_track"),
    ("street_defect_on_time", "quarter", "2024-Q4"): (0.700, 600, 0.75, "off_track"),
    ("street_defect_on_time", "quarter", "2025-Q1"): (0.770, 660, 0.80, "watch"),
    ("street_defect_on_time", "quarter", "2025-Q2"): (0.900, 40, 0.80, "on_track"),
    ("street_defect_median_days", "month", "2025-01"): (3.5, 180, 3.0, "off_track"),
    ("street_defect_median_days", "month", "2025-02"): (2.9, 190, 3.0, "on_track"),
    ("street_defect_median_days", "month", "2025-03"): (3.2, 200, 3.0, "off_track"),
    ("street_defect_median_days", "month", "2025-04"): (2.0, 20, 3.0, "too_little_data"),
    ("street_defect_median_days", "quarter", "2024-Q4"): (3.1, 25, 3.0, "too_little_data"),
    ("street_defect_median_days", "quarter", "2025-Q1"): (3.4, 20, 3.0, "too_little_data"),
    ("street_defect_median_days", "quarter", "2025-Q2"): (2.0, 20, 3.0, "too_little_data"),
    ("abandoned_vehicle_requests", "month", "2025-01"): (1166.0, 1166, None, "no_target"),
    ("abandoned_vehicle_requests", "month", "2025-02"): (1100.0, 1100, None, "no_target"),
    ("abandoned_vehicle_requests", "month", "2025-03"): (1234.0, 1234, None, "no_target"),
    ("abandoned_vehicle_requests", "month", "2025-04"): (400.0, 400, None, "no_target"),
    ("abandoned_vehicle_requests", "quarter", "2024-Q4"): (3300.0, 3300, None, "no_target"),
    ("abandoned_vehicle_requests", "quarter", "2025-Q1"): (3500.0, 3500, None, "no_target"),
    ("abandoned_vehicle_requests", "quarter", "2025-Q2"): (400.0, 400, None, "no_target"),
}

# Council-district rows for the on-time metric in its latest complete month and quarter.
DISTRICTS: dict[tuple[str, str], list[tuple[str, float, int, str]]] = {
    ("month", "2025-03"): [
        ("1", 0.900, 120, "on_track"),
        ("2", 0.750, 118, "off_track"),
        ("3", 0.500, 12, "too_little_data"),
    ],
    ("quarter", "2025-Q1"): [
        ("1", 0.850, 300, "on_track"),
        ("2", 0.720, 310, "off_track"),
        ("3", 0.780, 50, "watch"),
    ],
}

LOAD_FILES = [
    (RUN_ID, "philadelphia_311_demo", "city_311_2025a.csv", 1000, 990, 8, 2),
    (RUN_ID, "philadelphia_311_demo", "city_311_2025b.csv", 500, 495, 3, 1),
]

VALIDATION = [
    ("expect_column_values_to_not_be_null", "request_id", True, True, 1500, 0),
    ("expect_column_values_to_be_unique", "request_id", True, True, 1500, 6),
    ("expect_column_values_to_be_between", "latitude", False, False, 1500, 4),
]

QUARANTINE = [
    ("expect_column_values_to_be_unique", "request_id", "duplicate id; older version"),
] * 6 + [
    ("expect_column_pair_values_a_to_be_greater_than_b", "closed_at", "closed before opened"),
] * 5


def _period_rows() -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    periods = {"month": MONTHS, "quarter": QUARTERS}
    for (metric_id, grain, label), (value, count, target, status) in CITYWIDE.items():
        _, start, end, complete = next(p for p in periods[grain] if p[0] == label)
        rows.append(
            (
                *(metric_id, grain, start, end, label, complete, "citywide", "Citywide"),
                *(value, value * count, count, count, target, status),
            )
        )
    for (grain, label), districts in DISTRICTS.items():
        _, start, end, complete = next(p for p in periods[grain] if p[0] == label)
        for district, value, count, status in districts:
            rows.append(
                (
                    *("street_defect_on_time", grain, start, end, label, complete),
                    *("council_district", district, value, value * count, count, count, 0.80),
                    status,
                )
            )
    return rows


def build_fixture_warehouse(path: Path) -> None:
    """Create the warehouse schema at path and fill it with the hand-made rows above."""
    con = duckdb.connect(str(path))
    try:
        create_schema(con)
        con.executemany(
            "INSERT INTO metric_definitions VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'SELECT 1', 'service_requests', NULL)",
            METRICS,
        )
        con.executemany(
            "INSERT INTO metric_values VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            _period_rows(),
        )
        con.executemany(
            "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    "run-2025-04-14",
                    datetime(2025, 4, 14, 6, 0),
                    datetime(2025, 4, 14, 6, 2),
                    "failed",
                    True,
                    None,
                    False,
                    "critical expectation failed",
                ),
                (
                    RUN_ID,
                    datetime(2025, 4, 15, 6, 0),
                    datetime(2025, 4, 15, 6, 4),
                    "published",
                    True,
                    datetime(2025, 4, 14, 23, 58),
                    True,
                    "published",
                ),
            ],
        )
        con.executemany(
            "INSERT INTO load_files (run_id, source, file, rows_read, rows_staged, "
            "rows_quarantined, rows_rejected) VALUES (?, ?, ?, ?, ?, ?, ?)",
            LOAD_FILES,
        )
        con.executemany(
            "INSERT INTO validation_results VALUES "
            "(?, 'philadelphia_311_demo', 'service_requests', ?, ?, ?, ?, ?, ?, NULL)",
            [(RUN_ID, *row) for row in VALIDATION],
        )
        con.executemany(
            "INSERT INTO quarantine VALUES "
            "(?, 'philadelphia_311_demo', 'city_311_2025b.csv', ?, ?, ?, ?, ?)",
            [
                (RUN_ID, index + 2, f"SR-{index:04d}", rule, column, reason)
                for index, (rule, column, reason) in enumerate(QUARANTINE)
            ],
        )
    finally:
        con.close()
