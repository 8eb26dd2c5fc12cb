"""Build stg_<source> (a temp table) from the raw tables: canonical columns, typed, with joins.

The typing SELECT (``typed_shape``) runs over the raw table, or over each CSV file as it is
read when the loader reads typed (see pipelines/loader.py); ``stage`` finishes either.

Each timestamp column is staged as local wall-clock time and, in ``_utc_<column>``, as its
UTC instant, which the row checks and the merge compare (see pipelines/warehouse/schema.py).

Values that do not parse and status words the mapping does not know are quarantined with a
reason here, before validation sees the batch. Status words and the days of ``due_rules`` are
looked up in maps of bound values, not joined: without the mapping's ``joins`` the typing is
a projection, which keeps the file's order, and so can type each file as it is read.
"""

from __future__ import annotations

import duckdb

from pipelines.ingest.columns import match_key
from pipelines.ingest.common import (
    join_table,
    mapping_file,
    quote,
    raw_table,
    relation_exists,
    scalar,
    staged_table,
)
from pipelines.ingest.expressions import (
    bound_lookup,
    is_aggregate_timestamp,
    local_and_instant,
    raw_reference,
    raw_text,
    status_from_parameters,
    status_lookup,
    status_parameters,
    timestamp_parameters,
    typed_expressions,
)
from pipelines.ingest.joins import key_expression
from pipelines.ingest.mapping import DueRule, SourceMapping
from pipelines.ingest.readers import RowShape
from pipelines.warehouse.schema import instant_column, utc_instant

DEFAULT_DAYS_KEY = "default"


def stage(con: duckdb.DuckDBPyConnection, mapping: SourceMapping, run_id: str) -> int:
    """Finish stg_<source>: type the raw table (unless the read did), quarantine bad rows; count."""
    raw = raw_table(mapping)
    if relation_exists(con, raw):
        shape = typed_shape(mapping)
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {staged_table(mapping)} AS {shape.select(raw)}",
            dict(shape.params),
        )
        # Staging is the raw copy's last reader; dropping it frees its memory for the next steps.
        con.execute(f"DROP TABLE {raw}")
    _set_aside_failures(con, mapping, run_id)
    return scalar(con, f"SELECT count(*) FROM {staged_table(mapping)}")


def typed_shape(mapping: SourceMapping) -> RowShape:
    """The SELECT typing raw rows (a table, or a CSV read: see read_raw) into stg_<source>.

    Besides the canonical columns its rows have ``_failure`` ('rule|column|reason' of the
    first value that does not parse, else NULL), removed by ``stage`` (a row with a NUL byte
    in a column the mapping reads, ``_nul_column``, fails first).
    """
    exprs = typed_expressions(mapping)
    typed = ", ".join(
        [*(f"{exprs[c]} AS {quote(c)}" for c in mapping.table.columns), *failure_inputs(mapping)]
    )
    columns = ", ".join(_with_instants(mapping))
    due_select, due_params = _due_sql(mapping)

    # The failure CASE reads the typed columns computed once below it, not copies of their
    # expressions: its WHENs run on nearly every row, and a UTC timestamp is a conversion.
    def select(rows: str) -> str:
        return (
            f"SELECT {due_select} FROM (SELECT {columns}, {parse_failures(mapping)} AS _failure "
            f"FROM (SELECT {typed}, r._nul_column FROM {rows} r {_join_clauses(mapping)})) t"
        )

    params = {**_parameters(mapping, select("")), **due_params}
    # With joins the SELECT does not keep its rows' order: it types the raw table (``stage``),
    # never a file as it is read (see read_raw).
    return RowShape(select, params, line="source_row")


def _with_instants(mapping: SourceMapping) -> list[str]:
    """Select items: each canonical column, local, and each timestamp's instant.

    The instants come just before the lineage columns, which stay last as in the canonical
    table, so a staged row still ends with its file and line.
    """
    items, instants, lineage = [], [], []
    for column, sql_type in mapping.table.columns.items():
        if column in ("source_file", "source_row"):
            lineage.append(quote(column))
        elif sql_type != "TIMESTAMP":
            items.append(quote(column))
        else:
            local, instant = local_and_instant(mapping, column, quote(column))
            items.append(f"CAST({local} AS TIMESTAMP) AS {quote(column)}")
            instants.append(f"CAST({instant} AS TIMESTAMP) AS {quote(instant_column(column))}")
    return items + instants + lineage


