"""Building blocks every metric query shares: parameters, conditions, coverage, grouping, spine.

Pure functions: nothing here touches a database. Values from metrics.yml reach the SQL only
as named parameters (``$name``); the only interpolated identifiers are column names, grains
and dimensions that the rules have already checked against fixed lists, and they are quoted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from textwrap import indent
from typing import Any

from pipelines.metrics.model import AS_OF, Condition, MetricsConfig
from pipelines.metrics.periods import (
    GRAIN_STEP,
    period_start_sql,
)
from pipelines.warehouse.schema import quote

SQL_OPS = {"=": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


@dataclass
class Params:
    """Collects bound parameters under readable, unique names."""

    values: dict[str, Any] = field(default_factory=dict)

    def add(self, value: Any, stem: str) -> str:
        """Bind ``value`` under a fresh name built from ``stem``; returns ``$name``."""
        name = f"{stem}_{len(self.values) + 1}"
        self.values[name] = value
        return f"${name}"

    def named(self, name: str, value: Any) -> str:
        """Bind ``value`` under exactly ``name``; returns ``$name``."""
        self.values[name] = value
        return f"${name}"

    def in_list(self, values: Sequence[Any], stem: str) -> str:
        """``($a, $b, ...)`` with every value bound (``(NULL)`` when empty: matches nothing)."""
        if not values:
            return "(NULL)"
        return "(" + ", ".join(self.add(value, stem) for value in values) + ")"


def conditions_sql(conditions: list[Condition], params: Params) -> str:
    """AND of conditions as SQL with bound values ('TRUE' when there are none)."""
    if not conditions:
        return "TRUE"
    return " AND ".join(condition_sql(condition, params) for condition in conditions)


def condition_sql(condition: Condition, params: Params) -> str:
    """One structured condition as SQL."""
    if condition.any_of is not None:
        return "(" + " OR ".join(condition_sql(c, params) for c in condition.any_of) + ")"
    column = quote(condition.column or "")
    op = condition.op or ""
    if op == "is_null":
        return f"{column} IS NULL"
    if op == "is_not_null":
        return f"{column} IS NOT NULL"
    if op in ("in", "not_in"):
        placeholders = ", ".join(params.add(value, "value") for value in condition.value)
        return f"{column} {'NOT IN' if op == 'not_in' else 'IN'} ({placeholders})"
    if condition.column_ref is not None:
        other = quote(condition.column_ref)
    elif condition.value == AS_OF:
        other = "$as_of" if condition.plus_days is None else "CAST($as_of AS TIMESTAMP)"
    else:
        return f"{column} {SQL_OPS[op]} {params.add(condition.value, 'value')}"
    if condition.plus_days is not None:
        # Whole calendar days on the city's wall clock: 30 days after 10:00 is 10:00.
        other += f" + to_days(CAST({params.add(condition.plus_days, 'days')} AS INTEGER))"
    return f"{column} {SQL_OPS[op]} {other}"


def where_sql(conditions: Sequence[str]) -> str:
    """``\\nWHERE a\\n  AND b`` for the conditions that are not plain TRUE ('' when none)."""
    kept = [c for c in conditions if c != "TRUE"]
    if not kept:
        return ""
    return "\nWHERE " + "\n  AND ".join(f"({c})" for c in kept)


def select_sql(columns: Sequence[str], source: str, conditions: Sequence[str]) -> str:
    """``SELECT columns FROM source WHERE conditions``, one column per line."""
    return (
        "SELECT\n"
        + indent(",\n".join(columns), "    ")
        + f"\nFROM {source}"
        + where_sql(conditions)
    )


def coverage_ctes(table: str, needed: Sequence[str], params: Params) -> list[tuple[str, str]]:
    """missing_columns (canonical columns a loaded source lacks) and left_out_sources (sources
    lacking a column this metric needs, whose rows would give a wrong number)."""
    missing = (
        "SELECT DISTINCT source, column_name FROM source_columns\n"
        f"WHERE canonical_table = {params.add(table, 'table')} AND NOT mapped "
        "AND source IS NOT NULL"
    )
    left_out = (
        "SELECT DISTINCT source FROM missing_columns\n"
        f"WHERE column_name IN {params.in_list(needed, 'needed')}"
    )
    return [("missing_columns", missing), ("left_out_sources", left_out)]


# Keeps the rows of sources that have every column the metric needs; `r` is the row alias.
KEEP_COVERED_SOURCES = "NOT EXISTS (SELECT 1 FROM left_out_sources AS l WHERE l.source = r.source)"


def dimension_columns(dimensions: Sequence[str], params: Params) -> list[str]:
    """One ``d_<dimension>`` column per breakdown.

    NULL breakdown values are reported as 'Unknown' rather than dropped; a source whose
    extract has no such field at all gets NULL, and its rows stay out of that breakdown.
    """
    columns = []
    for d in dimensions:
        name = params.named(f"dimension_{d}", d)
        columns.append(
            f"CASE WHEN source IN (SELECT source FROM missing_columns WHERE column_name = {name})"
            f" THEN NULL\n    ELSE COALESCE(CAST({quote(d)} AS VARCHAR), 'Unknown') END"
            f" AS {quote('d_' + d)}"
        )
    return columns


def grouped_ctes(
    config: MetricsConfig,
    grains: Sequence[str],
    dimensions: Sequence[str],
    aggregates: Sequence[str],
    *,
    source: str = "source_rows",
    prefix: str = "",
    citywide: bool = True,
    few_rows: bool = False,
    key: str | None = None,
) -> list[tuple[str, str]]:
    """<prefix>periods and <prefix>grouped CTEs: one scan, one GROUPING SETS aggregate for
    every grain x breakdown (citywide, unless ``citywide`` is false, plus each dimension).

    ``few_rows`` (the changes of a daily run): each row is repeated once per grain x
    breakdown and grouped once instead (``_repeated_grouped``), the same rows, grouped by
    the column ``key`` too when given (several metrics' rows in one query).
    """
    fy = config.city.fiscal_year_start_month
    period_cols = [f"{period_start_sql(g, 'ts', fy)} AS {quote('p_' + g)}" for g in grains]
    periods = "SELECT *,\n" + indent(",\n".join(period_cols), "    ") + f"\nFROM {source}"
    if few_rows:
        repeated = _repeated_grouped(
            grains, dimensions, aggregates, f"{prefix}periods", citywide, key
        )
        return [(f"{prefix}periods", periods), (f"{prefix}grouped", repeated)]
    assert key is None, "only the few rows of a daily run are grouped by a key"
    sets = []
    for grain in grains:
        p = quote("p_" + grain)
        sets += [f"({p})"] if citywide else []
        sets += [f"({p}, {quote('d_' + d)})" for d in dimensions]
    grain_case = "\n".join(f"WHEN GROUPING({quote('p_' + g)}) = 0 THEN '{g}'" for g in grains)
    dim_case = "\n".join(f"WHEN GROUPING({quote('d_' + d)}) = 0 THEN '{d}'" for d in dimensions)
    value_case = "\n".join(
        f"WHEN GROUPING({quote('d_' + d)}) = 0 THEN {quote('d_' + d)}" for d in dimensions
    )
    starts = ", ".join(quote("p_" + g) for g in grains)
    select = [
        f"CASE\n{indent(grain_case, '    ')}\nEND AS grain",
        f"CAST(COALESCE({starts}) AS DATE) AS period_start",
        f"CASE\n{indent(dim_case, '    ')}\n    ELSE 'citywide'\nEND AS dimension"
        if dimensions
        else "'citywide' AS dimension",
        f"CASE\n{indent(value_case, '    ')}\n    ELSE 'Citywide'\nEND AS dimension_value"
        if dimensions
        else "'Citywide' AS dimension_value",
        *aggregates,
    ]
    # A NULL breakdown value means the row's source has no such field: no group for it.
    having = " OR ".join(
        f"(GROUPING({quote('d_' + d)}) = 0 AND {quote('d_' + d)} IS NULL)" for d in dimensions
    )
    grouped = (
        "SELECT\n"
        + indent(",\n".join(select), "    ")
        + f"\nFROM {prefix}periods\nGROUP BY GROUPING SETS (\n"
        + indent(",\n".join(sets), "    ")
        + "\n)"
        + (f"\nHAVING NOT ({having})" if having else "")
    )
    return [(f"{prefix}periods", periods), (f"{prefix}grouped", grouped)]


def _repeated_grouped(
    grains: Sequence[str],
    dimensions: Sequence[str],
    aggregates: Sequence[str],
    periods: str,
    citywide: bool,
    key: str | None,
) -> str:
    """The grouping of ``grouped_ctes`` as one GROUP BY over every row repeated per grain and
    per breakdown: GROUPING SETS runs one aggregate per set, each with a fixed cost (about a
    millisecond here) that outweighs a daily run's few thousand rows; for a fiscal year's
    rows the repeated rows cost more (a percentile's 2.0 s became 5.3 s at 10M)."""
    breakdowns = (["citywide"] if citywide else []) + list(dimensions)
    starts = ", ".join(quote("p_" + g) for g in grains)
    names = ", ".join(f"'{g}'" for g in grains)
    values = ", ".join("'Citywide'" if d == "citywide" else quote("d_" + d) for d in breakdowns)
    by_grain = f"SELECT *, unnest([{names}]) AS grain, unnest([{starts}]) AS _start\nFROM {periods}"
    labels = ", ".join(f"'{d}'" for d in breakdowns)
    keyed = f"{key}, " if key else ""
    # A NULL breakdown value means the row's source has no such field: no group for it.
    return (
        f"SELECT {keyed}grain, CAST(_start AS DATE) AS period_start, dimension, dimension_value,\n"
        + indent(",\n".join(aggregates), "    ")
        + "\nFROM (\n"
        + indent(
            f"SELECT *, unnest([{labels}]) AS dimension, unnest([{values}]) AS dimension_value"
            f"\nFROM (\n{indent(by_grain, '    ')}\n)",
            "    ",
        )
        + "\n)\nWHERE dimension_value IS NOT NULL\n"
        f"GROUP BY {keyed}grain, _start, dimension, dimension_value"
    )


def data_span_cte(table: str, column: str) -> tuple[str, str]:
    """data_span: the earliest ``column`` of the whole table up to as_of, whatever a metric's
    filter, so a metric that matches no record still has the periods the data covers."""
    quoted = quote(column)
    return (
        "data_span",
        f"SELECT min({quoted}) AS first_ts FROM {quote(table)} WHERE {quoted} <= $as_of",
    )


def dense_ctes(
    config: MetricsConfig,
    grains: Sequence[str],
    grouped: str = "grouped",
    more_members: str | None = None,
    *,
    first_from: str = "grouped",
    data_span: bool = False,
    key: tuple[str, str] | None = None,
) -> list[tuple[str, str]]:
    """spine (every period from the first event to as_of, per grain) and members (every
    breakdown value seen, plus citywide and the rows of ``more_members``).

    The first period of each grain is the earliest in ``first_from``, a relation of grouped
    rows: the period of the earliest event. Reading it there, and not as min(ts) of
    ``source_rows``, leaves the events with one reader, so DuckDB streams them into the
    grouping instead of materialising them (a third of a count metric's time). With
    ``data_span`` (a ``data_span_cte`` before it), a metric without any event starts at the
    data's first period instead of having no period at all.

    ``key``: (column, relation listing its values): a spine and members per value of the
    column (several metrics in one query), each from its own rows.
    """
    fy = config.city.fiscal_year_start_month
    column, listed = key if key else ("", "")
    keyed = f"{column}, " if key else ""
    parts = []
    for g in grains:
        # A period start truncates to itself, so this is the first period.
        first = "CAST(first_period AS TIMESTAMP)"
        source = (
            f"(SELECT {keyed}min(period_start) AS first_period FROM {first_from} "
            f"WHERE grain = '{g}'{f' GROUP BY {column}' if key else ''})"
        )
        if data_span:
            assert key is None, "a data span is the whole table's, not one metric's"
            first = f"COALESCE({first}, {period_start_sql(g, 'first_ts', fy)})"
            source += " AS f, data_span"
        parts.append(
            f"SELECT {keyed}'{g}' AS grain, CAST(unnest(generate_series(\n"
            f"    {first},\n"
            f"    {period_start_sql(g, 'CAST($as_of AS TIMESTAMP)', fy)},\n"
            f"    {GRAIN_STEP[g]}\n"
            f")) AS DATE) AS period_start\nFROM {source}"
        )
    members = (
        f"SELECT DISTINCT {keyed}dimension, dimension_value FROM {grouped}\n"
        f"UNION\nSELECT {keyed}'citywide', 'Citywide'"
        + (f" FROM {listed}" if key else "")
        + (f"\nUNION\n{more_members}" if more_members else "")
    )
    return [("spine", "\nUNION ALL\n".join(parts)), ("members", members)]


def with_ctes(ctes: Sequence[tuple[str, str]], final: str) -> str:
    """``WITH name AS (body), ... final``."""
    parts = [f"{name} AS (\n{indent(body, '    ')}\n)" for name, body in ctes]
    return "WITH " + ",\n".join(parts) + "\n" + final


# The key of a metric_values row within one metric.
CORE_KEYS = "grain, period_start, dimension, dimension_value"
# A family query's rows are several metrics' (counts, backlogs): their key and metric ids.
MEMBER_KEYS = f"metric_id, {CORE_KEYS}"
MEMBERS = "group_members"
# SCOPE_MARKERS (pipelines/metrics/event_sql.py) of several metrics: one per metric's period.
MEMBER_MARKERS = "SELECT metric_id, grain, period_start, CAST(NULL AS VARCHAR) AS dimension FROM {}"


def member_ctes(names: Sequence[str]) -> list[tuple[str, str]]:
    """The CTE of a family's metric ids (``names``: their bound parameters), and
    ``previous``: their rows of the previous run, core columns only."""
    ids = ", ".join(names)
    return [
        (MEMBERS, f"SELECT * FROM (VALUES {', '.join(f'({n})' for n in names)}) AS m(metric_id)"),
        (
            "previous",
            f"SELECT {MEMBER_KEYS}, value, numerator, denominator, count\n"
            f"FROM metric_values WHERE metric_id IN ({ids})",
        ),
    ]


def one_member_sql(family_sql: str) -> str:
    """A family query of one metric as that metric's own query: its rows without metric_id."""
    return f"SELECT * EXCLUDE (metric_id) FROM (\n{indent(family_sql, '    ')}\n)"
