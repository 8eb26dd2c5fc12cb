"""Read-only access to the published warehouse: small, cached DataFrames for the pages.

This is the only module that opens the warehouse and the only one that caches. The app pins
the published version at the start of every rerun; every query is cached on that version, so
a newly published warehouse is read on the next rerun without restarting the app, and a page
never mixes two versions.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from pipelines.warehouse.layout import versions_dir, warehouse_path
from pipelines.warehouse.published import published_file, published_version


@dataclass(frozen=True)
class Warehouse:
    """One published version of the warehouse: the version file and its identity.

    ``published`` is the published path it was resolved from when that is not the current
    city's warehouse (another city's, on the Compare page).
    """

    path: str
    version: str
    published: str | None = None
    # A city of a lake folder (citystat export --parquet, metric values from Spark): ``path``
    # is the lake, and the city's tables are its Parquet partitions.
    lake_city: str | None = None


_PINNED = "citystat_warehouse_version"


def resolve_warehouse() -> Warehouse | None:
    """The version published right now (the symlink resolved), or None when there is none."""
    published = warehouse_path()
    current, version = published_file(published), published_version(published)
    if current is None or version is None:
        return None
    return Warehouse(path=str(current), version=version)


def warehouse_at(published: Path) -> Warehouse | None:
    """The version published at ``published`` (another city's warehouse), or None."""
    current, version = published_file(published), published_version(published)
    if current is None or version is None:
        return None
    return Warehouse(path=str(current), version=version, published=str(published))


def pin_warehouse() -> Warehouse | None:
    """Resolve the published version once at the start of a rerun, for every page query.

    A run may publish while someone reads a page: every query of this rerun still reads the
    version pinned here, and the next rerun picks up the new one, never mid-page.
    """
    warehouse = resolve_warehouse()
    st.session_state[_PINNED] = warehouse
    return warehouse


def current_warehouse() -> Warehouse | None:
    """The version pinned for this rerun (resolved now if the app did not pin one)."""
    pinned = st.session_state.get(_PINNED)
    return pinned if isinstance(pinned, Warehouse) else resolve_warehouse()


def expected_warehouse_path() -> Path:
    """Where the dashboard looks for the warehouse (env CITYSTAT_WAREHOUSE overrides)."""
    return Path(warehouse_path())


@st.cache_resource(show_spinner=False, max_entries=2)
def _connection(path: str, version: str) -> duckdb.DuckDBPyConnection:
    """One read-only connection per published version file, shared by every session.

    Opening the file costs more than most page queries (its catalog is read each time); a
    version is never written once published, so one connection serves it for its lifetime
    (a pruned version's file stays readable while this connection holds it).
    """
    del version  # only there to key the cache (a plain-file warehouse reuses its path)
    return duckdb.connect(path, read_only=True)


# A DuckDB connection is not thread-safe; each query takes its own cursor, made under a lock.
_CURSOR_LOCK = threading.Lock()


# What the Compare page reads of a lake city, each the city's partitions of one lake table.
LAKE_TABLES = ("metric_values", "metric_definitions", "city_profile", "runs")
_LAKE_MANIFESTS = "_cities"


def lake_cities_at(lake: Path) -> list[Warehouse]:
    """Every city of a lake folder (its ``_cities/<id>.json`` manifests), sorted by id; an
    empty list when ``lake`` is no lake."""
    manifests = sorted((lake / _LAKE_MANIFESTS).glob("*.json"))
    cities = []
    for manifest in manifests:
        values = lake / "metric_values" / f"city={manifest.stem}"
        # A new export or a new Spark run changes the version, so pages read it afresh.
        stamps = [manifest.stat().st_mtime_ns, *(f.stat().st_mtime_ns for f in values.rglob("*"))]
        cities.append(Warehouse(path=str(lake), version=str(max(stamps)), lake_city=manifest.stem))
    return cities


def configured_cities(folders: list[Path]) -> int:
    """How many cities the Compare page shows: a city folder is one, a lake its cities."""
    return sum(len(lake_cities_at(folder)) or 1 for folder in folders)


def _lake_connection(lake: str, city: str) -> duckdb.DuckDBPyConnection:
    """An in-memory connection whose views are one lake city's tables (read-only Parquet)."""
    # In memory and written only here: its views and tables read the lake's Parquet files.
    con = duckdb.connect(":memory:")
    for table in LAKE_TABLES:
        folder = Path(lake) / table / f"city={city}"
        if any(folder.rglob("*.parquet")):
            # DDL takes no parameters: the path is quoted as a SQL string literal. The values
            # stay Parquet (a view); the small tables are copied, keeping their row order.
            literal = str(folder / "**" / "*.parquet").replace("'", "''")
            kind = "VIEW" if table == "metric_values" else "TABLE"
            con.execute(
                f"CREATE {kind} {table} AS SELECT * FROM read_parquet('{literal}', "  # noqa: S608
                "hive_partitioning = false, union_by_name = true)"
            )
    return con


@st.cache_data(show_spinner=False, max_entries=512)
def _query(
    path: str, version: str, sql: str, params: dict[str, Any], lake_city: str | None = None
) -> pd.DataFrame:
    """Run one read-only query; version keys the cache, so a new version is read afresh."""
    if lake_city is not None:
        with _lake_connection(path, lake_city) as con:
            return con.execute(sql, params).df()
    if Path(path).parent != versions_dir(warehouse_path()):
        # A plain-file warehouse (older citystat, tests) may be rewritten in place: a
        # connection held open would keep its writers out, so each query opens its own.
        with duckdb.connect(path, read_only=True) as con:
            return con.execute(sql, params).df()
    with _CURSOR_LOCK:
        cursor = _connection(path, version).cursor()
    try:
        return cursor.execute(sql, params).df()
    finally:
        cursor.close()


def run_query(wh: Warehouse, sql: str, **params: Any) -> pd.DataFrame:
    if wh.lake_city is not None:
        return _query(wh.path, wh.version, sql, params, wh.lake_city)
    try:
        return _query(wh.path, wh.version, sql, params)
    except duckdb.IOException:
        # The pinned version was pruned by later runs while this page was open: read the
        # version published now instead (only ever between whole queries).
        if Path(wh.path).exists():
            raise
        fresh = warehouse_at(Path(wh.published)) if wh.published else pin_warehouse()
        if fresh is None:
            raise
        return _query(fresh.path, fresh.version, sql, params)


# ---------------------------------------------------------------- service catalog and index
# The tables below are written by pipelines/services (compute_service_tables) after the
# metrics; a warehouse published before that step has none of them.


# ------------------------------------------------------------------ meetings and open data
# A meeting's packet is frozen from these reads: the meetings store copies them into its own
# database, so a later run that rewrites metric_values never changes what was discussed.