def _set_aside_failures(
    con: duckdb.DuckDBPyConnection, mapping: SourceMapping, run_id: str
) -> None:
    """Move the rows with a value that does not parse to quarantine; drop the work columns."""
    staged = staged_table(mapping)
    con.execute(
        "INSERT INTO quarantine SELECT ?, source, source_file, source_row, "
        f"{quote(mapping.table.id_column)}, "
        "split_part(_failure, '|', 1), NULLIF(split_part(_failure, '|', 2), ''), "
        "substr(_failure, length(split_part(_failure, '|', 1)) + "
        "length(split_part(_failure, '|', 2)) + 3) "
        f"FROM {staged} WHERE _failure IS NOT NULL",
        [run_id],
    )
    con.execute(f"DELETE FROM {staged} WHERE _failure IS NOT NULL")
    con.execute(f"ALTER TABLE {staged} DROP COLUMN _failure")


def keep_staged(con: duckdb.DuckDBPyConnection, mapping: SourceMapping) -> None:
    """Move a failed file's staged rows from the temp table into the build, for inspection."""
    name = staged_table(mapping)
    con.execute(f"CREATE OR REPLACE TABLE main.{name} AS SELECT * FROM temp.main.{name}")
    con.execute(f"DROP TABLE temp.main.{name}")


def _parameters(mapping: SourceMapping, sql: str) -> dict[str, object]:
    """The named values the statement uses (DuckDB refuses unused named parameters)."""
    params: dict[str, object] = {
        "source": mapping.source,
        **{f"c_{k}": v for k, v in mapping.constants.items()},
        **status_from_parameters(mapping),
    }
    if "$status_words" in sql:
        params.update(status_parameters(mapping))
    return {**params, **timestamp_parameters(mapping, sql)}


def _join_clauses(mapping: SourceMapping) -> str:
    """LEFT JOINs of each join's one-row-per-key table on the main record's key columns."""
    clauses = []
    for join in mapping.joins:
        alias = f"j_{join.name}"
        on = " AND ".join(
            f"{alias}._k{i} = {key_expression('r', main)}" for i, main in enumerate(join.on)
        )
        clauses.append(f"LEFT JOIN {join_table(mapping, join.name)} {alias} ON {on}")
    return " ".join(clauses)


def _checked(mapping: SourceMapping) -> list[str]:
    """The typed columns whose raw value must parse (timestamps and numbers the mapping maps)."""
    return [
        column
        for column, sql_type in mapping.table.columns.items()
        if sql_type in ("TIMESTAMP", "DOUBLE")
        and column in mapping.columns
        and not is_aggregate_timestamp(mapping, column)
    ]


def _raw_alias(column: str) -> str:
    return quote(f"_raw_{column}")


def failure_inputs(mapping: SourceMapping) -> list[str]:
    """Select items besides the typed columns that ``parse_failures`` reads (raw text, status)."""
    items = [f"{raw_text(mapping, c)} AS {_raw_alias(c)}" for c in _checked(mapping)]
    if "status" in mapping.columns:
        items.append(f"{raw_text(mapping, 'status')} AS {_raw_alias('status')}")
        items.append(f"{status_lookup(mapping)} AS _mapped")
    return items


