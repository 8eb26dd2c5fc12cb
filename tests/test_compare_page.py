"""The Compare page under AppTest: two small cities' warehouses (tests/compare_fixture.py,
numbers worked out there), a third configured city with nothing published."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.components import site
from tests.compare_fixture import HOSTILE_LABEL, SHELBYVILLE, SPRINGFIELD, build_city
from tests.dashboard_fixture import build_fixture_warehouse
from tests.tables_support import shown_tables
from tests.test_security_markdown import assert_nothing_live

APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"


@pytest.fixture(scope="module")
def cities(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    root = tmp_path_factory.mktemp("cities")
    build_fixture_warehouse(root / "home.duckdb")
    return [
        build_city(root / "springfield", SPRINGFIELD),
        build_city(root / "shelbyville", SHELBYVILLE),
        root / "ogdenville",  # configured, never run
    ]


@pytest.fixture
def env(cities: list[Path], monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Path]]:
    monkeypatch.setenv("CITYSTAT_WAREHOUSE", str(cities[0].parent / "home.duckdb"))
    monkeypatch.setenv(site.COMPARE_ENV, os.pathsep.join(str(c) for c in cities))
    yield cities


def _open(**params: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page("views/compare.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _rows(at: AppTest) -> dict[str, dict[str, str]]:
    """The comparison table by city, each cell as a visitor reads it."""
    (table,) = shown_tables(at)
    records = table.value.to_dict("records")
    return {str(r["City"]): {str(k): str(v) for k, v in r.items()} for r in records}


def _texts(at: AppTest) -> list[str]:
    return [str(e.value) for kind in ("caption", "warning", "info") for e in getattr(at, kind)]


def test_counts_are_compared_per_thousand_residents_in_the_common_month(env: list[Path]) -> None:
    at = _open()
    assert at.title[0].value == "Cities side by side"
    assert at.selectbox(key="compare_measure").value == "requests_received"
    assert at.radio(key="compare_grain").value == "month"
    rows = _rows(at)
    assert list(rows) == ["Springfield", "Shelbyville", "ogdenville"]
    springfield, shelbyville, ogdenville = rows.values()
    # 120 / 60,000 x 1,000 = 2.0; 450 / 250,000 x 1,000 = 1.8, both in 2025-03.
    assert (springfield["Compared"], springfield["As reported"]) == (
        "2.0 per 1,000 residents",
        "120 requests",
    )
    assert (shelbyville["Compared"], shelbyville["As reported"]) == (
        "1.8 per 1,000 residents",
        "450 requests",
    )
    assert springfield["Period"] == "2025-03"
    # Its 2025-05 counts no record at all (its extract ends in April): not its latest.
    assert shelbyville["Period"] == "2025-03 (its latest: 2025-04)"
    assert springfield["Residents"] == "60,000 (Springfield census, 2020)"
    # Where each value came from and how fresh it is.
    assert (springfield["Data as of"], springfield["Last run (UTC)"]) == (
        "2025-04-14 23:58",
        "2025-04-15 06:04",
    )
    assert shelbyville["Data as of"] == "2025-06-02 08:00"
    assert springfield["Warehouse"] == str(env[0] / "data" / "citystat.duckdb")
    assert shelbyville["Metric in this city"] == "311 requests opened (sb_requests)"
    assert ogdenville["Compared"] == "No published warehouse"
    texts = _texts(at)
    assert "Shown: 2025-03, the latest month every city measuring this has complete." in texts
    assert "Shelbyville's latest month is 2025-04." in texts
    assert any(t.startswith("No published warehouse in ") and "ogdenville" in t for t in texts)
    (chart,) = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    (bars,) = chart["data"]
    assert bars["y"] == ["Springfield", "Shelbyville"]
    assert bars["x"] == pytest.approx([2.0, 1.8])
    assert chart["layout"]["xaxis"]["title"]["text"] == "per 1,000 residents"


def test_a_median_is_compared_as_it_is_and_a_city_without_it_is_not_measured(
    env: list[Path],
) -> None:
    at = _open()
    at.selectbox(key="compare_measure").select("median_days_to_close").run()
    rows = _rows(at)
    assert rows["Springfield"]["Compared"] == "3.5 days"
    # Not zero, not a dash: the city does not measure it.
    assert rows["Shelbyville"]["Compared"] == "Not measured"
    assert rows["Shelbyville"]["Metric in this city"] == "—"
    (chart,) = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert chart["data"][0]["y"] == ["Springfield"]
    at.selectbox(key="compare_measure").select("on_time_share").run()
    rows = _rows(at)
    assert (rows["Springfield"]["Compared"], rows["Shelbyville"]["Compared"]) == ("80.0%", "75.0%")


def test_cities_without_a_common_period_say_so(env: list[Path]) -> None:
    at = _open()
    at.radio(key="compare_grain").set_value("fiscal_year").run()
    rows = _rows(at)
    # Springfield's FY2024 ends in June 2024, Shelbyville's in December: never the same dates.
    assert (rows["Springfield"]["Compared"], rows["Springfield"]["Period"]) == (
        "21.7 per 1,000 residents",
        "FY2024",
    )
    assert rows["Shelbyville"]["Compared"] == "20.0 per 1,000 residents"
    assert [w.value for w in at.warning if "share no complete" in w.value] == [
        "These cities share no complete fiscal year: each shows its own latest, so the values "
        "cover different periods."
    ]


def test_a_hostile_label_is_shown_as_the_text_it_is(env: list[Path]) -> None:
    at = _open()
    (table,) = shown_tables(at)
    cell = table.value.to_dict("records")[0]["Metric in this city"]
    assert cell == f"{HOSTILE_LABEL} (sf_requests)"
    assert_nothing_live(at, "compare")


def test_the_page_is_in_the_navigation_only_with_two_cities(
    env: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    def pages() -> list[Any]:
        at = AppTest.from_file(str(APP), default_timeout=30).run()
        return [page["page_name"] for page in at._registered_pages.values()]

    assert "Compare cities" in pages()
    monkeypatch.setenv(site.COMPARE_ENV, str(env[0]))
    assert "Compare cities" not in pages()
    monkeypatch.delenv(site.COMPARE_ENV)
    assert "Compare cities" not in pages()


def test_a_city_of_generated_demo_data_says_so(
    env: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    demo = build_city(tmp_path / "demo", SPRINGFIELD)
    with duckdb.connect(str(demo / "data" / "citystat.duckdb")) as con:
        con.execute("UPDATE runs SET is_demo = true")
    monkeypatch.setenv(site.COMPARE_ENV, os.pathsep.join([str(demo), str(env[1])]))
    assert list(_rows(_open())) == ["Springfield (generated demo data)", "Shelbyville"]


def test_with_one_published_city_the_page_says_two_are_needed(
    env: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(site.COMPARE_ENV, os.pathsep.join(str(c) for c in env[1:]))
    at = _open()
    assert "Two published cities are needed to compare them." in _texts(at)
    assert not shown_tables(at)


def test_cities_come_from_the_command_line_before_the_environment() -> None:
    env = {site.COMPARE_ENV: os.pathsep.join(["cities/a", "cities/b", "cities/a"])}
    assert site.compare_cities([], env) == [Path("cities/a"), Path("cities/b")]
    argv = ["--public", "--compare", "cities/boston", "cities/new_york", "--city", "cities/x"]
    assert site.compare_cities(argv, env) == [Path("cities/boston"), Path("cities/new_york")]
    assert site.compare_cities(["--compare=cities/boston"], {}) == [Path("cities/boston")]
    assert site.city_folder(argv) == Path("cities/x")
    assert site.city_folder(["--public"]) is None
    assert site.is_public(argv, {})
