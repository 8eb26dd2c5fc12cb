"""Seasonal comparisons and the index history on the hand-made five-year warehouse
(values worked out in tests/seasonal_fixture.py): queries, then the pages under AppTest."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.components.safe_text import escape_markdown
from dashboard.queries import index_history, scorecard, seasonal
from dashboard.queries.reader import Warehouse
from tests.seasonal_fixture import build_seasonal_warehouse
from tests.tables_support import shown_tables

APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"


@pytest.fixture(scope="module")
def seasonal_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seasonal") / "citystat.duckdb"
    build_seasonal_warehouse(path)
    return path


@pytest.fixture
def wh(seasonal_warehouse: Path) -> Warehouse:
    return Warehouse(path=str(seasonal_warehouse), version=f"seasonal-{seasonal_warehouse}")


@pytest.fixture
def warehouse_env(seasonal_warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("CITYSTAT_WAREHOUSE", str(seasonal_warehouse))
    yield seasonal_warehouse


def _by_metric(frame: Any, *columns: str) -> dict[str, tuple[Any, ...]]:
    return {str(row["metric_id"]): tuple(row[c] for c in columns) for _, row in frame.iterrows()}


# ------------------------------------------------------------------------ queries


def test_scorecard_compares_with_the_period_before_by_default(wh: Warehouse) -> None:
    board = scorecard.scorecard(wh, "month")
    # 2026-10 against 2026-09: requests 160 vs 159, on time 0.85 vs 0.85.
    assert _by_metric(board, "period_label", "value", "prior_period_label", "prior_value")[
        "pothole_requests"
    ] == ("2026-10", 160.0, "2026-09", 159.0)
    assert _by_metric(board, "prior_value")["pothole_on_time"] == (0.85,)


def test_scorecard_compares_with_the_same_period_last_year(wh: Warehouse) -> None:
    board = scorecard.scorecard(wh, "month", compare="last_year")
    rows = _by_metric(board, "period_label", "value", "prior_period_label", "prior_value")
    # 2026-10 against 2025-10: requests 160 vs 150 (100 + 10 * 4 + 10); on time 0.85 vs 0.80.
    assert rows["pothole_requests"] == ("2026-10", 160.0, "2025-10", 150.0)
    assert rows["pothole_on_time"] == ("2026-10", 0.85, "2025-10", 0.80)


def test_scorecard_refuses_an_unknown_comparison(wh: Warehouse) -> None:
    with pytest.raises(ValueError, match="compare must be one of"):
        scorecard.scorecard(wh, "month", compare="decade")


def test_five_year_same_period(wh: Warehouse) -> None:
    years = seasonal.same_period_years(wh, "pothole_requests", "month")
    # October of 2022..2026: 100 + 10 * (year - 2021) + 10; 2021-10 is the sixth, left out.
    assert list(zip(years["period_label"], years["value"], strict=True)) == [
        ("2022-10", 120.0),
        ("2023-10", 130.0),
        ("2024-10", 140.0),
        ("2025-10", 150.0),
        ("2026-10", 160.0),
    ]


def test_same_period_years_skip_years_without_a_value(wh: Warehouse) -> None:
    # Only three Octobers are wanted: 2024, 2025, 2026.
    years = seasonal.same_period_years(wh, "pothole_on_time", "month", years=3)
    assert list(years["period_label"]) == ["2024-10", "2025-10", "2026-10"]
    # 0.60 + 0.05 * 3, 4 and 5.
    assert [round(v, 2) for v in years["value"]] == [0.75, 0.80, 0.85]


def test_fiscal_year_to_date_of_a_count(wh: Warehouse) -> None:
    ytd = seasonal.year_to_date(wh, "pothole_requests", 7)
    assert ytd is not None
    # FY2027's complete months Jul-Oct 2026: 157 + 158 + 159 + 160 = 634; the same months of
    # FY2026 (Jul-Oct 2025): 147 + 148 + 149 + 150 = 594.
    assert (ytd["current_first"], ytd["current_last"], ytd["months"]) == ("2026-07", "2026-10", 4)
    assert (ytd["last_year_first"], ytd["last_year_last"]) == ("2025-07", "2025-10")
    assert (ytd["current_value"], ytd["last_year_value"]) == (634.0, 594.0)


def test_fiscal_year_to_date_of_a_share_pools_the_records(wh: Warehouse) -> None:
    ytd = seasonal.year_to_date(wh, "pothole_on_time", 7)
    assert ytd is not None
    # Jul-Oct 2026: (85 + 152 + 85 + 170) / (100 + 200 + 100 + 200) = 492 / 600 = 0.82 (the
    # mean of the monthly rates would be 0.8275); Jul-Oct 2025: 480 / 600 = 0.80.
    assert ytd["current_value"] == pytest.approx(0.82)
    assert ytd["last_year_value"] == pytest.approx(0.80)


def test_calendar_year_city_counts_year_to_date_from_january(wh: Warehouse) -> None:
    ytd = seasonal.year_to_date(wh, "pothole_requests", 1)
    assert ytd is not None
    # Jan-Oct 2026: sum of 150 + m for m = 1..10 = 1,555; Jan-Oct 2025: 1,455.
    assert (ytd["current_first"], ytd["last_year_first"]) == ("2026-01", "2025-01")
    assert (ytd["current_value"], ytd["last_year_value"]) == (1555.0, 1455.0)


def test_year_to_date_of_a_median_is_not_made_from_months(wh: Warehouse) -> None:
    ytd = seasonal.year_to_date(wh, "pothole_median_days", 7)
    assert ytd is not None and ytd["how"] == "" and pd.isna(ytd["current_value"])


def test_fiscal_year_start_comes_from_the_city_profile(wh: Warehouse) -> None:
    assert seasonal.fiscal_year_start_month(wh) == 7


def test_index_history_of_the_city_and_a_department(wh: Warehouse) -> None:
    city = index_history.index_history(wh, "city", "Citywide", "month")
    last = city.set_index("period_label").loc[["2026-09", "2026-10"], "index_value"]
    # (1.0625 + 1.25 + 1.0) / 3 and (1.0625 + 0.8 + 1.0) / 3.
    assert list(last) == pytest.approx([1.1041667, 0.9541667])
    streets = index_history.index_history(wh, "department", "streets", "month")
    assert streets["period_label"].iloc[-1] == "2026-10"  # November is in progress
    assert streets["index_value"].iloc[-1] == pytest.approx(0.93125)
    assert streets["index_change"].iloc[-1] == pytest.approx(-0.225)
    # 2021-07 .. 2026-10: 64 complete months.
    assert len(streets) == 64


def test_index_moves_name_the_metric_that_moved_it(wh: Warehouse) -> None:
    moves = index_history.index_moves(wh, "city", "Citywide", "month", "2026-09", "2026-10")
    first = moves.iloc[0]
    # The median went 4.0 -> 6.25 days: score 1.25 -> 0.8, contribution 1.25/3 -> 0.8/3.
    assert first["metric_id"] == "pothole_median_days"
    assert (first["status_before"], first["status_after"]) == ("on_track", "off_track")
    assert first["contribution_change"] == pytest.approx(-0.15)
    # The contributions' changes add up to the index change, -0.15.
    assert moves["contribution_change"].sum() == pytest.approx(-0.15)
    assert list(moves["status_changed"]) == [True, False, False, False]


def test_index_moves_of_a_cohort(wh: Warehouse) -> None:
    cohorts = index_history.scope_names(wh, "cohort", "month")
    assert len(cohorts) == 2
    # The first cohort (capacity 1) is Potholes, the higher ranked: streets' metrics only.
    moves = index_history.index_moves(wh, "cohort", cohorts[0], "month", "2026-09", "2026-10")
    assert set(moves["metric_id"]) == {"pothole_requests", "pothole_on_time", "pothole_median_days"}
    # (1.0625 + 0.8) / 2 - (1.0625 + 1.25) / 2 = -0.225, all from the median.
    assert moves["contribution_change"].sum() == pytest.approx(-0.225)


# ------------------------------------------------------------------------ pages


def _open(page: str, **params: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(f"views/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _changes(at: AppTest) -> dict[str, str]:
    rows = [row for frame in shown_tables(at) for row in frame.value.to_dict("records")]
    return {str(row["Metric"]): str(row["Change"]) for row in rows if "Change" in row}


def _texts(at: AppTest) -> str:
    kinds = ("markdown", "caption", "subheader", "warning", "info")
    return "\n".join(str(el.value) for kind in kinds for el in getattr(at, kind))


def test_scorecard_switches_to_same_period_last_year(warehouse_env: Path) -> None:
    at = _open("scorecard")
    assert _changes(at)["Pothole requests"] == "↑ +1"  # 160 vs 159
    assert "compare" not in at.query_params  # the default leaves the address alone
    at.radio(key="scorecard_compare").set_value("last_year").run()
    assert not at.exception
    # 160 vs 150 in 2025-10; on time 0.85 vs 0.80 = +5.0 points, better.
    assert _changes(at)["Pothole requests"] == "↑ +10"
    assert _changes(at)["Potholes repaired on time"] == "↑ +5.0 pts (better)"
    assert at.query_params["compare"] == "last_year"
    assert "the same period a year before" in _texts(at)
    at.radio(key="scorecard_compare").set_value("prior").run()
    assert _changes(at)["Pothole requests"] == "↑ +1"
    assert "compare" not in at.query_params


def test_scorecard_link_restores_same_period_last_year(warehouse_env: Path) -> None:
    at = _open("scorecard", compare="last_year")
    assert at.radio(key="scorecard_compare").value == "last_year"
    assert _changes(at)["Pothole requests"] == "↑ +10"


def test_scorecard_link_with_an_unknown_comparison_falls_back(warehouse_env: Path) -> None:
    hostile = "**[click](https://evil.example)**"
    at = _open("scorecard", compare=hostile)
    assert at.radio(key="scorecard_compare").value == "prior"
    assert _changes(at)["Pothole requests"] == "↑ +1"
    # Named back as text (escaped: no link, no emphasis), replaced in the URL by the default.
    warnings = [str(w.value) for w in at.warning]
    assert f"Ignored compare “{escape_markdown(hostile)}” from the link" in "\n".join(warnings)
    assert at.query_params.get("compare") == "prior"


def test_metric_page_shows_five_years_and_fiscal_year_to_date(warehouse_env: Path) -> None:
    at = _open("metric", metric="pothole_requests", grain="month")
    texts = _texts(at)
    assert "Same month, year by year" in texts
    assert "Fiscal year to date against last year" in texts
    tiles = {m.label: m for m in at.metric}
    ytd = tiles["Fiscal year to date (2026-07 to 2026-10)"]
    # 634 against 594: +40.
    assert (ytd.value, ytd.delta) == ("634", "+40")
    assert tiles["Last year, same months (2025-07 to 2025-10)"].value == "594"
    rows = [row for frame in shown_tables(at) for row in frame.value.to_dict("records")]
    five = [row for row in rows if "vs year before" in row]
    assert [row["Period"] for row in five] == [f"{year}-10" for year in range(2022, 2027)]
    assert five[-1]["vs year before"] == "↑ +10"


def test_metric_page_says_a_median_is_not_made_from_months(warehouse_env: Path) -> None:
    at = _open("metric", metric="pothole_median_days", grain="month")
    assert "cannot be put together from monthly values" in _texts(at)


def test_leadership_index_history_and_what_moved_it(warehouse_env: Path) -> None:
    at = _open("leadership")
    assert "Index over time" in _texts(at)
    # From 2026-09 to 2026-10 the city index fell 0.15, all from the median's contribution.
    assert "From 2026-09 to 2026-10: 1 metric changed status" in _texts(at)
    assert "moved the index by -0.15 in all" in _texts(at)
    rows = [row for frame in shown_tables(at) for row in frame.value.to_dict("records")]
    moved = next(row for row in rows if "Moved the index by" in row)
    assert moved["Metric"] == "Median days to repair a pothole"
    assert moved["Moved the index by"] == "-0.15"
    assert moved["Status"] == "● On track → ■ Off track"
    # A department's history: the streets index fell 0.8 / 2 - 1.25 / 2 = -0.225, which in
    # binary floating point is -0.22499999999999998 and shows as -0.22.
    at.radio(key="index_history_any_scope").set_value("department").run()
    at.selectbox(key="index_history_any_name").set_value("streets").run()
    assert not at.exception
    assert "From 2026-09 to 2026-10: 1 metric changed status" in _texts(at)
    assert "moved the index by -0.22 in all" in _texts(at)
