"""Daily incremental loads: merge by record id, newest version wins, history kept, provenance.

A tiny city publishes one extract a day (town_2024-03-0N.csv, all matched by the mapping's
pattern). Every expected value below is worked out by hand from the rows written here.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from pipelines.cli.main import main
from pipelines.ingest.merge import MergeCounts, merge_staged, version_expression
from pipelines.ingest.provenance import file_sha256
from pipelines.run.outcome import RunError
from pipelines.run.pipeline import _has_new_files, run_pipeline
from pipelines.warehouse.published import published_file
from pipelines.warehouse.schema import CANONICAL_TABLES, create_schema

HEADER = "id,opened,closed,updated,state\n"

# Day 1: four requests. A4 was opened and closed on the day.
DAY1 = (
    "A1,2024-02-27 09:00,,2024-02-27 09:00,Open\n"
    "A2,2024-02-28 10:00,2024-02-29 15:00,2024-02-29 15:00,Closed\n"
    "A3,2024-02-29 11:00,,2024-02-29 11:00,Open\n"
    "A4,2024-03-01 08:00,2024-03-01 09:30,2024-03-01 09:30,Closed\n"
)
# Day 2: A1 closed, A2 reopened (both newer: updated), A3 exactly as on day 1 (unchanged),
# A4 as it was before it closed (updated 08:00 < 09:30 in the warehouse: unchanged, no roll
# back), A5 and A6 new (inserted), X7 with a status the mapping does not know (quarantined at
# staging). Read 7 = staged 6 + quarantined 1; staged 6 = 2 inserted + 2 updated + 2 unchanged.
DAY2 = (
    "A1,2024-02-27 09:00,2024-03-02 10:00,2024-03-02 10:00,Closed\n"
    "A2,2024-02-28 10:00,,2024-03-02 12:00,Open\n"
    "A3,2024-02-29 11:00,,2024-02-29 11:00,Open\n"
    "A4,2024-03-01 08:00,,2024-03-01 08:00,Open\n"
    "A5,2024-03-02 09:00,,2024-03-02 09:00,Open\n"
    "A6,2024-03-02 13:00,2024-03-02 16:00,2024-03-02 16:00,Closed\n"
    "X7,2024-03-02 14:00,,2024-03-02 14:00,Pending\n"
)


def _ts(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M")


# The warehouse after days 1 and 2: (id, status, closed_at, updated_at, file it came from).
AFTER_DAY2 = [
    ("A1", "closed", _ts("2024-03-02 10:00"), _ts("2024-03-02 10:00"), "town_2024-03-02.csv"),
    ("A2", "open", None, _ts("2024-03-02 12:00"), "town_2024-03-02.csv"),
    ("A3", "open", None, _ts("2024-02-29 11:00"), "town_2024-03-01.csv"),
    ("A4", "closed", _ts("2024-03-01 09:30"), _ts("2024-03-01 09:30"), "town_2024-03-01.csv"),
    ("A5", "open", None, _ts("2024-03-02 09:00"), "town_2024-03-02.csv"),
    ("A6", "closed", _ts("2024-03-02 16:00"), _ts("2024-03-02 16:00"), "town_2024-03-02.csv"),
]
# Every distinct (id, version time, status) loaded: day 1's four, and day 2's five new ones
# (A1 and A2 newer, A4's older open version, A5, A6); A3's day-2 copy is the same version.
VERSIONS_AFTER_DAY2 = [
    ("A1", _ts("2024-02-27 09:00"), "open"),
    ("A1", _ts("2024-03-02 10:00"), "closed"),
    ("A2", _ts("2024-02-29 15:00"), "closed"),
    ("A2", _ts("2024-03-02 12:00"), "open"),
    ("A3", _ts("2024-02-29 11:00"), "open"),
    ("A4", _ts("2024-03-01 08:00"), "open"),
    ("A4", _ts("2024-03-01 09:30"), "closed"),
    ("A5", _ts("2024-03-02 09:00"), "open"),
    ("A6", _ts("2024-03-02 16:00"), "closed"),
]


def _town(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path, Path]:
    """A one-source city with daily extracts; returns (metrics.yml, extract folder, warehouse)."""
    sources, data = tmp_path / "sources", tmp_path / "data"
    sources.mkdir()
    (data / "town").mkdir(parents=True)
    monkeypatch.setenv("CITYSTAT_SOURCES_DIR", str(sources))
    monkeypatch.setenv("CITYSTAT_DATA_DIR", str(data))
    (sources / "town.yml").write_text(
        """source: town
