"""Merge a staged batch into its canonical table by record id: the newest version wins.

A record is identified by (source, id column). Its version time is the first non-NULL of
``updated_at``, else the greatest of the table's other ``version_columns`` (a closed request is
newer than the same request seen open). Versions are compared as instants (``_utc_version``,
from the staged UTC twins of the timestamps), since wall-clock time repeats an hour each
autumn. For each staged row the merge decides, in SQL:

inserted   the record is new to the warehouse (the batch's newest version of it is added);
updated    the batch's newest version is strictly newer than the warehouse's: it replaces it;
unchanged  an equal or older version (no roll back), or an older copy within the batch.

Every distinct version (source, id, version time) is appended to ``<table>_versions`` once, so
a record's status on any past date can be derived. Updates are applied as DELETE + INSERT of
the affected records only: with DuckDB that touches the batch's rows and leaves the rest of a
large table alone (an UPDATE of every column grows the file by far more).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import duckdb

from pipelines.warehouse.pause import pause_point
from pipelines.warehouse.schema import CanonicalTable, instant_column, quote, utc_instant

_BATCH = "_merge_batch"


@dataclass(frozen=True)
class MergeCounts:
    """What merging one file's staged rows did: staged = inserted + updated + unchanged."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def staged(self) -> int:
        """Staged rows the merge considered."""
        return self.inserted + self.updated + self.unchanged

    def __add__(self, other: MergeCounts) -> MergeCounts:
        return MergeCounts(
            self.inserted + other.inserted,
            self.updated + other.updated,
            self.unchanged + other.unchanged,
        )


class MergeError(Exception):
    """A staged batch that cannot be merged; the message says which file and why."""


def version_expression(table: CanonicalTable, alias: str) -> str:
    """SQL for a row's version time: first version column, else the greatest of the others."""
    first, *others = (f"{alias}.{quote(c)}" for c in table.version_columns)
    if not others:
        return first
    # greatest() skips NULLs in DuckDB, so a request with only opened_at is dated by it.
    return f"coalesce({first}, greatest({', '.join(others)}))"


def instant_version_expression(
    table: CanonicalTable, alias: str, *, twins: bool, stored: bool = False
) -> str:
    """SQL for a row's version time as a UTC instant.

    From the staged UTC twins of the timestamps when the batch has them (``twins``), else
    from the wall-clock version by the DST rule ($tz). ``stored`` rows (the warehouse's) use
    their ``_utc_version``, which a warehouse built before it existed holds as NULL.
    """
    if twins:
        first, *others = (f"{alias}.{quote(instant_column(c))}" for c in table.version_columns)
        computed = f"coalesce({first}, greatest({', '.join(others)}))" if others else first
    else:
        computed = utc_instant(version_expression(table, alias))
    return f"coalesce({alias}._utc_version, {computed})" if stored else computed


def _has_twins(con: duckdb.DuckDBPyConnection, table: CanonicalTable, staged_table: str) -> bool:
    """True when the staged table has the UTC twin of every version column."""
    present = {str(row[0]) for row in con.execute(f"DESCRIBE {staged_table}").fetchall()}
    return all(instant_column(c) in present for c in table.version_columns)


def _bound(sql: str, values: dict[str, object]) -> dict[str, object]:
    """The named values a statement uses (DuckDB refuses unused named parameters)."""
    return {name: value for name, value in values.items() if f"${name}" in sql}


def merge_staged(
    con: duckdb.DuckDBPyConnection,
    table: CanonicalTable,
    staged_table: str,
    *,
    source: str,
    run_id: str,
    timezone: str = "UTC",
) -> dict[str, MergeCounts]:
    """Merge a staged table (already validated) into ``table``; counts per source_file.

    ``timezone`` is the source's (its mapping's): it dates wall-clock versions as instants.
    """
    twins = _has_twins(con, table, staged_table)
    first = _insert_first_load(
        con, table, staged_table, source=source, run_id=run_id, twins=twins, timezone=timezone
    )
    if first is not None:
        return first
    _classify(con, table, staged_table, source, twins=twins, timezone=timezone)
    _check_ids(con, table)
    counts = _counts_by_file(con)
    _record_versions(con, table, run_id)
    _apply(con, table, source)
    con.execute(f"DROP TABLE {_BATCH}")
    return counts


