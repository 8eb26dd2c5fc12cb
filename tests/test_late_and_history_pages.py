"""The pages mark metrics computed from a late source and say how a definition last changed
(AppTest over a copy of the hand-made fixture warehouse, tests/dashboard_fixture.py).

The copy says the fixture's only source, philadelphia_311_demo ("City 311 export"), should
arrive every day and last delivered a record on 2025-04-15 03:58 UTC: late at any "now"
after 2025-04-17 03:58 UTC, so at the time these tests run. Every fixture metric reads
service_requests, which that source loads. street_defect_on_time's filter changed on
2025-04-15 (version 2).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.components import site
from tests.dashboard_fixture import build_fixture_warehouse
from tests.tables_support import shown_tables

APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
SOURCE = "City 311 export"
V1 = '{"filter":[{"column":"service_name","op":"in","value":["Street Defect"]}],"label":"x"}'
V2 = (
    '{"filter":[{"column":"service_name","op":"in","value":["Street Defect","Pothole"]}],'
    '"label":"x","target":{"from_history":"last_year_median"}}'
)


@pytest.fixture(scope="module")
def late_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("late") / "citystat.duckdb"
    build_fixture_warehouse(path)
    with duckdb.connect(str(path)) as con:
        con.execute(
            "INSERT INTO city_sources VALUES "
            "('philadelphia_311_demo', ?, '1 day', '1 day', 0, TIMESTAMP '2025-04-15 03:58')",
            [SOURCE],
        )
        con.execute(
            "INSERT INTO source_columns VALUES "
            "('philadelphia_311_demo', 'service_requests', 'request_id', true)"
        )
        con.executemany(
            "INSERT INTO metric_definition_versions VALUES (?, ?, ?, ?, ?, ?)",
            [
                ("street_defect_on_time", 1, datetime(2024, 7, 1, 6), "r1", "a", V1),
                ("street_defect_on_time", 2, datetime(2025, 4, 15, 6), "r2", "b", V2),
                ("abandoned_vehicle_requests", 1, datetime(2024, 7, 1, 6), "r1", "c", "{}"),
            ],
        )
    return path


@pytest.fixture
def internal(late_warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("CITYSTAT_WAREHOUSE", str(late_warehouse))
    monkeypatch.delenv(site.PUBLIC_ENV, raising=False)
    yield late_warehouse


def _open(page: str, **params: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(f"views/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _warnings(at: AppTest) -> list[str]:
    return [str(w.value) for w in at.warning]


def _column(at: AppTest, name: str) -> list[object]:
    return [v for frame in shown_tables(at) if name in frame.value for v in frame.value[name]]


def test_the_scorecard_marks_every_metric_of_the_late_source(internal: Path) -> None:
    at = _open("scorecard", grain="month")
    assert (
        "◷ Late data: 3 of these 3 metrics are computed from a late source (City 311 export); "
        "their latest values may be out of date."
    ) in _warnings(at)
    assert _column(at, "Data") == ["◷ Late data"] * 3


def test_the_metric_page_names_the_late_source_and_the_definition_change(internal: Path) -> None:
    at = _open("metric", metric="street_defect_on_time", grain="month")
    assert any(
        w.startswith("◷ Late data: this metric is computed from City 311 export")
        for w in _warnings(at)
    )
    history = [str(m.value) for m in at.markdown if "Definition history" in str(m.value)]
    assert history == [
        "**Definition history.** Last changed on 2025-04-15 (version 2):\n"
        '- filter: was \\[\\{"column": "service_name", "op": "in", "value": \\["Street '
        'Defect"\\]\\}\\]; now \\[\\{"column": "service_name", "op": "in", "value": '
        '\\["Street Defect", "Pothole"\\]\\}\\]\n'
        "- target.from_history: was (not set); now last_year_median"
    ]
    # Version 2 sets the target from history: the page names the rule and its latest value.
    attributes = next(str(m.value) for m in at.markdown if "**Targets" in str(m.value))
    # (the fixture's month targets are 80%; 2025-04 is the latest month, still in progress)
    assert (
        "- **Targets (month):** set from history by the rule last_year_median: 80\\.0% for 2025-04"
    ) in attributes
    unchanged = _open("metric", metric="abandoned_vehicle_requests", grain="month")
    assert any(
        "Unchanged since it was first published on 2024-07-01" in str(m.value)
        for m in unchanged.markdown
    )


def test_leadership_lists_the_late_sources(internal: Path) -> None:
    at = _open("leadership", grain="month")
    assert "Late data" in [str(s.value) for s in at.subheader]
    late = next(f.value for f in shown_tables(at) if "Late by" in f.value)
    assert late["Source"].tolist() == [SOURCE]
    assert late["Newest record (UTC)"].tolist() == ["2025-04-15 03:58"]
    assert late["Expected every"].tolist() == ["1 day"]
    # The movers are marked too (both street defect metrics moved).
    assert set(_column(at, "Data")) == {"◷ Late data"}


def test_the_department_page_marks_its_late_metrics(internal: Path) -> None:
    at = _open("department", department="streets", grain="month")
    assert any(w.startswith("◷ Late data: 2 of these 2 metrics") for w in _warnings(at))


def test_the_public_site_says_it_in_plain_words(
    late_warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CITYSTAT_WAREHOUSE", str(late_warehouse))
    monkeypatch.setenv(site.PUBLIC_ENV, "1")
    board = _open("scorecard", grain="month")
    assert (
        "◷ Late data: the newest data behind 2 of these 2 measures has not arrived when "
        "expected, so their latest figures may be out of date."
    ) in _warnings(board)
    page = _open("metric", metric="street_defect_on_time", grain="month")
    assert (
        "◷ Late data: the newest data for this measure has not arrived when expected, so its "
        "latest figures may be out of date."
    ) in _warnings(page)
    shown = " ".join(_warnings(board) + _warnings(page))
    assert SOURCE not in shown and "philadelphia_311_demo" not in shown
