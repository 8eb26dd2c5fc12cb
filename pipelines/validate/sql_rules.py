"""Row-level enforcement in SQL, driven by the same suite GE validates with.

Each row-level expectation type is translated into a predicate that is true for the rows GE
counts as unexpected. ``quarantine`` rules copy those rows into the ``quarantine`` table with a
sentence saying what is wrong and what to do, then delete them from the staged table;
``clear_value`` rules set the offending values to NULL and keep the row. Values (value sets,
bounds, patterns, run id) are bound parameters; identifiers come only from the checked suite,
whose columns are all canonical, and are quoted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb

from pipelines.validate.suite import (
    BETWEEN,
    IN_SET,
    MATCH_REGEX,
    NOT_NULL,
    PAIR_A_GREATER,
    UNIQUE,
    ParameterValue,
    Rule,
    Suite,
    resolved,
)
from pipelines.warehouse.schema import CANONICAL_TABLES, CanonicalTable, instant_column, quote
from pipelines.warehouse.words import record_words

_SERVICE_REQUESTS = CANONICAL_TABLES["service_requests"]

# A table name part, bare or already double-quoted (the loader passes '"stg_<source>"').
_NAME_PART = re.compile(r'^(?P<quote>"?)(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P=quote)$')
_TIMESTAMP_DISPLAY = "%Y-%m-%d %H:%M"
# Most recently updated version first; source_row breaks ties so the later line of the
# extract (usually the later export of the same record) wins.
_NEWEST_FIRST = "updated_at DESC NULLS LAST, source_row DESC, source_file DESC"
# Temporary table holding the superseded versions of duplicated records during enforcement.
_SUPERSEDED = "citystat_superseded_versions"


@dataclass(frozen=True)
class Sql:
    """A SQL fragment and the values bound to its ``?`` placeholders, in order."""

    text: str
    params: tuple[object, ...] = ()


@dataclass
class Enforcement:
    """What enforcement did: totals and a note per rule for the stored details."""

    rows_quarantined: int = 0
    values_cleared: int = 0
    notes: dict[tuple[str, str | None, str | None], str] = field(default_factory=dict)


def table_reference(table: str) -> str:
    """The quoted reference to the staged table, after checking each part is an identifier."""
    parts = [_NAME_PART.match(part) for part in table.split(".")]
    if len(parts) > 2 or not all(parts):
        raise ValueError(
            f"staged table name {table!r} must be an identifier like stg_nyc_311 or "
            '"stg_nyc_311", optionally schema-qualified'
        )
    return ".".join(quote(match["name"]) for match in parts if match)


def failing_predicate(rule: Rule, parameters: Mapping[str, ParameterValue]) -> Sql:
    """The WHERE condition selecting the rows GE counts as unexpected for a row-level rule."""
    kind, kwargs = rule.expectation_type, rule.kwargs
    column = quote(str(rule.column))
    if kind == NOT_NULL:
        return Sql(f"{column} IS NULL")
    if kind == IN_SET:
        return Sql(
            f"{column} IS NOT NULL AND NOT list_contains(?, {column})", (kwargs["value_set"],)
        )
    if kind == MATCH_REGEX:
        # regexp_matches searches like GE's pandas str.contains; anchors belong in the pattern.
        return Sql(f"{column} IS NOT NULL AND NOT regexp_matches({column}, ?)", (kwargs["regex"],))
    if kind == BETWEEN:
        return _between_predicate(column, rule, parameters)
    if kind == PAIR_A_GREATER:
        other = quote(str(rule.column_b))
        if rule.compares_instants:
            column = quote(instant_column(str(rule.column)))
            other = quote(instant_column(str(rule.column_b)))
        before = "<" if resolved(kwargs.get("or_equal", False), parameters) else "<="
        return Sql(f"{column} IS NOT NULL AND {other} IS NOT NULL AND {column} {before} {other}")
    raise ValueError(f"{rule.label} has no row predicate")


def missing_predicate(rule: Rule) -> str | None:
    """The condition selecting the rows GE leaves unjudged (its missing_count), if any.

    GE judges every row for not-null (a NULL is the failure itself); the other column rules
    skip NULL values, and a pair with ``either_value_is_missing`` skips a NULL on either side.
    """
    if rule.expectation_type == NOT_NULL:
        return None
    column = quote(str(rule.column))
    if rule.expectation_type == PAIR_A_GREATER:
        return f"{column} IS NULL OR {quote(str(rule.column_b))} IS NULL"
    return f"{column} IS NULL"


def _between_predicate(column: str, rule: Rule, parameters: Mapping[str, ParameterValue]) -> Sql:
    low = resolved(rule.kwargs.get("min_value"), parameters)
    high = resolved(rule.kwargs.get("max_value"), parameters)
    outside = [f"{column} {op} ?" for op, bound in (("<", low), (">", high)) if bound is not None]
    bounds = tuple(bound for bound in (low, high) if bound is not None)
    return Sql(f"{column} IS NOT NULL AND ({' OR '.join(outside)})", bounds)


def _display(expression: str, column: str, table: CanonicalTable = _SERVICE_REQUESTS) -> str:
    """SQL rendering a value of ``column`` for a human sentence."""
    kind = table.columns[column]
    if kind == "TIMESTAMP":
        return f"strftime({expression}, '{_TIMESTAMP_DISPLAY}')"
    if kind == "VARCHAR":
        return f"'\"' || {expression} || '\"'"
    return f"CAST({expression} AS VARCHAR)"


def _sentence(parts: Sequence[str | Sql]) -> Sql:
    """Concatenate literal text (bound) and SQL expressions into one reason expression."""
    pieces = [part.text if isinstance(part, Sql) else "?" for part in parts]
    params = tuple(part for part in parts if isinstance(part, str))
    return Sql(f"concat({', '.join(pieces)})", params)


def reason_expression(
    rule: Rule, parameters: Mapping[str, ParameterValue], table: CanonicalTable = _SERVICE_REQUESTS
) -> Sql:
    """SQL building the quarantine reason: what is wrong with the value and what to do."""
    column = str(rule.column)
    value = Sql(_display(quote(column), column, table))
    kind, kwargs = rule.expectation_type, rule.kwargs
    if kind == NOT_NULL:
        return _sentence(
            [
                f"{column} is empty but every {record_words(table.name).one} needs it; "
                "fill it in the source system "
                "or map it in the city's source mapping"
            ]
        )
    if kind == IN_SET:
        allowed = ", ".join(str(v) for v in kwargs["value_set"])
        return _sentence(
            [
                f"{column} ",
                value,
                f" is not one of {allowed}; map this raw value to one of "
                "them in the city's source mapping",
            ]
        )
    if kind == MATCH_REGEX:
        return _sentence(
            [
                f"{column} ",
                value,
                f" does not match {kwargs['regex']}; correct it in the "
                "source system or the source mapping",
            ]
        )
    if kind == BETWEEN:
        low = resolved(kwargs.get("min_value"), parameters)
        high = resolved(kwargs.get("max_value"), parameters)
        if low is None and isinstance(high, datetime) and column == "updated_at":
            return _sentence(
                [
                    f"{column} ",
                    value,
                    f" is after {high:{_TIMESTAMP_DISPLAY}} (city time: the run's start plus "
                    "one day of tolerance); a version dated in the future would win every later "
                    "merge and freeze the record, so correct the date in the source system and "
                    "load the file again",
                ]
            )
        if low is None and isinstance(high, datetime):
            return _sentence(
                [
                    f"{column} ",
                    value,
                    f" is in the future (the run started {high:{_TIMESTAMP_DISPLAY}}, city time); "
                    "correct the date in the source system",
                ]
            )
        return _sentence(
            [f"{column} ", value, f" is outside {low} to {high}; correct it in the source system"]
        )
    other = str(rule.column_b)
    other_value = Sql(_display(quote(other), other, table))
    return _sentence(
        [
            f"{column} ",
            value,
            " is before " if kwargs.get("or_equal") else " is not after ",
            f"{other} ",
            other_value,
            "; fix the source system's timestamps or correct the extract",
        ]
    )


def enforce(
    con: duckdb.DuckDBPyConnection,
    table_sql: str,
    suite: Suite,
    parameters: Mapping[str, ParameterValue],
    *,
    run_id: str,
    source: str,
    failing: Mapping[tuple[str, str | None, str | None], int] | None = None,
) -> Enforcement:
    """Quarantine and clear the failing rows of the staged table, rule by rule.

    ``failing`` is each rule's count of failing rows before enforcement, when known: a rule
    with none is skipped, since quarantining and clearing only remove rows and values, so it
    cannot fail on any row later.
    """
    result = Enforcement()
    known = failing or {}
    # Duplicates are resolved after the other quarantine rules so the version kept is the most
    # recently updated *valid* one; clearing comes last so no value is cleared in a row that is
    # quarantined anyway.
    quarantine = [r for r in suite.rules if r.on_failure == "quarantine" and not r.is_table_level]
    ordered = [r for r in quarantine if r.expectation_type != UNIQUE]
    ordered += [r for r in quarantine if r.expectation_type == UNIQUE]
    for rule in ordered:
        if known.get(rule.key) == 0:
            moved = 0
        elif rule.expectation_type == UNIQUE:
            moved = _quarantine_duplicates(
                con, table_sql, rule, run_id=run_id, source=source, table=suite.table
            )
        else:
            moved = _quarantine(
                con, table_sql, rule, parameters, run_id=run_id, source=source, table=suite.table
            )
        result.rows_quarantined += moved
        result.notes[rule.key] = f"{moved} row(s) quarantined"
    for rule in suite.rules:
        if rule.on_failure == "clear_value":
            skip = known.get(rule.key) == 0
            values, rows = (0, 0) if skip else _clear(con, table_sql, rule, parameters)
            result.values_cleared += values
            cleared = ", ".join(rule.clear_columns)
            result.notes[rule.key] = (
                f"{values} value(s) of {cleared} cleared in {rows} row(s) (rows kept)"
            )
    return result


def _quarantine(
    con: duckdb.DuckDBPyConnection,
    table_sql: str,
    rule: Rule,
    parameters: Mapping[str, ParameterValue],
    *,
    run_id: str,
    source: str,
    table: CanonicalTable,
) -> int:
    where = failing_predicate(rule, parameters)
    reason = reason_expression(rule, parameters, table)
    record_id = quote(table.id_column)
    con.execute(
        "INSERT INTO quarantine (run_id, source, source_file, source_row, record_id, rule, "
        f"column_name, reason) SELECT ?, ?, source_file, source_row, {record_id}, ?, ?, "
        f"{reason.text} FROM {table_sql} WHERE {where.text}",
        [run_id, source, rule.expectation_type, rule.column, *reason.params, *where.params],
    )
    (deleted,) = one_row(con, f"DELETE FROM {table_sql} WHERE {where.text}", where.params)
    return int(deleted)


def _quarantine_duplicates(
    con: duckdb.DuckDBPyConnection,
    table_sql: str,
    rule: Rule,
    *,
    run_id: str,
    source: str,
    table: CanonicalTable,
) -> int:
    column = str(rule.column)
    quoted = quote(column)
    record_id = quote(table.id_column)
    # Only values that repeat are ranked: a hash aggregate finds them, so the window sorts the
    # few duplicated rows instead of the whole staged table. Every row of such a value is
    # ranked, so the counts and the kept version are those of the whole table.
    newest = _NEWEST_FIRST.replace("updated_at", instant_column("updated_at"), 1)
    ranked = (
        f"SELECT rowid AS staged_rowid, {quoted} AS value, updated_at, source_file, source_row, "
        f"{record_id} AS record_id, row_number() OVER newest AS version_rank, "
        f"count(*) OVER (PARTITION BY {quoted}) AS versions, "
        "first_value(source_file) OVER newest AS kept_file, "
        "first_value(source_row) OVER newest AS kept_row, "
        "first_value(updated_at) OVER newest AS kept_updated_at "
        f"FROM {table_sql} WHERE {quoted} IN (SELECT {quoted} FROM {table_sql} "
        f"WHERE {quoted} IS NOT NULL GROUP BY {quoted} HAVING count(*) > 1) "
        f"WINDOW newest AS (PARTITION BY {quoted} ORDER BY "
        f"{newest if rule.instants else _NEWEST_FIRST})"
    )
    updated = "coalesce(" + _display("{}", "updated_at") + ", 'unknown')"
    reason = _sentence(
        [
            f"{column} ",
            Sql(_display("value", column, table)),
            " appears ",
            Sql("CAST(versions AS VARCHAR)"),
            " times; kept the most recently updated version at ",
            Sql("kept_file"),
            " row ",
            Sql("CAST(kept_row AS VARCHAR)"),
            " (updated_at ",
            Sql(updated.format("kept_updated_at")),
            ") and set this one aside (updated_at ",
            Sql(updated.format("updated_at")),
            "); no action needed unless the extract should hold one row per "
            f"{record_words(table.name).one}",
        ]
    )
    # Ranked once into a temporary table that both the quarantine insert and the delete read.
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {_SUPERSEDED} AS SELECT staged_rowid, source_file, "
        f"source_row, record_id, {reason.text} AS reason FROM ({ranked}) WHERE version_rank > 1",
        list(reason.params),
    )
    try:
        con.execute(
            "INSERT INTO quarantine (run_id, source, source_file, source_row, record_id, rule, "
            "column_name, reason) SELECT ?, ?, source_file, source_row, record_id, ?, ?, reason "
            f"FROM {_SUPERSEDED}",
            [run_id, source, rule.expectation_type, column],
        )
        (deleted,) = one_row(
            con,
            f"DELETE FROM {table_sql} WHERE rowid IN (SELECT staged_rowid FROM {_SUPERSEDED})",
        )
    finally:
        con.execute(f"DROP TABLE IF EXISTS {_SUPERSEDED}")
    return int(deleted)


def _clear(
    con: duckdb.DuckDBPyConnection,
    table_sql: str,
    rule: Rule,
    parameters: Mapping[str, ParameterValue],
) -> tuple[int, int]:
    where = failing_predicate(rule, parameters)
    columns = [quote(c) for c in rule.clear_columns]
    present = " + ".join(f"CAST({c} IS NOT NULL AS INTEGER)" for c in columns)
    (values,) = one_row(
        con,
        f"SELECT coalesce(sum({present}), 0) FROM {table_sql} WHERE {where.text}",
        where.params,
    )
    assignments = ", ".join(f"{c} = NULL" for c in columns)
    update = f"UPDATE {table_sql} SET {assignments} WHERE {where.text}"
    (rows,) = one_row(con, update, where.params)
    return int(values), int(rows)


def one_row(
    con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[object] = ()
) -> tuple[Any, ...]:
    """The single row a statement returns (a DML statement returns its row count).

    fetchall, not fetchone: DuckDB refuses further relational work on the connection while an
    execute() result is not read to its end.
    """
    rows = con.execute(sql, list(params)).fetchall()
    return tuple(rows[0])
