"""AppTest tests of the Services, Leadership, Department, Equity and Data freshness pages
against the hand-made fixture warehouse (values worked out in tests/dashboard_fixture.py)."""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from pipelines.catalog.leadership import compute_district_centroids
from tests.dashboard_fixture import build_fixture_warehouse
from tests.tables_support import shown_tables

APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"


@pytest.fixture(scope="module")
def fixture_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pages") / "citystat.duckdb"
    build_fixture_warehouse(path)
    return path


@pytest.fixture
def warehouse_env(fixture_warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("CITYSTAT_WAREHOUSE", str(fixture_warehouse))
    yield fixture_warehouse


def _open(page: str, **params: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(f"views/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _texts(at: AppTest) -> str:
    parts = [
        el.value
        for kind in ("markdown", "caption", "title", "subheader", "header")
        for el in getattr(at, kind)
    ]
    return "\n".join(str(part) for part in parts)


def _frames(at: AppTest) -> list[list[dict[Any, Any]]]:
    return [frame.value.to_dict("records") for frame in shown_tables(at)]


def _figures(at: AppTest) -> list[dict[str, Any]]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def _numbers(encoded: Any) -> list[float]:
    if isinstance(encoded, list):
        return [float(number) for number in encoded]
    return np.frombuffer(base64.b64decode(encoded["bdata"]), dtype=encoded["dtype"]).tolist()


def test_services_catalog_search_narrows_the_list(warehouse_env: Path) -> None:
    at = _open("services")
    catalog = _frames(at)[0]
    assert [row["Service"] for row in catalog] == [
        "Street defects and potholes",
        "Abandoned vehicles",
        "Library cards",
    ]
    library = catalog[2]
    assert library["Channels"] == "Library, Website"
    assert (
        library["What a resident must do"] == "Apply at a branch or online. Application required."
    )
    assert library["Documents"] == "Photo ID, Proof of address"
    assert (library["Rank"], library["Cohort by rank"]) == ("1", "FY2025 Q4")
    # By channel label ...
    at.text_input(key="services_search").input("website").run()
    assert [row["Service"] for row in _frames(at)[0]] == ["Abandoned vehicles", "Library cards"]
    assert "2 of 3 services match “website”" in _texts(at)
    # ... by department, in any case ...
    at.text_input(key="services_search").input("police").run()
    assert [row["Service"] for row in _frames(at)[0]] == ["Abandoned vehicles"]
    # ... and nothing found says so instead of an empty table.
    at.text_input(key="services_search").input("zoning").run()
    assert "No service matches “zoning”" in at.info[-1].value


def test_services_ranking_shows_each_factors_contribution(warehouse_env: Path) -> None:
    at = _open("services")
    ranking = _frames(at)[1]
    assert [(r["Rank"], r["Service"], r["Score"]) for r in ranking] == [
        ("1", "Library cards", "0.52"),  # 0.515
        ("2", "Street defects and potholes", "0.46"),  # 0.455
        ("3", "Abandoned vehicles", "0.40"),  # 0.395
    ]
    streets = ranking[1]
    # 0.4*0.25, 0.2*0.8, 0.2*0.5 (District 2's 25% gap), 0.1*0.4, 0.05*0.6, 0.05*0.5
    assert [
        streets[column]
        for column in (
            "Importance to residents",
            "Life safety or public health",
            "Equity of current delivery",
            "Reduction of the time tax",
            "Resources (staff and funding)",
            "Positive spillover",
        )
    ] == ["0.10", "0.16", "0.10", "0.04", "0.03", "0.03"]
    assert "District 2 is 25% worse than citywide" in streets["Reason"]
    assert "9 requests to 311 in the 12 months to 2025-04-14" in streets["Reason"]
    (chart,) = _figures(at)
    assert chart["layout"]["barmode"] == "stack"
    traces = {trace["name"]: trace for trace in chart["data"]}
    assert list(traces)[:2] == ["Importance to residents", "Life safety or public health"]
    assert traces["Importance to residents"]["y"] == [
        "Library cards",
        "Street defects and potholes",
        "Abandoned vehicles",
    ]
    # Importance contributions: 0.4*0.75, 0.4*0.25, 0.4*0.5.
    assert _numbers(traces["Importance to residents"]["x"]) == pytest.approx([0.3, 0.1, 0.2])
    assert _numbers(traces["Equity of current delivery"]["x"]) == pytest.approx([0.1, 0.1, 0.08])


def test_services_cohorts_by_quarter(warehouse_env: Path) -> None:
    at = _open("services")
    text = _texts(at)
    # Data to 14 Apr 2025 in a July fiscal year: FY2025 Q4 (Apr-Jun 2025) is in progress and
    # FY2026 Q1 is next, the next shown first; two places each, ranks 1-2 then rank 3.
    assert (
        "**FY2026 Q1** · 1 Jul 2025 – 30 Sep 2025 · ➜ Next quarter · 2 places  \n"
        "○ Proposed, not confirmed yet" in text
    )
    assert "**FY2025 Q4** · 1 Apr 2025 – 30 Jun 2025 · ▶ In progress · 2 places" in text
    *_, detail, following, current = _frames(at)
    assert [row["Service"] for row in current] == ["Library cards", "Street defects and potholes"]
    assert [row["Service"] for row in following] == ["Abandoned vehicles"]
    assert following[0]["In the cohort"] == "Proposed by rank"
    # The factor detail of the first-ranked service says where each number came from.
    assert [(row["Factor"], row["From"]) for row in detail][:3] == [
        ("Importance to residents", "services.yml"),
        ("Life safety or public health", "services.yml"),
        ("Equity of current delivery", "services.yml"),
    ]


def test_leadership_index_matches_the_fixture(warehouse_env: Path) -> None:
    at = _open("leadership")
    tiles = {metric.label: metric for metric in at.metric}
    city = tiles["City index (2025-03)"]
    # (0.824/0.80 + 3.0/3.2) / 2 = 0.98375; prior (0.975 + 1.0345) / 2 = 1.0047 → -0.02.
    assert city.value == "0.98"
    assert city.delta == "-0.02 vs 2025-02"
    assert (tiles["● On track"].value, tiles["▲ Watch"].value, tiles["■ Off track"].value) == (
        "1",
        "0",
        "1",
    )
    following, current, cohorts, departments, services, moves, improved, declined = _frames(at)
    # The proposals of the quarter in progress and the next (tests/test_cohorts_pages.py).
    assert [row["Service"] for row in current] == ["Library cards", "Street defects and potholes"]
    assert [row["Service"] for row in following] == ["Abandoned vehicles"]
    # What moved the city index from 2025-02 to 2025-03 (tests/test_seasonal.py tests it in
    # depth): each scored metric's score / 2. Median days 1.0345/2 = 0.517 → 0.9375/2 =
    # 0.469 (-0.05); on time 0.975/2 = 0.4875 → 1.03/2 = 0.515 (+0.03); abandoned vehicles
    # has no target and moves nothing.
    assert [(r["Metric"], r["Moved the index by"]) for r in moves] == [
        ("Median days to close a street defect", "-0.05"),
        ("Street defects closed on time", "+0.03"),
        ("Abandoned vehicle requests", "—"),
    ]
    assert [(r["Cohort"], r["Index"], r["Metrics scored"]) for r in cohorts] == [
        ("FY2025 Q4", "0.98", "2 of 2"),
        ("FY2026 Q1", "—", "0 of 1"),
    ]
    assert departments == [
        {
            "Department": "Police Department",
            "Period": "2025-03",
            "Index": "—",
            "Change": "—",
            "● On track": "0",
            "▲ Watch": "0",
            "■ Off track": "0",
            "Metrics scored": "0 of 1",
            "Open": "[Department view →](department?department=police)",
        },
        {
            "Department": "Streets Department",
            "Period": "2025-03",
            "Index": "0.98",
            "Change": "-0.02 vs 2025-02",
            "● On track": "1",
            "▲ Watch": "0",
            "■ Off track": "1",
            "Metrics scored": "2 of 2",
            "Open": "[Department view →](department?department=streets)",
        },
    ]
    assert [r["Service"] for r in services] == ["Abandoned vehicles", "Street defects and potholes"]
    # On time 0.78/0.80 = 0.975 → 0.824/0.80 = 1.03 (+0.055, shown +0.05 as 1.03 - 0.975 is
    # 0.05499… in binary); median days 3.0/2.9 = 1.034 → 3.0/3.2 = 0.9375 (-0.097).
    assert [(r["Metric"], r["Score vs target"], r["Change"]) for r in improved] == [
        ("Street defects closed on time", "0.97 → 1.03", "+0.05")
    ]
    assert improved[0]["Details"] == (
        "[Open metric →](metric?metric=street_defect_on_time&grain=month)"
    )
    assert [(r["Metric"], r["Value"], r["Change"]) for r in declined] == [
        ("Median days to close a street defect", "2.9 days → 3.2 days", "-0.10")
    ]
    assert declined[0]["Details"] == (
        "[Open metric →](metric?metric=street_defect_median_days&grain=month)"
    )
    assert "(2025-02 → 2025-03)" in _texts(at)


def test_leadership_quarter_index(warehouse_env: Path) -> None:
    at = _open("leadership")
    at.radio(key="leadership_grain").set_value("quarter").run()
    tiles = {metric.label: metric for metric in at.metric}
    # Only on time is scored (median days has too little data): 0.77/0.80 = 0.9625; prior
    # 2024-Q4 0.70/0.75 = 0.9333; change +0.029.
    assert tiles["City index (2025-Q1)"].value == "0.96"
    assert tiles["City index (2025-Q1)"].delta == "+0.03 vs 2024-Q4"
    assert tiles["▲ Watch"].value == "1"


def test_department_link_filters_to_its_metrics_services_and_sources(
    warehouse_env: Path,
) -> None:
    at = _open("department", department="police")
    assert not at.warning
    assert at.selectbox(key="department_page_department").value == "police"
    # Chosen by id, shown by name (in the order of the names).
    assert at.selectbox(key="department_page_department").options == [
        "Free Library of Philadelphia",
        "Police Department",
        "Streets Department",
    ]
    metrics, services, freshness = _frames(at)
    assert [row["Metric"] for row in metrics] == ["Abandoned vehicle requests"]
    assert [row["Service"] for row in services] == ["Abandoned vehicles"]
    assert [(r["Source"], r["Latest file"], r["Loaded"]) for r in freshness] == [
        ("philadelphia_311_demo", "city_311_2025b.csv", "2025-04-15 06:04")
    ]
    assert "Police Department" in [header.value for header in at.header]
    assert at.query_params["department"] == "police"
    # No index tile: the department's only metric has no target.
    assert not [m for m in at.metric if m.label.startswith("Department index")]
    assert (
        "No index for Police Department: none of its metrics has a target with enough data in "
        "the latest complete month."
    ) in _texts(at)


def test_department_switch_updates_the_link_and_shows_the_index(warehouse_env: Path) -> None:
    at = _open("department", department="police")
    at.selectbox(key="department_page_department").select("streets").run()
    assert at.query_params["department"] == "streets"
    tiles = {metric.label: metric.value for metric in at.metric}
    assert tiles["Department index (2025-03)"] == "0.98"
    # First what moved the department's index from 2025-02 to 2025-03, then its metrics.
    moves, metrics = _frames(at)[:2]
    assert [row["Moved the index by"] for row in moves] == ["-0.05", "+0.03"]
    assert [row["Metric"] for row in metrics] == [
        "Street defects closed on time",
        "Median days to close a street defect",
    ]


def test_department_page_rejects_an_unknown_department(warehouse_env: Path) -> None:
    at = _open("department", department="'; DROP TABLE services; --")
    (warning,) = [w.value for w in at.warning]
    assert warning.startswith("Ignored department “'; DROP TABLE services; --” from the link")
    assert at.selectbox(key="department_page_department").value == "free_library"
    # The library owns no metric and feeds from no source: the page says so.
    infos = [info.value for info in at.info]
    assert "Free Library of Philadelphia owns no metrics at the month grain." in infos
    assert "No loaded file feeds Free Library of Philadelphia's metrics." in infos


def test_a_link_that_names_a_department_reads_as_its_id(warehouse_env: Path) -> None:
    """Links shared before departments had ids name the department."""
    at = _open("department", department="Police Department")
    assert not at.warning
    assert at.selectbox(key="department_page_department").value == "police"
    assert at.query_params["department"] == "police"


def _html_tables(at: AppTest) -> list[list[dict[Any, Any]]]:
    """Rows of every HTML table, cells as a visitor reads them."""
    return [table.value.to_dict("records") for table in shown_tables(at)]


def test_equity_flags_the_gap_district(warehouse_env: Path) -> None:
    at = _open("equity", metric="street_defect_median_days", grain="month")
    (flag,) = [w.value for w in at.warning]
    # Lower is better: (4.0 - 3.2) / 3.2 = +25.0% > 15% (services.yml), 80 closed >= 30.
    assert (
        flag == "2025-03: District 2 is behind citywide: 4.0 days against 3.2 days (+25.0%, worse)."
    )
    districts = _html_tables(at)[0]
    assert [(r["District"], r["Gap"], r["Flag"]) for r in districts] == [
        ("District 1", "-21.9% (better)", ""),
        ("District 2", "+25.0% (worse)", "⚑ Behind citywide"),
        ("District 3", "+3.1% (worse)", ""),
    ]
    trend, district_map = _figures(at)
    flagged = next(t for t in trend["data"] if t["name"] == "Behind citywide")
    assert flagged["x"] == ["2025-03"]
    assert _numbers(flagged["y"]) == pytest.approx([4.0])
    # Each district's boundary a filled outline on plain axes (SVG: no tiles, no WebGL),
    # District 2 last so no neighbour covers its red outline.
    *districts, colour_bar = district_map["data"]
    assert [(t["name"], t["fill"]) for t in districts] == [
        ("District 1", "toself"),
        ("District 3", "toself"),
        ("District 2", "toself"),
    ]
    # Shaded on VALUE_SCALE from the lowest value (2.5 days, #c6dbef) to the highest (4.0,
    # #08306b); 3.3 is (3.3 - 2.5) / 1.5 = 53.3% along, 6.7% from #4292c6 to #08306b:
    # red 66 - 58 x 0.0667 = 62.1, green 146 - 98 x 0.0667 = 139.47, blue 198 - 91 x 0.0667
    # = 191.9, rounded.
    assert [t["fillcolor"] for t in districts] == [
        "rgb(198, 219, 239)",
        "rgb(62, 139, 192)",
        "rgb(8, 48, 107)",
    ]
    assert [(t["line"]["color"], t["line"]["width"]) for t in districts] == [
        ("#374151", 1),
        ("#374151", 1),
        ("#c62828", 4),
    ]
    assert districts[2]["text"] == (
        "District 2<br>4.0 days · ■ Off track<br>+25.0% against citywide<br>⚑ behind citywide"
    )
    assert (districts[2]["hoveron"], districts[2]["hoverinfo"]) == ("fills", "text")
    # District 2's box, -75.23..-75.17 by 39.89..39.95, anticlockwise from its south-west
    # corner; latitudes become Web Mercator ordinates in degrees.
    x, y = _numbers(districts[2]["x"]), _numbers(districts[2]["y"])
    assert x == pytest.approx([-75.23, -75.17, -75.17, -75.23, -75.23])
    south, north = (math.degrees(math.asinh(math.tan(math.radians(a)))) for a in (39.89, 39.95))
    assert y == pytest.approx([south, south, north, north, south])
    assert _numbers(colour_bar["marker"]["color"]) == pytest.approx([2.5, 4.0])
    assert colour_bar["marker"]["showscale"] is True and colour_bar["hoverinfo"] == "skip"
    # One scale across and up, so the districts keep their shape.
    assert district_map["layout"]["yaxis"]["scaleanchor"] == "x"


def test_equity_shares_are_flagged_by_their_wilson_interval(warehouse_env: Path) -> None:
    """z = 1.959964, z² = 3.841459; Wilson (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n).
    2025-03, citywide 0.824: District 2, 0.75 of 118: 1 + z²/n = 1.032555, centre
    (0.75 + 0.016277) / 1.032555 = 0.742118, half 1.959964 · sqrt(0.001589 + 0.000069) /
    1.032555 = 0.077290 → [0.665, 0.819], wholly below 0.824: behind, though only 9.0% worse.
    District 1, 0.90 of 120: 1.032012, centre 0.906006 / 1.032012 = 0.887593, half 1.959964 ·
    sqrt(0.00075 + 0.000067) / 1.032012 = 0.054274 → [0.833, 0.942]. District 3, 0.50 of 12:
    1.320122, centre 0.5, half 1.959964 · sqrt(0.020833 + 0.006669) / 1.320122 = 0.246219 →
    [0.254, 0.746], but 12 requests are under min_count 30: not compared. 2025-01, citywide 0.70:
    District 2, 0.55 of 80 → [0.441, 0.654]: behind. 2025-02, citywide 0.78: District 2, 0.70
    of 85 → [0.596, 0.787] reaches 0.78: not flagged."""
    at = _open("equity", metric="street_defect_on_time", grain="month")
    assert [w.value for w in at.warning] == [
        "2025-03: District 2 is behind citywide: 75.0% (95% interval 66.5%–81.9%) against "
        "82.4% (-7.4 pts, worse)."
    ]
    assert "95% confidence interval (Wilson score)" in _texts(at)
    assert "fewer than 30 requests in a period is shown but not compared" in _texts(at)
    districts = _html_tables(at)[0]
    assert [(r["District"], r["95% interval"], r["Flag"]) for r in districts] == [
        ("District 1", "83.3%–94.2%", ""),
        ("District 2", "66.5%–81.9%", "⚑ Behind citywide"),
        ("District 3", "25.4%–74.6%", "Not compared: fewer than 30 requests"),
    ]
    trend = _figures(at)[0]
    lines = {trace["name"]: trace for trace in trend["data"]}
    assert lines["District 2"]["x"] == ["2025-01", "2025-02", "2025-03"]
    assert _numbers(lines["District 2"]["y"]) == pytest.approx([0.55, 0.70, 0.75])
    assert _numbers(lines["Citywide"]["y"]) == pytest.approx([0.70, 0.78, 0.824])
    assert lines["Behind citywide"]["x"] == ["2025-01", "2025-03"]
    assert "Every flagged district and period (2)" in [e.label for e in at.expander]
    flags = _html_tables(at)[1]
    assert [(r["District"], r["Period"], r["Flag"]) for r in flags] == [
        ("District 2", "2025-01", "⚑ Behind citywide"),
        ("District 2", "2025-03", "⚑ Behind citywide"),
    ]
    # On the map District 3 is grey: too little data to shade it by its value.
    *districts, _colour_bar = _figures(at)[1]["data"]
    grey = next(t for t in districts if t["name"] == "District 3")
    assert grey["fillcolor"] == "#e5e7eb"
    assert grey["text"] == "District 3<br>50.0% · … Too little data"
    assert all(t["fillcolor"].startswith("rgb(") for t in districts if t is not grey)


def test_equity_names_districts_as_the_layer_does(
    fixture_warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    renamed = tmp_path / "citystat.duckdb"
    renamed.write_bytes(fixture_warehouse.read_bytes())
    with duckdb.connect(str(renamed)) as con:
        con.execute("UPDATE districts SET name = 'Southwest' WHERE id = '2'")
    monkeypatch.setenv("CITYSTAT_WAREHOUSE", str(renamed))
    at = _open("equity", metric="street_defect_median_days", grain="month")
    assert at.warning[0].value.startswith("2025-03: Southwest is behind citywide: 4.0 days")
    assert [r["District"] for r in _html_tables(at)[0]] == ["District 1", "Southwest", "District 3"]
    southwest = [t for t in _figures(at)[1]["data"] if t.get("name") == "Southwest"]
    assert southwest[0]["text"].startswith("Southwest<br>4.0 days")


def test_equity_without_boundaries_places_districts_at_their_centroids(
    fixture_warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A warehouse published before the city profile (no districts table) keeps the map of
    district centroids, which its run computed without boundaries."""
    older = tmp_path / "citystat.duckdb"
    older.write_bytes(fixture_warehouse.read_bytes())
    with duckdb.connect(str(older)) as con:
        # The fixture's districts have boundaries, so its run left the centroids out.
        assert con.execute("SELECT count(*) FROM district_centroids").fetchone() == (0,)
        con.execute("DROP TABLE districts")
        compute_district_centroids(con)
    monkeypatch.setenv("CITYSTAT_WAREHOUSE", str(older))
    at = _open("equity", metric="street_defect_median_days", grain="month")
    (points,) = _figures(at)[1]["data"]
    assert points["text"] == ["D1", "D2", "D3"]
    assert _numbers(points["x"]) == pytest.approx([-75.15, -75.20, -75.05])
    assert _numbers(points["y"]) == pytest.approx([39.96, 39.92, 40.05])
    # Only District 2 is ringed in red.
    assert points["marker"]["line"]["color"] == ["#444444", "#c62828", "#444444"]


def test_equity_rejects_unknown_metric_and_grain(warehouse_env: Path) -> None:
    at = _open("equity", metric="abandoned_vehicle_requests", grain="decade")
    warnings = [w.value for w in at.warning]
    # Abandoned vehicles has no district rows, so it is not on the equity page.
    assert warnings[0].startswith("Ignored metric “abandoned_vehicle_requests” from the link")
    assert warnings[1].startswith("Ignored grain “decade” from the link")
    # The other keys are other choices (the scorecard's, opened first); these two are replaced.
    assert (at.query_params["metric"], at.query_params["grain"]) == (
        "street_defect_on_time",
        "month",
    )


def test_freshness_rows_per_source_and_run_steps(warehouse_env: Path) -> None:
    at = _open("freshness")
    loads, steps = _frames(at)
    assert loads == [
        {
            "Source": "philadelphia_311_demo",
            "Table": "service_requests",
            "Latest file": "city_311_2025b.csv",
            "Loaded": "2025-04-15 06:04",
            "SHA-256": "9f86d081884c",
            "Read": "500",
            "Quarantined": "3",
            "Rejected": "1",
            "Inserted": "480",
            "Updated": "12",
            "Unchanged": "3",
        }
    ]
    assert steps == [
        {
            "Run": "run-2025-04-15",
            "Read": "1.5 s",
            "Stage": "2.0 s",
            "Validate": "3.3 s",
            "Merge": "0.8 s",
            "Metrics": "4.0 s",
            "Publish": "0.5 s",
            "Total": "12.1 s",
        },
        {
            "Run": "run-2025-04-14",
            "Read": "1.0 s",
            "Stage": "1.5 s",
            "Validate": "2.0 s",
            "Merge": "—",
            "Metrics": "—",
            "Publish": "—",
            "Total": "4.5 s",
        },
    ]
    (chart,) = _figures(at)
    assert [trace["name"] for trace in chart["data"]] == [
        "read",
        "stage",
        "validate",
        "merge",
        "metrics",
        "publish",
    ]
    assert _numbers(chart["data"][2]["x"]) == pytest.approx([3.3, 2.0])


def test_pages_explain_a_warehouse_without_service_tables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "old.duckdb"
    build_fixture_warehouse(path)
    con = duckdb.connect(str(path))
    con.execute("DROP TABLE leadership_index")
    con.close()
    monkeypatch.setenv("CITYSTAT_WAREHOUSE", str(path))
    for page in ("services", "leadership", "department"):
        at = _open(page)
        (warning,) = [w.value for w in at.warning]
        assert "missing: leadership_index" in warning
        assert "citystat run" in warning
        assert not shown_tables(at)
