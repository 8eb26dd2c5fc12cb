"""compute_service_tables on tiny hand-made warehouses: the leadership index, district gaps,
centroids, request volume and the tables the dashboard reads."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from pipelines.catalog import compute_service_tables, load_services_text
from pipelines.city.tables import ProfileRows, write_profile_tables
from pipelines.warehouse.schema import create_schema
from tests.dashboard_fixture import AS_OF, SERVICES_YML, build_fixture_warehouse

MONTHS = {"2025-01": date(2025, 1, 1), "2025-02": date(2025, 2, 1), "2025-03": date(2025, 3, 1)}

# (metric, department, cohort service, unit, direction)
DEFINITIONS = [
    ("on_time", "Streets", "Potholes", "percent", "higher_is_better"),
    ("days", "Streets", "Potholes", "days", "lower_is_better"),
    ("overdue", "Streets", "Potholes", "requests", "lower_is_better"),
    ("volume", "Streets", "Potholes", "requests", None),
    ("fast", "Parks", None, "days", "lower_is_better"),
]

# Citywide (metric, period) → (value, target, status). Scores at the cap of 1.5:
#   2025-02 on_time 0.60/0.80 = 0.75; days 4/5 = 1.25; overdue 0 open → cap 1.5; volume no
#           target → not scored.  Streets = (0.75 + 1.25 + 1.5) / 3 = 1.1667
#   2025-03 on_time 0.90/0.80 = 1.125; days 5/2 = 2.5 → capped 1.5; overdue 10 vs target 5 →
#           0.5; Streets = (1.125 + 1.5 + 0.5) / 3 = 1.0417; change -0.125
#   fast    2025-02 too little data (not scored); 2025-03 2 days vs target 3 → 1.5
CITYWIDE = {
    ("on_time", "2025-02"): (0.60, 0.80, "off_track"),
    ("on_time", "2025-03"): (0.90, 0.80, "on_track"),
    ("days", "2025-02"): (4.0, 5.0, "on_track"),
    ("days", "2025-03"): (2.0, 5.0, "on_track"),
    ("overdue", "2025-02"): (0.0, 5.0, "on_track"),
    ("overdue", "2025-03"): (10.0, 5.0, "off_track"),
    ("volume", "2025-02"): (300.0, None, "no_target"),
    ("volume", "2025-03"): (330.0, None, "no_target"),
    ("fast", "2025-02"): (9.0, 3.0, "too_little_data"),
    ("fast", "2025-03"): (2.0, 3.0, "on_track"),
}

# District rows for 2025-03: on_time citywide 0.90; days citywide 2.0; volume citywide 330.
DISTRICTS = [
    ("on_time", "1", 0.95, "on_track"),  # gap (0.90 - 0.95)/0.90 = -5.6% (better)
    ("on_time", "2", 0.72, "off_track"),  # gap 0.18/0.90 = 20% -> flagged (> 15%)
    ("on_time", "3", 0.50, "too_little_data"),  # 44% but too little data: not compared
    ("days", "1", 2.2, "on_track"),  # gap 0.2/2.0 = 10%
    ("days", "2", 3.0, "off_track"),  # gap 1.0/2.0 = 50% -> flagged; the service's worst
    ("volume", "1", 100.0, "no_target"),  # reference 330/3 = 110: gap |100-110|/110 = 9.1%
    ("volume", "2", 200.0, "no_target"),  # 81.8% but counts are never flagged
    ("volume", "3", 30.0, "no_target"),
    ("days", "Unknown", 9.0, "off_track"),  # requests without a district: not compared
]

SERVICES = """
channels: {website: Website}
prioritization:
  weights: {importance: 0.4, life_safety: 0.2, equity: 0.2, time_tax: 0.1, resources: 0.05,
            spillover: 0.05}
  people_served_full_score: 9999
cohorts: {first_start: 2025-01-01, capacity: 1}
equity: {gap_threshold: 0.15, full_score_gap: 0.5, grain: month}
leadership_index: {cap: 1.5}
services:
  - name: Potholes
    department: Streets
    description: d
    channels: [website]
    mechanism: m
    fees: None
    resident_must: r
    cohort_service: Potholes
    service_names: [Street Defect, Pothole]
    priority: {people_served: 5, life_safety: 0.5, equity: 0.1, time_tax: 0.5, resources: 0.5,
               spillover: 0.5}
  - name: Pools
    department: Parks
    description: d
    channels: [website]
    mechanism: m
    fees: None
    resident_must: r
    priority: {people_served: 9, life_safety: 0.5, equity: 0.3, time_tax: 0.5, resources: 0.5,
               spillover: 0.5}
