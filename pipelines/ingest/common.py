"""Names, errors and small SQL helpers shared by the loader's modules."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from pipelines.city.paths import sources_dir
from pipelines.ingest.mapping import SourceMapping
from pipelines.warehouse.layout import city_dir
from pipelines.warehouse.schema import quote


class LoadError(Exception):
    """An extract that cannot be loaded; the message says which file and what to do."""


@dataclass(frozen=True)
class FileCount:
    """Rows of one input file: read from disk, and rejected by the CSV reader."""

    file: str
    rows_read: int
    rows_rejected: int


def raw_table(mapping: SourceMapping) -> str:
    """Quoted name of the raw (text) table of a source's main files: a temp table.

    It is a working copy of files on disk, read once by staging: a temp table is written
    without compression, spills only past the memory limit and never reaches the warehouse
    file (nor do the staged rows, unless their file fails validation: see ``staged_table``).
    """
    return f"temp.main.{quote(f'raw_{mapping.source}')}"


def join_table(mapping: SourceMapping, join_name: str) -> str:
    """Quoted name of the raw table holding one row per key of a joined file."""
    return f"raw.{quote(f'{mapping.source}__{join_name}')}"


def staged_table(mapping: SourceMapping) -> str:
    """Quoted name of the staged (canonical, typed) table of a source: a temp table.

    The merge writes its rows, compressed, into the canonical table and ``<table>_versions``;
    a persistent staged table would be a third compressed copy, dropped right after (at 10M
    rows it costs more than the spilling of the temp table past the memory limit). A file
    that fails validation has its staged rows moved into the build (``keep_staged``) for the
    analyst. The name is unqualified: DuckDB resolves it to the temp table while one exists.
    """
    return quote(f"stg_{mapping.source}")


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    """True when schema.name exists."""
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [schema, name],
    ).fetchone()
    return bool(row and row[0])


def create_table(qualified: str) -> str:
    """'CREATE TABLE <name>', or 'CREATE TEMP TABLE <name>' for a name in the temp catalog."""
    temporary = " TEMP" if qualified.startswith("temp.") else ""
    return f"CREATE{temporary} TABLE {qualified}"


def relation_exists(con: duckdb.DuckDBPyConnection, qualified: str) -> bool:
    """True when the (qualified, quoted) table or view exists."""
    try:
        con.execute(f"SELECT 1 FROM {qualified} LIMIT 0")
    except duckdb.CatalogException:
        return False
    return True


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: object = None) -> int:
    """The single integer a query returns (0 for NULL)."""
    row = con.execute(sql, params).fetchone() if params is not None else con.execute(sql).fetchone()
    return int(row[0] or 0) if row else 0


def mapping_file(mapping: SourceMapping) -> str:
    """How messages name the mapping file of a source: where the city keeps it, relative to
    the city's folder when it is inside it (pipelines/sources/x.yml for the demo city)."""
    path = sources_dir() / f"{mapping.source}.yml"
    city = city_dir()
    return str(path.relative_to(city)) if path.is_relative_to(city) else str(path)
