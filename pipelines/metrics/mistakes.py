"""Likely mistakes in metrics that are valid: warnings, each at its line with what to add.

A warning does not stop a run (the definition may be what the city means); `citystat
metrics check` prints them after the problems and still exits 0 when there is no problem.
"""

from __future__ import annotations

from collections.abc import Mapping

from pipelines.config.hints import Locator
from pipelines.config.issues import Issue
from pipelines.config.yaml_lines import Loc
from pipelines.metrics.availability import resolved_columns
from pipelines.metrics.model import Condition, Metric, MetricsConfig, all_conditions
from pipelines.metrics.tables import MetricTable, metric_table
from pipelines.warehouse.schema import CANONICAL_TABLES


def likely_mistakes(config: MetricsConfig, at: Locator, sites: Mapping[str, Loc]) -> list[Issue]:
    """Every warning of the metrics located in ``sites`` (metric id -> its entry's location)."""
    warnings: list[Issue] = []
    for metric in config.metrics:
        where = sites.get(metric.id)
        if where is None or metric.kind == "ratio":
            continue
        name = f"metric '{metric.id}'"
        warnings += _withdrawn_close(metric, where, name, at)
        warnings += _direction(metric, where, name, at)
        warnings += _finished_only(metric, where, name, at)
    return warnings


def _withdrawn_close(metric: Metric, where: Loc, name: str, at: Locator) -> list[Issue]:
    """A time that a withdrawn record also has (a cancelled request's closed_at is when it was
    cancelled), read without a status condition: the cancellations are counted too."""
    table = metric_table(metric.table)
    role = "end" if metric.kind == "duration_percentile" else "date"
    if metric.kind == "backlog" or metric.within_days is not None or not table.withdrawn_statuses:
        return []
    column = resolved_columns(metric).get(role)
    if column != table.closing or any(c.column == "status" for c in all_conditions(metric)):
        return []
    withdrawn = " or ".join(table.withdrawn_statuses)
    what = {
        "duration_percentile": f"a duration ending at {column}",
        "count": f"a count by {column}",
        "share": f"a share dated by {column}",
    }[metric.kind]
    return [
        at.issue(
            (*where, role) if role in metric.model_fields_set else (*where, "kind"),
            f"{name}: {what} with no status condition also counts {withdrawn} records "
            f"({withdrawn} records have a {column} too: when they were {withdrawn})",
            f"add {{column: status, op: '!=', value: {table.withdrawn_statuses[0]}}} to its "
            f"filter, or {_finished_word(table)}",
        )
    ]


def _finished_word(table: MetricTable) -> str:
    done = [
        s
        for s in _statuses(table)
        if s not in table.open_statuses and s not in table.withdrawn_statuses
    ]
    return f"status: {done[0]} for finished records only" if done else "filter on status"


def _statuses(table: MetricTable) -> tuple[str, ...]:
    return CANONICAL_TABLES[table.name].statuses


def _direction(metric: Metric, where: Loc, name: str, at: Locator) -> list[Issue]:
    """Longer durations and bigger backlogs are worse almost everywhere."""
    if metric.kind not in ("duration_percentile", "backlog"):
        return []
    if metric.direction != "higher_is_better":
        return []
    what = "longer times" if metric.kind == "duration_percentile" else "a bigger backlog"
    return [
        at.issue(
            (*where, "direction"),
            f"{name}: direction higher_is_better on a {metric.kind}: {what} would count as on "
            "track",
            "write 'direction: lower_is_better' unless more really is better",
        )
    ]


def _finished_only(metric: Metric, where: Loc, name: str, at: Locator) -> list[Issue]:
    """A share "finished by a deadline" whose population is finished records only: work still
    open past its deadline is late, but left out, so the share reads high."""
    if metric.kind != "share" or metric.within_days is not None:
        return []
    deadlines = [
        c for c in metric.numerator or [] if c.column and c.op in ("<", "<=") and c.column_ref
    ]
    for deadline in deadlines:
        index, required = _required_not_null(metric.denominator or [], deadline.column or "")
        if required is None:
            continue
        due = deadline.column_ref
        shift = f", plus_days: {-deadline.plus_days}" if deadline.plus_days else ""
        late = f"{{column: {due}, op: '<', value: as_of{shift}}}"
        return [
            at.issue(
                (*where, "denominator", index),
                f"{name}: the population holds only records with a {deadline.column}, so "
                f"those still open past their deadline ({due}) are left out and the share "
                "reads high",
                f"replace this condition with any: [{{column: {deadline.column}, op: "
                f"is_not_null}}, {late}] so open and late records count as late"
                + (" (or use within_days)" if deadline.plus_days is not None else ""),
            )
        ]
    return []


def _required_not_null(conditions: list[Condition], column: str) -> tuple[int, Condition | None]:
    for index, condition in enumerate(conditions):
        if condition.column == column and condition.op == "is_not_null":
            return index, condition
    return -1, None
