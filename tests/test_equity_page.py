"""AppTest of the Equity page on copies of the dashboard fixture: a count compared per 1,000
residents when the districts have populations, and per district with the rule the layer is
drawn to when they do not; a warehouse without services.yml's tables still gets the page.

Populations (copy of the fixture): District 1 50,000, District 2 20,000, District 3 30,000
(100,000 residents, "Test census", 2020). Abandoned vehicle requests in 2025-03 (made lower
is better here, min_count 30): citywide 1,234, District 1 400, District 2 300, District 3 34
(500 in no district). Per 1,000 residents: D1 400 · 1000 / 50000 = 8.0, D2 300 · 1000 / 20000
= 15.0, D3 34 · 1000 / 30000 = 1.133; citywide 1234 · 1000 / 100000 = 12.34. Gaps: D2 (15.0 -
12.34) / 12.34 = +21.6% > 15%: behind; D1 -35.2%, D3 -90.8% better.
Without populations: each against 1,234 / 3 districts = 411, and nothing is flagged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from tests.dashboard_fixture import build_fixture_warehouse
from tests.tables_support import shown_tables

APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
DISTRICT_COUNTS = [("1", 400), ("2", 300), ("3", 34)]
POPULATIONS = [("1", 50_000), ("2", 20_000), ("3", 30_000)]


@pytest.fixture(scope="module")
def base_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture with district counts of abandoned vehicles in 2025-03, lower is better."""
    path = tmp_path_factory.mktemp("equity") / "citystat.duckdb"
    build_fixture_warehouse(path)
    with duckdb.connect(str(path)) as con:
        con.execute(
            "UPDATE metric_definitions SET direction = 'lower_is_better' "
            "WHERE metric_id = 'abandoned_vehicle_requests'"
        )
        con.executemany(
            "INSERT INTO metric_values SELECT metric_id, grain, period_start, period_end, "
            "period_label, is_complete, 'council_district', ?, ?, NULL, NULL, ?, NULL, "
            "'no_target' FROM metric_values WHERE metric_id = 'abandoned_vehicle_requests' "
            "AND grain = 'month' AND period_label = '2025-03' AND dimension = 'citywide'",
            [(d, float(n), n) for d, n in DISTRICT_COUNTS],
        )
    return path


def _copy(base: Path, folder: Path, *statements: str) -> Path:
    path = folder / "citystat.duckdb"
    path.write_bytes(base.read_bytes())
    with duckdb.connect(str(path)) as con:
        for statement in statements:
            con.execute(statement)
    return path


@pytest.fixture
def open_equity(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    def open_(warehouse: Path, **params: str) -> AppTest:
        monkeypatch.setenv("CITYSTAT_WAREHOUSE", str(warehouse))
        at = AppTest.from_file(str(APP), default_timeout=30).run()
        for key, value in params.items():
            at.query_params[key] = value
        at.switch_page("views/equity.py").run()
        assert not at.exception, [e.value for e in at.exception]
        assert not at.error, [e.value for e in at.error]
        return at

    yield open_


def _unescape(cell: object) -> str:
    return re.sub(r"\\(.)", r"\1", str(cell))


def _tables(at: AppTest) -> list[list[dict[str, str]]]:
    """Rows of every HTML table, cells as a visitor reads them (escapes undone)."""
    return [
        [{k: _unescape(v) for k, v in row.items()} for row in t.value.to_dict("records")]
        for t in shown_tables(at)
    ]


def _texts(at: AppTest) -> str:
    return "\n".join(str(e.value) for kind in ("markdown", "caption") for e in getattr(at, kind))


def test_counts_per_1000_residents_with_source_and_year(
    base_warehouse: Path, tmp_path: Path, open_equity: Any
) -> None:
    populated = _copy(
        base_warehouse,
        tmp_path,
        *(
            f"UPDATE districts SET population = {p}, population_source = 'Test census', "
            f"population_year = 2020 WHERE id = '{d}'"
            for d, p in POPULATIONS
        ),
    )
    at = open_equity(populated, metric="abandoned_vehicle_requests", grain="month")
    assert "District populations (100,000 residents in all): Test census, 2020." in _texts(at)
    assert "Counts are compared per 1,000 residents" in _texts(at)
    assert [w.value for w in at.warning] == [
        "2025-03: District 2 is behind citywide: 15.00 per 1,000 residents against 12.34 per "
        "1,000 residents (+21.6%, worse)."
    ]
    rows = _tables(at)[0]
    assert [(r["District"], r["Value"], r["Gap"], r["Flag"]) for r in rows] == [
        ("District 1", "8.00 per 1,000 residents", "-35.2% (better)", ""),
        ("District 2", "15.00 per 1,000 residents", "+21.6% (worse)", "⚑ Behind citywide"),
        ("District 3", "1.13 per 1,000 residents", "-90.8% (better)", ""),
    ]
    assert rows[1]["Of"] == "300 requests · 20,000 residents"
    trend, district_map = (json.loads(c.proto.spec) for c in at.get("plotly_chart"))
    assert [t["name"] for t in trend["data"]][-2:] == [
        "Citywide per 1,000 residents",
        "Behind citywide",
    ]
    *districts, colour_bar = district_map["data"]
    # Shaded by the rates: the scale runs from District 3's 34 / 30 to District 2's 15.
    assert colour_bar["marker"]["color"] == pytest.approx([34 / 30, 15.0])
    assert [t["text"].split("<br>")[1] for t in districts] == [
        "8.00 per 1,000 residents · ○ No target",
        "1.13 per 1,000 residents · ○ No target",
        "15.00 per 1,000 residents · ○ No target",
    ]


def test_counts_without_populations_say_how_the_districts_are_drawn(
    base_warehouse: Path, tmp_path: Path, open_equity: Any
) -> None:
    at = open_equity(base_warehouse, metric="abandoned_vehicle_requests", grain="month")
    texts = _texts(at)
    assert "city.yml gives no population for every district, so counts are not rates." in texts
    assert "The council districts are drawn to near-equal population" in texts
    assert "no gap is flagged" in texts
    assert not at.warning and not at.success
    rows = _tables(at)[0]
    assert {r["Compared with"] for r in rows} == {"411 (citywide ÷ districts)"}  # 1,234 / 3
    assert {r["Flag"] for r in rows} == {"Not compared: no district populations"}
    unequal = _copy(base_warehouse, tmp_path, "UPDATE districts SET equal_population = false")
    at = open_equity(unequal, metric="abandoned_vehicle_requests", grain="month")
    assert "are not drawn to equal population" in _texts(at)


def test_equity_needs_no_services_yml(
    base_warehouse: Path, tmp_path: Path, open_equity: Any
) -> None:
    """Without services.yml's tables the median is flagged at the default 15%: District 2's
    4.0 days are (4.0 - 3.2) / 3.2 = 25.0% worse than citywide."""
    tables = ["services", "service_priorities", "service_priority_factors", "service_cohorts"]
    tables += ["metric_index_scores", "leadership_index", "district_gaps", "district_centroids"]
    bare = _copy(base_warehouse, tmp_path, *(f"DROP TABLE {t}" for t in tables))
    at = open_equity(bare, metric="street_defect_median_days", grain="month")
    assert [w.value for w in at.warning] == [
        "2025-03: District 2 is behind citywide: 4.0 days against 3.2 days (+25.0%, worse)."
    ]
    assert "more than 15% worse than citywide" in _texts(at)
