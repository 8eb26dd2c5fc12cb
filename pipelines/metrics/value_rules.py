"""The operands of one condition: what each op needs, and every comparison type-checked.

A timestamp is compared with a timestamp (a date, another timestamp column, or ``as_of``,
each optionally ``plus_days``), a number with a number, text with text, and a status with
its table's vocabulary; list values element by element. A comparison that would fail or
match nothing in DuckDB is reported here, at its line, before anything runs.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pipelines.config.hints import Locator, did_you_mean
from pipelines.config.issues import Issue
from pipelines.config.yaml_lines import Loc
from pipelines.metrics.model import AS_OF, Condition
from pipelines.metrics.tables import MetricTable
from pipelines.warehouse.schema import CANONICAL_TABLES

LIST_OPS = ("in", "not_in")
NULL_OPS = ("is_null", "is_not_null")
_NUMBER_TYPES = ("DOUBLE", "BIGINT", "INTEGER")


def column_type(table: MetricTable, column: str) -> str:
    """'timestamp', 'number' or 'text': how a column of the table compares."""
    kind = table.columns.get(column, "VARCHAR")
    if kind == "TIMESTAMP":
        return "timestamp"
    return "number" if kind in _NUMBER_TYPES else "text"


def check_operands(
    condition: Condition, loc: Loc, name: str, at: Locator, table: MetricTable
) -> list[Issue]:
    """What the condition's op needs (a value, a list, a column), each value of the right type."""
    op = condition.op or ""
    has_value = "value" in condition.model_fields_set
    has_ref = condition.column_ref is not None
    if op in NULL_OPS:
        if has_value or has_ref:
            return [at.issue(loc, f"{name}: op '{op}' takes no value", "remove 'value'")]
        return _no_days(condition, loc, name, at, f"op '{op}'")
    if op in LIST_OPS:
        if has_ref or not isinstance(condition.value, list) or not condition.value:
            return [
                at.issue(
                    (*loc, "value"),
                    f"{name}: op '{op}' needs 'value' as a non-empty list",
                    "write value: [A, B]",
                )
            ]
        issues = _no_days(condition, loc, name, at, f"op '{op}'")
        for index, item in enumerate(condition.value):
            issues += _check_value(condition, item, (*loc, "value", index), name, at, table)
        return issues
    if has_value == has_ref:
        return [
            at.issue(
                loc,
                f"{name}: op '{op}' needs exactly one of 'value' or 'column_ref'",
                "compare with a constant (value: ...) or with another column (column_ref: ...)",
            )
        ]
    if has_ref:
        return _check_ref(condition, loc, name, at, table)
    if condition.value == AS_OF:
        if condition.column in table.columns and column_type(table, condition.column) != (
            "timestamp"
        ):
            return [
                at.issue(
                    (*loc, "value"),
                    f"{name}: 'as_of' can only be compared with a timestamp column",
                    "use it with " + ", ".join(table.timestamp_columns),
                )
            ]
        return []
    if condition.value is None or isinstance(condition.value, list | dict):
        return [
            at.issue(
                (*loc, "value"),
                f"{name}: op '{op}' needs a single value",
                "use op 'is_null' for missing values or op 'in' for a list",
            )
        ]
    issues = _no_days(condition, loc, name, at, "a constant value")
    return issues + _check_value(condition, condition.value, (*loc, "value"), name, at, table)


def _no_days(condition: Condition, loc: Loc, name: str, at: Locator, what: str) -> list[Issue]:
    """``plus_days`` shifts as_of or a column_ref; anywhere else it would mean nothing."""
    if condition.plus_days is None:
        return []
    return [
        at.issue(
            (*loc, "plus_days"),
            f"{name}: 'plus_days' does not apply to {what}",
            "use it with 'column_ref: <timestamp column>' or 'value: as_of', or remove it",
        )
    ]


