"""The meetings store on SQLite and PostgreSQL: where it is configured, its numbered migrations
(each one applied to the schema before it holding data; a file the previous citystat wrote
upgrades in place), and four processes starting at once on a fresh database."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from dashboard.components.definition_changes import frozen_version_text
from dashboard.meetings import actions as meeting_actions
from dashboard.meetings import audit, cohorts, database, milestones, store
from dashboard.meetings import schema as meeting_schema
from dashboard.meetings.cohorts import Candidate, CohortQuarter
from dashboard.meetings.database import MeetingsDB, StaleEdit, StoreUnavailable
from dashboard.meetings.memo import save_memo
from dashboard.meetings.milestones import Milestone
from tests.meetings_support import LEAD, ON_TIME
from tests.postgres_cluster import PostgresCluster

ROOT = Path(__file__).resolve().parent.parent
TABLES = {"meetings", "packet_metrics", "packet_values", "commentary", "action_items"}


def _tables(conn: Connection) -> set[str]:
    if conn.dialect.name == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'table'"
    else:
        sql = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
    return {str(name) for name in conn.execute(text(sql)).scalars()}


# ------------------------------------------------------------------------- configuration


def test_postgresql_is_used_when_the_environment_names_it(
    postgres_cluster: PostgresCluster, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(database.MEETINGS_ENV, str(tmp_path / "unused.sqlite"))
    monkeypatch.setenv(database.MEETINGS_URL_ENV, postgres_cluster.new_database())
    assert database.store_exists()
    with meeting_schema.connect() as db:
        assert db.backend == "postgresql"
        assert db.engine.dialect.driver == "psycopg"  # postgresql:// means psycopg 3 here
        with db.read() as conn:
            assert _tables(conn) >= TABLES
    assert not (tmp_path / "unused.sqlite").exists()


def test_sqlite_is_the_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(database.MEETINGS_URL_ENV, raising=False)
    monkeypatch.setenv(database.MEETINGS_ENV, str(tmp_path / "m.sqlite"))
    assert not database.store_exists()
    with meeting_schema.connect() as db:
        assert (db.backend, db.location) == ("sqlite", str(tmp_path / "m.sqlite"))
    assert database.store_exists()


def test_a_store_from_a_newer_citystat_is_refused_on_postgresql(
    postgres_cluster: PostgresCluster,
) -> None:
    url = postgres_cluster.new_database()
    with meeting_schema.connect(url) as db, db.write() as conn:
        conn.execute(
            text("INSERT INTO meetings_schema_version VALUES (:v, 'from the future', 'now')"),
            {"v": meeting_schema.SCHEMA_VERSION + 1},
        )
    with pytest.raises(StoreUnavailable, match=r"newer citystat.*CITYSTAT_MEETINGS_URL"):
        meeting_schema.connect(url)


# ---------------------------------------------------------------------------- migrations


def _v1_data(conn: Connection) -> None:
    """A meeting with its packet, commentary and an action item, as schema 1 holds them."""
    meeting = conn.execute(
        text(
            "INSERT INTO meetings (meeting_date, scope_kind, scope_name, grain, title, "
            "created_at, run_id, data_as_of, warehouse) VALUES ('2025-04-20', 'department', "
            "'streets', 'month', 'April', '2025-04-18 09:00:00', 'run-1', NULL, 'wh') "
            "RETURNING meeting_id"
        )
    ).scalar_one()
    conn.execute(
        text(
            "INSERT INTO packet_metrics (meeting_id, metric_id, position, label, department, "
            "unit, direction, public) VALUES (:m, :metric, 0, 'On time', 'streets', 'percent', "
            "'higher_is_better', 1)"
        ),
        {"m": meeting, "metric": ON_TIME},
    )
    conn.execute(
        text(
            "INSERT INTO packet_values (meeting_id, metric_id, period_label, period_start, "
            "period_end, value, target, status, count) VALUES (:m, :metric, '2025-03', "
            "'2025-03-01', '2025-04-01', 0.824, 0.8, 'on_track', 250)"
        ),
        {"m": meeting, "metric": ON_TIME},
    )
    conn.execute(
        text(
            "INSERT INTO commentary (meeting_id, metric_id, period_label, drivers, updated_at) "
            "VALUES (:m, :metric, '2025-03', 'Dry March.', '2025-04-20 10:00:00')"
        ),
        {"m": meeting, "metric": ON_TIME},
    )
    conn.execute(
        text(
            "INSERT INTO action_items (meeting_id, metric_id, description, owner, due_date, "
            "created_at) VALUES (:m, :metric, 'Patch faster', 'Highways', '2025-05-01', "
            "'2025-04-20 10:05:00')"
        ),
        {"m": meeting, "metric": ON_TIME},
    )


def _v2_data(conn: Connection) -> None:
    _v1_data(conn)
    conn.execute(
        text(
            "INSERT INTO audit_log (at, actor_user, actor_name, actor_role, meeting_id, "
            "entity_kind, entity_id, action, after_json) VALUES ('2025-04-20 10:00:00', "
            "'u', 'Someone', 'leadership', 1, 'commentary', '1/x/2025-03', 'created', '{}')"
        )
    )


def _the_v1_data_is_intact(db: MeetingsDB) -> None:
    """Schema 1's data, read with schema 1's columns (any later schema has them too)."""
    queries = {
        "SELECT title, run_id FROM meetings": [("April", "run-1")],
        "SELECT value, status FROM packet_values": [(0.824, "on_track")],
        "SELECT drivers, updated_at FROM commentary": [("Dry March.", "2025-04-20 10:00:00")],
        "SELECT description, status FROM action_items": [("Patch faster", "open")],
    }
    with db.read() as conn:
        for sql, rows in queries.items():
            assert [tuple(row) for row in conn.execute(text(sql))] == rows, sql


def _after_1(db: MeetingsDB) -> None:
    with db.read() as conn:
        assert _tables(conn) >= TABLES


def _after_2(db: MeetingsDB) -> None:
    _the_v1_data_is_intact(db)
    with db.write() as conn:  # rows are added...
        conn.execute(
            text(
                "INSERT INTO audit_log (at, actor_user, actor_name, actor_role, entity_kind, "
                "entity_id, action) VALUES ('t', 'u', 'n', 'leadership', 'meeting', '1', 'closed')"
            )
        )
    with pytest.raises(Exception, match="append-only"), db.write() as conn:  # ...never removed
        conn.execute(text("DELETE FROM audit_log"))
    with db.read() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_log")).scalar_one() == 1


def _after_3(db: MeetingsDB) -> None:
    _the_v1_data_is_intact(db)
    # Read part by part: the whole packet reads tables of later migrations too.
    # Rows written before versions existed are version 1; the meeting is open.
    assert store.commentary(db, 1)["version"].tolist() == [1]
    assert store.agenda(db, 1)["version"].tolist() == [1]
    assert store.get_meeting(db, 1)["closed_at"] is None  # type: ignore[index]
    assert audit.meeting_trail(db, 1)["actor_name"].tolist() == ["Someone"]


def _after_4(db: MeetingsDB) -> None:
    _after_3(db)  # the trail's rows were kept, with their ids
    with db.read() as conn:
        assert conn.execute(text("SELECT audit_id FROM audit_log")).scalars().all() == [1]
    with db.write() as conn:  # the wider vocabulary is accepted...
        conn.execute(
            text(
                "INSERT INTO audit_log (at, actor_user, actor_name, actor_role, entity_kind, "
                "entity_id, action) VALUES ('t', 'u', 'n', 'leadership', 'cohort', "
                "'FY2027 Q3', 'confirmed')"
            )
        )
    with pytest.raises(Exception, match=r"(?i)check"), db.write() as conn:  # ...and no more
        conn.execute(
            text(
                "INSERT INTO audit_log (at, actor_user, actor_name, actor_role, entity_kind, "
                "entity_id, action) VALUES ('t', 'u', 'n', 'leadership', 'invoice', '1', 'paid')"
            )
        )
    with pytest.raises(Exception, match="append-only"), db.write() as conn:  # still append-only
        conn.execute(text("UPDATE audit_log SET actor_name = 'someone else'"))
    with pytest.raises(Exception, match="append-only"), db.write() as conn:
        conn.execute(text("DELETE FROM audit_log"))


def _after_5(db: MeetingsDB) -> None:
    _after_3(db)
    packet = store.load_packet(db, 1)
    # The item raised before owners had sign-in ids has none; the meeting has no memo yet.
    assert packet.actions["owner"].tolist() == ["Highways"]
    assert packet.memo is None
    with db.read() as conn:
        assert conn.execute(text("SELECT owner_user FROM action_items")).scalars().all() == [None]
    # A typed owner still matches "my actions" when it is the person's sign-in id.
    mine = meeting_actions.open_actions(db, today=date(2025, 4, 20), owner_user="HIGHWAYS")
    assert mine["action_id"].tolist() == [1]
    assert save_memo(db, LEAD, 1, "A memo.", read_version=0) == 1


def _after_cohorts(db: MeetingsDB) -> None:
    """The cohort migration applied to the schema before it holding data: the data is kept,
    and a cohort is confirmed and planned, its milestone's status checked by the database."""
    _after_3(db)
    quarter = CohortQuarter(date(2026, 10, 1), date(2027, 1, 1), "FY2027 Q2", 2)
    pothole = Candidate("Street defects and potholes", "streets", 1)
    cohorts.confirm_cohort(db, LEAD, quarter, [pothole], [pothole])
    crew = Milestone("Second crew", date(2026, 12, 1), "Highways")
    assert milestones.add_milestone(db, LEAD, quarter.start, pothole.service, crew) == 1
    with pytest.raises(Exception, match=r"(?i)check"), db.write() as conn:
        conn.execute(text("UPDATE milestones SET status = 'late'"))
    with db.read() as conn:
        kinds = conn.execute(text("SELECT entity_kind FROM audit_log ORDER BY audit_id"))
        assert kinds.scalars().all() == ["commentary", "cohort", "milestone"]


