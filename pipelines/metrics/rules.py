"""Semantic rules for metrics.yml: each returns a list of issues instead of raising."""

from __future__ import annotations

import re
from collections.abc import Sequence

from pipelines.config.hints import Locator, did_you_mean
from pipelines.config.issues import Issue
from pipelines.config.yaml_lines import Loc
from pipelines.metrics.model import (
    AS_OF,
    GRAINS,
    KINDS,
    OPS,
    Condition,
    Defaults,
    Metric,
)
from pipelines.metrics.table_rules import check_table_fields
from pipelines.metrics.tables import ALL_DIMENSIONS, METRIC_TABLES, MetricTable

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
LIST_OPS = ("in", "not_in")
NULL_OPS = ("is_null", "is_not_null")
# Fields that only make sense for some kinds: set on another kind they would be silently ignored.
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "numerator": ("share",),
    "denominator": ("share",),
    "table": ("count", "share", "duration_percentile", "backlog"),
    "date": ("count", "share"),
    "start": ("duration_percentile", "backlog"),
    "end": ("duration_percentile", "backlog"),
    "percentile": ("duration_percentile",),
    "overdue": ("backlog",),
    "due": ("backlog",),
    "age_buckets": ("backlog",),
    "numerator_metric": ("ratio",),
    "denominator_metric": ("ratio",),
}


def check_defaults(defaults: Defaults, at: Locator) -> list[Issue]:
    """Grains and dimensions named in ``defaults`` must exist."""
    issues = _check_names(defaults.grains, GRAINS, "grain", ("defaults", "grains"), at)
    issues += _check_names(
        defaults.dimensions, ALL_DIMENSIONS, "dimension", ("defaults", "dimensions"), at
    )
    return issues


def check_metric(metric: Metric, loc: Loc, defaults: Defaults, at: Locator) -> list[Issue]:
    """Every rule that looks at one metric on its own."""
    where = (*loc,)
    name = f"metric '{metric.id}'"
    issues: list[Issue] = []
    if not ID_PATTERN.match(metric.id):
        issues.append(
            at.issue(
                (*where, "id"),
                f"{name}: id must be lower-case letters, digits and underscores",
                "rename it, for example 'street_defect_on_time'",
            )
        )
    if metric.kind not in KINDS:
        issues.append(
            at.issue(
                (*where, "kind"),
                f"{name}: unknown kind '{metric.kind}'",
                did_you_mean(metric.kind, KINDS),
            )
        )
    else:
        issues += _check_kind_fields(metric, where, name, at)
    grains = metric.grains if metric.grains is not None else defaults.grains
    issues += _check_names(metric.grains or [], GRAINS, "grain", (*where, "grains"), at)
    issues += _check_targets(metric, where, name, grains, at)
    table = METRIC_TABLES.get(metric.table)
    if table is None:
        return [
            *issues,
            at.issue(
                (*where, "table"),
                f"{name}: unknown table '{metric.table}'",
                did_you_mean(metric.table, METRIC_TABLES),
            ),
        ]
    issues += check_table_fields(metric, where, name, table, defaults, at)
    for field in ("filter", "numerator", "denominator"):
        conditions: list[Condition] | None = getattr(metric, field)
        for index, condition in enumerate(conditions or []):
            issues += check_condition(condition, (*where, field, index), name, at, table)
    return issues


def _check_kind_fields(metric: Metric, where: Loc, name: str, at: Locator) -> list[Issue]:
    issues: list[Issue] = []
    required = {
        "share": ("numerator", "denominator"),
        "duration_percentile": ("percentile",),
        "ratio": ("numerator_metric", "denominator_metric"),
    }.get(metric.kind, ())
    for field in required:
        if getattr(metric, field) is None:
            issues.append(
                at.issue(
                    where,
                    f"{name}: a {metric.kind} metric needs '{field}'",
                    f"add '{field}:' to the metric ({_field_help(field)})",
                )
            )
    for field, kinds in KIND_FIELDS.items():
        if metric.kind not in kinds and field in metric.model_fields_set:
            issues.append(
                at.issue(
                    (*where, field),
                    f"{name}: '{field}' does not apply to a {metric.kind} metric",
                    f"remove it (it is used by kind {' / '.join(kinds)})",
                )
            )
    if metric.kind == "ratio" and metric.filter:
        issues.append(
            at.issue(
                (*where, "filter"),
                f"{name}: a ratio metric takes no filter",
                "remove it; filter the numerator and denominator metrics instead",
            )
        )
    if metric.percentile is not None and not 0 < metric.percentile < 1:
        issues.append(
            at.issue(
                (*where, "percentile"),
                f"{name}: percentile {metric.percentile} is outside (0, 1)",
                "write it as a fraction, for example 0.5 for the median or 0.9",
            )
        )
    return issues


def _field_help(field: str) -> str:
    return {
        "numerator": "conditions a denominator row must also meet to count as a success",
        "denominator": "conditions that put a row in the population",
        "percentile": "0.5 for the median, 0.9 for the 90th percentile",
        "numerator_metric": "the id of the metric on top",
        "denominator_metric": "the id of the metric below",
    }[field]