def _check_ref(
    condition: Condition, loc: Loc, name: str, at: Locator, table: MetricTable
) -> list[Issue]:
    ref = condition.column_ref or ""
    if ref not in table.columns:
        return [unknown_column(ref, (*loc, "column_ref"), name, at, table)]
    column = condition.column or ""
    if column not in table.columns:
        return []  # reported as an unknown column already
    left, right = column_type(table, column), column_type(table, ref)
    if left != right:
        return [
            at.issue(
                (*loc, "column_ref"),
                f"{name}: compares {column} ({_a(left)}) with {ref} ({_a(right)})",
                f"compare {column} with a {left} column: "
                + ", ".join(
                    c for c in table.columns if column_type(table, c) == left and c != column
                ),
            )
        ]
    if condition.plus_days is not None and left != "timestamp":
        return [
            at.issue(
                (*loc, "plus_days"),
                f"{name}: 'plus_days' needs timestamps, but {column} and {ref} are "
                + ("numbers" if left == "number" else "text"),
                "remove 'plus_days', or compare two timestamp columns",
            )
        ]
    return []


def _check_value(
    condition: Condition, value: Any, loc: Loc, name: str, at: Locator, table: MetricTable
) -> list[Issue]:
    """One constant against the column's type (and a status against the vocabulary)."""
    column = condition.column or ""
    if column not in table.columns:
        return []  # reported as an unknown column already
    kind = column_type(table, column)
    problem = _type_problem(column, kind, value, table)
    if problem is not None:
        return [at.issue(loc, f"{name}: {problem[0]}", problem[1])]
    statuses = CANONICAL_TABLES[table.name].statuses
    if column == "status" and value not in statuses:
        return [
            at.issue(
                loc,
                f"{name}: '{value}' is not a status of {table.name}, so it matches no record",
                did_you_mean(str(value), statuses),
            )
        ]
    return []


def _type_problem(column: str, kind: str, value: Any, table: MetricTable) -> tuple[str, str] | None:
    """(problem, fix) when ``value`` cannot be compared with a ``kind`` column; else None."""
    shown = repr(value) if isinstance(value, str) else str(value)
    if kind == "timestamp":
        if isinstance(value, date):
            return None
        if value == AS_OF:
            return (
                f"'as_of' in a list compares {column} with one instant",
                "compare with op '<=' or '>=' and value: as_of instead",
            )
        if isinstance(value, str) and _is_iso_date(value):
            return (
                f"{column} is a timestamp but {shown} is quoted, so it is text",
                f"write the date without quotes: {value}",
            )
        return (
            f"{column} is a timestamp and cannot be compared with {shown}",
            "compare it with a date (2024-07-01), with as_of (the data's as-of time, optionally "
            "with plus_days), or with another timestamp column (column_ref: "
            + ", ".join(c for c in table.timestamp_columns if c != column)
            + ")",
        )
    if kind == "number":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return None
        return (f"{column} is a number and cannot be compared with {shown}", _number_fix(value))
    if isinstance(value, str):
        return None
    return (
        f"{column} is text and cannot be compared with {shown} ({_yaml_type(value)})",
        f"quote the value: '{value}'",
    )


def _number_fix(value: Any) -> str:
    if isinstance(value, str):
        try:
            float(value.replace(",", ""))
        except ValueError:
            return "write a number, for example 250"
        return f"write the number without quotes: {value.replace(',', '')}"
    return "write a number, for example 250"


def _yaml_type(value: Any) -> str:
    if isinstance(value, bool):
        return "YAML reads it as true/false"
    if isinstance(value, date):
        return "YAML reads it as a date"
    return "YAML reads it as a number"


def _is_iso_date(text: str) -> bool:
    try:
        date.fromisoformat(text[:10])
    except ValueError:
        return False
    return True


def _a(kind: str) -> str:
    return {"timestamp": "a timestamp", "number": "a number", "text": "text"}[kind]


def unknown_column(column: str, loc: Loc, name: str, at: Locator, table: MetricTable) -> Issue:
    """An issue for a column the table does not have, with the closest one."""
    where = "" if table.name == "service_requests" else f" of {table.name}"
    return at.issue(
        loc,
        f"{name}: unknown column '{column}'{where}",
        did_you_mean(column, table.columns),
    )
