"""A metric's card in plain words: what it counts, its filters, its target rule, its periods.

One pure function, ``describe_metric``, writes it from the checked definition, the same one
the SQL is compiled from: `citystat metrics explain` prints it above the SQL, and each run
publishes it in ``metric_definitions.explanation`` for the metric page's "How it is
computed", so the methodology readers see is the one that runs.
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from pipelines.metrics.availability import resolved_columns
from pipelines.metrics.model import AS_OF, Condition, Metric, MetricsConfig, has_target
from pipelines.metrics.tables import metric_table
from pipelines.metrics.within import within_ends

RECORDS = {"service_requests": "service requests", "permits": "permits", "inspections": "cases"}
_TIME_OPS = {
    "=": "is",
    "!=": "is not",
    "<": "is before",
    "<=": "is on or before",
    ">": "is after",
    ">=": "is on or after",
}
_NUMBER_OPS = {
    "=": "is",
    "!=": "is not",
    "<": "is less than",
    "<=": "is at most",
    ">": "is more than",
    ">=": "is at least",
}
_GRAINS = {"week": "week", "month": "month", "quarter": "quarter", "fiscal_year": "fiscal year"}


def describe_metric(config: MetricsConfig, metric_id: str) -> str:
    """The metric in plain words, one paragraph per line (what, filters, target, periods)."""
    metric = config.metric(metric_id)
    lines = [_what(config, metric)]
    if metric.kind != "ratio":
        lines.append(_filters(metric))
    lines.append(_target(config, metric))
    lines.append(_periods(config, metric))
    return "\n".join(lines)


def _what(config: MetricsConfig, metric: Metric) -> str:
    if metric.kind == "ratio":
        top = config.metric(metric.numerator_metric or "")
        below = config.metric(metric.denominator_metric or "")
        return (
            f"Divides {top.label} ({top.id}) by {below.label} ({below.id}), period by period "
            "and breakdown by breakdown."
        )
    table = metric_table(metric.table)
    records = RECORDS[table.name]
    columns = resolved_columns(metric)
    if metric.kind == "count":
        return f"Counts {records} by the period of their {columns['date']}."
    if metric.kind == "share":
        return _share(metric, records, columns["date"])
    if metric.kind == "duration_percentile":
        return (
            f"The {_percentile(metric.percentile or 0.5)} of the days from {columns['start']} "
            f"to {columns['end']} (fractional calendar days) over the {records} that have "
            f"both, each in the period of its {columns['end']}."
        )
    return _backlog(metric, records, columns)


def _share(metric: Metric, records: str, dated_by: str) -> str:
    table = metric_table(metric.table)
    if metric.within_days is not None:
        start, end = within_ends(metric)
        days = metric.within_days
        withdrawn = " or ".join(table.withdrawn_statuses)
        left_out = f" {withdrawn.capitalize()} {records} are left out." if withdrawn else ""
        return (
            f"The share of {records} whose {end} came within {days} days of their {start}, "
            f"each in the period of its {dated_by}. A record still without {end} more than "
            f"{days} days after its {start} counts as late; one still within its {days} days "
            f"is not counted yet (it may still make it).{left_out}"
        )
    population = _conditions(metric.denominator or [], table.name) or "every record"
    success = _conditions(metric.numerator or [], table.name) or "every record"
    return (
        f"The share of {records}, each in the period of its {dated_by}, that succeed. "
        f"Population: {population}. Success: {success}."
    )


def _backlog(metric: Metric, records: str, columns: dict[str, str]) -> str:
    table = metric_table(metric.table)
    text = (
        f"The {records} open at the end of each period: those with {_a(columns['start'])} "
        f"before it and no {columns['end']} yet"
    )
    if metric.overdue:
        text += f", and already past their {columns['due']}"
    withdrawn = " or ".join(table.withdrawn_statuses)
    text += f" ({withdrawn} records never count)." if withdrawn else "."
    text += (
        " On past dates each record is judged by the version loaded on that date; the current "
        "period counts what is open at the data's as-of time."
    )
    if metric.age_buckets:
        bounds = ", ".join(str(b) for b in metric.age_buckets)
        text += f" An age breakdown counts days since {columns['start']} (bounds {bounds})."
    return text


def _filters(metric: Metric) -> str:
    table = metric_table(metric.table)
    records = RECORDS[table.name]
    if not metric.filter:
        return f"Filters: none; every {records[:-1]} counts."
    return f"Filters: only {records} where {_conditions(metric.filter, table.name)}."


def _conditions(conditions: list[Condition], table_name: str) -> str:
    return "; and ".join(_condition(c, table_name) for c in conditions)


def _condition(condition: Condition, table_name: str) -> str:
    """One condition in words: "service_name is one of 'A', 'B'"."""
    if condition.any_of is not None:
        return "either " + ", or ".join(_condition(c, table_name) for c in condition.any_of)
    column, op = condition.column or "", condition.op or ""
    if op == "is_null":
        return f"{column} is empty"
    if op == "is_not_null":
        return f"{column} is set"
    if op in ("in", "not_in"):
        words = "is one of" if op == "in" else "is none of"
        if len(condition.value) == 1:
            words = "is" if op == "in" else "is not"
        return f"{column} {words} " + ", ".join(_value(v) for v in condition.value)
    timestamp = metric_table(table_name).columns.get(column) == "TIMESTAMP"
    words = (_TIME_OPS if timestamp else _NUMBER_OPS).get(op, op)
    return f"{column} {words} {_other(condition)}"


def _other(condition: Condition) -> str:
    """The right-hand side: a value, the as-of time or another column, shifted by days."""
    if condition.column_ref is not None:
        base = f"its {condition.column_ref}"
    elif condition.value == AS_OF:
        base = "the data's as-of time"
    else:
        return _value(condition.value)
    days = condition.plus_days
    if not days:
        return base
    count = f"{abs(days)} day{'s' if abs(days) != 1 else ''}"
    return f"{count} {'after' if days > 0 else 'before'} {base}"


def _value(value: Any) -> str:
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, date):
        return value.isoformat()
    return f"{value:g}" if isinstance(value, float) else str(value)


def _percentile(fraction: float) -> str:
    if fraction == 0.5:
        return "median"
    hundredths = round(fraction * 100, 1)
    number = f"{hundredths:g}"
    suffix = {"1": "st", "2": "nd", "3": "rd"}.get(number[-1], "th")
    if number.endswith(("11", "12", "13")):
        suffix = "th"
    return f"{number}{suffix} percentile"


def history_rule_words(rule: str, direction: str | None) -> str:
    """A target-from-history rule in words ("the median of its values in the year before")."""
    if rule == "last_year_median":
        return "the median of its values in the year before each period"
    sign = "plus" if direction == "higher_is_better" else "minus"
    return f"the mean of its values in the year before each period, {sign} one standard deviation"


def _target(config: MetricsConfig, metric: Metric) -> str:
    if not has_target(metric) or metric.direction is None:
        return "Target: none, so every period's status is 'no target'."
    higher = metric.direction == "higher_is_better"
    if metric.target is not None:
        steps = (
            f"{history_rule_words(metric.target.from_history, metric.direction)} (rule "
            f"{metric.target.from_history}; a period with no value in the year before has no "
            "target)"
        )
    else:
        steps = ", then ".join(
            f"{_amount(t.value, metric.unit)} from {t.from_.isoformat()}"
            + (f" ({_GRAINS[t.grain]}s only)" if t.grain else "")
            for t in metric.targets
        )
    band = f"{metric.watch_band:.0%}"
    rule = (
        f"Target: {'at least' if higher else 'at most'} {steps}. On track when the value is "
        f"{'at or above' if higher else 'at or below'} the target"
    )
    rule += (
        f"; watch within {band} of it on the wrong side; off track beyond."
        if metric.watch_band
        else "; off track otherwise."
    )
    observations = {"share": "records in the population", "duration_percentile": "records"}
    if metric.kind in observations:
        rule += (
            f" A period with fewer than {config.min_count(metric)} "
            f"{observations[metric.kind]} is 'too little data'."
        )
    if metric.kind in ("count", "backlog"):
        rule += " The target is a citywide total: district rows carry none."
    return rule


def _amount(value: float, unit: str) -> str:
    if unit == "percent":
        return f"{value:.0%}" if round(value * 100, 6).is_integer() else f"{value:.1%}"
    if unit == "days":
        return f"{value:g} day{'s' if value != 1 else ''}"
    return f"{value:g} {unit}" if unit != "ratio" else f"{value:g}"


def _periods(config: MetricsConfig, metric: Metric) -> str:
    grains = [_GRAINS[g] for g in config.grains(metric)]
    text = f"Computed by {_and(grains)}"
    if "fiscal_year" in config.grains(metric):
        month = calendar.month_name[config.city.fiscal_year_start_month]
        text += f" (the fiscal year starts in {month})"
    dims = [d.replace("_", " ") for d in config.dimensions(metric)]
    text += f"; citywide and by {_and(dims)}." if dims else "; citywide only."
    return text


def _a(word: str) -> str:
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"


def _and(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]
