"""A share "reached its end within N days of its start", written as plain conditions.

``within_days: 30`` on a share (with ``start`` and ``end``, by default its table's: opened to
closed, application to issue, complaint to close) stands for this numerator and denominator:

- denominator: records with a ``start``, not withdrawn (cancelled), that have reached
  ``end``, or whose N days have already run out at the data's as-of time;
- numerator: ``end`` on or before ``start`` plus N days.

So a record still open past its N days counts as late (in the denominator, not in the
numerator), and one still open within its N days is not counted yet: it may still make it.
A share over finished records alone would read 100% while late work sits open.
"""

from __future__ import annotations

from pipelines.metrics.model import AS_OF, Condition, Metric
from pipelines.metrics.tables import metric_table


def within_ends(metric: Metric) -> tuple[str, str]:
    """The (start, end) columns a ``within_days`` share measures between."""
    table = metric_table(metric.table)
    return metric.start or table.start, metric.end or table.end


def within_conditions(metric: Metric) -> tuple[list[Condition], list[Condition]]:
    """(numerator, denominator) that ``within_days`` stands for (see the module docstring)."""
    days = metric.within_days or 0
    start, end = within_ends(metric)
    withdrawn = list(metric_table(metric.table).withdrawn_statuses)
    denominator = [Condition(column=start, op="is_not_null")]
    if withdrawn:
        denominator.append(Condition(column="status", op="not_in", value=withdrawn))
    decided = [
        Condition(column=end, op="is_not_null"),
        # Its N days ran out before the as-of: start + N days < as_of.
        Condition(column=start, op="<", value=AS_OF, plus_days=-days),
    ]
    denominator.append(Condition.model_validate({"any": decided}))
    numerator = [Condition(column=end, op="<=", column_ref=start, plus_days=days)]
    return numerator, denominator


def resolve_within(metric: Metric) -> Metric:
    """The metric with the numerator and denominator its ``within_days`` stands for."""
    if metric.kind != "share" or metric.within_days is None:
        return metric
    numerator, denominator = within_conditions(metric)
    return metric.model_copy(update={"numerator": numerator, "denominator": denominator})
