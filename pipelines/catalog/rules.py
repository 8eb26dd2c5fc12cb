"""Semantic rules for services.yml: each returns a list of issues instead of raising."""

from __future__ import annotations

import math
from datetime import date
from itertools import pairwise

from pipelines.catalog.model import FACTORS, Cohorts, Service, ServicesFile
from pipelines.config.hints import Locator, did_you_mean, one_of
from pipelines.config.issues import Issue
from pipelines.config.yaml_lines import Loc

_ZERO_TO_ONE = ("survey", "life_safety", "equity", "time_tax", "resources", "spillover")
_QUARTER_START_MONTHS = (1, 4, 7, 10)


def check_settings(top: ServicesFile, at: Locator) -> list[Issue]:
    """Weights, cohorts, equity and index settings, and the department and channel lists."""
    issues = _check_weights(top, at)
    issues += check_cohorts(top, at)
    if top.prioritization.people_served_full_score < 1:
        issues.append(
            at.issue(
                ("prioritization", "people_served_full_score"),
                "prioritization.people_served_full_score must be at least 1, got "
                f"{top.prioritization.people_served_full_score}",
                "set it to the number of people served a year that earns a full importance score",
            )
        )
    issues += _check_equity_and_index(top, at)
    issues += _check_lists(top, at)
    return issues


def check_cohorts(top: ServicesFile, at: Locator) -> list[Issue]:
    """Capacities of at least 1, dates on a month's first day, one assessment per quarter.

    Whether a date starts one of the city's fiscal quarters needs city.yml: see
    ``fiscal_quarter_issues``."""
    cohorts = top.cohorts
    issues: list[Issue] = []
    capacities: list[tuple[Loc, str, int]] = [
        (("cohorts", "capacity"), "cohorts.capacity", cohorts.capacity)
    ]
    capacities += [
        (
            ("cohorts", "assessments", i, "capacity"),
            f"cohorts.assessments[{i}].capacity",
            a.capacity,
        )
        for i, a in enumerate(cohorts.assessments)
    ]
    for loc, name, capacity in capacities:
        if capacity < 1:
            issues.append(
                at.issue(
                    loc,
                    f"{name} is {capacity}; each quarterly cohort must take at least 1 service",
                    "set it to how many services the Stat team can review in one quarter, e.g. 4",
                )
            )
    dates: list[tuple[Loc, str, date]] = [
        (("cohorts", "first_start"), "cohorts.first_start", cohorts.first_start)
    ]
    dates += [
        (("cohorts", "assessments", i, "quarter"), f"cohorts.assessments[{i}].quarter", a.quarter)
        for i, a in enumerate(cohorts.assessments)
    ]
    for loc, name, day in dates:
        if day.day != 1:
            issues.append(
                at.issue(
                    loc,
                    f"{name} {day.isoformat()} is not the first day of a quarter",
                    f"cohorts run by fiscal quarter: use a quarter's first day, such as "
                    f"{day.year}-{_next_quarter_month(day.month):02d}-01",
                )
            )
    seen: set[date] = set()
    for i, assessment in enumerate(cohorts.assessments):
        if assessment.quarter in seen:
            issues.append(
                at.issue(
                    ("cohorts", "assessments", i, "quarter"),
                    f"cohorts.assessments: quarter {assessment.quarter.isoformat()} is assessed "
                    "twice",
                    "keep one assessment per quarter (the latest)",
                )
            )
        seen.add(assessment.quarter)
    return issues


def fiscal_quarter_issues(
    cohorts: Cohorts, lines: dict[str, int], file_label: str, fiscal_year_start_month: int
) -> list[Issue]:
    """Cohort dates that are a month's first day but not the first day of a fiscal quarter of
    a city whose fiscal year starts in ``fiscal_year_start_month`` (city.yml)."""
    starts = sorted({(fiscal_year_start_month - 1 + 3 * k) % 12 + 1 for k in range(4)})
    dates = [("first_start", "cohorts.first_start", cohorts.first_start)]
    dates += [
        (f"assessments.{i}", f"cohorts.assessments[{i}].quarter", a.quarter)
        for i, a in enumerate(cohorts.assessments)
    ]
    issues = []
    for key, name, day in dates:
        if day.day == 1 and day.month not in starts:
            month = next((m for m in starts if m >= day.month), starts[0])
            year = day.year if month >= day.month else day.year + 1
            issues.append(
                Issue(
                    file_label,
                    lines.get(key, 1),
                    f"{name} {day.isoformat()} is not the first day of one of the city's fiscal "
                    f"quarters (its fiscal year starts in month {fiscal_year_start_month}, "
                    "city.yml)",
                    f"cohorts are fiscal quarters: use {year}-{month:02d}-01",
                )
            )
    return issues


def _next_quarter_month(month: int) -> int:
    return next((m for m in _QUARTER_START_MONTHS if m >= month), 1)


