"""Departments are named by registry id in the warehouse and by name on every page.

The fixture warehouse's Police Department metric and service are handed to the registry id
``licenses_inspections`` (named "Licenses and Inspections" in its departments table); every
page that shows or offers a department must say "Licenses and Inspections", and a warehouse
without a departments table (published before the city profile) shows the ids.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.meetings import schema as meeting_schema
from dashboard.meetings import store
from tests.dashboard_fixture import build_fixture_warehouse
from tests.tables_support import shown_tables

APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
LI_ID, LI_NAME = "licenses_inspections", "Licenses and Inspections"

# Every place a run writes a department id (the leadership index keeps it as scope_name).
_RENAMES = [
    "UPDATE metric_definitions SET department = $new WHERE department = $old",
    "UPDATE services SET department = $new WHERE department = $old",
    "UPDATE service_priorities SET department = $new WHERE department = $old",
    "UPDATE metric_index_scores SET department = $new WHERE department = $old",
    "UPDATE leadership_index SET scope_name = $new "
    "WHERE scope = 'department' AND scope_name = $old",
]


def _warehouse(folder: Path, *, registry: bool = True) -> Path:
    path = folder / "citystat.duckdb"
    build_fixture_warehouse(path)
    with duckdb.connect(str(path)) as con:
        for sql in _RENAMES:
            con.execute(sql, {"new": LI_ID, "old": "police"})
        if not registry:
            con.execute("DROP TABLE departments")
    return path


@pytest.fixture(scope="module")
def li_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _warehouse(tmp_path_factory.mktemp("li"))


@pytest.fixture
def env(li_warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("CITYSTAT_WAREHOUSE", str(li_warehouse))
    monkeypatch.setenv(meeting_schema.MEETINGS_ENV, str(tmp_path / "meetings.sqlite"))
    yield li_warehouse


def _open(page: str, **params: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(f"views/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _texts(at: AppTest) -> list[str]:
    kinds = ("markdown", "caption", "title", "header", "subheader", "info")
    return [str(element.value) for kind in kinds for element in getattr(at, kind)]


def test_the_scorecard_offers_and_shows_the_department_by_name(env: Path) -> None:
    at = _open("scorecard")
    department = at.selectbox(key="scorecard_department")
    assert department.options == ["All departments", LI_NAME, "Streets Department"]
    department.select(LI_ID).run()
    assert at.selectbox(key="scorecard_department").value == LI_ID
    assert LI_NAME in _texts(at)  # the cohort's caption
    assert [row["Metric"] for row in shown_tables(at)[0].value.to_dict("records")] == [
        "Abandoned vehicle requests"
    ]


def test_the_metric_page_names_its_department(env: Path) -> None:
    at = _open("metric", metric="abandoned_vehicle_requests", grain="month")
    assert f"{LI_NAME} · Abandoned vehicles · owner: Captain, Abandoned Vehicles Unit" in (
        _texts(at)
    )
    assert at.selectbox(key="metric_page_metric").options[2] == (
        f"Abandoned vehicle requests · {LI_NAME}"
    )


def test_the_department_page_is_chosen_by_id_and_titled_by_name(env: Path) -> None:
    at = _open("department", department=LI_ID)
    assert not at.warning
    assert at.header[0].value == LI_NAME
    assert f"No index for {LI_NAME}: none of its metrics has a target" in "\n".join(_texts(at))
    services = next(f.value for f in shown_tables(at) if "Service" in f.value.columns)
    assert services.to_dict("records")[0]["Department"] == LI_NAME


def test_leadership_and_services_show_the_name_and_link_by_id(env: Path) -> None:
    at = _open("leadership")
    departments = next(f.value for f in shown_tables(at) if "Department" in f.value.columns)
    rows = {row["Department"]: row["Open"] for row in departments.to_dict("records")}
    assert rows == {
        LI_NAME: f"[Department view →](department?department={LI_ID})",
        "Streets Department": "[Department view →](department?department=streets)",
    }
    at = _open("services")
    catalog = shown_tables(at)[0].value.to_dict("records")
    assert {row["Service"]: row["Department"] for row in catalog}["Abandoned vehicles"] == LI_NAME
    ranking = shown_tables(at)[1].value.to_dict("records")
    assert {row["Service"]: row["Department"] for row in ranking}["Abandoned vehicles"] == LI_NAME
    at.text_input(key="services_search").input("licenses").run()
    assert [r["Service"] for r in shown_tables(at)[0].value.to_dict("records")] == [
        "Abandoned vehicles"
    ]


def test_a_meeting_is_scheduled_by_name_and_freezes_it(env: Path) -> None:
    at = _open("meetings")
    scope = at.selectbox(key="meetings_new_scope")
    assert LI_NAME in scope.options
    scope.select(LI_ID)
    at.button(key="meetings_new_submit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    with meeting_schema.connect() as db:
        (meeting,) = store.list_meetings(db).to_dict("records")
        frozen = store.frozen_metrics(db, int(meeting["meeting_id"]))
    assert meeting["scope_name"] == LI_NAME
    assert frozen["department"].tolist() == [LI_NAME]


def test_a_warehouse_without_a_registry_shows_the_ids(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CITYSTAT_WAREHOUSE", str(_warehouse(tmp_path, registry=False)))
    at = _open("scorecard")
    assert at.selectbox(key="scorecard_department").options == [
        "All departments",
        LI_ID,
        "streets",
    ]
    at = _open("department", department=LI_ID)
    assert at.header[0].value == LI_ID
