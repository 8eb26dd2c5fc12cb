"""The simulated year's files (bench/citystat_bench/year.py): the extract moved into the past,
and each day a fifth of its rows closing open requests, the rest new requests under new ids,
the same bytes for the same seed."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from bench.citystat_bench.year import (
    FULL_NAME,
    MARGIN_DAYS,
    compare_published,
    day_name,
    write_day_extract,
    write_start,
)
from pipelines.demo import service_requests

DAYS, ROWS, SEED = 4, 50, 7


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A 3,000-request demo extract, moved back for DAYS days, and its pool."""
    root = tmp_path_factory.mktemp("year")
    source = service_requests.generate_311(root / "demo", rows=3000)
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
        for d, path in enumerate(days, 1):
            rows = _read(con, path)
            old = [r for r in rows if int(str(r[0])) <= top]
            new = [r for r in rows if int(str(r[0])) > top]
            # 50 rows: 50 // 5 = 10 close open requests, 40 are new
            assert len(old) == ROWS // 5 and len(new) == ROWS - ROWS // 5
            assert all(r[0] in open_ids and r[1] == "Closed" and r[3] == r[2] for r in old)
            # new ids run on from the extract's largest, 50 a day
            new_ids = sorted(int(str(r[0])) for r in new)
            assert new_ids[0] > top + (d - 1) * ROWS and new_ids[-1] <= top + d * ROWS
        every_id = con.execute(
            "SELECT count(*), count(DISTINCT service_request_id) "
            "FROM read_csv($p, header = true, all_varchar = true)",
            {"p": [str(p) for p in days]},
        ).fetchone()
        latest = con.execute(
            "SELECT max(CAST(updated_datetime AS TIMESTAMP)) "
            "FROM read_csv($p, header = true, all_varchar = true)",
            {"p": [str(p) for p in days]},
        ).fetchone()
    # 4 days of 10 closings from a pool of more than 40 open requests: no id twice
    assert every_id == (DAYS * ROWS, DAYS * ROWS)
    assert latest is not None and latest[0] < datetime.now()  # no version from the future


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