def _check_weights(top: ServicesFile, at: Locator) -> list[Issue]:
    weights = top.prioritization.weights
    issues: list[Issue] = []
    for factor in FACTORS:
        value = weights.of(factor)
        if not 0 <= value <= 1:
            issues.append(
                at.issue(
                    ("prioritization", "weights", factor),
                    f"prioritization.weights.{factor} is {value}; a weight is the factor's share "
                    "of the score, between 0 and 1",
                    "use a number from 0 to 1",
                )
            )
    if issues:
        return issues
    total = sum(weights.of(factor) for factor in FACTORS)
    if not math.isclose(total, 1.0, abs_tol=1e-6):
        issues.append(
            at.issue(
                ("prioritization", "weights"),
                f"prioritization.weights add up to {total:g}; they must add up to 1",
                "change them so the six shares total 1 (scores then run from 0 to 1)",
            )
        )
    for before, after in pairwise(FACTORS):
        if weights.of(after) > weights.of(before) + 1e-12:
            issues.append(
                at.issue(
                    ("prioritization", "weights", after),
                    f"prioritization.weights.{after} ({weights.of(after):g}) is larger than "
                    f"{before} ({weights.of(before):g}), but Executive Order 2-24 ranks "
                    f"{before} above {after}",
                    "give each factor a weight no larger than the one before it: "
                    + ", ".join(FACTORS),
                )
            )
    return issues


def _check_equity_and_index(top: ServicesFile, at: Locator) -> list[Issue]:
    issues: list[Issue] = []
    if not 0 < top.equity.gap_threshold <= 1:
        issues.append(
            at.issue(
                ("equity", "gap_threshold"),
                f"equity.gap_threshold is {top.equity.gap_threshold}; it is a relative gap "
                "above 0 and at most 1",
                "write it as a fraction: 0.15 flags a district 15% worse than citywide",
            )
        )
    if top.equity.full_score_gap <= 0:
        issues.append(
            at.issue(
                ("equity", "full_score_gap"),
                f"equity.full_score_gap is {top.equity.full_score_gap}; it must be above 0",
                "write the relative district gap that earns the equity factor a full score, "
                "e.g. 0.5",
            )
        )
    if top.leadership_index.cap < 1:
        issues.append(
            at.issue(
                ("leadership_index", "cap"),
                f"leadership_index.cap is {top.leadership_index.cap}; it must be at least 1 "
                "(1 = on target)",
                "use 1.5 to let a metric count at most 50% above its target",
            )
        )
    return issues


def _check_lists(top: ServicesFile, at: Locator) -> list[Issue]:
    issues: list[Issue] = []
    for key in top.channels:
        if not key.replace("_", "").isalnum() or key != key.lower():
            issues.append(
                at.issue(
                    ("channels", key),
                    f"channel id '{key}' must be lower-case letters, digits and underscores",
                    "rename it, for example '311_phone'",
                )
            )
    return issues


def check_service(service: Service, loc: Loc, top: ServicesFile, at: Locator) -> list[Issue]:
    """Every rule that looks at one service on its own."""
    name = f"service '{service.name}'"
    issues: list[Issue] = []
    if not service.channels:
        issues.append(
            at.issue(
                (*loc, "channels"),
                f"{name}: no channels",
                one_of(
                    top.channels,
                    lead="list at least one channel that delivers it: ",
                    when_none="list the city's channels under 'channels:' first, then the ones "
                    "that deliver it",
                ),
            )
        )
    for index, channel in enumerate(service.channels):
        if channel not in top.channels:
            issues.append(
                at.issue(
                    (*loc, "channels", index),
                    f"{name}: unknown channel '{channel}'",
                    did_you_mean(channel, top.channels, when_none="add it under 'channels:' first")
                    + ("" if not top.channels else " (or add it to 'channels')"),
                )
            )
    priority = service.priority
    if priority.people_served < 0:
        issues.append(
            at.issue(
                (*loc, "priority", "people_served"),
                f"{name}: priority.people_served is {priority.people_served}; it cannot be "
                "negative",
                "write the number of people the service reaches in a year",
            )
        )
    for factor in _ZERO_TO_ONE:
        value = getattr(priority, factor)
        if value is not None and not 0 <= value <= 1:
            issues.append(
                at.issue(
                    (*loc, "priority", factor),
                    f"{name}: priority.{factor} is {value}; factor scores run from 0 to 1",
                    "use a number from 0 (not at all) to 1 (fully)",
                )
            )
    return issues


def check_across_services(services: list[tuple[Loc, Service]], at: Locator) -> list[Issue]:
    """Names, cohort services and 311 request types each belong to one service only."""
    issues: list[Issue] = []
    first_name: dict[str, Service] = {}
    first_cohort: dict[str, str] = {}
    first_request_type: dict[str, str] = {}
    for loc, service in services:
        if service.name in first_name:
            issues.append(
                at.issue(
                    (*loc, "name"),
                    f"service '{service.name}' is listed twice",
                    "give each service a unique name or merge the two entries",
                )
            )
        first_name.setdefault(service.name, service)
        cohort = service.cohort_service
        if cohort is not None:
            if cohort in first_cohort:
                issues.append(
                    at.issue(
                        (*loc, "cohort_service"),
                        f"service '{service.name}': cohort_service '{cohort}' is already "
                        f"linked to service '{first_cohort[cohort]}'",
                        "link each metrics.yml cohort service to one service",
                    )
                )
            first_cohort.setdefault(cohort, service.name)
        for index, request_type in enumerate(service.service_names):
            if request_type in first_request_type:
                issues.append(
                    at.issue(
                        (*loc, "service_names", index),
                        f"service '{service.name}': 311 request type '{request_type}' is "
                        f"already counted for service '{first_request_type[request_type]}'",
                        "count each request type for one service only",
                    )
                )
            first_request_type.setdefault(request_type, service.name)
    return issues
