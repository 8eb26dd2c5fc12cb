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
Merges: 2025a inserted 990; 2025b (the latest file) inserted 480, updated 12, unchanged 3.
Run steps (seconds): run-2025-04-15 read 1.5, stage 2.0, validate 3.3, merge 0.8, metrics 4.0,
publish 0.5 (total 12.1); the failed run-2025-04-14 read 1.0, stage 1.5, validate 2.0 (4.5).

Districts, street_defect_on_time by month (citywide 0.70, 0.78, 0.824):
  2025-01  D1 0.80  D2 0.55 (gap (0.70-0.55)/0.70 = 21.4% > 15%: flagged)  D3 0.72
  2025-02  D1 0.85  D2 0.70 (gap 0.08/0.78 = 10.3%)                          D3 0.76
  2025-03  D1 0.90  D2 0.75 (gap 0.074/0.824 = 9.0%)  D3 0.50 too little data: not compared
street_defect_median_days 2025-03 (citywide 3.2 days, lower is better):
  D1 2.5  D2 4.0 (gap 0.8/3.2 = 25.0%: flagged)  D3 3.3 (gap 3.1%)

Services (SERVICES_YML below, weights 0.4/0.2/0.2/0.1/0.05/0.05, people served full score
9,999 so importance = log10(1 + n) / 4; equity full score at a 50% gap, by month):
  Library cards        importance log10(1000)/4 = 0.75 (services.yml); equity 0.5 (services.yml)
                       0.4*0.75 + 0.2*0 + 0.2*0.5 + 0.1*0.5 + 0.05*0.7 + 0.05*0.6 = 0.515  rank 1
  Street defects ...   9 Street Defect requests in the 12 months to 2025-04-14 (one older is
                       left out): log10(10)/4 = 0.25; equity from the 25% median-days gap of
                       District 2: 0.25/0.5 = 0.5
                       0.4*0.25 + 0.2*0.8 + 0.2*0.5 + 0.1*0.4 + 0.05*0.6 + 0.05*0.5 = 0.455  rank 2
  Abandoned vehicles   99 requests: log10(100)/4 = 0.5, survey 0.5 -> 0.5; equity 0.4 (no districts)
                       0.4*0.5 + 0.2*0.3 + 0.2*0.4 + 0.1*0.2 + 0.05*0.4 + 0.05*0.3 = 0.395  rank 3
  Cohorts of 2 from 2025-04-01 (July fiscal year): FY2025 Q4 (Apr–Jun 2025) is in progress on
  the data of 14 Apr 2025 and proposes ranks 1, 2; FY2026 Q1 (Jul–Sep 2025) is next: rank 3.
Leadership index (value/target, target/value when lower is better, cap 1.5):
  month 2025-03  Streets: on time 0.824/0.80 = 1.03, median 3.0/3.2 = 0.9375 -> 0.98375
                 prior 2025-02: 0.78/0.80 = 0.975, 3.0/2.9 = 1.0345 -> 1.00474; change -0.021
                 Police: no target -> no index (0 of 1 scored). Citywide = Streets' 0.98375.
                 Movers: on time +0.055 (1.03 - 0.975), median days -0.097 (0.9375 - 1.0345).
  quarter 2025-Q1  Streets: 0.77/0.80 = 0.9625 (median has too little data); prior 2024-Q4
                 0.70/0.75 = 0.9333; change +0.029.
District centroids: D1 (39.96, -75.15), D2 (39.92, -75.20), D3 (40.05, -75.05); each
district's boundary is the box 0.03 degrees either side of its centroid.

City profile (as a run publishes it): metrics and services name departments by registry id
(streets, police, free_library); the departments table gives their names, plus
licenses_inspections = Licenses and Inspections, which owns nothing here.
Common ids: street_defect_on_time is street_defects_on_time; the others have none.

Public metrics (metrics.yml `public: true`): street_defect_on_time and
abandoned_vehicle_requests, with their public texts in English and Spanish (the city's
languages: en, es); street_defect_median_days is internal only.
Record-level text the public site must never show (tests/test_public_view.py): the raw table
raw.philadelphia_311_demo holds a request at RECORD_ADDRESS with the note RECORD_NOTE, and the
five closed-before-opened quarantine reasons quote both.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from pipelines.catalog import compute_service_tables, load_services_text
from pipelines.city.tables import ProfileRows, write_profile_tables
from pipelines.warehouse.schema import create_schema

RUN_ID = "run-2025-04-15"
AS_OF = datetime(2025, 4, 14, 23, 58)

