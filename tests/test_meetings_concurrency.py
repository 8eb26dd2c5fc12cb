"""Concurrent edits: a save against a version someone else has replaced is refused with both
versions and both texts (two store connections, SQLite and PostgreSQL, and racing threads);
the meeting page shows yours beside theirs and lets you keep theirs or overwrite (AppTest)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.meetings import actions as meeting_actions
from dashboard.meetings import schema as meeting_schema
from dashboard.meetings import store
from dashboard.meetings.database import MEETINGS_ENV, MeetingsDB, StaleEdit
from dashboard.views.meeting_state import FLASH_KEY
from tests.dashboard_fixture import build_fixture_warehouse
from tests.meetings_support import LEAD, ON_TIME, STREETS_HEAD, department_meeting

ROOT = Path(__file__).resolve().parent.parent
MINE = {"drivers": "Frost heave in February.", "improvement_plan": "Cold patch stock."}
THEIRS = {"drivers": "Two crews were out sick."}


@pytest.fixture
def two(meetings_target: Path | str) -> Iterator[tuple[MeetingsDB, MeetingsDB]]:
    """Two people's connections to one store."""
    with meeting_schema.connect(meetings_target) as a, meeting_schema.connect(meetings_target) as b:
        yield a, b


def test_a_commentary_save_over_a_newer_version_is_refused_with_both(
    two: tuple[MeetingsDB, MeetingsDB],
) -> None:
    a, b = two
    meeting = department_meeting(a)
    read = store.commentary(a, meeting)  # a opens the form: no commentary yet
    assert read.empty
    theirs = store.save_commentary(
        b, STREETS_HEAD, meeting, ON_TIME, "2025-03", THEIRS, read_version=0
    )
    assert theirs == 1
    with pytest.raises(StaleEdit) as refused:
        store.save_commentary(a, LEAD, meeting, ON_TIME, "2025-03", MINE, read_version=0)
    stale = refused.value
    assert (stale.read_version, stale.current_version) == (0, 1)
    assert stale.yours["drivers"] == MINE["drivers"]
    assert stale.theirs == {
        "why_it_matters": None,
        "drivers": THEIRS["drivers"],
        "barriers": None,
        "improvement_plan": None,
    }
    assert stale.changed_by == "Carlton Williams (department_head)"
    assert stale.changed_at is not None
    assert "you read version 0, it is now version 1" in str(stale)
    assert store.commentary(b, meeting)["drivers"].tolist() == [THEIRS["drivers"]]
    # Overwrite with mine: saved against the version that is there now.
    assert store.save_commentary(a, LEAD, meeting, ON_TIME, "2025-03", MINE, read_version=1) == 2
    saved = store.commentary(b, meeting).iloc[0]
    assert (saved["drivers"], saved["version"]) == (MINE["drivers"], 2)


def test_an_action_status_change_over_a_newer_version_is_refused(
    two: tuple[MeetingsDB, MeetingsDB],
) -> None:
    a, b = two
    meeting = department_meeting(a)
    item = meeting_actions.add_action(a, LEAD, meeting, ON_TIME, "Patch", "Crew", date(2025, 5, 1))
    read = int(store.agenda(a, meeting)["version"].iloc[0])
    assert meeting_actions.set_action_status(b, STREETS_HEAD, item, "done", read_version=read) == 2
    with pytest.raises(StaleEdit) as refused:
        meeting_actions.set_action_status(a, LEAD, item, "dropped", read_version=read)
    stale = refused.value
    assert (stale.read_version, stale.current_version) == (1, 2)
    assert (stale.yours["status"], stale.theirs["status"]) == ("dropped", "done")
    assert stale.entity_id == str(item)
    assert store.agenda(a, meeting)["status"].tolist() == ["done"]


def _race(saves: list[Callable[[], object]]) -> list[object]:
    """Run the saves at the same moment, each in its own thread; each one's result or error."""
    start = threading.Barrier(len(saves))
    results: list[object] = [None] * len(saves)

    def run(index: int) -> None:
        start.wait()
        try:
            results[index] = saves[index]()
        except Exception as error:  # the outcome is what is checked
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(saves))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.parametrize("already_saved", [False, True], ids=["first save", "rewrite"])
def test_of_four_saves_racing_from_one_version_exactly_one_wins(
    meetings_target: Path | str, already_saved: bool
) -> None:
    with meeting_schema.connect(meetings_target) as db:
        meeting = department_meeting(db)
        read = 0
        if already_saved:
            read = store.save_commentary(
                db, LEAD, meeting, ON_TIME, "2025-03", THEIRS, read_version=0
            )
    people = [meeting_schema.connect(meetings_target) for _ in range(4)]

    def save(n: int) -> Callable[[], int]:
        texts = {"drivers": f"Save {n}"}
        return lambda: store.save_commentary(
            people[n], LEAD, meeting, ON_TIME, "2025-03", texts, read_version=read
        )

    try:
        results = _race([save(n) for n in range(len(people))])
    finally:
        for db in people:
            db.close()
    assert sorted(type(r).__name__ for r in results) == ["StaleEdit"] * 3 + ["int"]
    winner = next(n for n, r in enumerate(results) if r == read + 1)
    with meeting_schema.connect(meetings_target) as db:
        saved = store.commentary(db, meeting).iloc[0]
    assert (saved["drivers"], saved["version"]) == (f"Save {winner}", read + 1)