def parse_failures(mapping: SourceMapping) -> str:
    """A CASE giving the first value of a row that did not parse, as 'rule|column|reason'.

    It reads the typed columns and the ``failure_inputs`` of the SELECT below it.
    """
    table = mapping.table
    field = "raw field" if mapping.format == "json" else "raw column"
    # A NUL byte is no text's: a damaged export, or binary padding. Its row is set aside whole
    # (a NUL in an id would make two ids that print the same, and tools reading C strings cut
    # the value at it), at its own line.
    checks = [
        f"WHEN _nul_column IS NOT NULL THEN 'nul_byte||{field} ' || _nul_column || ' holds a "
        "NUL byte (\\0), which no text value holds: the line is damaged; repair it or "
        "re-export the file'"
    ]
    for column in _checked(mapping):
        raw = _raw_alias(column)
        fix = (
            "add its format to timestamps.formats in the mapping"
            if table.columns[column] == "TIMESTAMP"
            else "correct the value or leave it blank"
        )
        src = mapping.columns[column].replace("'", "''")
        checks.append(
            f"WHEN {raw} IS NOT NULL AND {quote(column)} IS NULL THEN 'value_parses|{column}|"
            f"{column} ({field} {src}) value ''' || {raw} || ''' does not parse; {fix}'"
        )
    if "status" in mapping.columns:
        vocabulary = ", ".join(table.statuses)
        checks.append(
            "WHEN _mapped IS NULL THEN 'status_mapped|status|status value '''"
            f" || coalesce({_raw_alias('status')}, '') || ''' is not in the statuses "
            f"of {mapping_file(mapping)}; map it to one of {vocabulary}'"
        )
    return "CASE " + " ".join(checks) + " END"


def _due_sql(mapping: SourceMapping) -> tuple[str, dict[str, object]]:
    """Outer select list (t.* with derived due columns) and the days maps' bound values."""
    if not mapping.due_rules:
        return "t.*", {}
    replaced = []
    params: dict[str, object] = {}
    for i, rule in enumerate(mapping.due_rules):
        keyed = _due_days(rule)
        params[f"due_keys_{i}"] = [k for k in keyed if k is not None]
        params[f"due_days_{i}"] = [v for k, v in keyed.items() if k is not None]
        params[f"due_default_{i}"] = keyed.get(None)
        found = bound_lookup(
            f"due_keys_{i}", f"due_days_{i}", "INTEGER", f"lower(trim(t.{quote(rule.key)}))"
        )
        days = f"coalesce({found}, CAST($due_default_{i} AS INTEGER))"
        start = f"t.{quote(rule.start)}"
        added = add_business_days(start, days) if rule.business_days else add_days(start, days)
        replaced.append(f"CAST({added} AS TIMESTAMP) AS {quote(rule.target)}")
        # A due time is reckoned on the city's calendar, so its instant follows from it.
        replaced.append(f"{utc_instant(added)} AS {quote(instant_column(rule.target))}")
    return f"t.* REPLACE ({', '.join(replaced)})", params


def _due_days(rule: DueRule) -> dict[str | None, int]:
    """A due rule's days by lower-cased key; the default's key is None."""
    return {(None if k == DEFAULT_DAYS_KEY else match_key(k)): v for k, v in rule.days.items()}


def add_days(start: str, days: str) -> str:
    """start + days calendar days (NULL when either is NULL)."""
    return f"{start} + to_days(CAST({days} AS INTEGER))"


def add_business_days(start: str, days: str) -> str:
    """start + days business days (Monday to Friday), keeping the time of day.

    Counting from a Saturday or Sunday starts as if from the Friday before (the next Monday
    is then business day 1). Whole weeks add 7 days; the remaining 0-4 days add 2 more when
    they cross a weekend.
    """
    n = f"CAST({days} AS INTEGER)"
    weekday = f"least(isodow({start}), 5)"
    to_friday = f"to_days(CASE isodow({start}) WHEN 6 THEN 1 WHEN 7 THEN 2 ELSE 0 END)"
    forward = (
        f"to_days(({n} // 5) * 7 + {n} % 5 + CASE WHEN {weekday} + {n} % 5 > 5 THEN 2 ELSE 0 END)"
    )
    return f"CASE WHEN {n} = 0 THEN {start} ELSE {start} - {to_friday} + {forward} END"


__all__ = [
    "add_business_days",
    "add_days",
    "failure_inputs",
    "keep_staged",
    "parse_failures",
    "raw_reference",
    "stage",
    "typed_shape",
]