METRICS = [
    (
        "street_defect_on_time",
        "Street defects closed on time",
        "Share of street defect requests closed within the service-level target.",
        "Closed on or before due_at, over requests closed or still open past due.",
        "streets",
        "Deputy Commissioner, Highways",
        "Street defects and potholes",
        "percent",
        "higher_is_better",
        "share",
        ["month", "quarter"],
        ["council_district"],
        30,
        True,
    ),
    (
        "street_defect_median_days",
        "Median days to close a street defect",
        "Typical time from report to closure.",
        "Median of (closed_at - opened_at) in days over requests closed in the period.",
        "streets",
        "Deputy Commissioner, Highways",
        "Street defects and potholes",
        "days",
        "lower_is_better",
        "duration_percentile",
        ["month", "quarter"],
        ["council_district"],
        30,
        False,
    ),
    (
        "abandoned_vehicle_requests",
        "Abandoned vehicle requests",
        "Requests reporting an abandoned vehicle.",
        "Count of requests opened in the period.",
        "police",
        "Captain, Abandoned Vehicles Unit",
        "Abandoned vehicles",
        "requests",
        None,
        "count",
        ["month", "quarter"],
        [],
        30,
        True,
    ),
]

# The id other cities give the same measure (the Compare page matches by it).
COMMON_IDS = {"street_defect_on_time": "street_defects_on_time"}

# The city profile as a run publishes it (pipelines/city/tables.py): the department registry,
# and three council districts, each a box around its centroid below (the boundaries).
DEPARTMENTS = [
    ("streets", "Streets Department"),
    ("police", "Police Department"),
    ("free_library", "Free Library of Philadelphia"),
    ("licenses_inspections", "Licenses and Inspections"),
]


def _box(latitude: float, longitude: float, half: float = 0.03) -> str:
    west, east, south, north = longitude - half, longitude + half, latitude - half, latitude + half
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


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

# Council-district rows: (metric, grain, period) → (district, value, count, status).
DISTRICTS: dict[tuple[str, str, str], list[tuple[str, float, int, str]]] = {
    ("street_defect_on_time", "month", "2025-01"): [
        ("1", 0.800, 70, "watch"),
        ("2", 0.550, 80, "off_track"),
        ("3", 0.720, 50, "off_track"),
    ],
    ("street_defect_on_time", "month", "2025-02"): [
        ("1", 0.850, 75, "on_track"),
        ("2", 0.700, 85, "off_track"),
        ("3", 0.760, 50, "watch"),
    ],
    ("street_defect_on_time", "month", "2025-03"): [
        ("1", 0.900, 120, "on_track"),
        ("2", 0.750, 118, "off_track"),
        ("3", 0.500, 12, "too_little_data"),
    ],
    ("street_defect_median_days", "month", "2025-03"): [
        ("1", 2.5, 70, "on_track"),
        ("2", 4.0, 80, "off_track"),
        ("3", 3.3, 50, "watch"),
    ],
    ("street_defect_on_time", "quarter", "2025-Q1"): [
        ("1", 0.850, 300, "on_track"),
        ("2", 0.720, 310, "off_track"),
        ("3", 0.780, 50, "watch"),
    ],
}

# ... rows read, staged, quarantined, rejected, table, sha256, bytes, inserted, updated, unchanged
LOAD_FILES = [
    (
        *(RUN_ID, "philadelphia_311_demo", "city_311_2025a.csv", 1000, 990, 8, 2),
        *("service_requests", "a" * 64, 250_000, 990, 0, 0),
    ),
    (
        *(RUN_ID, "philadelphia_311_demo", "city_311_2025b.csv", 500, 495, 3, 1),
        *("service_requests", "9f86d081884c7d659a2feaa0c55ad015" * 2, 125_000, 480, 12, 3),
    ),
]

# (run, source, step, seconds); steps of the whole run have no source.
RUN_STEPS = [
    ("run-2025-04-14", "philadelphia_311_demo", "read", 1.0),
    ("run-2025-04-14", "philadelphia_311_demo", "stage", 1.5),
    ("run-2025-04-14", "philadelphia_311_demo", "validate", 2.0),
    (RUN_ID, "philadelphia_311_demo", "read", 1.5),
    (RUN_ID, "philadelphia_311_demo", "stage", 2.0),
    (RUN_ID, "philadelphia_311_demo", "validate", 3.3),
    (RUN_ID, "philadelphia_311_demo", "merge", 0.8),
    (RUN_ID, None, "metrics", 4.0),
    (RUN_ID, None, "publish", 0.5),
]

