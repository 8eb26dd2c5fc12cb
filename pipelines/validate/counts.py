"""Exact per-expectation counts in SQL: the numbers that decide success and publication.

Every row-level expectation except uniqueness becomes two ``count(*) FILTER (WHERE ...)``
columns (failing rows, rows not judged because of NULLs) of ONE aggregate, so the whole staged
table is read once however many expectations the suite has; each uniqueness rule adds one
GROUP BY. The counts follow Great Expectations' definitions (element_count is every row,
missing_count the rows GE does not judge, unexpected_count the failing ones), so GE's results
on its sample can be compared with the same query run on the same sample rows, grouped by the
batch GE saw them in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from pipelines.validate.sql_rules import failing_predicate, missing_predicate
from pipelines.validate.suite import NOT_NULL, UNIQUE, ParameterValue, Rule
from pipelines.warehouse.schema import quote

RuleKey = tuple[str, str | None, str | None]
_EXAMPLES = 5
_TIMESTAMP_DISPLAY = "%Y-%m-%d %H:%M"


@dataclass(frozen=True)
class RuleCounts:
    """GE's counts for one expectation over a set of rows."""

    element_count: int = 0
    unexpected_count: int = 0
    missing_count: int = 0
    repeated_values: int = 0  # uniqueness only: distinct values that repeat
    # uniqueness only: the smallest repeated values, for the stored details
    repeated_examples: tuple[object, ...] = field(default=(), compare=False)

    @property
    def considered(self) -> int:
        """Rows the expectation judged (GE leaves rows with NULLs out, except for not-null)."""
        return self.element_count - self.missing_count

    def success(self, mostly: float) -> bool:
        """GE's verdict: the share of judged rows that pass is at least ``mostly``."""
        considered = self.considered
        return considered == 0 or (considered - self.unexpected_count) / considered >= mostly

    def __add__(self, other: RuleCounts) -> RuleCounts:
        """The counts of two disjoint sets of rows together (examples are not kept)."""
        return RuleCounts(
            self.element_count + other.element_count,
            self.unexpected_count + other.unexpected_count,
            self.missing_count + other.missing_count,
            self.repeated_values + other.repeated_values,
        )


def rule_counts(
    con: duckdb.DuckDBPyConnection,
    table_sql: str,
    rules: Sequence[Rule],
    parameters: Mapping[str, ParameterValue],
    *,
    group_by: str | None = None,
) -> dict[int, dict[RuleKey, RuleCounts]]:
    """Counts per rule, per value of the ``group_by`` column (one group, 0, without it)."""
    group = quote(group_by) if group_by else "0"
    columns: list[str] = []
    params: list[object] = []
    counted = [rule for rule in rules if rule.expectation_type != UNIQUE]
    for rule in counted:
        failing = failing_predicate(rule, parameters)
        missing = missing_predicate(rule)
        columns.append(f"count(*) FILTER (WHERE {failing.text})")
        columns.append(f"count(*) FILTER (WHERE {missing})" if missing else "0")
        params.extend(failing.params)
    grouping = f" GROUP BY {group}" if group_by else ""
    rows = con.execute(
        f"SELECT {group}, count(*), {', '.join(columns) or '0'} FROM {table_sql}{grouping}",
        params,
    ).fetchall()
    result: dict[int, dict[RuleKey, RuleCounts]] = {}
    for group_value, total, *tallies in rows:
        per_rule = result.setdefault(int(group_value), {})
        for index, rule in enumerate(counted):
            per_rule[rule.key] = RuleCounts(
                int(total), int(tallies[2 * index]), int(tallies[2 * index + 1])
            )
        for rule in rules:
            if rule.expectation_type == UNIQUE:
                per_rule[rule.key] = RuleCounts(int(total))
    for rule in rules:
        if rule.expectation_type == UNIQUE:
            _add_duplicates(con, table_sql, rule, group, grouping, result)
    return result


def _add_duplicates(
    con: duckdb.DuckDBPyConnection,
    table_sql: str,
    rule: Rule,
    group: str,
    grouping: str,
    result: dict[int, dict[RuleKey, RuleCounts]],
) -> None:
    """Rows whose value repeats within the group (GE's unique count), NULLs not judged."""
    column = quote(str(rule.column))
    by_value = f"GROUP BY {group}, {column}" if grouping else f"GROUP BY {column}"
    repeats = f"{column} IS NOT NULL AND n > 1"
    rows = con.execute(
        f"SELECT g, sum(n) FILTER (WHERE {repeats}), count(*) FILTER (WHERE {repeats}), "
        f"coalesce(sum(n) FILTER (WHERE {column} IS NULL), 0), "
        f"min_by({column}, {column}, {_EXAMPLES}) FILTER (WHERE {repeats}) "
        f"FROM (SELECT {group} AS g, {column}, count(*) AS n FROM {table_sql} {by_value}) "
        "GROUP BY g"
    ).fetchall()
    for group_value, duplicated, repeated, missing, examples in rows:
        per_rule = result[int(group_value)]
        per_rule[rule.key] = RuleCounts(
            per_rule[rule.key].element_count,
            int(duplicated or 0),
            int(missing),
            int(repeated),
            tuple(examples or ()),
        )


def unexpected_examples(
    con: duckdb.DuckDBPyConnection,
    table_sql: str,
    rule: Rule,
    counts: RuleCounts,
    parameters: Mapping[str, ParameterValue],
    id_column: str,
) -> list[str]:
    """Up to five distinct failing values (pairs for a column pair), as the details show them.

    Values come first in record-id order; repeated values (uniqueness) smallest first, which
    is record-id order when the rule is on the id, as every shipped suite's is.
    """
    if rule.expectation_type == NOT_NULL or not counts.unexpected_count:
        return []
    if rule.expectation_type == UNIQUE:
        return [_example_text(value) for value in counts.repeated_examples]
    names = [str(rule.column)] + ([str(rule.column_b)] if rule.column_b else [])
    values = ", ".join(quote(name) for name in names)
    first = f"min(({quote(id_column)}, source_file, source_row))"
    where = failing_predicate(rule, parameters)
    rows = con.execute(
        f"SELECT {values} FROM {table_sql} WHERE {where.text} GROUP BY {values} "
        f"ORDER BY {first} LIMIT {_EXAMPLES}",
        list(where.params),
    ).fetchall()
    return [_example_text(row if len(row) > 1 else row[0]) for row in rows]


def _example_text(value: object) -> str:
    """A value as the stored details show it: quoted text, timestamps to the minute."""
    if isinstance(value, tuple):
        return "(" + ", ".join(_example_text(v) for v in value) + ")"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, datetime):
        return value.strftime(_TIMESTAMP_DISPLAY)
    return str(value)
