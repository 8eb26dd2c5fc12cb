"""Departments in metrics.yml: ids of the city's registry, or one spelling per department."""

from __future__ import annotations

import re
from collections.abc import Sequence

from pipelines.city.model import CityProfile
from pipelines.config.hints import Locator
from pipelines.config.issues import Issue
from pipelines.config.yaml_lines import Loc, line_of
from pipelines.metrics.model import Metric


def check_departments(
    metrics: Sequence[tuple[Loc, Metric]], at: Locator, profile: CityProfile | None
) -> list[Issue]:
    """Each metric's department is a registry id; without a registry, one spelling each."""
    if profile is None:
        return _one_spelling(metrics, at)
    ids = {d.id for d in profile.departments}
    issues = []
    for loc, metric in metrics:
        if metric.department in ids:
            continue
        hint = profile.department_hint(metric.department)
        issues.append(
            at.issue(
                (*loc, "department"),
                f"metric '{metric.id}': department '{metric.department}' is not a department "
                "id in city.yml",
                hint,
            )
        )
    return issues


def _one_spelling(metrics: Sequence[tuple[Loc, Metric]], at: Locator) -> list[Issue]:
    """Two spellings of one department ("License & Inspections", "Licenses and Inspections")."""
    first: dict[str, tuple[str, int]] = {}
    issues = []
    for loc, metric in metrics:
        line = line_of(at.root, (*loc, "department"))
        key = spelling_key(metric.department)
        seen = first.setdefault(key, (metric.department, line))
        if seen[0] != metric.department:
            issues.append(
                at.issue(
                    (*loc, "department"),
                    f"metric '{metric.id}': department '{metric.department}' (line {line}) and "
                    f"'{seen[0]}' (line {seen[1]}) look like one department written two ways",
                    "write it one way everywhere; a city.yml registry names each department "
                    "once, by id",
                )
            )
    return issues


def spelling_key(name: str) -> str:
    """A department name reduced to what two spellings of it share (case, '&', plurals)."""
    words = re.findall(r"[a-z0-9]+", name.casefold().replace("&", " and "))
    return " ".join(w.removesuffix("s") for w in words if w not in ("and", "of", "the"))
