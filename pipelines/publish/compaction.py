"""The build copy of a run: a file copy of the published version, or a compacting rewrite
once the version carries too many free blocks.

A daily run deletes and inserts small parts of tables (merged records, replaced metric
periods); DuckDB reuses the blocks this frees only in part, and a file never shrinks. A file
copy carries the free blocks on to every later version, so the warehouse would grow day
after day. ``COPY FROM DATABASE`` into a fresh file writes only the live rows (DuckDB's
documented way to compact a database), but it costs about as much as loading the warehouse,
so it is done only when the free blocks pass ``COMPACT_FREE_SHARE`` of the file: the file
stays within about that share of a fresh one, and the rewrite's cost is spread over the days
that filled it.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import duckdb

from pipelines.warehouse.connection import memory_limit, spill_dir

COMPACT_FREE_SHARE = 0.15  # of the file's blocks; the goal is a file within 1.25x a fresh one


def free_share(database: Path) -> float:
    """Share of the database file's blocks that are free (0 for an empty file)."""
    with duckdb.connect(str(database), read_only=True) as con:
        row = con.execute("SELECT free_blocks, total_blocks FROM pragma_database_size()").fetchone()
    if row is None or not row[1]:
        return 0.0
    return int(row[0]) / int(row[1])


def copy_for_build(published: Path, target: Path) -> bool:
    """Copy ``published`` to the build file ``target``; rewritten compactly (True) when its
    free blocks pass the threshold, else copied byte for byte (False)."""
    if free_share(published) <= COMPACT_FREE_SHARE:
        shutil.copyfile(published, target)
        start_writeback(target)
        return False
    config: dict[str, str | bool | int | float | list[str]] = {
        "memory_limit": memory_limit(),
        "temp_directory": str(spill_dir(target)),
    }
    with duckdb.connect(":memory:", config=config) as con:
        con.execute("SET enable_progress_bar = false")
        con.execute("ATTACH $p AS published (READ_ONLY)", {"p": str(published)})
        con.execute("ATTACH $p AS build", {"p": str(target)})
        con.execute("COPY FROM DATABASE published TO build")
        con.execute("DETACH build")  # checkpoints the build file
    return True


def start_writeback(path: Path) -> None:
    """Write a just-copied file's pages to disk in the background.

    The copy leaves the whole file in the page cache, unwritten; the run's first checkpoint
    syncs the file and would wait for all of it (1.7-2 s for the 1.2 GB warehouse of 10M
    requests, measured on the benchmark machine). Syncing it here lets the disk write while
    the run reads, validates and merges. A sync that fails changes nothing: the
    checkpoint's own sync still runs.
    """

    def sync() -> None:
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            return  # the build file is gone already (a failed run removed it)
        try:
            os.fsync(fd)
        except OSError:
            pass
        finally:
            os.close(fd)

    threading.Thread(target=sync, name="citystat-writeback", daemon=True).start()