def _check_targets(
    metric: Metric, where: Loc, name: str, grains: Sequence[str], at: Locator
) -> list[Issue]:
    issues: list[Issue] = []
    if metric.targets and metric.direction is None:
        issues.append(
            at.issue(
                (*where, "targets"),
                f"{name}: has targets but no direction",
                "add 'direction: higher_is_better' or 'direction: lower_is_better'",
            )
        )
    for index, target in enumerate(metric.targets):
        if target.grain is None:
            continue
        loc = (*where, "targets", index, "grain")
        if target.grain not in GRAINS:
            issues.append(
                at.issue(
                    loc,
                    f"{name}: unknown grain '{target.grain}'",
                    did_you_mean(target.grain, GRAINS),
                )
            )
        elif target.grain not in grains:
            issues.append(
                at.issue(
                    loc,
                    f"{name}: target for grain '{target.grain}' but the metric is not computed "
                    "by that grain",
                    f"add '{target.grain}' to the metric's grains or remove the target's grain",
                )
            )
    return issues


def check_condition(
    condition: Condition, loc: Loc, name: str, at: Locator, table: MetricTable
) -> list[Issue]:
    """Structure, column names, ops and values of one condition (recursing into ``any``)."""
    if condition.any_of is not None:
        return _check_any(condition, loc, name, at, table)
    issues: list[Issue] = []
    if condition.column is None:
        issues.append(
            at.issue(
                loc,
                f"{name}: condition has no 'column'",
                "write {column: ..., op: ..., value: ...} or {any: [...]}",
            )
        )
    elif condition.column not in table.columns:
        issues.append(_unknown_column(condition.column, (*loc, "column"), name, at, table))
    if condition.op is None:
        issues.append(
            at.issue(loc, f"{name}: condition has no 'op'", "add 'op:', one of " + ", ".join(OPS))
        )
    elif condition.op not in OPS:
        issues.append(
            at.issue(
                (*loc, "op"),
                f"{name}: unknown op '{condition.op}'",
                did_you_mean(condition.op, OPS),
            )
        )
    else:
        issues += _check_operands(condition, loc, name, at, table)
    return issues


def _check_any(
    condition: Condition, loc: Loc, name: str, at: Locator, table: MetricTable
) -> list[Issue]:
    issues: list[Issue] = []
    extra = sorted(condition.model_fields_set - {"any_of"})
    if extra:
        issues.append(
            at.issue(
                loc,
                f"{name}: a condition with 'any' cannot also have {', '.join(extra)}",
                "move those into a separate condition in the list",
            )
        )
    if not condition.any_of:
        issues.append(
            at.issue(
                (*loc, "any"),
                f"{name}: 'any' needs at least one condition",
                "list the alternatives under 'any:'",
            )
        )
    for index, child in enumerate(condition.any_of or []):
        issues += check_condition(child, (*loc, "any", index), name, at, table)
    return issues


def _unknown_column(column: str, loc: Loc, name: str, at: Locator, table: MetricTable) -> Issue:
    where = "" if table.name == "service_requests" else f" of {table.name}"
    return at.issue(
        loc,
        f"{name}: unknown column '{column}'{where}",
        did_you_mean(column, table.columns),
    )


def _check_operands(
    condition: Condition, loc: Loc, name: str, at: Locator, table: MetricTable
) -> list[Issue]:
    op = condition.op or ""
    has_value = "value" in condition.model_fields_set
    has_ref = condition.column_ref is not None
    if op in NULL_OPS:
        if has_value or has_ref:
            return [at.issue(loc, f"{name}: op '{op}' takes no value", "remove 'value'")]
        return []
    if op in LIST_OPS:
        if has_ref or not isinstance(condition.value, list) or not condition.value:
            return [
                at.issue(
                    (*loc, "value"),
                    f"{name}: op '{op}' needs 'value' as a non-empty list",
                    "write value: [A, B]",
                )
            ]
        return []
    if has_value == has_ref:
        return [
            at.issue(
                loc,
                f"{name}: op '{op}' needs exactly one of 'value' or 'column_ref'",
                "compare with a constant (value: ...) or with another column (column_ref: ...)",
            )
        ]
    if has_ref:
        ref = condition.column_ref or ""
        if ref not in table.columns:
            return [_unknown_column(ref, (*loc, "column_ref"), name, at, table)]
        return []
    if condition.value == AS_OF and condition.column not in table.timestamp_columns:
        return [
            at.issue(
                (*loc, "value"),
                f"{name}: 'as_of' can only be compared with a timestamp column",
                "use it with " + ", ".join(table.timestamp_columns),
            )
        ]
    if condition.value is None or isinstance(condition.value, list | dict):
        return [
            at.issue(
                (*loc, "value"),
                f"{name}: op '{op}' needs a single value",
                "use op 'is_null' for missing values or op 'in' for a list",
            )
        ]
    return []


def _check_names(
    names: Sequence[str], allowed: Sequence[str], what: str, loc: Loc, at: Locator
) -> list[Issue]:
    return [
        at.issue((*loc, index), f"unknown {what} '{value}'", did_you_mean(value, allowed))
        for index, value in enumerate(names)
        if value not in allowed
    ]
