"""The validation suite: load a suite from expectations/, check it, resolve parameters.

One suite per canonical table (expectations/service_requests.json, permits.json,
inspections.json). The table a suite checks is ``meta.canonical_table``, or the suite's
``name`` when that names a canonical table; its columns are the ones expectations may name.

The suite file is Great Expectations 1.x's own suite JSON (``name``, ``expectations`` with
``type``, ``kwargs``, ``meta``). Each expectation's ``meta`` adds what citystat does with it:
``critical`` (a failure stops the run from publishing) and ``on_failure`` (``quarantine``,
``clear_value`` or ``report``). Only the expectation types that have a SQL translation in
``pipelines.validate.sql_rules`` may appear, so GE's verdict and the SQL enforcement always
describe the same rule.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pipelines.warehouse.schema import CANONICAL_TABLES, CanonicalTable

TABLE_COLUMNS = "expect_table_columns_to_match_set"
TABLE_ROW_COUNT = "expect_table_row_count_to_be_between"
NOT_NULL = "expect_column_values_to_not_be_null"
UNIQUE = "expect_column_values_to_be_unique"
IN_SET = "expect_column_values_to_be_in_set"
BETWEEN = "expect_column_values_to_be_between"
MATCH_REGEX = "expect_column_values_to_match_regex"
PAIR_A_GREATER = "expect_column_pair_values_a_to_be_greater_than_b"

TABLE_LEVEL_TYPES = frozenset({TABLE_COLUMNS, TABLE_ROW_COUNT})
ROW_LEVEL_TYPES = frozenset({NOT_NULL, UNIQUE, IN_SET, BETWEEN, MATCH_REGEX, PAIR_A_GREATER})
ON_FAILURE_ACTIONS = frozenset({"quarantine", "clear_value", "report"})

# kwargs whose semantics the SQL translation does not reproduce; rejecting them keeps GE's
# counts and the quarantine in agreement.
_UNSUPPORTED_KWARGS = frozenset({"row_condition", "condition_parser", "strict_min", "strict_max"})
_PARAMETER_KEY = "$PARAMETER"
# A suite parameter's value: numbers from the source mapping, or a moment such as the run's
# start in the city's wall-clock time (latest_timestamp: nothing is opened after it).
ParameterValue = float | int | datetime


class ValidationConfigError(ValueError):
    """The suite file or the suite parameters are unusable; the message says what to fix."""


@dataclass(frozen=True)
class Rule:
    """One expectation of the suite with citystat's enforcement settings."""

    position: int  # 1-based, as a person counts the expectations in the file
    expectation_type: str
    kwargs: Mapping[str, Any]
    critical: bool
    on_failure: str
    clear_columns: tuple[str, ...]
    # Set by validation when the staged table has each timestamp's UTC instant: a pair of
    # timestamps, and the newest version of a duplicate, are then judged by the instants.
    instants: bool = False

    @property
    def compares_instants(self) -> bool:
        """True for a pair of timestamps judged by their UTC twins (see ``instants``)."""
        return self.instants and self.expectation_type == PAIR_A_GREATER

    @property
    def column(self) -> str | None:
        """The column the rule is about (column_A for a column pair), None for table rules."""
        return self.kwargs.get("column") or self.kwargs.get("column_A")

    @property
    def column_b(self) -> str | None:
        """The second column of a column-pair rule."""
        return self.kwargs.get("column_B")

    @property
    def key(self) -> tuple[str, str | None, str | None]:
        """Identifies the rule among GE's results, which come back in GE's own order."""
        return (self.expectation_type, self.column, self.column_b)

    @property
    def is_table_level(self) -> bool:
        """True for expectations about the whole table (columns, row count)."""
        return self.expectation_type in TABLE_LEVEL_TYPES

    @property
    def mostly(self) -> float:
        """GE's tolerated share of passing values (1.0 when the suite does not set it)."""
        return float(self.kwargs.get("mostly", 1.0))

    @property
    def label(self) -> str:
        """How messages name the rule: position, type and column."""
        where = f" on {self.column}" if self.column else ""
        return f"expectation #{self.position} ({self.expectation_type}{where})"


