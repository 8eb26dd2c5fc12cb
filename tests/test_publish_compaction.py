"""The build copy: byte for byte while the published file has few free blocks, a compacting
rewrite (every table and constraint kept, row for row) once they pass the threshold."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest

from pipelines.publish.compaction import COMPACT_FREE_SHARE, copy_for_build, free_share


def _warehouse(path: Path, *, drop_scratch: bool) -> None:
    """A small warehouse: a kept table with a key, and a large scratch table that, dropped
    after a checkpoint, leaves its blocks free in the file."""
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE kept (id BIGINT PRIMARY KEY, label VARCHAR NOT NULL)")
        con.execute("INSERT INTO kept SELECT i, 'row ' || i FROM range(50000) AS t(i)")
        con.execute(
            "CREATE TABLE scratch AS SELECT i, md5(i::VARCHAR) AS h FROM range(2000000) t(i)"
        )
        con.execute("CHECKPOINT")
        if drop_scratch:
            con.execute("DROP TABLE scratch")
            con.execute("CHECKPOINT")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_file_with_few_free_blocks_is_copied_byte_for_byte(tmp_path: Path) -> None:
    published, build = tmp_path / "published.duckdb", tmp_path / "build.duckdb"
    _warehouse(published, drop_scratch=False)
    assert free_share(published) <= COMPACT_FREE_SHARE
    assert copy_for_build(published, build) is False
    assert _digest(build) == _digest(published)


def test_a_file_with_many_free_blocks_is_rewritten_smaller_with_the_same_rows(
    tmp_path: Path,
) -> None:
    published, build = tmp_path / "published.duckdb", tmp_path / "build.duckdb"
    _warehouse(published, drop_scratch=True)
    # The dropped table held most of the file: its blocks are free, far past the threshold.
    assert free_share(published) > COMPACT_FREE_SHARE
    assert copy_for_build(published, build) is True
    assert build.stat().st_size < published.stat().st_size / 2
    assert free_share(build) <= COMPACT_FREE_SHARE
    with duckdb.connect() as con:
        con.execute("ATTACH $p AS a (READ_ONLY)", {"p": str(published)})
        con.execute("ATTACH $p AS b (READ_ONLY)", {"p": str(build)})
        differing = con.execute(
            "SELECT count(*) FROM ((FROM a.kept EXCEPT ALL FROM b.kept) "
            "UNION ALL (FROM b.kept EXCEPT ALL FROM a.kept))"
        ).fetchone()
        assert differing == (0,)
        assert con.execute("SELECT count(*) FROM b.kept").fetchone() == (50000,)
        tables = "SELECT table_name FROM duckdb_tables() WHERE database_name = ? ORDER BY 1"
        assert con.execute(tables, ["b"]).fetchall() == [("kept",)]
        constraints = (
            "SELECT constraint_type, constraint_column_names FROM duckdb_constraints() "
            "WHERE database_name = ? ORDER BY ALL"
        )
        assert (
            con.execute(constraints, ["b"]).fetchall() == con.execute(constraints, ["a"]).fetchall()
        )
    with duckdb.connect(str(build)) as con, pytest.raises(duckdb.ConstraintException):
        con.execute("INSERT INTO kept VALUES (1, 'a second row 1')")  # the key still holds