def _insert_first_load(
    con: duckdb.DuckDBPyConnection,
    table: CanonicalTable,
    staged_table: str,
    *,
    source: str,
    run_id: str,
    twins: bool,
    timezone: str,
) -> dict[str, MergeCounts] | None:
    """A source's first load with one row per id: insert it straight, or None to merge.

    Nothing of the source is in the warehouse yet (a rebuild, a new city), so every row is a
    new record and its only version: the classifying join, the version check and the
    DELETE of a merge would each pass over the whole extract for nothing.
    """
    rid = quote(table.id_column)
    versions = quote(table.name + "_versions")
    (rows, ids, present) = _one_row(
        con,
        # count(DISTINCT) skips NULL ids, so a batch holding one takes the merge, which says so.
        f"SELECT count(*), count(DISTINCT {rid}), "
        f"EXISTS (SELECT 1 FROM {quote(table.name)} WHERE source = $source) "
        f"OR EXISTS (SELECT 1 FROM {versions} WHERE source = $source) FROM {staged_table}",
        {"source": source},
    )
    if present or rows != ids:
        return None
    counts = {
        str(file): MergeCounts(inserted=int(n))
        for file, n in con.execute(
            f"SELECT source_file, count(*) FROM {staged_table} GROUP BY source_file"
        ).fetchall()
    }
    columns = ", ".join(quote(c) for c in table.columns)
    # Two compressed writes of the batch are the floor (at 10M rows ~9 CPU-seconds each, nearly
    # all compression). Filling the canonical table from the versions just written costs as
    # much as from the staged table; preserve_insertion_order = false saves no CPU, grows the
    # file by 7 % and reorders rows. Both INSERTs write their blocks directly, not to the WAL.
    instant = instant_version_expression(table, "s", twins=twins)
    with _transaction(con):
        sql = (
            f"INSERT INTO {versions} ({columns}, version_at, run_id, _utc_version) "
            f"SELECT {columns}, {version_expression(table, 's')}, $run_id, {instant} "
            f"FROM {staged_table} s"
        )
        con.execute(sql, _bound(sql, {"run_id": run_id, "tz": timezone}))
        sql = (
            f"INSERT INTO {quote(table.name)} ({columns}, _utc_version) "
            f"SELECT {columns}, {instant} FROM {staged_table} s"
        )
        con.execute(sql, _bound(sql, {"tz": timezone}))
    return counts


def _one_row(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, object]) -> tuple:
    """The single row a query returns."""
    row = con.execute(sql, params).fetchone()
    assert row is not None
    return row


def _classify(
    con: duckdb.DuckDBPyConnection,
    table: CanonicalTable,
    staged_table: str,
    source: str,
    *,
    twins: bool,
    timezone: str,
) -> None:
    """Copy the batch with each row's version time and what the merge does with it."""
    rid = quote(table.id_column)
    columns = ", ".join(f"s.{quote(c)}" for c in table.columns)
    instant = instant_version_expression(table, "s", twins=twins)
    current = instant_version_expression(table, "t", twins=False, stored=True)
    sql = (
        f"CREATE OR REPLACE TEMP TABLE {_BATCH} AS "
        f"WITH batch AS (SELECT {columns}, {version_expression(table, 's')} AS version_at, "
        f"{instant} AS _utc_version FROM {staged_table} s), "
        # The newest version of each id in the batch is its candidate; a later line of the
        # file breaks a tie (exports list a record's updates in order).
        "ranked AS (SELECT *, row_number() OVER (PARTITION BY "
        f"{rid} ORDER BY _utc_version DESC NULLS LAST, source_row DESC) AS _rank FROM batch), "
        # Only the warehouse records this batch touches are read, by a semi-join on the id.
        f"current AS (SELECT t.{rid} AS _id, {current} AS _current_at "
        f"FROM {quote(table.name)} t WHERE t.source = $source "
        f"AND t.{rid} IN (SELECT {rid} FROM batch)) "
        "SELECT ranked.*, CASE "
        "WHEN _rank > 1 THEN 'unchanged' "
        "WHEN current._id IS NULL THEN 'inserted' "
        "WHEN _utc_version > _current_at OR (_current_at IS NULL AND _utc_version IS NOT NULL) "
        "THEN 'updated' ELSE 'unchanged' END AS _action "
        f"FROM ranked LEFT JOIN current ON current._id = ranked.{rid}"
    )
    con.execute(sql, _bound(sql, {"source": source, "tz": timezone}))