@dataclass(frozen=True)
class Suite:
    """The parsed suite: GE's raw JSON plus the checked rules."""

    path: Path
    name: str
    raw: Mapping[str, Any]
    rules: tuple[Rule, ...]
    table: CanonicalTable = CANONICAL_TABLES["service_requests"]

    @property
    def parameter_names(self) -> frozenset[str]:
        """Every suite parameter ($PARAMETER) the expectations refer to."""
        return frozenset(
            value[_PARAMETER_KEY]
            for rule in self.rules
            for value in rule.kwargs.values()
            if is_parameter(value)
        )


def is_parameter(value: object) -> bool:
    """True when a kwarg value is a GE suite-parameter reference like {"$PARAMETER": "lat_min"}."""
    return isinstance(value, Mapping) and set(value) == {_PARAMETER_KEY}


def load_suite(path: Path) -> Suite:
    """Read and check the suite JSON; raise ValidationConfigError naming what to fix."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ValidationConfigError(
            f"{path}: cannot read the expectation suite ({error.strerror}); "
            "restore it from the repository (expectations/<canonical table>.json)"
        ) from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValidationConfigError(
            f"{path}, line {error.lineno}, column {error.colno}: invalid JSON ({error.msg}); "
            "fix the syntax"
        ) from None
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        raise ValidationConfigError(f"{path}: the suite must be a JSON object with a 'name'")
    table = _suite_table(path, raw)
    expectations = raw.get("expectations")
    if not isinstance(expectations, list) or not expectations:
        raise ValidationConfigError(f"{path}: 'expectations' must be a non-empty list")
    rules = tuple(
        _parse_rule(path, position, item, table) for position, item in enumerate(expectations, 1)
    )
    seen: set[tuple[str, str | None, str | None]] = set()
    for rule in rules:
        if rule.key in seen:
            raise ValidationConfigError(
                f"{path}: {rule.label} repeats an earlier expectation with the same type and "
                "columns; merge the two"
            )
        seen.add(rule.key)
    return Suite(path=path, name=raw["name"], raw=raw, rules=rules, table=table)


def _suite_table(path: Path, raw: Mapping[str, Any]) -> CanonicalTable:
    """The canonical table the suite checks: meta.canonical_table, else the suite's name."""
    meta = raw.get("meta") if isinstance(raw.get("meta"), dict) else {}
    name = (meta or {}).get("canonical_table", raw["name"])
    if name not in CANONICAL_TABLES:
        raise ValidationConfigError(
            f"{path}: set meta.canonical_table to one of {', '.join(CANONICAL_TABLES)} "
            f"(the suite's name {raw['name']!r} is not a canonical table)"
        )
    return CANONICAL_TABLES[name]


def _parse_rule(path: Path, position: int, item: object, table: CanonicalTable) -> Rule:
    where = f"{path}, expectation #{position}"
    if not isinstance(item, dict) or not isinstance(item.get("kwargs"), dict):
        raise ValidationConfigError(f"{where}: needs 'type', 'kwargs' and 'meta' objects")
    kind = item.get("type")
    if kind not in TABLE_LEVEL_TYPES | ROW_LEVEL_TYPES:
        known = ", ".join(sorted(TABLE_LEVEL_TYPES | ROW_LEVEL_TYPES))
        raise ValidationConfigError(
            f"{where}: type {kind!r} has no SQL translation; use one of {known}"
        )
    kwargs: dict[str, Any] = item["kwargs"]
    meta = item.get("meta")
    if not isinstance(meta, dict) or not isinstance(meta.get("critical"), bool):
        raise ValidationConfigError(f"{where}: meta.critical must be true or false")
    on_failure = meta.get("on_failure")
    if on_failure not in ON_FAILURE_ACTIONS:
        raise ValidationConfigError(
            f"{where}: meta.on_failure must be one of {', '.join(sorted(ON_FAILURE_ACTIONS))}"
        )
    unsupported = _UNSUPPORTED_KWARGS & set(kwargs)
    if unsupported:
        raise ValidationConfigError(
            f"{where}: kwargs {', '.join(sorted(unsupported))} are not translated to SQL; "
            "remove them"
        )
    clear_columns = tuple(meta.get("clear_columns", [kwargs.get("column")]))
    rule = Rule(position, kind, kwargs, meta["critical"], on_failure, clear_columns)
    _check_columns(where, rule, table)
    _check_kind_specific(where, rule)
    return rule


