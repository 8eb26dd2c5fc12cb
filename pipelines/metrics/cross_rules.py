"""Rules across metrics: unique ids, ratios whose parts exist and agree, no ratio that cycles."""

from __future__ import annotations

from collections.abc import Sequence

from pipelines.config.hints import Locator, did_you_mean
from pipelines.config.issues import Issue
from pipelines.config.yaml_lines import Loc, line_of
from pipelines.metrics.model import (
    Defaults,
    Metric,
)
from pipelines.metrics.table_rules import check_dimensions
from pipelines.metrics.tables import METRIC_TABLES


def check_across_metrics(
    metrics: Sequence[tuple[Loc, Metric]],
    at: Locator,
    defaults: Defaults | None = None,
    others: Sequence[Metric] = (),
) -> list[Issue]:
    """Rules that need every metric: duplicate ids, ratio references, cycles and breakdowns.

    ``others``: metrics defined in another file that a ratio here may divide (a draft checked
    against metrics.yml); the metrics here replace those with the same id.
    """
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
    known = {metric.id: metric for metric in others} | {metric.id: metric for _, metric in metrics}
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
    cycles = _check_cycles(metrics, known, at)
    if defaults is not None and not cycles:
        issues += _check_ratio_dimensions(metrics, known, defaults, at)
    return issues + cycles


def _check_ratio_dimensions(
    metrics: Sequence[tuple[Loc, Metric]], known: dict[str, Metric], defaults: Defaults, at: Locator
) -> list[Issue]:
    """A ratio's breakdowns must exist in the table of every metric it divides."""
    issues: list[Issue] = []
    for loc, metric in metrics:
        if metric.kind != "ratio":
            continue
        checked: set[str] = set()
        for leaf in _ratio_leaves(metric, known):
            table = METRIC_TABLES.get(leaf.table)
            if table is None or table.name in checked:
                continue
            checked.add(table.name)
            role = f" (read by metric '{leaf.id}')"
            issues += check_dimensions(
                metric, loc, f"metric '{metric.id}'", table, defaults, at, role
            )
    return issues


def _ratio_leaves(metric: Metric, known: dict[str, Metric]) -> list[Metric]:
    """The non-ratio metrics a ratio divides, following ratios of ratios (cycle-free)."""
    leaves: list[Metric] = []
    for ref in _ratio_refs(metric):
        part = known.get(ref)
        if part is None:
            continue
        leaves += _ratio_leaves(part, known) if part.kind == "ratio" else [part]
    return leaves


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
