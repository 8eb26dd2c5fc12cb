"""Write one city's published warehouse into a lake folder as Parquet (``citystat export``).

DuckDB writes every file (COPY … PARTITION_BY); nothing passes through Python rows. A city's
earlier export is replaced whole, other cities' partitions are left as they are, so a state or
a consortium builds one lake from many cities' warehouses, one export each.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipelines.city.loader import city_file
from pipelines.lake.layout import (
    CITY_CONTEXT,
    METRIC_INPUTS,
    METRIC_VALUES,
    NO_MONTH,
    LakeError,
    Manifest,
    city_partition,
)
from pipelines.metrics.compute import data_as_of
from pipelines.warehouse.schema import CANONICAL_TABLES, quote


@dataclass(frozen=True)
class Exported:
    """What an export wrote: rows per table and the manifest's path."""

    city_id: str
    rows: dict[str, int]
    manifest: Path


def month_expression(table: str) -> str:
    """The SQL giving each row's ``month`` partition ('2024-01'; 'all' for a table without
    dates, 'none' for a row without any): a record's earliest date, a value's period."""
    if table == METRIC_VALUES:
        return "strftime(period_start, '%Y-%m')"
    canonical = CANONICAL_TABLES.get(table.removesuffix("_versions"))
    if canonical is None:
        return f"'{NO_MONTH}'"
    dates = ", ".join(quote(c) for c in reversed(canonical.version_columns))
    return f"COALESCE(strftime(COALESCE({dates}), '%Y-%m'), 'none')"


def export_city(
    warehouse: Path,
    lake: Path,
    city_id: str,
    name: str,
    metrics_file: Path,
) -> Exported:
    """Write the city's tables under ``lake`` partitioned by city and month, and its manifest."""
    if not warehouse.is_file():
        raise LakeError(f"{warehouse}: no published warehouse; run `citystat run` first")
    lake.mkdir(parents=True, exist_ok=True)
    rows: dict[str, int] = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        as_of = data_as_of(con)
        if as_of is None:
            raise LakeError(f"{warehouse}: the warehouse holds no data to export")
        tables = {name for (name,) in con.execute("SHOW TABLES").fetchall()}
        for table in (*METRIC_INPUTS, METRIC_VALUES, *CITY_CONTEXT):
            if table in tables:  # a warehouse from before city profiles has none
                rows[table] = _export_table(con, lake, table, city_id)
    manifest = Manifest(
        city_id=city_id,
        name=name,
        as_of=as_of,
        exported_at=datetime.now(UTC).replace(tzinfo=None),
        city_yml=city_file(metrics_file.parent).read_text(),
        metrics_yml=metrics_file.read_text(),
    )
    return Exported(city_id, rows, manifest.write(lake))


def _export_table(con: duckdb.DuckDBPyConnection, lake: Path, table: str, city_id: str) -> int:
    """One table's rows into ``<table>/city=<id>/month=…/``; the row count."""
    target = city_partition(lake, table, city_id)
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    # Table names and month expressions are this module's constants; paths are escaped.
    name = quote(table)
    count_row = con.execute(f"SELECT count(*) FROM {name}").fetchone()  # noqa: S608
    count = int(count_row[0]) if count_row else 0
    source = f"SELECT *, {month_expression(table)} AS month FROM {name}"  # noqa: S608
    if count == 0:
        # A file with the columns and no row, so every city's table has its schema.
        empty = target / f"month={NO_MONTH}" / "empty.parquet"
        empty.parent.mkdir()
        con.execute(
            f"COPY (SELECT * FROM {name} LIMIT 0) TO '{_literal(empty)}' (FORMAT parquet)"  # noqa: S608
        )
        return 0
    con.execute(
        f"COPY ({source}) TO '{_literal(target)}' "
        "(FORMAT parquet, PARTITION_BY (month), OVERWRITE_OR_IGNORE true)"
    )
    return count


def _literal(path: Path) -> str:
    """A path inside a SQL string literal (COPY takes no bound parameter for its target)."""
    return str(path).replace("'", "''")