def _check_columns(where: str, rule: Rule, table: CanonicalTable) -> None:
    named = [
        rule.kwargs.get(key) for key in ("column", "column_A", "column_B") if key in rule.kwargs
    ]
    if rule.on_failure == "clear_value":
        named.extend(rule.clear_columns)
    if rule.expectation_type == TABLE_COLUMNS:
        named.extend(rule.kwargs.get("column_set") or [])
    for column in named:
        if column not in table.columns:
            raise ValidationConfigError(
                f"{where}: column {column!r} is not a canonical {table.name} column "
                f"(see pipelines/warehouse.py); correct the name"
            )


def _check_kind_specific(where: str, rule: Rule) -> None:
    kind, kwargs = rule.expectation_type, rule.kwargs
    if rule.is_table_level and rule.on_failure != "report":
        raise ValidationConfigError(f"{where}: table-level expectations can only 'report'")
    if not rule.is_table_level and rule.column is None:
        raise ValidationConfigError(f"{where}: a row-level expectation needs a column")
    if kind == PAIR_A_GREATER and kwargs.get("ignore_row_if") != "either_value_is_missing":
        raise ValidationConfigError(
            f"{where}: set ignore_row_if to 'either_value_is_missing' (rows with a NULL on "
            "either side are not judged)"
        )
    if kind == IN_SET and not isinstance(kwargs.get("value_set"), list):
        raise ValidationConfigError(f"{where}: value_set must be a list")
    if kind == MATCH_REGEX and not isinstance(kwargs.get("regex"), str):
        raise ValidationConfigError(f"{where}: regex must be a string")
    if kind == BETWEEN and kwargs.get("min_value") is None and kwargs.get("max_value") is None:
        raise ValidationConfigError(f"{where}: give min_value, max_value or both")
    if kind == UNIQUE and rule.on_failure == "clear_value":
        raise ValidationConfigError(
            f"{where}: duplicates can be quarantined or reported, not cleared"
        )


def check_parameters(suite: Suite, parameters: Mapping[str, object]) -> dict[str, ParameterValue]:
    """Return the parameters the suite needs, or raise naming the missing or non-numeric ones."""
    # The source mapping gives latest_timestamp on the city's clock; callers that validate a
    # batch without a mapping get this machine's clock.
    now = datetime.now()
    # latest_update: how far an updated_at may lie ahead (the mapping's UPDATE_TOLERANCE).
    parameters = {"latest_timestamp": now, "latest_update": now + timedelta(days=1), **parameters}
    missing = sorted(suite.parameter_names - set(parameters))
    if missing:
        raise ValidationConfigError(
            f"{suite.path}: suite parameters {', '.join(missing)} have no value; define them "
            "in the city's source mapping (coordinate box and row-count bounds)"
        )
    resolved: dict[str, ParameterValue] = {}
    for name in sorted(suite.parameter_names):
        value = parameters[name]
        if isinstance(value, bool) or not isinstance(value, int | float | datetime):
            raise ValidationConfigError(
                f"suite parameter {name} is {value!r}; the source mapping must give a number"
            )
        resolved[name] = value
    return resolved


def resolved(value: Any, parameters: Mapping[str, ParameterValue]) -> Any:
    """The kwarg value with a $PARAMETER reference replaced by its value."""
    return parameters[value[_PARAMETER_KEY]] if is_parameter(value) else value