# ------------------------------------------------------------------- the page (AppTest)


@pytest.fixture
def page_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    """A warehouse, a meetings store with one streets meeting, and its id."""
    warehouse = tmp_path / "wh.duckdb"
    build_fixture_warehouse(warehouse)
    monkeypatch.setenv("CITYSTAT_WAREHOUSE", str(warehouse))
    monkeypatch.setenv(MEETINGS_ENV, str(tmp_path / "meetings.sqlite"))
    monkeypatch.delenv("CITYSTAT_PUBLIC", raising=False)
    with meeting_schema.connect() as db:
        return department_meeting(db)


def _open_meeting() -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=30).run()
    at.switch_page("views/meetings.py").run()
    assert not at.exception and not at.error
    return at


def _type_and_save(at: AppTest, meeting: int) -> None:
    suffix = f"{meeting}_{ON_TIME}_2025-03"
    for field, text in MINE.items():
        at.text_area(key=f"comment_{field}_{suffix}").input(text)
    at.button(key=f"comment_save_{suffix}").click().run()
    assert not at.exception and not at.error


def _someone_else_saves(meeting: int) -> None:
    with meeting_schema.connect() as other:
        store.save_commentary(
            other, STREETS_HEAD, meeting, ON_TIME, "2025-03", THEIRS, read_version=0
        )


def test_the_page_shows_yours_beside_theirs_and_overwrites_with_yours(page_env: int) -> None:
    meeting = page_env
    at = _open_meeting()
    _someone_else_saves(meeting)
    _type_and_save(at, meeting)
    warning = at.warning[0].value
    assert warning.startswith(
        "Not saved: Carlton Williams (department_head) changed the commentary"
    )
    yours, theirs = (t.value for t in at.text[-2:])
    assert "What drives performance: Frost heave in February." in yours
    assert "Improvement plan: Cold patch stock." in yours
    assert "What drives performance: Two crews were out sick." in theirs
    assert "Improvement plan: —" in theirs
    with meeting_schema.connect() as db:  # nothing of mine was written
        assert store.commentary(db, meeting)["drivers"].tolist() == [THEIRS["drivers"]]

    at.button(key=f"comment_conflict_{meeting}_{ON_TIME}_2025-03_overwrite").click().run()
    assert not at.exception and not at.error
    assert "Commentary on 2025-03 saved." in [s.value for s in at.success]
    assert not at.warning
    with meeting_schema.connect() as db:
        saved = store.commentary(db, meeting).iloc[0]
    assert (saved["drivers"], saved["improvement_plan"], saved["version"]) == (
        MINE["drivers"],
        MINE["improvement_plan"],
        2,
    )
    # Saving again from the same form goes through: it now holds version 2.
    at.text_area(key=f"comment_barriers_{meeting}_{ON_TIME}_2025-03").input("Frozen plants.")
    at.button(key=f"comment_save_{meeting}_{ON_TIME}_2025-03").click().run()
    assert "Commentary on 2025-03 saved." in [s.value for s in at.success]


def test_the_page_keeps_theirs_when_asked(page_env: int) -> None:
    meeting = page_env
    at = _open_meeting()
    _someone_else_saves(meeting)
    _type_and_save(at, meeting)
    at.button(key=f"comment_conflict_{meeting}_{ON_TIME}_2025-03_keep").click().run()
    assert not at.exception and not at.error
    suffix = f"{meeting}_{ON_TIME}_2025-03"
    assert at.text_area(key=f"comment_drivers_{suffix}").value == THEIRS["drivers"]
    assert at.text_area(key=f"comment_improvement_plan_{suffix}").value == ""
    assert at.session_state[f"comment_version_{suffix}"] == 1
    assert FLASH_KEY not in at.session_state  # shown, then gone
    with meeting_schema.connect() as db:
        assert store.commentary(db, meeting)["version"].tolist() == [1]


def test_the_page_refuses_a_stale_status_change_and_overwrites_on_request(page_env: int) -> None:
    meeting = page_env
    with meeting_schema.connect() as db:
        due = date(2025, 5, 1)
        item = meeting_actions.add_action(db, LEAD, meeting, ON_TIME, "Patch", "Crew", due)
    at = _open_meeting()
    with meeting_schema.connect() as other:
        meeting_actions.set_action_status(other, STREETS_HEAD, item, "done", read_version=1)
    assert at.selectbox(key="agenda_item").value == str(item)  # the only item, chosen
    at.selectbox(key=f"agenda_status_{item}").set_value("dropped")
    at.button(key=f"agenda_save_{item}").click().run()
    assert not at.exception and not at.error
    assert at.warning[0].value.startswith("Not saved: Carlton Williams")
    yours, theirs = (t.value for t in at.text[-2:])
    assert "Status: dropped" in yours and "Status: done" in theirs
    at.button(key="status_conflict_overwrite").click().run()
    assert f"Action item #{item} saved." in [s.value for s in at.success]
    with meeting_schema.connect() as db:
        assert store.agenda(db, meeting)[["status", "version"]].values.tolist() == [["dropped", 3]]
