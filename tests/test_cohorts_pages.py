"""The cohort flows in the app, on the hand-made fixture warehouse (tests/dashboard_fixture.py:
data to 14 Apr 2025, July fiscal year, two places a quarter; FY2025 Q4 proposes Library cards
and Street defects and potholes, FY2026 Q1 Abandoned vehicles): leadership confirms a cohort
and sees it confirmed, a department head changes a milestone and sees it, a viewer cannot."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.meetings import cohorts, milestones
from dashboard.meetings import schema as meeting_schema
from dashboard.meetings.cohorts import Candidate, CohortQuarter
from dashboard.meetings.database import MEETINGS_ENV
from dashboard.meetings.milestones import Milestone
from dashboard.meetings.permissions import Actor
from dashboard.views.actor import ACTOR_KEY
from tests.dashboard_fixture import build_fixture_warehouse
from tests.meetings_support import LEAD, POLICE_HEAD, STREETS_HEAD, VIEWER
from tests.tables_support import shown_tables

APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
POTHOLES = "Street defects and potholes"
Q4 = CohortQuarter(date(2025, 4, 1), date(2025, 7, 1), "FY2025 Q4", 2, date(2025, 4, 14))


@pytest.fixture(scope="module")
def fixture_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cohort_pages") / "citystat.duckdb"
    build_fixture_warehouse(path)
    return path


@pytest.fixture
def store(
    fixture_warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    monkeypatch.setenv("CITYSTAT_WAREHOUSE", str(fixture_warehouse))
    monkeypatch.setenv(MEETINGS_ENV, str(tmp_path / "meetings.sqlite"))
    yield tmp_path / "meetings.sqlite"


def _page(page: str, actor: Actor, **params: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.session_state[ACTOR_KEY] = actor
    at.run()
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(f"views/{page}.py").run()
    assert not at.exception and not at.error, [e.value for e in (*at.exception, *at.error)]
    return at


def _texts(at: AppTest) -> str:
    kinds = ("markdown", "caption", "success", "info")
    return "\n".join(str(el.value) for kind in kinds for el in getattr(at, kind))


def _button(at: AppTest, label: str):  # type: ignore[no-untyped-def]
    (button,) = [b for b in at.button if b.label == label]
    return button


def test_leadership_confirms_a_cohort_and_sees_it_confirmed(store: Path) -> None:
    at = _page("services", LEAD)
    assert "○ Proposed, not confirmed yet" in _texts(at)
    # Leadership swaps Street defects for Abandoned vehicles in the cohort in progress.
    at.multiselect(key="confirm_services_2025-04-01").unselect(POTHOLES).select(
        "Abandoned vehicles"
    )
    at.text_input(key="confirm_note_FY2025 Q4").input("Towing backlog first")
    _button(at, "Confirm FY2025 Q4").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    today = date.today().isoformat()  # the confirmation's UTC date, as the store records it
    text = _texts(at)
    assert "FY2025 Q4 confirmed: 2 service(s)." in text
    assert f"✔ Confirmed by Cherelle Parker on {today} · note: Towing backlog first" in text
    *_, following, current = [frame.value.to_dict("records") for frame in shown_tables(at)]
    assert [(r["Service"], r["In the cohort"]) for r in current] == [
        ("Library cards", "As proposed"),
        ("Abandoned vehicles", "Added by leadership"),
        (POTHOLES, "Proposed, left out"),
    ]
    # The next quarter's proposal leaves out the current cohort's services: potholes now.
    assert [r["Service"] for r in following] == [POTHOLES]
    assert [b.label for b in at.button if b.label.startswith("Confirm")] == ["Confirm FY2026 Q1"]
    # ...and the Leadership page shows it confirmed too.
    leadership = _page("leadership", LEAD)
    assert f"✔ Confirmed by Cherelle Parker on {today}" in _texts(leadership)
    with meeting_schema.connect(store) as db:
        assert cohorts.confirmations(db)["note"].tolist() == ["Towing backlog first"]


def _plans(at: AppTest) -> list[list[dict[str, str]]]:
    return [f.value.to_dict("records") for f in shown_tables(at) if "Milestone" in f.value.columns]


def _planned(store: Path) -> int:
    with meeting_schema.connect(store) as db:
        proposal = [
            Candidate(POTHOLES, "streets", 2),
            Candidate("Library cards", "free_library", 1),
        ]
        cohorts.confirm_cohort(db, LEAD, Q4, proposal, proposal)
        crew = Milestone("Hire a second night crew", date(2025, 5, 30), "Highways Division")
        return milestones.add_milestone(db, LEAD, Q4.start, POTHOLES, crew)


def test_a_department_head_changes_a_milestone_and_sees_it(store: Path) -> None:
    milestone_id = _planned(store)
    at = _page("services", STREETS_HEAD, service=POTHOLES)
    (plan,) = _plans(at)
    assert [(r["Milestone"], r["Status"]) for r in plan] == [
        ("Hire a second night crew", "○ Planned")
    ]
    prefix = f"plan_edit_{milestone_id}"
    at.selectbox(key=f"{prefix}_s").set_value("in_progress")
    at.text_input(key=f"{prefix}_o").input("Highways: night shift")
    _button(at, "Save the change").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert f"Milestone #{milestone_id} saved." in _texts(at)
    (plan,) = _plans(at)
    assert [(r["Owner"], r["Status"]) for r in plan] == [("Highways: night shift", "◐ In progress")]
    with meeting_schema.connect(store) as db:
        (row,) = milestones.improvement_plans(db).to_dict("records")
    assert (row["status"], row["version"]) == ("in_progress", 2)
    # No confirm form for a department head: only leadership confirms.
    assert not [b for b in at.button if b.label.startswith("Confirm")]


@pytest.mark.parametrize("actor", [VIEWER, POLICE_HEAD], ids=lambda a: a.role)
def test_a_viewer_or_another_department_cannot_plan_or_confirm(store: Path, actor: Actor) -> None:
    _planned(store)
    at = _page("services", actor, service=POTHOLES)
    labels = [b.label for b in at.button]
    assert "Save the change" not in labels and "Add the milestone" not in labels
    assert not [label for label in labels if label.startswith("Confirm")]
    assert "Leadership and the head of the service's department write its plan." in _texts(at)


def test_a_warehouse_from_before_the_calendar_says_to_run_again(
    fixture_warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    older = tmp_path / "older.duckdb"
    older.write_bytes(fixture_warehouse.read_bytes())
    with duckdb.connect(str(older)) as con:
        con.execute("ALTER TABLE service_cohorts DROP COLUMN state")
    monkeypatch.setenv("CITYSTAT_WAREHOUSE", str(older))
    monkeypatch.setenv(MEETINGS_ENV, str(tmp_path / "meetings.sqlite"))
    at = _page("services", LEAD)
    assert "the next `citystat run` lays out the cohort calendar" in _texts(at)
    assert not [b for b in at.button if b.label.startswith("Confirm")]