SERVICES_YML = """
channels: {311_phone: 311 phone, 311_app: 311 app, website: Website, library: Library}
prioritization:
  weights: {importance: 0.4, life_safety: 0.2, equity: 0.2, time_tax: 0.1, resources: 0.05,
            spillover: 0.05}
  people_served_full_score: 9999
cohorts: {first_start: 2025-04-01, capacity: 2}
equity: {gap_threshold: 0.15, full_score_gap: 0.5, grain: month}
leadership_index: {cap: 1.5}
services:
  - name: Street defects and potholes
    department: streets
    description: Pothole and street defect repair.
    channels: [311_phone, 311_app]
    mechanism: Highway crews patch the defect.
    fees: None
    resident_must: Report the location through 311.
    cohort_service: Street defects and potholes
    service_names: [Street Defect]
    priority: {people_served: 5000, life_safety: 0.8, equity: 0.1, time_tax: 0.4,
               resources: 0.6, spillover: 0.5}
  - name: Abandoned vehicles
    department: police
    description: Removal of abandoned vehicles.
    channels: [311_phone, website]
    mechanism: Officers tag and tow the vehicle.
    fees: None for the reporter
    resident_must: Report the plate through 311.
    cohort_service: Abandoned vehicles
    service_names: [Abandoned Vehicle]
    priority: {people_served: 20000, survey: 0.5, life_safety: 0.3, equity: 0.4, time_tax: 0.2,
               resources: 0.4, spillover: 0.3}
  - name: Library cards
    department: free_library
    description: A free card for borrowing.
    channels: [library, website]
    mechanism: Staff issue the card at any branch.
    fees: None for residents
    resident_must: Apply at a branch or online.
    application: true
    documents: [Photo ID, Proof of address]
    priority: {people_served: 999, life_safety: 0.0, equity: 0.5, time_tax: 0.5,
               resources: 0.7, spillover: 0.6}
"""

CENTROIDS = {"1": (39.96, -75.15), "2": (39.92, -75.20), "3": (40.05, -75.05)}
DISTRICT_NAMES = {district: f"District {district}" for district in CENTROIDS}

PROFILE = ProfileRows(
    city=[
        (
            *("Philadelphia", "America/New_York", 7, 1_603_797),
            *("U.S. Census Bureau, 2020 Census", 2020, ["en", "es"]),
        )
    ],
    departments=[(id_, name, index) for index, (id_, name) in enumerate(DEPARTMENTS)],
    districts=[
        (
            *(district, DISTRICT_NAMES[district], None, None, None, _box(lat, lon)),
            *("council_district", "Council district", index, True),
        )
        for index, (district, (lat, lon)) in enumerate(CENTROIDS.items())
    ],
)

VALIDATION = [
    ("expect_column_values_to_not_be_null", "request_id", True, True, 1500, 0),
    ("expect_column_values_to_be_unique", "request_id", True, True, 1500, 6),
    ("expect_column_values_to_be_between", "latitude", False, False, 1500, 4),
]

POTHOLES_ABOUT = "Out of every 100 pothole reports that were due, how many were fixed in time."
POTHOLES_ABOUT_ES = "De cada 100 avisos de baches con fecha límite, cuántos se repararon a tiempo."
CARS_ABOUT = "How many times residents reported an abandoned car."
CARS_ABOUT_ES = "Cuántas veces los residentes avisaron de un coche abandonado."

# Record-level text: in the raw extract and quoted by quarantine reasons, never public.
RECORD_ADDRESS = "1417 Wistful Vista Lane"
RECORD_NOTE = "Caller says the crew left a cone in her driveway"

QUARANTINE = [
    ("expect_column_values_to_be_unique", "request_id", "duplicate id; older version"),
] * 6 + [
    (
        "expect_column_pair_values_a_to_be_greater_than_b",
        "closed_at",
        f"closed before opened: request at {RECORD_ADDRESS}, note '{RECORD_NOTE}'",
    ),
] * 5


