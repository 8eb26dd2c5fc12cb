"""The meetings database on its own (no Streamlit page): schema, frozen packets, commentary,
action items and their carry-over from meeting to meeting."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dashboard.components.definition_changes import changed_since_frozen, frozen_version_text
from dashboard.meetings import actions as meeting_actions
from dashboard.meetings import database, store
from dashboard.meetings import schema as meeting_schema
from dashboard.meetings.permissions import SYSTEM
from dashboard.queries import metric_info, packets, reader
from tests.dashboard_fixture import build_fixture_warehouse

STREETS = "Streets Department"
ON_TIME = "street_defect_on_time"
MEDIAN = "street_defect_median_days"


@pytest.fixture
def warehouse(tmp_path: Path) -> reader.Warehouse:
    path = tmp_path / "wh.duckdb"
    build_fixture_warehouse(path)
    return reader.Warehouse(path=str(path), version=f"{path.name}@{path.stat().st_mtime_ns}")


@pytest.fixture
def con(meetings_target: Path | str) -> Iterator[database.MeetingsDB]:
    connection = meeting_schema.connect(meetings_target)
    yield connection
    connection.close()


def _meeting(
    con: database.MeetingsDB,
    wh: reader.Warehouse,
    when: date,
    kind: str = "department",
    name: str = STREETS,
    grain: str = "month",
) -> int:
    # As the schedule form does: a department is chosen by id and the meeting named by name.
    scope = name
    if kind == "department":
        scope = next(d for d, shown in metric_info.department_names(wh).items() if shown == name)
    definitions, values = packets.packet_source(
        wh, metric_info.scope_metric_ids(wh, kind, scope), grain
    )
    provenance = store.Provenance("run-2025-04-15", None, wh.path)
    return store.create_meeting(
        con, SYSTEM, store.MeetingSpec(when, kind, name, grain), definitions, values, provenance
    )


def test_the_database_is_created_with_its_schema_version_and_reopens(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "meetings.sqlite"
    meeting_schema.connect(path).close()
    meeting_schema.connect(path).close()
    again = sqlite3.connect(path)
    assert again.execute("PRAGMA user_version").fetchone()[0] == meeting_schema.SCHEMA_VERSION
    tables = {r[0] for r in again.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"meetings", "packet_metrics", "packet_values", "commentary", "action_items"} <= tables
    again.close()


def test_a_file_from_a_newer_citystat_is_refused_with_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "meetings.sqlite"
    newer = sqlite3.connect(path)
    newer.execute(f"PRAGMA user_version = {meeting_schema.SCHEMA_VERSION + 1}")
    newer.close()
    with pytest.raises(database.MeetingError, match=r"newer citystat.*upgrade citystat"):
        meeting_schema.connect(path)


def test_the_path_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(database.MEETINGS_ENV, "/somewhere/else.sqlite")
    assert database.meetings_db_path() == Path("/somewhere/else.sqlite")


def test_creating_a_meeting_freezes_definitions_and_values(
    con: database.MeetingsDB, warehouse: reader.Warehouse
) -> None:
    meeting_id = _meeting(con, warehouse, date(2025, 4, 20))
    metrics = store.frozen_metrics(con, meeting_id)
    # Streets owns on-time (public in the fixture) and median days (internal), in that order.
    assert metrics["metric_id"].tolist() == [ON_TIME, MEDIAN]
    assert metrics["public"].tolist() == [True, False]
    values = store.frozen_values(con, meeting_id)
    on_time = values[values["metric_id"] == ON_TIME]
    # The three complete months; April 2025 is still in progress and is not reviewed.
    assert on_time["period_label"].tolist() == ["2025-01", "2025-02", "2025-03"]
    assert on_time["value"].tolist() == [0.70, 0.78, 0.824]
    assert on_time["status"].tolist() == ["off_track", "watch", "on_track"]
    assert on_time["period_start"].tolist() == ["2025-01-01", "2025-02-01", "2025-03-01"]


def test_the_packet_survives_the_warehouse_being_rebuilt(
    con: database.MeetingsDB, warehouse: reader.Warehouse
) -> None:
    meeting_id = _meeting(con, warehouse, date(2025, 4, 20))
    before = store.load_packet(con, meeting_id)
    # The pipeline rebuilds the warehouse from scratch with different numbers.
    Path(warehouse.path).unlink()
    build_fixture_warehouse(Path(warehouse.path))
    rebuilt = duckdb.connect(warehouse.path)
    rebuilt.execute("UPDATE metric_values SET value = 0.111 WHERE metric_id = ?", [ON_TIME])
    rebuilt.close()
    after = store.load_packet(con, meeting_id)
    pd.testing.assert_frame_equal(before.values, after.values)
    assert after.values.loc[after.values["period_label"] == "2025-03", "value"].iloc[0] == 0.824


def test_a_cohort_meeting_reviews_the_metrics_of_its_services(
    con: database.MeetingsDB, warehouse: reader.Warehouse
) -> None:
    # FY2025 Q4, the cohort in progress, holds Library cards (no metrics) and Street defects
    # (two metrics) by rank; by quarter.
    cohort = metric_info.cohort_labels(warehouse)[0]
    assert cohort == "FY2025 Q4"
    meeting_id = _meeting(con, warehouse, date(2025, 4, 20), "cohort", cohort, "quarter")
    values = store.frozen_values(con, meeting_id)
    assert sorted(set(values["metric_id"])) == [MEDIAN, ON_TIME]
    on_time = values[values["metric_id"] == ON_TIME]
    assert on_time["period_label"].tolist() == ["2024-Q4", "2025-Q1"]
    assert on_time["value"].tolist() == [0.70, 0.77]


def test_a_meeting_without_metrics_is_refused(
    con: database.MeetingsDB, warehouse: reader.Warehouse
) -> None:
    with pytest.raises(database.MeetingError, match="no metrics to review"):
        _meeting(con, warehouse, date(2025, 4, 20), name="Free Library of Philadelphia")
    assert store.list_meetings(con).empty


def test_commentary_is_per_metric_and_period_and_can_be_rewritten(
    con: database.MeetingsDB, warehouse: reader.Warehouse
) -> None:
    meeting_id = _meeting(con, warehouse, date(2025, 4, 20))
    store.save_commentary(
        con,
        SYSTEM,
        meeting_id,
        ON_TIME,
        "2025-03",
        {"why_it_matters": "Potholes damage cars."},
        read_version=0,
    )
    store.save_commentary(
        con,
        SYSTEM,
        meeting_id,
        ON_TIME,
        "2025-03",
        {"why_it_matters": "Potholes damage cars and hurt cyclists.", "drivers": "Dry March."},
        read_version=1,
    )
    notes = store.commentary(con, meeting_id)
    assert len(notes) == 1
    row = notes.iloc[0]
    assert row["why_it_matters"] == "Potholes damage cars and hurt cyclists."
    assert row["drivers"] == "Dry March."
    assert row["barriers"] is None


@pytest.mark.parametrize(
    ("metric_id", "period", "texts", "message"),
    [
        ("abandoned_vehicle_requests", "2025-03", {}, "not in the packet"),
        (ON_TIME, "2025-04", {}, "period '2025-04'.*not in the packet"),
        (ON_TIME, "2025-03", {"mood": "fine"}, "unknown commentary field"),
    ],
)
def test_commentary_on_something_the_packet_lacks_is_refused(
    con: database.MeetingsDB,
    warehouse: reader.Warehouse,
    metric_id: str,
    period: str,
    texts: dict[str, str],
    message: str,
) -> None:
    meeting_id = _meeting(con, warehouse, date(2025, 4, 20))
    with pytest.raises(database.MeetingError, match=message):
        store.save_commentary(con, SYSTEM, meeting_id, metric_id, period, texts, read_version=0)


def test_an_action_needs_a_description_an_owner_and_a_packet_metric(
    con: database.MeetingsDB, warehouse: reader.Warehouse
) -> None:
    meeting_id = _meeting(con, warehouse, date(2025, 4, 20))
    due = date(2025, 5, 1)
    with pytest.raises(database.MeetingError, match="owner"):
        meeting_actions.add_action(con, SYSTEM, meeting_id, ON_TIME, "Patch faster", "  ", due)
    with pytest.raises(database.MeetingError, match="describe the action"):
        meeting_actions.add_action(con, SYSTEM, meeting_id, ON_TIME, "", "Highways", due)
    with pytest.raises(database.MeetingError, match="not in the packet"):
        meeting_actions.add_action(
            con, SYSTEM, meeting_id, "abandoned_vehicle_requests", "Tow", "Police", due
        )
    with pytest.raises(database.MeetingError, match="unknown status 'finished'"):
        meeting_actions.set_action_status(con, SYSTEM, 1, "finished", read_version=1)


def test_open_items_carry_over_meeting_to_meeting_until_closed(
    con: database.MeetingsDB, warehouse: reader.Warehouse
) -> None:
    # April: three items. Patch (due 1 May) and Survey (due 1 July) stay open; Crew is done on
    # 25 April, before May's meeting.
    april = _meeting(con, warehouse, date(2025, 4, 20))
    patch = meeting_actions.add_action(
        con, SYSTEM, april, ON_TIME, "Patch faster", "Highways", date(2025, 5, 1)
    )
    survey = meeting_actions.add_action(
        con, SYSTEM, april, MEDIAN, "Survey crews", "Highways", date(2025, 7, 1)
    )
    crew = meeting_actions.add_action(
        con, SYSTEM, april, ON_TIME, "Hire crew", "HR", date(2025, 5, 1)
    )
    meeting_actions.set_action_status(
        con, SYSTEM, crew, "done", read_version=1, on=date(2025, 4, 25)
    )
    # A Police meeting in between never touches the Streets chain.
    _meeting(con, warehouse, date(2025, 5, 1), name="Police Department")

    may = _meeting(con, warehouse, date(2025, 5, 20))
    agenda = store.agenda(con, may).set_index("action_id")
    assert agenda.index.tolist() == [patch, survey]  # carried over, soonest due first
    assert agenda["carried_over"].tolist() == [True, True]
    # Patch was due 1 May, before the 20 May meeting: overdue. Survey is due in July.
    assert agenda["overdue"].tolist() == [True, False]
    # Still linked to the meeting that raised them.
    assert agenda["raised_at_meeting"].tolist() == [april, april]
    assert agenda["raised_on"].tolist() == ["2025-04-20", "2025-04-20"]
    assert store.previous_meeting(con, may)["meeting_id"] == april  # type: ignore[index]

    # Done during May's meeting: still on May's agenda (as done), gone from June's.
    meeting_actions.set_action_status(
        con, SYSTEM, patch, "done", read_version=1, on=date(2025, 5, 20)
    )
    fresh = meeting_actions.add_action(
        con, SYSTEM, may, ON_TIME, "Night shifts", "Highways", date(2025, 6, 1)
    )
    june = _meeting(con, warehouse, date(2025, 6, 20))
    may_agenda = store.agenda(con, may).set_index("action_id")
    assert may_agenda.loc[patch, "status"] == "done"
    assert not may_agenda.loc[patch, "overdue"]
    june_agenda = store.agenda(con, june).set_index("action_id")
    # Survey came from April through May; Night shifts from May, due 1 June: overdue.
    assert june_agenda.index.tolist() == [fresh, survey]
    assert june_agenda["overdue"].tolist() == [True, False]
    assert june_agenda["raised_at_meeting"].tolist() == [may, april]
    assert store.agenda(con, april)["carried_over"].tolist() == [False, False, False]


def test_open_actions_of_a_department_flag_overdue_against_today(
    con: database.MeetingsDB, warehouse: reader.Warehouse
) -> None:
    april = _meeting(con, warehouse, date(2025, 4, 20))
    meeting_actions.add_action(
        con, SYSTEM, april, ON_TIME, "Patch faster", "Highways", date(2025, 5, 1)
    )
    meeting_actions.add_action(
        con, SYSTEM, april, MEDIAN, "Survey crews", "Highways", date(2025, 7, 1)
    )
    done = meeting_actions.add_action(
        con, SYSTEM, april, ON_TIME, "Hire crew", "HR", date(2025, 5, 1)
    )
    meeting_actions.set_action_status(
        con, SYSTEM, done, "done", read_version=1, on=date(2025, 4, 25)
    )
    open_items = meeting_actions.open_actions(con, STREETS, today=date(2025, 6, 1))
    assert open_items["description"].tolist() == ["Patch faster", "Survey crews"]
    assert open_items["overdue"].tolist() == [True, False]
    assert meeting_actions.open_actions(con, "Police Department", today=date(2025, 6, 1)).empty


def _publish_definition(
    wh: reader.Warehouse, version: int, day: int, label: str
) -> reader.Warehouse:
    # What a run that changed the metric's definition leaves in the warehouse.
    with duckdb.connect(wh.path) as con:
        con.execute(
            "INSERT INTO metric_definition_versions VALUES (?, ?, ?, ?, ?, ?)",
            [
                ON_TIME,
                version,
                f"2025-04-{day:02d} 06:00",
                f"run-{day}",
                "x",
                f'{{"label": "{label}"}}',
            ],
        )
    # A new warehouse version, as a run publishes: pages' cached reads move on with it.
    return reader.Warehouse(path=wh.path, version=f"{wh.version}+{version}")


def test_a_frozen_packet_keeps_the_definition_it_was_computed_with(
    con: database.MeetingsDB, warehouse: reader.Warehouse
) -> None:
    warehouse = _publish_definition(warehouse, 1, 1, "On time <b>")
    first = _meeting(con, warehouse, date(2025, 4, 15))
    warehouse = _publish_definition(warehouse, 2, 20, "On time, *new*")
    second = _meeting(con, warehouse, date(2025, 4, 22))

    def frozen(meeting_id: int) -> dict[str, object]:
        metrics = store.load_packet(con, meeting_id).metrics.set_index("metric_id")
        return metrics.loc[ON_TIME].to_dict()

    old, new = frozen(first), frozen(second)
    assert (old["definition_version"], old["definition_json"]) == (1, '{"label": "On time <b>"}')
    assert str(old["definition_effective_from"]).startswith("2025-04-01 06:00")
    assert new["definition_version"] == 2
    # A metric the warehouse kept no history for is frozen as not recorded.
    assert (
        store.load_packet(con, first)
        .metrics.set_index("metric_id")
        .loc[MEDIAN]["definition_version"]
        is None
    )
    current = packets.current_definitions(warehouse, [ON_TIME])
    note = changed_since_frozen(old["definition_version"], old["definition_json"], current)
    assert note == (
        "**The definition has changed since this packet froze:** the warehouse now has "
        "version 2, in effect since 2025-04-20.\n"
        "- label: was On time \\<b\\>; now On time, \\*new\\*"
    )
    assert changed_since_frozen(new["definition_version"], new["definition_json"], current) is None
    assert frozen_version_text(1, old["definition_effective_from"]) == (
        "definition version 1, in effect since 2025-04-01"
    )
