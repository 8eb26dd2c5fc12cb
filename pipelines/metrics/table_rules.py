"""Rules that depend on the table a metric reads: columns, breakdowns, backlog options, baseline."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

from pipelines.config.hints import Locator, did_you_mean
from pipelines.config.issues import Issue
from pipelines.config.yaml_lines import Loc
from pipelines.metrics.model import Defaults, Metric
from pipelines.metrics.tables import AGE_DIMENSION, ALL_DIMENSIONS, METRIC_TABLES, MetricTable
from pipelines.warehouse.words import COUNT_UNITS, record_words

# A period label of each grain, as metric_values.period_label writes it. Quarters are
# calendar quarters (2024-Q3) in a city whose fiscal year starts in January and fiscal
# quarters (FY2025 Q1) in any other.
CALENDAR_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
FISCAL_QUARTER = re.compile(r"^FY(\d{4}) Q([1-4])$")
PERIOD_LABELS: dict[str, re.Pattern[str]] = {
    "week": re.compile(r"^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$"),
    "month": re.compile(r"^\d{4}-(0[1-9]|1[0-2])$"),
    "quarter": re.compile(f"{CALENDAR_QUARTER.pattern}|{FISCAL_QUARTER.pattern}"),
    "fiscal_year": re.compile(r"^FY\d{4}$"),
}


def grain_of_label(label: str) -> str | None:
    """The grain whose period labels look like ``label`` (FY2024 -> fiscal_year), or None."""
    return next((grain for grain, rx in PERIOD_LABELS.items() if rx.match(label)), None)


def check_table_fields(
    metric: Metric, where: Loc, name: str, table: MetricTable, defaults: Defaults, at: Locator
) -> list[Issue]:
    """Timestamp fields, breakdowns, backlog options and baseline against the metric's table."""
    issues = _check_timestamp_fields(metric, where, name, table, at)
    issues += _check_count_unit(metric, where, name, table, at)
    if metric.kind != "ratio":  # a ratio's breakdowns are checked against both its metrics
        issues += check_dimensions(metric, where, name, table, defaults, at)
    issues += _check_backlog_options(metric, where, name, at)
    issues += _check_baseline(metric, where, name, defaults, at)
    return issues


def _check_timestamp_fields(
    metric: Metric, where: Loc, name: str, table: MetricTable, at: Locator
) -> list[Issue]:
    issues: list[Issue] = []
    for field in ("date", "start", "end", "due"):
        column = getattr(metric, field)
        if column is not None and column not in table.timestamp_columns:
            counterpart = _counterpart(column, table)
            issues.append(
                at.issue(
                    (*where, field),
                    f"{name}: '{field}' must be a timestamp column of {table.name}, not '{column}'",
                    f"did you mean '{counterpart}'?"
                    if counterpart
                    else did_you_mean(column, table.timestamp_columns),
                )
            )
    return issues


def _check_count_unit(
    metric: Metric, where: Loc, name: str, table: MetricTable, at: Locator
) -> list[Issue]:
    """A count is in its table's noun: permits are not counted in 'requests'."""
    noun = record_words(table.name).unit
    if metric.unit in COUNT_UNITS and metric.unit != noun:
        return [
            at.issue(
                (*where, "unit"),
                f"{name} counts {table.name} records, which are {noun}, not {metric.unit}",
                f"write 'unit: {noun}'",
            )
        ]
    return []


def _counterpart(column: str, table: MetricTable) -> str | None:
    """``table``'s column for the role ``column`` plays in another table (opened_at of
    service requests is applied_at of permits and received_at of inspections)."""
    for other in METRIC_TABLES.values():
        for role in ("start", "end", "due"):
            if getattr(other, role) == column and other.name != table.name:
                return str(getattr(table, role))
    return None


def check_dimensions(
    metric: Metric,
    where: Loc,
    name: str,
    table: MetricTable,
    defaults: Defaults,
    at: Locator,
    role: str = "",
) -> list[Issue]:
    """Every breakdown the metric uses must be one of its table's (``role`` names whose)."""
    allowed = ", ".join(table.dimensions)
    issues: list[Issue] = []
    if metric.dimensions is None:
        for dimension in defaults.dimensions:
            if dimension in ALL_DIMENSIONS and dimension not in table.dimensions:
                issues.append(
                    at.issue(
                        where,
                        f"{name}: default dimension '{dimension}' is not a breakdown of "
                        f"{table.name}{role}",
                        f"set 'dimensions:' on the metric, choosing from: {allowed}",
                    )
                )
        return issues
    for index, dimension in enumerate(metric.dimensions):
        loc = (*where, "dimensions", index)
        if dimension in table.dimensions:
            continue
        if dimension == AGE_DIMENSION:
            issues.append(
                at.issue(
                    loc,
                    f"{name}: 'age' is not listed under dimensions",
                    "remove it; 'age_buckets: [30, 60, 90]' on a backlog metric adds the age "
                    "breakdown",
                )
            )
        elif dimension in ALL_DIMENSIONS:
            issues.append(
                at.issue(
                    loc,
                    f"{name}: dimension '{dimension}' is not a breakdown of {table.name}{role}",
                    f"use one of: {allowed}",
                )
            )
        else:
            issues.append(
                at.issue(
                    loc,
                    f"unknown dimension '{dimension}'",
                    did_you_mean(dimension, table.dimensions),
                )
            )
    return issues


