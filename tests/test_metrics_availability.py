"""'Not available for this source': metrics needing a column a source's extract lacks."""

from __future__ import annotations

from datetime import datetime

import duckdb

from pipelines.metrics import compute_metrics, preview
from pipelines.metrics.availability import Availability, all_availability, metric_availability
from tests.metrics_support import column, config, cover, metric_yaml, values, warehouse

T = datetime.fromisoformat
REVIEW_DAYS = metric_yaml(
    "review_days",
    """\
    unit: days
    direction: lower_is_better
    kind: duration_percentile
    table: permits
    start: applied_at
    end: issued_at
    percentile: 0.5
    targets: [{from: 2020-01-01, value: 10}]
    """,
)
ISSUED = metric_yaml("issued", "unit: permits\nkind: count\ntable: permits\ndate: issued_at\n")


def _permits(source: str, *issued_days: int) -> list[dict[str, object]]:
    """Permits of one source applied 1 March 2024 and issued that many days later."""
    return [
        {"permit_id": f"{source}-{days}", "source": source, "applied_at": T("2024-03-01"),
         "issued_at": T(f"2024-03-{1 + days:02d}"), "status": "issued", "council_district": "3"}
        for days in issued_days
    ]  # fmt: skip


def _stored(con: duckdb.DuckDBPyConnection, metric_id: str) -> list[tuple[object, ...]]:
    return con.execute(
        "SELECT grain, period_label, is_complete, dimension, value, status FROM metric_values "
        "WHERE metric_id = ? AND dimension = 'citywide' ORDER BY grain, period_start",
        [metric_id],
    ).fetchall()


def _definition(con: duckdb.DuckDBPyConnection, metric_id: str) -> tuple[object, ...] | None:
    return con.execute(
        "SELECT canonical_table, availability FROM metric_definitions WHERE metric_id = ?",
        [metric_id],
    ).fetchone()


def test_no_source_with_the_column_gives_not_available_rows() -> None:
    # The only permits source has no application date: no review time can be computed, but
    # permits issued can.
    con = warehouse(_permits("philadelphia_permits", 4, 6), "permits")
    con.execute("UPDATE permits SET applied_at = NULL")
    cover(con, "permits", "philadelphia_permits", missing=["applied_at"])
    cfg = config(REVIEW_DAYS, ISSUED)
    compute_metrics(con, cfg, T("2024-03-20"))
    # One citywide row for the current period and one for the latest complete period of
    # each grain, NULL value, status not_available.
    assert _stored(con, "review_days") == [
        ("fiscal_year", "FY2023", True, "citywide", None, "not_available"),
        ("fiscal_year", "FY2024", False, "citywide", None, "not_available"),
        ("month", "2024-02", True, "citywide", None, "not_available"),
        ("month", "2024-03", False, "citywide", None, "not_available"),
        ("quarter", "FY2024 Q2", True, "citywide", None, "not_available"),
        ("quarter", "FY2024 Q3", False, "citywide", None, "not_available"),
        ("week", "2024-W11", True, "citywide", None, "not_available"),
        ("week", "2024-W12", False, "citywide", None, "not_available"),
    ]
    assert _definition(con, "review_days") == (
        "permits",
        "not available for this source: philadelphia_permits has no applied_at",
    )
    issued = [row for row in _stored(con, "issued") if row[0] == "month"]
    assert issued == [("month", "2024-03", False, "citywide", 2.0, "no_target")]
    assert _definition(con, "issued") == ("permits", None)


def test_a_source_lacking_the_column_is_left_out_and_named() -> None:
    # a_permits lacks applied_at (its rows would have no duration anyway, but a count by
    # application date would silently undercount); b_permits has it. Median of b: [2, 4] = 3.
    con = warehouse(_permits("a_permits", 10, 20) + _permits("b_permits", 2, 4), "permits")
    cover(con, "permits", "a_permits", missing=["applied_at"])
    cover(con, "permits", "b_permits")
    cfg = config(REVIEW_DAYS)
    rows = values(con, cfg, "review_days", T("2024-03-20"), "month")
    assert column(rows, "period_label", "count", "value") == [("2024-03", 2, 3.0)]
    compute_metrics(con, cfg, T("2024-03-20"))
    assert _definition(con, "review_days") == (
        "permits",
        "left out (not available for this source): a_permits has no applied_at",
    )