title: Town 311 daily extracts
city: Town
files: {pattern: town/town_*.csv}
timezone: America/Chicago
timestamps: {formats: ["%Y-%m-%d %H:%M"]}
columns: {request_id: id, opened_at: opened, closed_at: closed, updated_at: updated, status: state}
statuses: {Open: open, Closed: closed}
bounds: {lat_min: 1, lat_max: 2, lon_min: 3, lon_max: 4}
""",
        encoding="utf-8",
    )
    metrics = tmp_path / "metrics.yml"
    metrics.write_text(
        """city: {name: Town, sources: [town]}
metrics:
  - id: opened
    label: Requests opened
    description: Requests opened.
    methodology: Count by opened date.
    department: Public Works
    owner: Director
    unit: requests
    kind: count
    grains: [month]
    dimensions: []
  - id: backlog
    label: Open requests
    description: Requests open at the end of the period.
    methodology: Open at each period end, from each request's version history.
    department: Public Works
    owner: Director
    unit: requests
    kind: backlog
    grains: [month]
    dimensions: []
""",
        encoding="utf-8",
    )
    return metrics, data / "town", data / "citystat.duckdb"


def _write(folder: Path, day: int, rows: str) -> Path:
    path = folder / f"town_2024-03-{day:02d}.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def _requests(warehouse: Path) -> list[tuple[object, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "SELECT request_id, status, closed_at, updated_at, source_file FROM service_requests "
            "ORDER BY request_id"
        ).fetchall()


def _versions(warehouse: Path) -> list[tuple[object, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "SELECT request_id, version_at, status FROM service_requests_versions "
            "ORDER BY request_id, version_at"
        ).fetchall()


def _load_files(warehouse: Path, run_id: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "SELECT file, rows_read, rows_staged, rows_quarantined, rows_rejected, rows_inserted, "
            "rows_updated, rows_unchanged FROM load_files WHERE run_id = ? ORDER BY file",
            [run_id],
        ).fetchall()


def _steps(warehouse: Path, run_id: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "SELECT source, step, count(*) FROM run_steps WHERE run_id = ? "
            "GROUP BY source, step ORDER BY source NULLS LAST, step",
            [run_id],
        ).fetchall()


@pytest.mark.slow
def test_three_daily_extracts_merge_by_id_keep_history_and_skip_a_repeated_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    metrics, folder, warehouse = _town(tmp_path, monkeypatch)

    # Day 1: an empty warehouse, four new requests.
    day1 = _write(folder, 1, DAY1)
    run1 = run_pipeline(metrics, warehouse)
    assert run1.published and run1.rebuild  # nothing was published: built from every file
    assert _load_files(warehouse, run1.run_id) == [("town_2024-03-01.csv", 4, 4, 0, 0, 4, 0, 0)]
    assert [r[:2] for r in _requests(warehouse)] == [
        ("A1", "open"),
        ("A2", "closed"),
        ("A3", "open"),
        ("A4", "closed"),
    ]
    assert len(_versions(warehouse)) == 4
    with duckdb.connect(str(warehouse), read_only=True) as con:
        sha, size = con.execute("SELECT file_sha256, file_bytes FROM load_files").fetchone()
    assert sha == hashlib.sha256(day1.read_bytes()).hexdigest() and size == len(day1.read_bytes())
    # Per source: hash, read, stage, validate, merge; then metrics and publish (no copy: there
    # was nothing published to copy).
    assert _steps(warehouse, run1.run_id) == [
        ("town", "hash", 1),
        ("town", "merge", 1),
        ("town", "read", 1),
        ("town", "stage", 2),  # typing, then the district lookup after validation
        ("town", "validate", 1),
        (None, "metrics", 1),
        (None, "publish", 1),
        (None, "validate", 1),  # waiting for Great Expectations' worker before publishing
    ]

    # Day 2: day 1's file is skipped by its hash; day 2's merges (see DAY2 for the counts).
    _write(folder, 2, DAY2)
    run2 = run_pipeline(metrics, warehouse)
    assert run2.published and not run2.rebuild
    assert _load_files(warehouse, run2.run_id) == [("town_2024-03-02.csv", 7, 6, 1, 0, 2, 2, 2)]
    assert _requests(warehouse) == AFTER_DAY2
    assert _versions(warehouse) == VERSIONS_AFTER_DAY2
    (src,) = run2.sources
    assert src.skipped == ["town_2024-03-01.csv"]
    assert src.merged == MergeCounts(inserted=2, updated=2, unchanged=2)
    assert ("town", "skip", 1) in _steps(warehouse, run2.run_id)
    assert (None, "copy", 1) in _steps(warehouse, run2.run_id)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        (as_of,) = con.execute(
            "SELECT data_as_of FROM runs WHERE run_id = ?", [run2.run_id]
        ).fetchone()
        # Backlog on a past date comes from the history, not today's status: at the end of
        # 1 March the latest version of each request then was A1 open, A2 closed, A3 open,
        # A4 closed (09:30); A5 and A6 did not exist. Today A1 is closed and A2 open again.
        (open_then,) = con.execute(
            "SELECT list(request_id ORDER BY request_id) FROM (SELECT request_id, "
            "arg_max(status, version_at) AS status FROM service_requests_versions "
            "WHERE version_at < TIMESTAMP '2024-03-02' GROUP BY request_id) WHERE status = 'open'"
        ).fetchone()
    assert as_of == _ts("2024-03-02 16:00")  # A6's close, the latest moment in the data
    assert open_then == ["A1", "A3"]
    # The backlog metric agrees. At the end of February (1 March, 00:00) A1 (closed only on
    # 2 March) and A3 were open; A2 was closed then (29 February, 15:00) though it is open
    # again today, so today's status alone would wrongly give 3.
    with duckdb.connect(str(warehouse), read_only=True) as con:
        (february,) = con.execute(
            "SELECT value FROM metric_values WHERE metric_id = 'backlog' "
            "AND period_label = '2024-02' AND dimension = 'citywide'"
        ).fetchone()
    assert february == 2

    # Day 3: the city republished day 2's file unchanged: skipped, nothing changes.
    (folder / "town_2024-03-03.csv").write_bytes((folder / "town_2024-03-02.csv").read_bytes())
    result = CliRunner().invoke(
        main, ["run", "--metrics", str(metrics), "--warehouse", str(warehouse)]
    )
    assert result.exit_code == 0, result.output
    assert "town_2024-03-03.csv skipped: the same bytes as town_2024-03-02.csv" in result.output
    assert "town: 0 file(s) loaded, 3 skipped (already loaded)" in result.output
    # Days 1 and 2 are known by name, size and time; only day 3's new file is hashed.
    assert re.search(r"time, town: skip [0-9.]+s, hash", result.output), result.output
    assert "time, whole run: copy" in result.output
    assert _requests(warehouse) == AFTER_DAY2
    assert _versions(warehouse) == VERSIONS_AFTER_DAY2
    with duckdb.connect(str(warehouse), read_only=True) as con:
        (last_run, runs) = con.execute(
            "SELECT max(run_id), count(*) FROM runs WHERE status = 'published'"
        ).fetchone()
    assert runs == 3 and _load_files(warehouse, last_run) == []
    assert ("town", "skip", 3) in _steps(warehouse, last_run)

    # --rebuild from the same three files gives the same canonical table and history.
    rebuilt = tmp_path / "rebuilt.duckdb"
    run4 = run_pipeline(metrics, rebuilt, rebuild=True)
    assert run4.published and run4.rebuild
    assert _requests(rebuilt) == AFTER_DAY2
    assert _versions(rebuilt) == VERSIONS_AFTER_DAY2
    # In name order: day 1, day 2, and day 3 skipped as the same bytes as day 2 of this run.
    assert _load_files(rebuilt, run4.run_id) == [
        ("town_2024-03-01.csv", 4, 4, 0, 0, 4, 0, 0),
        ("town_2024-03-02.csv", 7, 6, 1, 0, 2, 2, 2),
    ]
    assert run4.sources[0].skipped == ["town_2024-03-03.csv"]


@pytest.mark.slow
def test_the_same_rows_merged_again_without_the_hash_skip_change_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    metrics, folder, warehouse = _town(tmp_path, monkeypatch)
    _write(folder, 1, DAY1)
    _write(folder, 2, DAY2)
    assert run_pipeline(metrics, warehouse).published
    assert _requests(warehouse) == AFTER_DAY2  # both days in one build, in name order

    # Day 3 holds day 2's rows in reverse order: different bytes, so it is loaded; every
    # staged row is a version the warehouse already has: 6 unchanged, X7 quarantined again.
    _write(folder, 3, "".join(reversed(DAY2.splitlines(keepends=True))))
    run = run_pipeline(metrics, warehouse)
    assert run.published
    assert _load_files(warehouse, run.run_id) == [("town_2024-03-03.csv", 7, 6, 1, 0, 0, 0, 6)]
    assert _requests(warehouse) == AFTER_DAY2
    assert _versions(warehouse) == VERSIONS_AFTER_DAY2


@pytest.mark.slow
def test_a_source_dropped_from_metrics_yml_needs_a_rebuild(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    metrics, folder, warehouse = _town(tmp_path, monkeypatch)
    _write(folder, 1, DAY1)
    assert run_pipeline(metrics, warehouse).published
    sources = tmp_path / "sources"
    (sources / "village.yml").write_text(
        (sources / "town.yml").read_text().replace("source: town", "source: village"), "utf-8"
    )
    metrics.write_text(metrics.read_text().replace("sources: [town]", "sources: [village]"))
    with pytest.raises(RunError, match=r"holds records of town, which city.sources .*--rebuild"):
        run_pipeline(metrics, warehouse)
    # A rebuild builds the village alone (its mapping reads the same folder).
    assert run_pipeline(metrics, warehouse, rebuild=True).published
    with duckdb.connect(str(warehouse), read_only=True) as con:
        (sources_left,) = con.execute(
            "SELECT list(DISTINCT source) FROM service_requests"
        ).fetchone()
    assert sources_left == ["village"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("ALTER TABLE load_files DROP COLUMN file_sha256", r"before incremental loads"),
        ("ALTER TABLE service_requests ADD COLUMN ward VARCHAR", r"service_requests has an older"),
    ],
    ids=["no-file-hashes", "other-layout"],
)
def test_a_warehouse_this_run_cannot_continue_needs_a_rebuild(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str, message: str
) -> None:
    metrics, folder, warehouse = _town(tmp_path, monkeypatch)
    _write(folder, 1, DAY1)
    assert run_pipeline(metrics, warehouse).published
    built = published_file(warehouse)
    assert built is not None
    with duckdb.connect(str(built)) as con:
        con.execute(change)
    _write(folder, 2, DAY2)
    with pytest.raises(RunError, match=message + r".*citystat run --rebuild"):
        run_pipeline(metrics, warehouse)
    assert run_pipeline(metrics, warehouse, rebuild=True).published


def _stage(
    con: duckdb.DuckDBPyConnection, kind: str, rows: list[dict[str, object]], source: str = "s"
) -> str:
    """A staged table of a kind's canonical columns holding the given values (rest NULL)."""
    table = CANONICAL_TABLES[kind]
    columns = ", ".join(f"{name} {sql_type}" for name, sql_type in table.columns.items())
    con.execute(f"CREATE OR REPLACE TABLE stg ({columns})")
    for i, row in enumerate(rows, start=2):
        values = {"source": source, "source_file": "f.csv", "source_row": i, **row}
        names = ", ".join(values)
        con.execute(
            f"INSERT INTO stg ({names}) VALUES ({', '.join('?' for _ in values)})",
            list(values.values()),
        )
    return "stg"


