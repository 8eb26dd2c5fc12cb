"""Two small cities' published warehouses for the Compare page, numbers worked out by hand.

Each city is a folder with data/citystat.duckdb, built like tests/dashboard_fixture.py builds
its warehouse (the pipeline's schema, the profile tables, hand-made rows).

Springfield (60,000 residents, Springfield census 2020; data as of 2025-04-14 23:58, last run
2025-04-15 06:04 UTC):
  sf_requests   requests_received     month 2025-02 100, 2025-03 120 (2025-04 in progress);
                                      its label is hostile: [click](https://evil.example)
                                      fiscal year FY2024 (July 2023 - June 2024) 1,300
  sf_on_time    on_time_share         month 2025-03 80%
  sf_median     median_days_to_close  month 2025-03 3.5 days
Shelbyville (250,000 residents, Shelbyville census 2020; data as of 2025-06-02 08:00, last
run 2025-06-03 05:00 UTC):
  sb_requests   requests_received     month 2025-02 500, 2025-03 450, 2025-04 600 (complete),
                                      2025-05 0 from no record at all (its extract ends in
                                      April): not a period its data covers
                                      fiscal year FY2024 (January - December 2024) 5,000
  sb_on_time    on_time_share         month 2025-03 75%, 2025-04 70%
  (no median days: "not measured")

Requests received, the latest month both have complete: 2025-03 (Shelbyville's latest is
2025-04): Springfield 120 / 60,000 x 1,000 = 2.0 per 1,000 residents; Shelbyville 450 /
250,000 x 1,000 = 1.8. Their fiscal years never cover the same dates: each shows its own,
Springfield 1,300 / 60,000 x 1,000 = 21.7, Shelbyville 5,000 / 250,000 x 1,000 = 20.0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb

from pipelines.city.tables import ProfileRows, write_profile_tables
from pipelines.warehouse.schema import create_schema

HOSTILE_LABEL = "[click](https://evil.example)"

# metric_id, label, unit, kind, direction, grains, common_id
Metric = tuple[str, str, str, str, str | None, list[str], str]
# metric_id, grain, label, start, end, complete, value, count (records it counts)
Value = tuple[str, str, str, date, date, bool, float, int]

MONTH = {
    "2025-02": (date(2025, 2, 1), date(2025, 3, 1)),
    "2025-03": (date(2025, 3, 1), date(2025, 4, 1)),
    "2025-04": (date(2025, 4, 1), date(2025, 5, 1)),
    "2025-05": (date(2025, 5, 1), date(2025, 6, 1)),
}


@dataclass(frozen=True)
class CitySpec:
    """A city's profile (name, residents, their source and year), run and metric rows."""

    profile: tuple[str, int, str, int]
    run: tuple[datetime, datetime]  # data as of, run finished (UTC)
    metrics: list[Metric]
    values: list[Value]


SPRINGFIELD = CitySpec(
    profile=("Springfield", 60_000, "Springfield census", 2020),
    run=(datetime(2025, 4, 14, 23, 58), datetime(2025, 4, 15, 6, 4)),
    metrics=[
        ("sf_requests", HOSTILE_LABEL, "requests", "count", None, ["month", "fiscal_year"],
         "requests_received"),
        ("sf_on_time", "Closed on time", "percent", "share", "higher_is_better", ["month"],
         "on_time_share"),
        ("sf_median", "Median days to close", "days", "duration_percentile", "lower_is_better",
         ["month"], "median_days_to_close"),
    ],
    values=[
        ("sf_requests", "month", "2025-02", *MONTH["2025-02"], True, 100.0, 100),
        ("sf_requests", "month", "2025-03", *MONTH["2025-03"], True, 120.0, 120),
        ("sf_requests", "month", "2025-04", *MONTH["2025-04"], False, 30.0, 30),
        ("sf_requests", "fiscal_year", "FY2024", date(2023, 7, 1), date(2024, 7, 1), True,
         1300.0, 1300),
        ("sf_on_time", "month", "2025-03", *MONTH["2025-03"], True, 0.80, 40),
        ("sf_median", "month", "2025-03", *MONTH["2025-03"], True, 3.5, 40),
    ],
)  # fmt: skip

SHELBYVILLE = CitySpec(
    profile=("Shelbyville", 250_000, "Shelbyville census", 2020),
    run=(datetime(2025, 6, 2, 8, 0), datetime(2025, 6, 3, 5, 0)),
    metrics=[
        ("sb_requests", "311 requests opened", "requests", "count", None,
         ["month", "fiscal_year"], "requests_received"),
        ("sb_on_time", "Requests closed within target", "percent", "share", "higher_is_better",
         ["month"], "on_time_share"),
    ],
    values=[
        ("sb_requests", "month", "2025-02", *MONTH["2025-02"], True, 500.0, 500),
        ("sb_requests", "month", "2025-03", *MONTH["2025-03"], True, 450.0, 450),
        ("sb_requests", "month", "2025-04", *MONTH["2025-04"], True, 600.0, 600),
        # Its extract stops in April, its data (a late closure) in June: May counts nothing.
        ("sb_requests", "month", "2025-05", *MONTH["2025-05"], True, 0.0, 0),
        ("sb_requests", "fiscal_year", "FY2024", date(2024, 1, 1), date(2025, 1, 1), True,
         5000.0, 5000),
        ("sb_on_time", "month", "2025-03", *MONTH["2025-03"], True, 0.75, 40),
        ("sb_on_time", "month", "2025-04", *MONTH["2025-04"], True, 0.70, 40),
    ],
)  # fmt: skip


def build_city(folder: Path, city: CitySpec) -> Path:
    """A city folder whose data/citystat.duckdb holds ``city``'s profile, metrics and run."""
    warehouse = folder / "data" / "citystat.duckdb"
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    name, population, source, year = city.profile
    as_of, finished = city.run
    con = duckdb.connect(str(warehouse))
    try:
        create_schema(con)
        write_profile_tables(
            con,
            ProfileRows(
                city=[(name, "America/Chicago", 7, population, source, year, ["en"])],
                departments=[("public_works", "Public Works", 0)],
            ),
        )
        con.executemany(
            "INSERT INTO metric_definitions (metric_id, label, unit, kind, direction, grains, "
            "common_id, department, description, methodology, public) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, 'public_works', 'A test metric.', 'By hand.', true)",
            city.metrics,
        )
        con.executemany(
            "INSERT INTO metric_values (metric_id, grain, period_label, period_start, "
            "period_end, is_complete, value, count, dimension, dimension_value, status) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'citywide', 'Citywide', 'no_target')",
            city.values,
        )
        con.execute(
            "INSERT INTO runs VALUES ('run-1', ?, ?, 'published', false, ?, true, 'published')",
            [finished, finished, as_of],
        )
    finally:
        con.close()
    return folder