def test_a_source_lacking_a_breakdown_stays_in_citywide_only() -> None:
    # b_permits has no council district field: its 2 permits count citywide (4 issued) but
    # are not shown as district 'Unknown'; a_permits' district 3 has its 2.
    con = warehouse(_permits("a_permits", 1, 2) + _permits("b_permits", 3, 4), "permits")
    con.execute("UPDATE permits SET council_district = NULL WHERE source = 'b_permits'")
    cover(con, "permits", "a_permits")
    cover(con, "permits", "b_permits", missing=["council_district"])
    cfg = config(ISSUED)
    citywide = values(con, cfg, "issued", T("2024-03-20"), "month")
    assert column(citywide, "value") == [(4.0,)]
    districts = values(con, cfg, "issued", T("2024-03-20"), "month", "council_district")
    assert column(districts, "dimension_value", "value") == [("3", 2.0)]
    compute_metrics(con, cfg, T("2024-03-20"))
    assert _definition(con, "issued") == (
        "permits",
        "council_district breakdown leaves out b_permits (it has no council_district)",
    )


def test_no_source_of_the_table_loaded() -> None:
    # Coverage is recorded for a 311 source only: a permits metric cannot be computed.
    con = warehouse([{"opened_at": T("2024-03-01"), "source": "city_311"}])
    cover(con, "service_requests", "city_311")
    compute_metrics(con, config(ISSUED), T("2024-03-20"))
    assert _definition(con, "issued") == ("permits", "not available: no permits source is loaded")
    assert {row[-1] for row in _stored(con, "issued")} == {"not_available"}


def test_preview_of_an_unavailable_metric_shows_why() -> None:
    con = warehouse(_permits("philadelphia_permits", 4), "permits")
    cover(con, "permits", "philadelphia_permits", missing=["applied_at"])
    frame = preview(con, config(REVIEW_DAYS), "review_days", grain="month", as_of=T("2024-03-20"))
    assert list(frame["period_label"]) == ["2024-02", "2024-03"]
    assert set(frame["status"]) == {"not_available"}
    assert frame["value"].isna().all()


def test_ratio_is_unavailable_when_a_part_is() -> None:
    ratio = metric_yaml(
        "issued_per_day_of_review",
        "unit: ratio\nkind: ratio\nnumerator_metric: issued\ndenominator_metric: review_days\n",
    )
    con = warehouse(_permits("philadelphia_permits", 4), "permits")
    cover(con, "permits", "philadelphia_permits", missing=["applied_at"])
    compute_metrics(con, config(REVIEW_DAYS, ISSUED, ratio), T("2024-03-20"))
    assert _definition(con, "issued_per_day_of_review") == (
        "permits",
        "not available for this source: philadelphia_permits has no applied_at",
    )
    assert {row[-1] for row in _stored(con, "issued_per_day_of_review")} == {"not_available"}


def test_without_coverage_every_metric_is_computed() -> None:
    # Warehouses from before source_columns existed record nothing: nothing is left out.
    con = warehouse(_permits("a_permits", 2, 4), "permits")
    compute_metrics(con, config(REVIEW_DAYS), T("2024-03-20"))
    assert _definition(con, "review_days") == ("permits", None)
    months = [row for row in _stored(con, "review_days") if row[0] == "month"]
    assert months == [("month", "2024-03", False, "citywide", 3.0, "on_track")]


def test_every_metric_at_once_matches_each_metric_alone() -> None:
    # The run reads source_columns once for all metrics (all_availability); each answer
    # must be the one metric_availability gives alone, across tables and a ratio.
    ratio = metric_yaml(
        "issued_per_day_of_review",
        "unit: ratio\nkind: ratio\nnumerator_metric: issued\ndenominator_metric: review_days\n",
    )
    requests = metric_yaml("requests", "unit: requests\nkind: count\ntable: service_requests\n")
    con = warehouse(_permits("a_permits", 10) + _permits("b_permits", 2), "permits")
    cover(con, "permits", "a_permits", missing=["applied_at"])
    cover(con, "permits", "b_permits", missing=["council_district"])
    cfg = config(REVIEW_DAYS, ISSUED, ratio, requests)
    every = all_availability(con, cfg)
    assert every == {m.id: metric_availability(con, cfg, m) for m in cfg.metrics}
    left_out = "left out (not available for this source): a_permits has no applied_at"
    no_district = "council_district breakdown leaves out b_permits (it has no council_district)"
    assert every == {
        "review_days": Availability(True, f"{left_out}; {no_district}"),
        "issued": Availability(True, no_district),
        # A ratio joins its parts' notes: the numerator's, then the denominator's.
        "issued_per_day_of_review": Availability(True, f"{no_district}; {left_out}; {no_district}"),
        "requests": Availability(False, "not available: no service_requests source is loaded"),
    }