def _after_7(db: MeetingsDB) -> None:
    """Packets frozen before definition versions were kept: their metrics say the definition
    was not recorded, and the rest of the packet is intact."""
    _after_3(db)
    packet = store.load_packet(db, 1)
    frozen = packet.metrics[
        ["definition_version", "definition_effective_from", "definition_json"]
    ].to_dict("records")
    assert frozen == [
        {"definition_version": None, "definition_effective_from": None, "definition_json": None}
    ] * len(packet.metrics)
    metric = packet.metrics.iloc[0]
    assert frozen_version_text(
        metric["definition_version"], metric["definition_effective_from"]
    ).startswith("definition not recorded")


COHORTS_MIGRATION = next(
    m.number for m in meeting_schema.MIGRATIONS if m.name.startswith("confirmed quarterly")
)
SEEDS: dict[int, Callable[[Connection], None]] = {
    1: lambda conn: None,
    2: _v1_data,
    3: _v2_data,
    4: _v2_data,
    5: _v2_data,
    COHORTS_MIGRATION: _v2_data,
    7: _v2_data,
}
CHECKS: dict[int, Callable[[MeetingsDB], None]] = {
    1: _after_1,
    2: _after_2,
    3: _after_3,
    4: _after_4,
    5: _after_5,
    COHORTS_MIGRATION: _after_cohorts,
    7: _after_7,
}