def _check_ids(con: duckdb.DuckDBPyConnection, table: CanonicalTable) -> None:
    """A row without an id could never be matched again, so merging it would duplicate it."""
    row = con.execute(
        f"SELECT count(*), min(source_file), min(source_row) FROM {_BATCH} "
        f"WHERE {quote(table.id_column)} IS NULL"
    ).fetchone()
    if row and row[0]:
        raise MergeError(
            f"{row[1]}: {row[0]} staged row(s) have no {table.id_column} (first at line "
            f"{row[2]}); the {table.name} suite in expectations/ must quarantine them "
            f"(expect_column_values_to_not_be_null on {table.id_column})"
        )


def _counts_by_file(con: duckdb.DuckDBPyConnection) -> dict[str, MergeCounts]:
    rows = con.execute(
        f"SELECT source_file, count(*) FILTER (_action = 'inserted'), "
        f"count(*) FILTER (_action = 'updated'), count(*) FILTER (_action = 'unchanged') "
        f"FROM {_BATCH} GROUP BY source_file"
    ).fetchall()
    return {str(f): MergeCounts(int(i), int(u), int(n)) for f, i, u, n in rows}


def _record_versions(con: duckdb.DuckDBPyConnection, table: CanonicalTable, run_id: str) -> None:
    """Append each version (source, id, version time) not yet in the history, once."""
    rid = quote(table.id_column)
    columns = ", ".join(quote(c) for c in table.columns)
    con.execute(
        f"INSERT INTO {quote(table.name + '_versions')} ({columns}, version_at, run_id, "
        f"_utc_version) SELECT {columns}, version_at, $run_id, _utc_version FROM {_BATCH} b "
        f"WHERE NOT EXISTS (SELECT 1 FROM {quote(table.name + '_versions')} v "
        f"WHERE v.source = b.source AND v.{rid} = b.{rid} "
        "AND v.version_at IS NOT DISTINCT FROM b.version_at "
        # Two versions an hour apart can share a wall-clock time in the autumn; a version
        # stored before _utc_version existed (NULL) matches by wall-clock time alone.
        "AND coalesce(v._utc_version, b._utc_version) IS NOT DISTINCT FROM b._utc_version) "
        # The same version twice in one batch is kept once: the candidate, else the last line.
        f"QUALIFY row_number() OVER (PARTITION BY {rid}, _utc_version "
        "ORDER BY _rank, source_row DESC) = 1",
        {"run_id": run_id},
    )


def _apply(con: duckdb.DuckDBPyConnection, table: CanonicalTable, source: str) -> None:
    """Replace updated records and add new ones, in one transaction."""
    rid = quote(table.id_column)
    columns = ", ".join(quote(c) for c in table.columns)
    with _transaction(con):
        # A semi-join on the batch's ids: about three times faster than DELETE ... USING here.
        con.execute(
            f"DELETE FROM {quote(table.name)} WHERE source = $source AND {rid} IN "
            f"(SELECT {rid} FROM {_BATCH} WHERE _action = 'updated')",
            {"source": source},
        )
        pause_point("merge:deleted")  # mid-transaction, for the crash test
        con.execute(
            f"INSERT INTO {quote(table.name)} ({columns}, _utc_version) "
            f"SELECT {columns}, _utc_version FROM {_BATCH} WHERE _action IN ('inserted', 'updated')"
        )


@contextmanager
def _transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """The enclosed statements commit together or not at all."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