def test_without_updated_at_the_latest_other_timestamp_dates_a_version() -> None:
    con = duckdb.connect()
    create_schema(con)
    table = CANONICAL_TABLES["service_requests"]
    # Day 1: B1 open (dated by opened_at), B2 open. Day 2: B1 closed (closed_at 2 March is
    # newer than opened_at 1 March: updated), B2 the same (unchanged).
    day1 = [
        {"request_id": "B1", "status": "open", "opened_at": _ts("2024-03-01 08:00")},
        {"request_id": "B2", "status": "open", "opened_at": _ts("2024-03-01 09:00")},
    ]
    day2 = [
        {
            "request_id": "B1",
            "status": "closed",
            "opened_at": _ts("2024-03-01 08:00"),
            "closed_at": _ts("2024-03-02 10:00"),
        },
        day1[1],
    ]
    assert merge_staged(con, table, _stage(con, "service_requests", day1), source="s", run_id="1")[
        "f.csv"
    ] == MergeCounts(inserted=2)
    counts = merge_staged(con, table, _stage(con, "service_requests", day2), source="s", run_id="2")
    assert counts == {"f.csv": MergeCounts(inserted=0, updated=1, unchanged=1)}
    assert con.execute("SELECT request_id, status FROM service_requests ORDER BY 1").fetchall() == [
        ("B1", "closed"),
        ("B2", "open"),
    ]
    assert con.execute(
        "SELECT request_id, version_at, run_id FROM service_requests_versions ORDER BY 1, 2"
    ).fetchall() == [
        ("B1", _ts("2024-03-01 08:00"), "1"),
        ("B1", _ts("2024-03-02 10:00"), "2"),
        ("B2", _ts("2024-03-01 09:00"), "1"),
    ]


