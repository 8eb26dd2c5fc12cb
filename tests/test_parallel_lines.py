"""Line numbers stay the file's when DuckDB reads a file on several threads.

A read is numbered by the rowids its rows get (its shape keeps the rows' order); these files
span many read buffers (the line limit, and so the buffer, is made small), so the read runs
on every thread, and each record says which physical line it starts on.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines.ingest import readers
from pipelines.ingest.common import scalar
from pipelines.ingest.mapping import CsvOptions
from pipelines.ingest.readers import RowShape, read_csv_numbered

RECORDS = 60_000


@pytest.fixture
def small_buffers(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 64 KiB line limit: a 2 MB file is read in about thirty buffers."""
    monkeypatch.setattr(readers, "MAX_LINE_BYTES", 1 << 16)


def _write(path: Path, first_id: int = 0) -> Path:
    """RECORDS records, each with its own line in ``line``; every 10,000th has a two-line note
    and the one after it is short a column (rejected), so the numbers need correcting too."""
    text = ["id,line,note"]
    line = 2
    for i in range(RECORDS):
        if i % 10_000 == 5_000:
            text.append(f'{first_id + i},{line},"two\nlines"')
            line += 2
        elif i % 10_000 == 5_001:
            text.append(f"{first_id + i},{line}")
            line += 1
        else:
            text.append(f"{first_id + i},{line},padding to make the file span many buffers")
            line += 1
    path.write_text("\n".join(text) + "\n")
    return path


def _connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET threads = 4")
    return con


def _misnumbered(con: duckdb.DuckDBPyConnection, table: str, line: str) -> int:
    return scalar(con, f"SELECT count(*) FROM {table} WHERE {line} IS DISTINCT FROM line::BIGINT")


@pytest.mark.usefixtures("small_buffers")
def test_two_files_read_on_every_thread_keep_each_records_line(tmp_path: Path) -> None:
    con = _connect()
    first = _write(tmp_path / "a.csv")
    second = _write(tmp_path / "b.csv", first_id=RECORDS)
    accepted, rejected = read_csv_numbered(con, first, CsvOptions(), "raw")
    assert (accepted, rejected) == (RECORDS - 6, 6)
    rejected_lines = [r[0] for r in con.execute("SELECT line FROM _rejects ORDER BY 1").fetchall()]
    # The short record after each two-line note: line 2 + 5,001 records + 1 extra line.
    assert rejected_lines == [5_004 + 10_000 * k + k for k in range(6)]
    assert read_csv_numbered(con, second, CsvOptions(), "raw") == (RECORDS - 6, 6)
    assert con.execute("SELECT count(*), count(DISTINCT _file) FROM raw").fetchone() == (
        2 * (RECORDS - 6),
        2,
    )
    assert _misnumbered(con, "raw", "_line") == 0


@pytest.mark.usefixtures("small_buffers")
def test_a_typing_shape_read_on_every_thread_keeps_each_records_line(tmp_path: Path) -> None:
    con = _connect()
    path = _write(tmp_path / "a.csv")

    def typed(rows: str) -> str:
        return (
            f"SELECT r.id::BIGINT AS id, r.line, r._line AS source_row, r._nul_column FROM {rows} r"
        )

    read_csv_numbered(con, path, CsvOptions(), "typed", shape=RowShape(typed, line="source_row"))
    assert con.execute("SELECT count(*), min(id), max(id) FROM typed").fetchone() == (
        RECORDS - 6,
        0,
        RECORDS - 1,
    )
    assert _misnumbered(con, "typed", "source_row") == 0
