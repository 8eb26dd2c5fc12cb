"""Related files joined to the main records by configuration (``joins:`` in a mapping).

Each join's files are read as text like the main files (trimmed column names, file and line
kept) into ``raw.<source>__<join>_rows``, then reduced to one row per key in
``raw.<source>__<join>``: the first line per key for a plain join (a register such as
businesses.csv), or the declared aggregates for an aggregating join (violations.csv, one row
per violation). Staging LEFT JOINs these on the main record's key columns, so the number of
main records never changes.

A joined row whose key matches no main record is not an input row of the canonical table; the
count of such rows (and of lines the reader rejected) is written to ``validation_results`` so
nothing is lost silently ("932 violations match no inspection").
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path

import duckdb

from pipelines.ingest.common import (
    LoadError,
    join_table,
    mapping_file,
    quote,
    raw_table,
    scalar,
)
from pipelines.ingest.mapping import Aggregate, JoinSpec, SourceMapping
from pipelines.ingest.matching import match_files
from pipelines.ingest.readers import read_csv_numbered
from pipelines.warehouse.rows import insert_rows
from pipelines.warehouse.words import record_words

JOIN_EXPECTATION = "joined_rows_match_main_records"
# Timestamps computed by aggregates are stored as text in this layout in the raw tables.
AGGREGATE_TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class JoinAccount:
    """How the rows of one joined file were used."""

    join: str
    files: list[str]
    rows_read: int
    rows_rejected: int
    rows_unmatched: int  # rows whose key matches no main record: not input rows, reported
    keys_repeated: int  # plain joins: keys given more than once (the first line is used)
    message: str


def key_expression(alias: str, column: str) -> str:
    """The normalised text of a key column, as both sides of a join compare it."""
    return f"NULLIF(trim({alias}.{quote(column)}), '')"


def read_joins(con: duckdb.DuckDBPyConnection, mapping: SourceMapping) -> list[JoinAccount]:
    """Read every joined file, reduce each join to one row per key, and account for its rows."""
    return [_read_join(con, mapping, join) for join in mapping.joins]


def join_files(mapping: SourceMapping, join: JoinSpec) -> list[Path]:
    """The files of one join, sorted; LoadError if there are none."""
    base = join.files.base()
    # Files skipped (folders, FIFOs, ...) were reported when the run found its files.
    files = match_files(join.files, mapping).files
    if not files:
        raise LoadError(
            f"source '{mapping.source}', join '{join.name}': no file matches "
            f"{base / join.files.pattern}; check joins.files.pattern in {mapping_file(mapping)}"
        )
    return files


def _read_join(
    con: duckdb.DuckDBPyConnection, mapping: SourceMapping, join: JoinSpec
) -> JoinAccount:
    files = join_files(mapping, join)
    rows = f"raw.{quote(f'{mapping.source}__{join.name}_rows')}"
    con.execute(f"DROP TABLE IF EXISTS {rows}")
    rejected = 0
    accepted = 0
    for path in files:
        read, lines_rejected = read_csv_numbered(
            con,
            path,
            join.csv,
            rows,
            check=partial(_check_fields, mapping, join, path),
        )
        accepted += read
        rejected += lines_rejected
        con.execute("DROP TABLE _rejects")
    keys = [key_expression("j", joined) for joined in join.on.values()]
    repeated = 0
    if join.aggregate is None:
        repeated = scalar(
            con,
            f"SELECT count(*) FROM (SELECT 1 FROM {rows} j WHERE {_all_not_null(keys)} "
            f"GROUP BY {', '.join(keys)} HAVING count(*) > 1)",
        )
    _build_keyed(con, mapping, join, rows, keys)
    unmatched = _unmatched(con, mapping, join, rows)
    account = JoinAccount(
        join=join.name,
        files=[p.name for p in files],
        rows_read=accepted + rejected,
        rows_unmatched=unmatched,
        rows_rejected=rejected,
        keys_repeated=repeated,
        message="",
    )
    return _with_message(mapping, join, account)


def join_fields(
    mapping: SourceMapping, join: JoinSpec, index: int = 0
) -> list[tuple[str, tuple[str | int, ...]]]:
    """The joined file's columns the join reads, each with the mapping keys naming it (for
    the join at position ``index``): its keys, its aggregates' columns, or the columns that
    read ``<join>.<column>``."""
    wanted: dict[str, tuple[str | int, ...]] = {}
    for joined in join.on.values():
        wanted.setdefault(joined, ("joins", index, "on"))
    if join.aggregate is not None:
        for name, aggregate in join.aggregate.items():
            if aggregate.column:
                wanted.setdefault(aggregate.column, ("joins", index, "aggregate", name))
    else:
        for canonical, raw in mapping.columns.items():
            ref_join, field = mapping.split_reference(raw)
            if ref_join is join:
                wanted.setdefault(field, ("columns", canonical))
    return list(wanted.items())


def _check_fields(mapping: SourceMapping, join: JoinSpec, path: Path, names: set[str]) -> None:
    """Stop before reading a joined file whose header lacks a column the join reads."""
    missing = [f for f, _ in join_fields(mapping, join) if f not in names]
    if missing:
        raise LoadError(
            f"{path}: column(s) {', '.join(missing)} named by join '{join.name}' are not in the "
            f"file's header; fix the joins section of {mapping_file(mapping)}"
        )


def _all_not_null(keys: list[str]) -> str:
    return " AND ".join(f"{k} IS NOT NULL" for k in keys)


def _build_keyed(
    con: duckdb.DuckDBPyConnection,
    mapping: SourceMapping,
    join: JoinSpec,
    rows: str,
    keys: list[str],
) -> None:
    """raw.<source>__<join>: one row per key, key columns named _k0, _k1, ..."""
    target = join_table(mapping, join.name)
    key_cols = ", ".join(f"{k} AS _k{i}" for i, k in enumerate(keys))
    if join.aggregate is None:
        con.execute(
            f"CREATE OR REPLACE TABLE {target} AS SELECT * "
            "EXCLUDE (_rank, _nul_column) FROM ("
            f"SELECT j.*, {key_cols}, row_number() OVER (PARTITION BY {', '.join(keys)} "
            f"ORDER BY j._file, j._line) AS _rank FROM {rows} j WHERE {_all_not_null(keys)}) "
            "WHERE _rank = 1"
        )
        return
    selects: list[str] = []
    params: list[object] = []
    for name, aggregate in join.aggregate.items():
        sql, values = _aggregate_sql(aggregate)
        selects.append(f"{sql} AS {quote(name)}")
        params.extend(values)
    con.execute(
        f"CREATE OR REPLACE TABLE {target} AS SELECT {key_cols}, {', '.join(selects)} "
        f"FROM {rows} j WHERE {_all_not_null(keys)} GROUP BY {', '.join(keys)}",
        params,
    )


def _aggregate_sql(aggregate: Aggregate) -> tuple[str, list[object]]:
    """SQL (text result) and bound values for one aggregate; patterns and formats are bound."""
    if aggregate.count:
        return "CAST(count(*) AS VARCHAR)", []
    function = "max" if aggregate.max_of else "min"
    value = key_expression("j", str(aggregate.column))
    params: list[object] = []
    if aggregate.extract is not None:
        value = f"NULLIF(regexp_extract({value}, ?, 1), '')"
        params.append(aggregate.extract)
    if aggregate.format is not None:
        # Parsed before max/min so dates compare as dates, not as MM/DD/YYYY text.
        params.append(aggregate.format)
        return (
            f"strftime({function}(try_strptime({value}, ?)), '{AGGREGATE_TIMESTAMP_FORMAT}')",
            params,
        )
    return f"{function}({value})", params


def _unmatched(
    con: duckdb.DuckDBPyConnection, mapping: SourceMapping, join: JoinSpec, rows: str
) -> int:
    """Joined rows whose key (or part of it) matches no main record."""
    pairs = " AND ".join(
        f"{key_expression('m', main)} = {key_expression('j', joined)}"
        for main, joined in join.on.items()
    )
    return scalar(
        con,
        f"SELECT count(*) FROM {rows} j WHERE NOT EXISTS "
        f"(SELECT 1 FROM {raw_table(mapping)} m WHERE {pairs})",
    )


def _with_message(mapping: SourceMapping, join: JoinSpec, account: JoinAccount) -> JoinAccount:
    noun = record_words(mapping.kind).one
    keys = ", ".join(join.on.values())
    parts = [
        f"{account.rows_unmatched:,} {join.name} match no {noun} (on {keys}); of "
        f"{account.rows_read:,} rows read from {', '.join(account.files)}, these are not input "
        f"rows of {mapping.kind} and are counted here so nothing is lost silently"
    ]
    if account.rows_rejected:
        parts.append(f"{account.rows_rejected:,} line(s) could not be read")
    if account.keys_repeated:
        parts.append(
            f"{account.keys_repeated:,} key(s) appear more than once; the first line of each "
            "is used"
        )
    return JoinAccount(**{**account.__dict__, "message": "; ".join(parts)})


def record_join_accounts(
    con: duckdb.DuckDBPyConnection,
    mapping: SourceMapping,
    run_id: str,
    accounts: list[JoinAccount],
) -> None:
    """One validation_results row per join: read, unmatched and rejected rows, and why."""
    insert_rows(
        con,
        "INSERT INTO validation_results (run_id, source, suite, expectation_type, column_name, "
        "critical, success, element_count, unexpected_count, details)",
        [
            [
                run_id,
                mapping.source,
                f"join {a.join}",
                JOIN_EXPECTATION,
                None,
                False,
                a.rows_unmatched == 0 and a.rows_rejected == 0,
                a.rows_read,
                a.rows_unmatched + a.rows_rejected,
                a.message,
            ]
            for a in accounts
        ],
    )