def test_permits_merge_by_permit_id_with_their_own_version_columns() -> None:
    con = duckdb.connect()
    create_schema(con)
    table = CANONICAL_TABLES["permits"]
    assert version_expression(table, "p") == (
        'coalesce(p."updated_at", greatest(p."completed_at", p."issued_at", p."applied_at"))'
    )
    # P1 applied 1 March, then issued 5 March (newer); P2 issued, then an extract that only
    # knows its application (older: no roll back); the same permit id in another source is a
    # different record (inserted).
    first = [
        {"permit_id": "P1", "status": "in_review", "applied_at": _ts("2024-03-01 00:00")},
        {"permit_id": "P2", "status": "issued", "issued_at": _ts("2024-03-04 00:00")},
    ]
    second = [
        {
            "permit_id": "P1",
            "status": "issued",
            "applied_at": _ts("2024-03-01 00:00"),
            "issued_at": _ts("2024-03-05 00:00"),
        },
        {"permit_id": "P2", "status": "in_review", "applied_at": _ts("2024-02-20 00:00")},
    ]
    merge_staged(con, table, _stage(con, "permits", first), source="s", run_id="1")
    counts = merge_staged(con, table, _stage(con, "permits", second), source="s", run_id="2")
    assert counts == {"f.csv": MergeCounts(inserted=0, updated=1, unchanged=1)}
    other = merge_staged(con, table, _stage(con, "permits", first[:1], "t"), source="t", run_id="3")
    assert other == {"f.csv": MergeCounts(inserted=1)}
    assert con.execute(
        "SELECT source, permit_id, status FROM permits ORDER BY 1, 2"
    ).fetchall() == [("s", "P1", "issued"), ("s", "P2", "issued"), ("t", "P1", "in_review")]
    (versions,) = con.execute("SELECT count(*) FROM permits_versions").fetchone()
    assert versions == 5  # P1 x2, P2 x2 (the older one is history too), t's P1