def _check_backlog_options(metric: Metric, where: Loc, name: str, at: Locator) -> list[Issue]:
    issues: list[Issue] = []
    if metric.kind == "backlog" and metric.due is not None and not metric.overdue:
        issues.append(
            at.issue(
                (*where, "due"),
                f"{name}: 'due' applies only with 'overdue: true'",
                "add 'overdue: true' to count only records past this due time, or remove 'due'",
            )
        )
    buckets = metric.age_buckets
    if buckets is not None and (
        not buckets or buckets[0] < 1 or any(b <= a for a, b in itertools.pairwise(buckets))
    ):
        issues.append(
            at.issue(
                (*where, "age_buckets"),
                f"{name}: age_buckets must be whole days above 0 in increasing order, "
                f"got {buckets}",
                "write the lower bounds of the older buckets, for example [30, 60, 90] for "
                "0-29, 30-59, 60-89 and 90+ days",
            )
        )
    return issues


def _check_baseline(
    metric: Metric, where: Loc, name: str, defaults: Defaults, at: Locator
) -> list[Issue]:
    if metric.baseline is None:
        return []
    period = metric.baseline.period
    grain = grain_of_label(period)
    loc = (*where, "baseline", "period")
    if grain is None:
        return [
            at.issue(
                loc,
                f"{name}: baseline period '{period}' is not a period label",
                "write a label as the dashboard shows it: FY2024, 2024-Q3 (FY2025 Q1 where the "
                "fiscal year does not start in January), 2024-07 or 2024-W27",
            )
        ]
    grains: Sequence[str] = metric.grains if metric.grains is not None else defaults.grains
    if grain not in grains:
        return [
            at.issue(
                loc,
                f"{name}: baseline period '{period}' is a {grain} but the metric is not "
                f"computed by {grain}",
                f"add '{grain}' to the metric's grains or choose a baseline of another grain",
            )
        ]
    return []


def check_quarter_labels(
    metrics: Sequence[tuple[Loc, Metric]], at: Locator, fiscal_year_start_month: int
) -> list[Issue]:
    """A baseline quarter is written the way the city's quarters are labelled: calendar
    quarters (2024-Q3) when the fiscal year starts in January, fiscal ones (FY2025 Q1) else."""
    issues: list[Issue] = []
    for loc, metric in metrics:
        period = metric.baseline.period if metric.baseline is not None else ""
        fiscal = fiscal_year_start_month != 1
        wrong = CALENDAR_QUARTER.match(period) if fiscal else FISCAL_QUARTER.match(period)
        if wrong is None:
            continue
        kind = "fiscal" if fiscal else "calendar"
        hint = _quarter_hint(int(wrong[1]), int(wrong[2]), fiscal_year_start_month, fiscal)
        issues.append(
            at.issue(
                (*loc, "baseline", "period"),
                f"metric '{metric.id}': baseline period '{period}' is not a quarter of this "
                f"city, whose quarters are {kind} quarters (fiscal_year_start_month: "
                f"{fiscal_year_start_month} in city.yml)",
                hint,
            )
        )
    return issues


def _quarter_hint(year: int, quarter: int, start_month: int, fiscal: bool) -> str:
    """The same three months in the city's own quarter labels, when they are one quarter."""
    if (start_month - 1) % 3:
        example = "FY2025 Q1" if fiscal else "2024-Q3"
        return f"write a quarter as the dashboard labels it, e.g. {example}"
    if fiscal:  # a calendar quarter, year and first month, as a fiscal quarter
        month = (quarter - 1) * 3 + 1
        fiscal_year = year + 1 if month >= start_month else year
        return f"write {{period: FY{fiscal_year} Q{(month - start_month) % 12 // 3 + 1}}}"
    return f"write {{period: {year}-Q{quarter}}}"  # start month 1: fiscal quarters are calendar
