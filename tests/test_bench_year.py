"""The simulated year's files (bench/citystat_bench/year.py): the extract moved into the past,
and each day a fifth of its rows closing open requests, the rest new requests under new ids (a
quarter left open, closed a few days later), the same bytes for the same seed."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from bench.citystat_bench.year import (
    CLOSE_AFTER_DAYS,
    FULL_NAME,
    MARGIN_DAYS,
    compare_published,
    day_name,
    extract_moves,
    write_day_extract,
    write_start,
)
from pipelines.demo.city import write_demo_city

DAYS, ROWS, SEED = 5, 50, 7  # days 4 and 5 close what days 1 and 2 opened


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A 3,000-request demo city, moved back for DAYS days, and the requests' pool."""
    root = tmp_path_factory.mktemp("year")
    source = write_demo_city(root / "demo", rows=3000)["311 requests"]
    assert source is not None
    folder = root / "data" / "philadelphia_311"
    folder.mkdir(parents=True)
    return source, folder, write_start(source, folder, DAYS, SEED, ROWS)


def _read(con: duckdb.DuckDBPyConnection, path: Path) -> list[tuple[object, ...]]:
    return con.execute(
        "SELECT service_request_id, status, updated_datetime, closed_datetime "
        "FROM read_csv($p, header = true, all_varchar = true) ORDER BY ALL",
        {"p": str(path)},
    ).fetchall()


def test_the_extract_moves_back_by_the_days_and_the_margin(year: tuple[Path, Path, Path]) -> None:
    source, folder, _ = year
    with duckdb.connect() as con:
        query = (
            "SELECT max(CAST(updated_datetime AS TIMESTAMP)), count(*) "
            "FROM read_csv($p, header = true, all_varchar = true)"
        )
        before = con.execute(query, {"p": str(source)}).fetchone()
        after = con.execute(query, {"p": str(folder / FULL_NAME)}).fetchone()
    assert before is not None and after is not None
    assert after[1] == before[1]  # every row kept
    assert after[0] == before[0] - timedelta(days=DAYS + MARGIN_DAYS)


def test_every_time_of_every_extract_moves_back_and_nothing_else(
    year: tuple[Path, Path, Path],
) -> None:
    """Permits and inspections left where they were would hold every simulated day's as-of."""
    source, folder, _ = year
    with duckdb.connect() as con:
        for old_path, new_path, columns, fmt in extract_moves(source, folder):
            before, after = (
                con.execute(
                    "SELECT * FROM read_csv($p, header = true, all_varchar = true) ORDER BY ALL",
                    {"p": str(path)},
                ).df()
                for path in (old_path, new_path)
            )
            assert len(after) == len(before) > 0
            for column in before.columns:
                if column not in columns:  # the rest is as it was
                    assert after[column].equals(before[column]), (old_path, column)
                    continue
                old, new = (pd.to_datetime(f[column], format=fmt) for f in (before, after))
                assert (old.isna() == new.isna()).all() and old.notna().any(), (old_path, column)
                moved = (old - new).dropna()
                assert (moved == timedelta(days=DAYS + MARGIN_DAYS)).all(), (old_path, column)


def test_a_day_closes_a_fifth_and_adds_new_requests_in_the_past(
    year: tuple[Path, Path, Path],
) -> None:
    source, folder, pool = year
    days = [folder / day_name(d) for d in range(1, DAYS + 1)]
    written = [write_day_extract(pool, path, d, ROWS, SEED) for d, path in enumerate(days, 1)]
    assert written == [ROWS] * DAYS
    with duckdb.connect() as con:
        top, open_ids = con.execute(
            "SELECT max(CAST(service_request_id AS BIGINT)), "
            "list(service_request_id) FILTER (status = 'Open') "
            "FROM read_csv($p, header = true, all_varchar = true)",
            {"p": str(source)},
        ).fetchone() or (0, [])
        files = [_read(con, path) for path in days]
        for d, rows in enumerate(files, 1):
            first, last = top + (d - 1) * ROWS, top + d * ROWS  # day d's new ids: (first, last]
            new = [r for r in rows if first < int(str(r[0])) <= last]
            closed = [r for r in rows if r not in new]
            # 50 rows: 50 // 5 = 10 close open requests, 40 are new, 40 // 4 = 10 left open
            assert len(closed) == ROWS // 5 and len(new) == ROWS - ROWS // 5
            assert sum(r[1] == "Open" for r in new) == (ROWS - ROWS // 5) // 4
            assert all(r[1] == "Closed" and r[3] == r[2] for r in closed)
            if d <= CLOSE_AFTER_DAYS:  # requests open in the extract
                assert all(r[0] in open_ids for r in closed)
            else:  # those day d - CLOSE_AFTER_DAYS opened and left open, and no other
                opened = files[d - CLOSE_AFTER_DAYS - 1]
                assert {r[0] for r in closed} == {r[0] for r in opened if r[1] == "Open"}
                assert all(str(r[2]) > str(o[2]) for r in closed for o in opened)
        latest = con.execute(
            "SELECT max(CAST(updated_datetime AS TIMESTAMP)) "
            "FROM read_csv($p, header = true, all_varchar = true)",
            {"p": [str(p) for p in days]},
        ).fetchone()
    assert latest is not None and latest[0] < datetime.now()  # no version from the future
    # As many open as close each day: the backlog stays where the extract left it.
    final = {str(r[0]): r[1] for rows in files for r in sorted(rows, key=lambda r: str(r[2]))}
    closed_in_extract = sum(1 for i in final if i in open_ids)
    still_open_new = sum(1 for i, status in final.items() if i not in open_ids and status == "Open")
    assert closed_in_extract == CLOSE_AFTER_DAYS * ROWS // 5
    assert still_open_new == CLOSE_AFTER_DAYS * (ROWS - ROWS // 5) // 4


def test_the_same_seed_writes_the_same_bytes(year: tuple[Path, Path, Path], tmp_path: Path) -> None:
    _, _, pool = year
    first, again, other = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    write_day_extract(pool, first, 2, ROWS, SEED)
    write_day_extract(pool, again, 2, ROWS, SEED)
    write_day_extract(pool, other, 2, ROWS, SEED + 1)
    assert first.read_bytes() == again.read_bytes()
    assert first.read_bytes() != other.read_bytes()


def test_published_values_compare_row_for_row(tmp_path: Path) -> None:
    a, b = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    for path, values in ((a, "(1, 'x'), (2, 'y'), (2, 'y')"), (b, "(1, 'x'), (2, 'y'), (3, 'z')")):
        with duckdb.connect(str(path)) as con:
            con.execute(f"CREATE TABLE metric_values AS FROM (VALUES {values}) t(v, w)")
    # a has (2, 'y') twice, b once and (3, 'z'): one row only in each
    assert compare_published(a, b) == {"only_incremental": 1, "only_rebuild": 1, "rows": 3}
