"""Read-write connections to a build, with the run's memory cap and spill folder."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

# DuckDB's own default is 80% of the machine's memory; a pipeline run shares the machine.
DEFAULT_MEMORY_LIMIT = "3GB"


def memory_limit() -> str:
    """DuckDB memory limit of a pipeline run: $CITYSTAT_MEMORY_LIMIT (e.g. 6GB), else 3GB."""
    return os.environ.get("CITYSTAT_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT)


def spill_dir(build: Path) -> Path:
    """Where a build's large joins and sorts spill to disk when they pass the memory limit."""
    return build.with_name(build.name + ".tmp")


def connect_build(build: Path) -> duckdb.DuckDBPyConnection:
    """A read-write connection to a build with bounded memory, spilling beside the build."""
    con = duckdb.connect(
        str(build),
        config={"memory_limit": memory_limit(), "temp_directory": str(spill_dir(build))},
    )
    con.execute("SET enable_progress_bar = false")  # the run reports its own progress
    return con
