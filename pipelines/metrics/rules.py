"""Semantic rules for metrics.yml: each returns a list of issues instead of raising."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pipelines.metrics.issues import Issue
from pipelines.metrics.model import (
    AS_OF,
    DIMENSIONS,
    GRAINS,
    KINDS,
    OPS,
    Condition,
    Defaults,
    Metric,
)
from pipelines.metrics.yaml_lines import Loc, line_of
from pipelines.warehouse import SERVICE_REQUESTS_COLUMNS

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
TIMESTAMP_COLUMNS = tuple(
    name for name, kind in SERVICE_REQUESTS_COLUMNS.items() if kind == "TIMESTAMP"
)
LIST_OPS = ("in", "not_in")
NULL_OPS = ("is_null", "is_not_null")
# Fields that only make sense for some kinds: set on another kind they would be silently ignored.
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "numerator": ("share",),
    "denominator": ("share",),
    "date": ("count", "share"),
    "start": ("duration_percentile",),
    "end": ("duration_percentile",),
    "percentile": ("duration_percentile",),
    "overdue": ("backlog",),
    "numerator_metric": ("ratio",),
    "denominator_metric": ("ratio",),
}


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A 'did you mean ...?' hint, or the list of valid choices when nothing is close."""
    options = list(choices)
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    return "use one of: " + ", ".join(options)


@dataclass(frozen=True)
class Locator:
    """Turns a key path in the YAML tree into an Issue with the right line."""

    file_label: str
    root: Any

    def issue(self, loc: Loc, message: str, hint: str) -> Issue:
        """An issue located at ``loc`` (or the nearest existing parent)."""
        return Issue(self.file_label, line_of(self.root, loc), message, hint)


def check_defaults(defaults: Defaults, at: Locator) -> list[Issue]:
    """Grains and dimensions named in ``defaults`` must exist."""
    issues = _check_names(defaults.grains, GRAINS, "grain", ("defaults", "grains"), at)
    issues += _check_names(
        defaults.dimensions, DIMENSIONS, "dimension", ("defaults", "dimensions"), at
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
    issues += _check_names(
        metric.dimensions or [], DIMENSIONS, "dimension", (*where, "dimensions"), at
    )
    issues += _check_targets(metric, where, name, grains, at)
    issues += _check_columns(metric, where, name, at)
    for field in ("filter", "numerator", "denominator"):
        conditions: list[Condition] | None = getattr(metric, field)
        for index, condition in enumerate(conditions or []):
            issues += check_condition(condition, (*where, field, index), name, at)
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


def _check_columns(metric: Metric, where: Loc, name: str, at: Locator) -> list[Issue]:
    issues: list[Issue] = []
    for field in ("date", "start", "end"):
        column = getattr(metric, field)
        if column is not None and column not in TIMESTAMP_COLUMNS:
            issues.append(
                at.issue(
                    (*where, field),
                    f"{name}: '{field}' must be a timestamp column of service_requests, "
                    f"not '{column}'",
                    did_you_mean(column, TIMESTAMP_COLUMNS),
                )
            )
    return issues


def check_condition(condition: Condition, loc: Loc, name: str, at: Locator) -> list[Issue]:
    """Structure, column names, ops and values of one condition (recursing into ``any``)."""
    if condition.any_of is not None:
        return _check_any(condition, loc, name, at)
    issues: list[Issue] = []
    if condition.column is None:
        issues.append(
            at.issue(
                loc,
                f"{name}: condition has no 'column'",
                "write {column: ..., op: ..., value: ...} or {any: [...]}",
            )
        )
    elif condition.column not in SERVICE_REQUESTS_COLUMNS:
        issues.append(_unknown_column(condition.column, (*loc, "column"), name, at))
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
        issues += _check_operands(condition, loc, name, at)
    return issues


def _check_any(condition: Condition, loc: Loc, name: str, at: Locator) -> list[Issue]:
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
        issues += check_condition(child, (*loc, "any", index), name, at)
    return issues


def _unknown_column(column: str, loc: Loc, name: str, at: Locator) -> Issue:
    return at.issue(
        loc,
        f"{name}: unknown column '{column}'",
        did_you_mean(column, SERVICE_REQUESTS_COLUMNS),
    )


def _check_operands(condition: Condition, loc: Loc, name: str, at: Locator) -> list[Issue]:
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
        if ref not in SERVICE_REQUESTS_COLUMNS:
            return [_unknown_column(ref, (*loc, "column_ref"), name, at)]
        return []
    if condition.value == AS_OF and condition.column not in TIMESTAMP_COLUMNS:
        return [
            at.issue(
                (*loc, "value"),
                f"{name}: 'as_of' can only be compared with a timestamp column",
                "use it with " + ", ".join(TIMESTAMP_COLUMNS),
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


def check_across_metrics(metrics: Sequence[tuple[Loc, Metric]], at: Locator) -> list[Issue]:
    """Rules that need every metric: duplicate ids, ratio references and ratio cycles."""
    issues: list[Issue] = []
    first_line: dict[str, int] = {}
    for loc, metric in metrics:
        if metric.id in first_line:
            issues.append(
                at.issue(
                    (*loc, "id"),
                    f"duplicate metric id '{metric.id}' (first defined on line "
                    f"{first_line[metric.id]})",
                    "give each metric a unique id",
                )
            )
        else:
            first_line[metric.id] = line_of(at.root, (*loc, "id"))
    known = {metric.id: metric for _, metric in metrics}
    for loc, metric in metrics:
        for field in ("numerator_metric", "denominator_metric"):
            ref = getattr(metric, field) if metric.kind == "ratio" else None
            if ref is not None and ref not in known:
                issues.append(
                    at.issue(
                        (*loc, field),
                        f"metric '{metric.id}': {field} '{ref}' is not a metric in this file",
                        did_you_mean(ref, known),
                    )
                )
    issues += _check_cycles(metrics, known, at)
    return issues


def _ratio_refs(metric: Metric) -> list[str]:
    if metric.kind != "ratio":
        return []
    return [ref for ref in (metric.numerator_metric, metric.denominator_metric) if ref]


def _check_cycles(
    metrics: Sequence[tuple[Loc, Metric]], known: dict[str, Metric], at: Locator
) -> list[Issue]:
    issues: list[Issue] = []
    reported: set[frozenset[str]] = set()
    for loc, metric in metrics:
        cycle = _find_cycle(metric.id, known)
        if cycle is None or frozenset(cycle) in reported:
            continue
        reported.add(frozenset(cycle))
        issues.append(
            at.issue(
                (*loc, "id"),
                f"circular ratio: {' -> '.join([*cycle, cycle[0]])}",
                "a ratio cannot depend on itself; point numerator_metric and "
                "denominator_metric at non-ratio metrics",
            )
        )
    return issues


def _find_cycle(start: str, known: dict[str, Metric]) -> list[str] | None:
    """The cycle through ``start`` in the ratio reference graph, if there is one."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    seen: set[str] = set()
    while stack:
        current, path = stack.pop()
        metric = known.get(current)
        for ref in _ratio_refs(metric) if metric else []:
            if ref == start:
                return path
            if ref not in seen:
                seen.add(ref)
                stack.append((ref, [*path, ref]))
    return None