# What residents read for the two public metrics, in English and Spanish (metrics.yml
# public_text); the internal metric has none.
PUBLIC_TEXTS = [
    ("street_defect_on_time", "en", "Potholes fixed on time", POTHOLES_ABOUT),
    ("street_defect_on_time", "es", "Baches reparados a tiempo", POTHOLES_ABOUT_ES),
    ("abandoned_vehicle_requests", "en", "Abandoned car reports", CARS_ABOUT),
    ("abandoned_vehicle_requests", "es", "Avisos de coches abandonados", CARS_ABOUT_ES),
]


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
    for (metric_id, grain, label), districts in DISTRICTS.items():
        _, start, end, complete = next(p for p in periods[grain] if p[0] == label)
        target = CITYWIDE[(metric_id, grain, label)][2]
        for district, value, count, status in districts:
            rows.append(
                (
                    *(metric_id, grain, start, end, label, complete),
                    *("council_district", district, value, value * count, count, count, target),
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
            "INSERT INTO metric_definitions (metric_id, label, description, methodology, "
            "department, owner, cohort_service, unit, direction, kind, grains, dimensions, "
            "min_count, sql, canonical_table, availability, baseline_period, public, common_id) "
            "VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'SELECT 1', 'service_requests', NULL, NULL, "
            "?, ?)",
            [(*metric, COMMON_IDS.get(metric[0])) for metric in METRICS],
        )
        write_profile_tables(con, PROFILE)
        con.executemany("INSERT INTO metric_public_texts VALUES (?, ?, ?, ?)", PUBLIC_TEXTS)
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
            "rows_quarantined, rows_rejected, canonical_table, file_sha256, file_bytes, "
            "rows_inserted, rows_updated, rows_unchanged) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            LOAD_FILES,
        )
        con.executemany(
            "INSERT INTO run_steps VALUES (?, ?, ?, ?, ?)",
            [
                (run, source, step, datetime(2025, 4, int(run[-2:]), 6, index), seconds)
                for index, (run, source, step, seconds) in enumerate(RUN_STEPS)
            ],
        )
        _insert_requests(con)
        _insert_raw_extract(con)
        compute_service_tables(
            con, load_services_text(SERVICES_YML), AS_OF, fiscal_year_start_month=7
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


def _insert_requests(con: duckdb.DuckDBPyConnection) -> None:
    """Nine located Street Defect requests (three a district) in the 12 months before AS_OF,
    one older one, and 99 Abandoned Vehicle requests without coordinates."""
    located = [
        (f"SD-{district}-{index}", district, lat, lon, datetime(2025, 1 + index, 10, 9, 0))
        for district, (lat, lon) in CENTROIDS.items()
        for index in range(3)
    ] + [("SD-old", "1", 39.96, -75.15, datetime(2024, 1, 10, 9, 0))]
    con.executemany(
        "INSERT INTO service_requests (request_id, source, service_name, status, opened_at, "
        "council_district, latitude, longitude) "
        "VALUES (?, 'philadelphia_311_demo', 'Street Defect', 'closed', ?, ?, ?, ?)",
        [(rid, opened, district, lat, lon) for rid, district, lat, lon, opened in located],
    )
    con.execute(
        "INSERT INTO service_requests (request_id, source, service_name, status, opened_at) "
        "SELECT 'AV-' || i, 'philadelphia_311_demo', 'Abandoned Vehicle', 'open', "
        "TIMESTAMP '2025-02-01 08:00:00' + i * INTERVAL 1 HOUR FROM range(99) t(i)"
    )


def _insert_raw_extract(con: duckdb.DuckDBPyConnection) -> None:
    """The raw extract as the loader keeps it (all text, with address and status notes)."""
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    con.execute(
        "CREATE TABLE raw.philadelphia_311_demo (service_request_id VARCHAR, address VARCHAR, "
        "status_notes VARCHAR, source_file VARCHAR, source_row BIGINT)"
    )
    con.execute(
        "INSERT INTO raw.philadelphia_311_demo VALUES (?, ?, ?, 'city_311_2025b.csv', 7)",
        ["SD-2-1", RECORD_ADDRESS, RECORD_NOTE],
    )


def walk_elements(node: Any) -> Iterator[Any]:
    """An AppTest tree's node and every node below it, depth first."""
    yield node
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            yield from walk_elements(child)


class DownloadCapture:
    """The files an AppTest run offers through st.download_button, by button label.

    AppTest keeps downloads in an in-memory media store it drops after each run; the tests
    swap in recording subclasses (``install``) so they can read the exact bytes a page offers,
    including deferred ones (a callable run only when a visitor presses the button).
    """

    def __init__(self) -> None:
        self.storages: list[Any] = []
        self.managers: list[Any] = []

    def install(self, monkeypatch: Any) -> DownloadCapture:
        """Record every media store and manager AppTest creates from now on."""
        import streamlit.testing.v1.app_test as app_test_module
        from streamlit.runtime.media_file_manager import MediaFileManager
        from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

        capture = self

        class RecordingStorage(MemoryMediaFileStorage):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                capture.storages.append(self)

        class RecordingManager(MediaFileManager):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                capture.managers.append(self)

        monkeypatch.setattr(app_test_module, "MemoryMediaFileStorage", RecordingStorage)
        monkeypatch.setattr(app_test_module, "MediaFileManager", RecordingManager)
        return self

    def content(self, at: Any, label: str) -> bytes:
        """The bytes behind the download button with this label in the last run of ``at``."""
        buttons = [b for b in at.get("download_button") if b.proto.label == label]
        assert buttons, f"no download button labelled {label!r}"
        proto = buttons[0].proto
        deferred = getattr(proto, "deferred_file_id", "")
        if deferred:
            entry = self.managers[-1]._deferred_callables[deferred]
            produced = entry["callable"]()
            return produced.encode("utf-8") if isinstance(produced, str) else bytes(produced)
        file_id = proto.url.rsplit("/", 1)[1].split(".")[0]
        return bytes(self.storages[-1].get_file(file_id).content)
