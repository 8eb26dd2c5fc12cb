"""Semantic rules for metrics.yml: each returns a list of issues instead of raising."""

from __future__ import annotations

import re
from collections.abc import Sequence

from pipelines.config.hints import Locator, did_you_mean
from pipelines.config.issues import Issue
from pipelines.config.yaml_lines import Loc
from pipelines.metrics.lenient import BROKEN_CONDITION
from pipelines.metrics.model import (
    GRAINS,
    KINDS,
    OPS,
    Condition,
    Defaults,
    Metric,
    has_target,
)
from pipelines.metrics.table_rules import check_table_fields
from pipelines.metrics.tables import ALL_DIMENSIONS, METRIC_TABLES, MetricTable
from pipelines.metrics.value_rules import check_operands, unknown_column

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
# Fields that only make sense for some kinds: set on another kind they would be silently ignored.
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "numerator": ("share",),
    "denominator": ("share",),
    "table": ("count", "share", "duration_percentile", "backlog"),
    "date": ("count", "share"),
    "start": ("duration_percentile", "backlog", "share"),
    "end": ("duration_percentile", "backlog", "share"),
    "percentile": ("duration_percentile",),
    "within_days": ("share",),
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


def check_metric(
    metric: Metric, loc: Loc, defaults: Defaults, at: Locator, unsure: frozenset[str] = frozenset()
) -> list[Issue]:
    """Every rule that looks at one metric on its own.

    ``unsure``: fields whose value as written did not type-check (pipelines/metrics/
    lenient.py stood in for them); rules about them would repeat or contradict that issue.
    """
    where = (*loc,)
    name = f"metric '{metric.id}'" if "id" not in unsure else metric.id
    issues: list[Issue] = []
    if not ID_PATTERN.match(metric.id) and "id" not in unsure:
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
    elif "kind" not in unsure:  # a missing kind: which fields apply is unknown
        issues += _check_kind_fields(metric, where, name, at, unsure)
    grains = metric.grains if metric.grains is not None else defaults.grains
    issues += _check_names(metric.grains or [], GRAINS, "grain", (*where, "grains"), at)
    issues += _check_targets(metric, where, name, grains, at, unsure)
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


def _check_kind_fields(
    metric: Metric, where: Loc, name: str, at: Locator, unsure: frozenset[str]
) -> list[Issue]:
    issues: list[Issue] = []
    required = {
        "share": ("numerator", "denominator")
        if metric.within_days is None and "within_days" not in unsure
        else (),
        "duration_percentile": ("percentile",),
        "ratio": ("numerator_metric", "denominator_metric"),
    }.get(metric.kind, ())
    for field in required:
        if getattr(metric, field) is None and field not in unsure:
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
                    f"remove it (it is used by kind {' / '.join(kinds)})".replace(
                        "share", "share with within_days" if field in ("start", "end") else "share"
                    ),
                )
            )
    if metric.kind == "share":
        issues += _check_within(metric, where, name, at)
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


def _check_within(metric: Metric, where: Loc, name: str, at: Locator) -> list[Issue]:
    """A share takes start and end only with within_days, which writes its conditions."""
    if metric.within_days is None:
        return [
            at.issue(
                (*where, field),
                f"{name}: '{field}' applies to a share only with 'within_days'",
                f"add 'within_days: N' for the share of records reaching end within N days "
                f"of start, or remove '{field}'",
            )
            for field in ("start", "end")
            if field in metric.model_fields_set
        ]
    return [
        at.issue(
            (*where, field),
            f"{name}: 'within_days' writes the {field} itself",
            f"remove '{field}:' (conditions every record must meet go under 'filter:')",
        )
        for field in ("numerator", "denominator")
        if field in metric.model_fields_set
    ]


def _field_help(field: str) -> str:
    return {
        "numerator": "conditions a denominator row must also meet to count as a success",
        "denominator": "conditions that put a row in the population",
        "percentile": "0.5 for the median, 0.9 for the 90th percentile",
        "numerator_metric": "the id of the metric on top",
        "denominator_metric": "the id of the metric below",
    }[field]


def _check_targets(
    metric: Metric,
    where: Loc,
    name: str,
    grains: Sequence[str],
    at: Locator,
    unsure: frozenset[str],
) -> list[Issue]:
    issues: list[Issue] = []
    if metric.targets and metric.target is not None:
        issues.append(
            at.issue(
                (*where, "target"),
                f"{name}: has both 'targets' (values by date) and 'target' (from history)",
                "keep one: the dated values under 'targets', or the rule under 'target'",
            )
        )
    field = "targets" if metric.targets else "target"
    if has_target(metric) and metric.direction is None and "direction" not in unsure:
        issues.append(
            at.issue(
                (*where, field),
                f"{name}: has {'targets' if metric.targets else 'a target'} but no direction",
                "add 'direction: higher_is_better' or 'direction: lower_is_better'",
            )
        )
    for index, target in enumerate(metric.targets):
        if metric.kind == "share" and not 0 <= target.value <= 1:
            issues.append(
                at.issue(
                    (*where, "targets", index, "value"),
                    f"{name}: target {target.value:g} for a share, which is a fraction "
                    "between 0 and 1",
                    f"write it as a fraction: {target.value / 100:g} for {target.value:g}%",
                )
            )
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
    if condition is BROKEN_CONDITION:
        return []  # it did not type-check; that issue is reported already
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
        issues.append(unknown_column(condition.column, (*loc, "column"), name, at, table))
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
        issues += check_operands(condition, loc, name, at, table)
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


def _check_names(
    names: Sequence[str], allowed: Sequence[str], what: str, loc: Loc, at: Locator
) -> list[Issue]:
    return [
        at.issue((*loc, index), f"unknown {what} '{value}'", did_you_mean(value, allowed))
        for index, value in enumerate(names)
        if value not in allowed
    ]