def test_a_newer_duplicate_within_one_batch_is_the_candidate() -> None:
    con = duckdb.connect()
    create_schema(con)
    table = CANONICAL_TABLES["service_requests"]
    # One file lists C1 twice; the later update (closed) wins, the earlier is unchanged and
    # both versions are history.
    rows = [
        {
            "request_id": "C1",
            "status": "closed",
            "opened_at": _ts("2024-03-01 08:00"),
            "updated_at": _ts("2024-03-03 08:00"),
        },
        {
            "request_id": "C1",
            "status": "open",
            "opened_at": _ts("2024-03-01 08:00"),
            "updated_at": _ts("2024-03-02 08:00"),
        },
    ]
    counts = merge_staged(con, table, _stage(con, "service_requests", rows), source="s", run_id="1")
    assert counts == {"f.csv": MergeCounts(inserted=1, unchanged=1)}
    assert con.execute("SELECT status FROM service_requests").fetchall() == [("closed",)]
    (versions,) = con.execute("SELECT count(*) FROM service_requests_versions").fetchone()
    assert versions == 2


def test_a_first_load_inserted_straight_equals_the_full_merge(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first-load shortcut (no record of the source yet) leaves exactly what a merge does."""
    rows = [
        {"request_id": "D1", "status": "open", "opened_at": _ts("2024-03-01 08:00")},
        {
            "request_id": "D2",
            "status": "closed",
            "opened_at": _ts("2024-03-01 09:00"),
            "closed_at": _ts("2024-03-02 10:00"),
        },
        {"request_id": "D3", "status": "open", "updated_at": _ts("2024-03-03 07:00")},
    ]
    table = CANONICAL_TABLES["service_requests"]
    results = []
    for shortcut in (True, False):
        if not shortcut:
            monkeypatch.setattr("pipelines.ingest.merge._insert_first_load", lambda *a, **k: None)
        con = duckdb.connect()
        create_schema(con)
        counts = merge_staged(
            con, table, _stage(con, "service_requests", rows), source="s", run_id="1"
        )
        tables = [
            con.execute(f"SELECT * FROM {name} ORDER BY ALL").fetchall()
            for name in ("service_requests", "service_requests_versions")
        ]
        results.append((counts, tables))
    assert results[0] == results[1]
    assert results[0][0] == {"f.csv": MergeCounts(inserted=3)}


@pytest.mark.slow
def test_files_already_loaded_are_recognised_by_size_and_time_and_rehashed_when_touched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    metrics, folder, warehouse = _town(tmp_path, monkeypatch)
    day1 = _write(folder, 1, DAY1)
    assert run_pipeline(metrics, warehouse).published
    hashed: list[str] = []

    def counting_hash(path: Path) -> str:
        hashed.append(path.name)
        return file_sha256(path)

    monkeypatch.setattr("pipelines.run.sources.file_sha256", counting_hash)
    # Whether to warm Great Expectations up is decided from the published warehouse.
    assert not _has_new_files(warehouse, {"town": [day1]})
    # Day 2: only the new file is read to hash it; day 1's name, size and time are known.
    day2 = _write(folder, 2, DAY2)
    assert _has_new_files(warehouse, {"town": [day1, day2]})
    run2 = run_pipeline(metrics, warehouse)
    assert hashed == ["town_2024-03-02.csv"] and run2.sources[0].skipped == [day1.name]
    # Touched (copied back, say): a new modification time, so it is hashed, and its bytes
    # are still those already loaded: skipped.
    hashed.clear()
    stat = day1.stat()
    os.utime(day1, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    run3 = run_pipeline(metrics, warehouse)
    assert hashed == [day1.name] and run3.sources[0].skipped == [day1.name, "town_2024-03-02.csv"]
    assert _load_files(warehouse, run3.run_id) == []


@pytest.mark.slow
def test_a_file_no_merged_file_matches_in_size_is_hashed_while_it_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    metrics, folder, warehouse = _town(tmp_path, monkeypatch)
    day1 = _write(folder, 1, DAY1)
    threads: dict[str, str] = {}

    def recording_hash(path: Path) -> str:
        threads[path.name] = threading.current_thread().name
        return file_sha256(path)

    monkeypatch.setattr("pipelines.run.sources.file_sha256", recording_hash)
    run1 = run_pipeline(metrics, warehouse)
    # Nothing was merged before: day 1 cannot repeat a merged file, so it is hashed beside
    # its load, and the sha256 recorded is still that of its bytes.
    assert threads[day1.name].startswith("sha256")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        (sha,) = con.execute(
            "SELECT file_sha256 FROM load_files WHERE run_id = ?", [run1.run_id]
        ).fetchone()
    assert sha == hashlib.sha256(day1.read_bytes()).hexdigest()
    # Day 2 has day 1's size but other bytes: hashed before loading (it could have been a
    # copy), then loaded, not skipped.
    rows = DAY1.replace("A4,2024-03-01 08:00", "A5,2024-03-02 08:00")
    day2 = _write(folder, 2, rows)
    assert day2.stat().st_size == day1.stat().st_size
    run2 = run_pipeline(metrics, warehouse)
    assert threads[day2.name] == threading.main_thread().name
    assert run2.sources[0].skipped == [day1.name]
    assert [f[0] for f in _load_files(warehouse, run2.run_id)] == [day2.name]