def test_every_migration_has_its_test() -> None:
    numbers = [m.number for m in meeting_schema.MIGRATIONS]
    assert numbers == list(range(1, meeting_schema.SCHEMA_VERSION + 1))
    assert set(SEEDS) == set(CHECKS) == set(numbers)


@pytest.mark.parametrize("number", [m.number for m in meeting_schema.MIGRATIONS])
def test_each_migration_upgrades_the_schema_before_it_with_its_data(
    meetings_target: Path | str, number: int
) -> None:
    with database.open_database(meetings_target) as db:
        assert meeting_schema.migrate(db, upto=number - 1) == number - 1
        with db.write() as conn:
            SEEDS[number](conn)
        assert meeting_schema.migrate(db, upto=number) == number
        CHECKS[number](db)
    # ...and the store works on that data at the newest schema.
    with meeting_schema.connect(meetings_target) as db:
        if number > 1:
            _the_v1_data_is_intact(db)
            with pytest.raises(StaleEdit):
                store.save_commentary(db, LEAD, 1, ON_TIME, "2025-03", {}, read_version=0)
            store.save_commentary(db, LEAD, 1, ON_TIME, "2025-03", {"drivers": "x"}, read_version=1)
            meeting_actions.set_action_status(db, LEAD, 1, "done", read_version=1)