"""


def _build(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    create_schema(con)
    con.executemany(
        "INSERT INTO metric_definitions (metric_id, label, department, cohort_service, unit, "
        "direction) VALUES (?, ?, ?, ?, ?, ?)",
        [(m, m.replace("_", " ").title(), d, c, u, r) for m, d, c, u, r in DEFINITIONS],
    )
    rows = []
    for (metric, period), (value, target, status) in CITYWIDE.items():
        rows.append((metric, period, "citywide", "Citywide", value, target, status))
    for metric, district, value, status in DISTRICTS:
        rows.append((metric, "2025-03", "council_district", district, value, None, status))
    con.executemany(
        "INSERT INTO metric_values (metric_id, grain, period_start, period_end, period_label, "
        "is_complete, dimension, dimension_value, value, count, target, status) "
        "VALUES (?, 'month', ?, ?, ?, true, ?, ?, ?, 100, ?, ?)",
        [
            (m, MONTHS[p], MONTHS[p].replace(month=MONTHS[p].month + 1), p, dim, dv, v, t, s)
            for m, p, dim, dv, v, t, s in rows
        ],
    )
    # Requests: two types of the Potholes service inside the 12 months to 2025-04-01 (3 + 1),
    # one the day after as-of and one 13 months before (both left out), and an unrelated type.
    con.executemany(
        "INSERT INTO service_requests (request_id, service_name, opened_at, council_district, "
        "latitude, longitude) VALUES (?, ?, ?, ?, ?, ?)",
        [
            ("r1", "Street Defect", datetime(2025, 3, 1), "1", 40.0, -75.0),
            ("r2", "Street Defect", datetime(2024, 4, 2), "1", 40.2, -75.2),
            ("r3", "Street Defect", datetime(2025, 1, 5), "2", 39.9, -75.1),
            ("r4", "Pothole", datetime(2025, 2, 5), "2", 0.0, 0.0),  # 0/0: not located
            ("r5", "Street Defect", datetime(2025, 4, 2), "2", 39.9, -75.1),
            ("r6", "Street Defect", datetime(2024, 3, 1), None, 39.9, -75.1),
            ("r7", "Graffiti", datetime(2025, 3, 1), "3", 40.1, -75.3),
        ],
    )
    compute_service_tables(
        con, load_services_text(SERVICES), datetime(2025, 4, 1), fiscal_year_start_month=1
    )
    return con


@pytest.fixture
def con(tmp_path: Path):
    connection = _build(tmp_path / "wh.duckdb")
    yield connection
    connection.close()


def _index(con: duckdb.DuckDBPyConnection, scope: str, name: str, period: str) -> tuple:
    return con.execute(
        "SELECT index_value, metrics_total, metrics_scored, on_track, watch, off_track, "
        "prior_index_value, index_change FROM leadership_index "
        "WHERE scope = ? AND scope_name = ? AND period_label = ?",
        [scope, name, period],
    ).fetchone()


def test_metric_scores_divide_by_target_invert_and_cap(con) -> None:
    scores = dict(
        (
            (metric, period),
            score,
        )
        for metric, period, score in con.execute(
            "SELECT metric_id, period_label, score FROM metric_index_scores"
        ).fetchall()
    )
    assert scores[("on_time", "2025-02")] == pytest.approx(0.75)  # 0.60 / 0.80
    assert scores[("on_time", "2025-03")] == pytest.approx(1.125)  # 0.90 / 0.80
    assert scores[("days", "2025-02")] == pytest.approx(1.25)  # target 5 / value 4
    assert scores[("days", "2025-03")] == pytest.approx(1.5)  # 5 / 2 = 2.5, capped
    assert scores[("overdue", "2025-02")] == pytest.approx(1.5)  # nothing overdue: the cap
    assert scores[("overdue", "2025-03")] == pytest.approx(0.5)  # 5 / 10
    assert scores[("volume", "2025-03")] is None  # no target
    assert scores[("fast", "2025-02")] is None  # too little data
    change = con.execute(
        "SELECT prior_period_label, prior_score, score_change FROM metric_index_scores "
        "WHERE metric_id = 'on_time' AND period_label = '2025-03'"
    ).fetchone()
    assert change == ("2025-02", pytest.approx(0.75), pytest.approx(0.375))


def test_index_averages_scored_metrics_and_counts_statuses(con) -> None:
    # Streets 2025-03: (1.125 + 1.5 + 0.5) / 3; four metrics, three scored; 2 on track, 1 off.
    # Prior 2025-02: (0.75 + 1.25 + 1.5) / 3 = 1.1667; change -0.125.
    assert _index(con, "department", "Streets", "2025-03") == (
        pytest.approx(3.125 / 3),
        4,
        3,
        2,
        0,
        1,
        pytest.approx(3.5 / 3),
        pytest.approx(-0.375 / 3),
    )
    # Parks: 2025-02 has too little data, so no index and no change into 2025-03.
    assert _index(con, "department", "Parks", "2025-02")[:3] == (None, 1, 0)
    assert _index(con, "department", "Parks", "2025-03")[:3] == (pytest.approx(1.5), 1, 1)
    assert _index(con, "department", "Parks", "2025-03")[7] is None
    # Citywide: (1.125 + 1.5 + 0.5 + 1.5) / 4 over all five metrics.
    assert _index(con, "city", "Citywide", "2025-03")[:3] == (pytest.approx(4.625 / 4), 5, 4)
    assert _index(con, "cohort_service", "Potholes", "2025-03")[0] == pytest.approx(3.125 / 3)
    # Potholes ranks first (see the equity test below), alone in the current cohort (data of
    # 2025-04-01, a calendar-year city: 2025 Q2; capacity 1).
    assert _index(con, "cohort", "2025 Q2", "2025-03")[0] == pytest.approx(3.125 / 3)


def test_district_gaps_are_direction_aware_and_flag_only_comparable_rates(con) -> None:
    rows = {
        (metric, district): (gap, comparable, flagged, reference)
        for metric, district, gap, comparable, flagged, reference in con.execute(
            "SELECT metric_id, council_district, gap, comparable, flagged, reference_value "
            "FROM district_gaps"
        ).fetchall()
    }
    assert rows[("on_time", "1")] == (pytest.approx(-0.05 / 0.9), True, False, 0.9)
    assert rows[("on_time", "2")] == (pytest.approx(0.2), True, True, 0.9)
    assert rows[("on_time", "3")][1:3] == (False, False)  # too little data
    assert rows[("days", "1")] == (pytest.approx(0.1), True, False, 2.0)
    assert rows[("days", "2")] == (pytest.approx(0.5), True, True, 2.0)
    # Counts: compared with citywide / 3 districts = 110, never flagged.
    assert rows[("volume", "1")] == (pytest.approx(10 / 110), False, False, pytest.approx(110))
    assert rows[("volume", "2")][1:3] == (False, False)
    assert ("days", "Unknown") not in rows


def test_a_district_below_min_count_is_not_compared_even_without_a_target(con) -> None:
    # on_time as a share with min_count 30: District 2's 72% (gap 20%, flagged above) now
    # rests on 5 requests, under 30, so it is not compared and the service's equity evidence
    # cannot come from it; District 1's 95% of 100 still is, and District 3's 50% of 100, no
    # longer marked too little data, is compared and flagged (44% worse).
    con.execute("UPDATE metric_definitions SET kind = 'share', min_count = 30")
    con.execute("UPDATE metric_values SET denominator = 100, status = 'no_target'")
    con.execute(
        "UPDATE metric_values SET denominator = 5 WHERE metric_id = 'on_time' "
        "AND dimension_value = '2'"
    )
    compute_service_tables(
        con, load_services_text(SERVICES), datetime(2025, 4, 1), fiscal_year_start_month=1
    )
    rows = dict(
        con.execute(
            "SELECT council_district, (comparable, flagged) FROM district_gaps "
            "WHERE metric_id = 'on_time'"
        ).fetchall()
    )
    assert rows == {"1": (True, False), "2": (False, False), "3": (True, True)}


def test_volume_and_equity_evidence_feed_the_ranking(con) -> None:
    factors = {
        (service, factor): (score, basis, detail)
        for service, factor, score, basis, detail in con.execute(
            "SELECT service, factor, score, basis, detail FROM service_priority_factors"
        ).fetchall()
    }
    # r1, r2, r3 (Street Defect) and r4 (Pothole) fall in (2024-04-01, 2025-04-01]:
    # log10(1 + 4) / 4 = 0.174743.
    importance = factors[("Potholes", "importance")]
    assert importance[0] == pytest.approx(0.174743, abs=1e-6)
    assert importance[1:] == ("warehouse", "4 requests to 311 in the 12 months to 2025-04-01")
    # The worst comparable gap of its metrics: days in District 2, 50% -> a full score.
    assert factors[("Potholes", "equity")] == (
        pytest.approx(1.0),
        "warehouse",
        "District 2 is 50% worse than citywide on “Days” (2025-03)",
    )
    # Pools has no metrics and no request types: configured values.
    assert factors[("Pools", "equity")][:2] == (pytest.approx(0.3), "services.yml")
    assert factors[("Pools", "importance")][:2] == (pytest.approx(0.25), "services.yml")
    priorities = con.execute(
        "SELECT service, rank, score, people_served, cohort, cohort_label, cohort_start, "
        "cohort_end FROM service_priorities ORDER BY rank"
    ).fetchall()
    # Potholes 0.4*0.174743 + 0.2*0.5 + 0.2*1.0 + 0.1*0.5 + 0.05*0.5 + 0.05*0.5 = 0.469897
    # Pools    0.4*0.25     + 0.2*0.5 + 0.2*0.3 + 0.1*0.5 + 0.05*0.5 + 0.05*0.5 = 0.36
    # Cohorts from 2025-01-01; the data's current date 2025-04-01 is the first day of 2025 Q2,
    # the current cohort; 2025 Q1 is history and proposes nothing, 2025 Q3 is the next.
    assert priorities == [
        (
            *("Potholes", 1, pytest.approx(0.469897, abs=1e-6), 4, 2),
            *("2025 Q2", date(2025, 4, 1), date(2025, 7, 1)),
        ),
        (
            *("Pools", 2, pytest.approx(0.36), 9, 3),
            *("2025 Q3", date(2025, 7, 1), date(2025, 10, 1)),
        ),
    ]
    assert con.execute(
        "SELECT cohort, cohort_label, state, capacity, services FROM service_cohorts"
    ).fetchall() == [
        (1, "2025 Q1", "history", 1, 0),
        (2, "2025 Q2", "current", 1, 1),
        (3, "2025 Q3", "next", 1, 1),
    ]


def test_centroids_average_located_requests_per_district(con) -> None:
    centroids = con.execute(
        "SELECT council_district, latitude, longitude, records FROM district_centroids ORDER BY 1"
    ).fetchall()
    # District 1: (40.0, -75.0) and (40.2, -75.2); District 2 leaves out the 0/0 request;
    # the request without a district is left out.
    assert centroids == [
        ("1", pytest.approx(40.1), pytest.approx(-75.1), 2),
        ("2", pytest.approx(39.9), pytest.approx(-75.1), 2),
        ("3", pytest.approx(40.1), pytest.approx(-75.3), 1),
    ]


_SQUARE = '{"type": "Polygon", "coordinates": [[[-75, 40], [-74, 40], [-74, 41], [-75, 40]]]}'


@pytest.mark.parametrize(
    ("geometry", "expected"),
    [
        # Districts listed in city.yml without boundaries: the map places them at centroids.
        (None, 3),
        # One district with a boundary: the page draws the boundaries, never the centroids,
        # so the run spares the scan of every request.
        (_SQUARE, 0),
    ],
)
def test_centroids_only_for_districts_without_boundaries(
    con, geometry: str | None, expected: int
) -> None:
    write_profile_tables(
        con,
        ProfileRows(
            districts=[
                (
                    d,
                    f"District {d}",
                    None,
                    None,
                    None,
                    geometry if d == "2" else None,
                    "council_district",
                    "Council district",
                    int(d),
                    None,
                )
                for d in ("1", "2", "3")
            ]
        ),
    )
    compute_service_tables(
        con, load_services_text(SERVICES), datetime(2025, 4, 1), fiscal_year_start_month=1
    )
    assert con.execute("SELECT count(*) FROM district_centroids").fetchone() == (expected,)


def test_recomputing_replaces_every_table(con) -> None:
    before = {
        table: con.execute(f"SELECT count(*) FROM {table}").fetchone()
        for table in ("services", "service_priorities", "leadership_index", "district_gaps")
    }
    compute_service_tables(
        con, load_services_text(SERVICES), datetime(2025, 4, 1), fiscal_year_start_month=1
    )
    after = {table: con.execute(f"SELECT count(*) FROM {table}").fetchone() for table in before}
    assert after == before
    assert before["services"] == (2,)


DERIVED = ("metric_index_scores", "leadership_index", "leadership_index_members", "district_gaps")


def _derived(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in DERIVED}


def test_a_recompute_over_changed_values_equals_one_from_nothing(con) -> None:
    """The derived tables are rewritten only where they differ (replace_rows): after the
    values move, they hold what a computation into empty tables gives."""
    services = load_services_text(SERVICES)
    moved = con.execute(
        "UPDATE metric_values SET value = value * 3 + 1 WHERE dimension = 'council_district'"
        " OR (dimension = 'citywide' AND period_start = (SELECT max(period_start) FROM"
        " metric_values))"
    ).fetchone()
    assert moved is not None and moved[0] > 0
    before = _derived(con)
    compute_service_tables(con, services, datetime(2025, 4, 1), fiscal_year_start_month=1)
    updated = _derived(con)
    assert updated != before  # the values moved, so scores and gaps did
    for table in DERIVED:
        con.execute(f"DELETE FROM {table}")
    compute_service_tables(con, services, datetime(2025, 4, 1), fiscal_year_start_month=1)
    assert _derived(con) == updated


def test_catalog_row_holds_channels_and_documents(tmp_path: Path) -> None:
    path = tmp_path / "fixture.duckdb"
    build_fixture_warehouse(path)
    con = duckdb.connect(str(path), read_only=True)
    row = con.execute(
        "SELECT channels, channel_labels, application, documents, service_names "
        "FROM services WHERE service = 'Library cards'"
    ).fetchone()
    assert row == (
        ["library", "website"],
        ["Library", "Website"],
        True,
        ["Photo ID", "Proof of address"],
        [],
    )
    # The dashboard fixture's hand-worked ranking (see tests/dashboard_fixture.py).
    assert con.execute(
        "SELECT service, score FROM service_priorities ORDER BY rank"
    ).fetchall() == [
        ("Library cards", pytest.approx(0.515)),
        ("Street defects and potholes", pytest.approx(0.455)),
        ("Abandoned vehicles", pytest.approx(0.395)),
    ]
    con.close()
    assert datetime(2025, 4, 14, 23, 58) == AS_OF
    assert "Library cards" in SERVICES_YML


def test_a_failure_rolls_back_and_keeps_the_previous_tables(con) -> None:
    con.execute("DROP TABLE metric_definitions")
    with pytest.raises(duckdb.Error):
        compute_service_tables(
            con, load_services_text(SERVICES), datetime(2025, 4, 1), fiscal_year_start_month=1
        )
    assert con.execute("SELECT count(*) FROM service_priorities").fetchone() == (2,)


def test_a_warehouse_from_before_the_calendar_gets_it(tmp_path: Path) -> None:
    # An older run's service_cohorts had no state: the next run makes the table again.
    con = duckdb.connect(str(tmp_path / "old.duckdb"))
    create_schema(con)
    con.execute(
        "CREATE TABLE service_cohorts (cohort INTEGER PRIMARY KEY, cohort_label VARCHAR, "
        "cohort_start DATE, cohort_end DATE, capacity INTEGER, services INTEGER)"
    )
    con.execute(
        "INSERT INTO service_cohorts VALUES (1, 'Cohort 1 · Jan–Mar 2025', NULL, NULL, 1, 1)"
    )
    compute_service_tables(
        con, load_services_text(SERVICES), datetime(2025, 4, 1), fiscal_year_start_month=1
    )
    assert con.execute("SELECT cohort_label, state FROM service_cohorts").fetchall() == [
        ("2025 Q1", "history"),
        ("2025 Q2", "current"),
        ("2025 Q3", "next"),
    ]