# What the previous citystat wrote (its migration 1, run the way it ran it): a file in use today.
_PREVIOUS_CITYSTAT_SCHEMA = (
    ROOT / "tests" / "snapshots" / "meetings" / "schema_1_sqlite.sql"
).read_text()


def test_a_file_the_previous_citystat_wrote_upgrades_in_place(tmp_path: Path) -> None:
    path = tmp_path / "meetings.sqlite"
    old = sqlite3.connect(path)
    old.executescript(f"BEGIN; {_PREVIOUS_CITYSTAT_SCHEMA} PRAGMA user_version = 1; COMMIT;")
    old.close()
    with database.open_database(path) as db, db.write() as conn:
        _v1_data(conn)
    with meeting_schema.connect(path) as db:
        _the_v1_data_is_intact(db)
        due = date(2025, 6, 1)
        assert meeting_actions.add_action(db, LEAD, 1, ON_TIME, "Night", "Highways", due) == 2
    check = sqlite3.connect(path)
    assert check.execute("PRAGMA user_version").fetchone()[0] == meeting_schema.SCHEMA_VERSION
    assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    check.close()


# --------------------------------------------------------------------- processes at once

_START_SCRIPT = """
import sys, time
from pathlib import Path
from dashboard.meetings import schema
target, ready, go = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
ready.touch()
while not go.exists():
    time.sleep(0.002)
with schema.connect(target if "://" in target else Path(target)) as db, db.read() as conn:
    print(schema.schema_version(conn))
"""


def test_four_processes_starting_at_once_on_a_fresh_store_agree_on_one_schema(
    meetings_target: Path | str, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                _START_SCRIPT,
                str(meetings_target),
                str(tmp_path / f"r{n}"),
                str(go),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(4)
    ]
    deadline = time.monotonic() + 120
    while not all((tmp_path / f"r{n}").exists() for n in range(4)):
        assert time.monotonic() < deadline, "the processes did not start"
        assert all(p.poll() is None for p in processes), [p.communicate() for p in processes]
        time.sleep(0.01)
    go.touch()  # all four connect now
    outcomes = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0] * 4, [err for _, err in outcomes]
    assert [out.strip() for out, _ in outcomes] == [str(meeting_schema.SCHEMA_VERSION)] * 4
    with meeting_schema.connect(meetings_target) as db, db.read() as conn:
        assert TABLES | {"audit_log"} <= _tables(conn)
        if conn.dialect.name == "postgresql":  # one row per migration: applied once
            versions = conn.execute(text("SELECT version FROM meetings_schema_version"))
            assert sorted(versions.scalars()) == [m.number for m in meeting_schema.MIGRATIONS]
        else:
            objects = conn.execute(text("SELECT type, name FROM sqlite_master")).all()
            assert len(objects) == len(set(objects))
