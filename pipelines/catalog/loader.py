"""Load services.yml in three stages: line-aware YAML, typed models, semantic rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from pipelines.catalog.model import Service, ServicesConfig, ServicesFile
from pipelines.catalog.rules import (
    check_across_services,
    check_service,
    check_settings,
    fiscal_quarter_issues,
)
from pipelines.config.entries import pydantic_issues, read_config_file, validate_entries
from pipelines.config.hints import Locator, did_you_mean
from pipelines.config.issues import Issue, ServicesFileError
from pipelines.config.yaml_lines import Loc, YamlSyntaxError, line_of, parse_yaml, to_plain
from pipelines.metrics.model import MetricsConfig


def load_services(path: Path) -> ServicesConfig:
    """Load and check services.yml; raise ServicesFileError listing every issue with its line."""
    config, issues = _load(path)
    if issues or config is None:
        raise ServicesFileError(issues)
    return config


def load_services_text(text: str, file_label: str = "services.yml") -> ServicesConfig:
    """Load services.yml content from a string (used by tests and fixtures)."""
    config, issues = _load_text(text, file_label)
    if issues or config is None:
        raise ServicesFileError(issues)
    return config


def check_services_file(path: Path) -> list[Issue]:
    """Every issue in services.yml (an empty list when it is clean)."""
    return sorted(_load(path)[1])


def check_services_against_metrics(services: ServicesConfig, metrics: MetricsConfig) -> list[Issue]:
    """Each service's department is in the city's registry and its cohort_service in metrics.yml;
    cohort dates start the city's fiscal quarters."""
    known = sorted({m.cohort_service for m in metrics.metrics if m.cohort_service is not None})
    issues = fiscal_quarter_issues(
        services.cohorts,
        services.cohort_lines,
        services.file_label,
        metrics.city.fiscal_year_start_month,
    )
    profile = metrics.profile
    registry = {d.id for d in profile.departments} if profile is not None else set()
    for service in services.services:
        if profile is not None and service.department not in registry:
            issues.append(
                Issue(
                    services.file_label,
                    services.department_lines.get(service.name, 1),
                    f"service '{service.name}': department '{service.department}' is not a "
                    "department id in city.yml",
                    profile.department_hint(service.department),
                )
            )
    for service in services.services:
        if service.cohort_service is not None and service.cohort_service not in known:
            issues.append(
                Issue(
                    services.file_label,
                    services.service_lines.get(service.name, 1),
                    f"service '{service.name}': cohort_service '{service.cohort_service}' is "
                    f"not a cohort_service in {metrics.file_label}",
                    did_you_mean(
                        service.cohort_service,
                        known,
                        when_none=f"no metric names a cohort_service yet: add cohort_service: "
                        f"{service.cohort_service} to its metrics, or remove it from the service",
                    ),
                )
            )
    return issues


def _load(path: Path) -> tuple[ServicesConfig | None, list[Issue]]:
    text, issues = read_config_file(path)
    return (None, issues) if text is None else _load_text(text, path.name)


def _load_text(text: str, file_label: str) -> tuple[ServicesConfig | None, list[Issue]]:
    try:
        root = parse_yaml(text, file_label)
    except YamlSyntaxError as exc:
        return None, [exc.issue]
    if not isinstance(root, dict):
        return None, [
            Issue(
                file_label,
                1,
                "services.yml must be a mapping with 'channels', 'prioritization', 'cohorts' "
                "and 'services'",
                "start the file with 'channels:' and the other sections",
            )
        ]
    at = Locator(file_label, root)
    plain = to_plain(root)
    try:
        top = ServicesFile.model_validate(plain)
    except ValidationError as exc:
        # Keep going with the services so one bad section does not hide the rest.
        issues = pydantic_issues(exc, ServicesFile, (), at, "the file")
        service_issues, _ = _validate_services(plain.get("services"), at, None)
        return None, issues + service_issues
    issues = check_settings(top, at)
    service_issues, services = _validate_services(top.services, at, top)
    issues += service_issues
    if issues:
        return None, issues
    config = ServicesConfig(
        channels=top.channels,
        prioritization=top.prioritization,
        cohorts=top.cohorts,
        equity=top.equity,
        leadership_index=top.leadership_index,
        services=[service for _, service in services],
        file_label=file_label,
        service_lines={
            service.name: line_of(root, (*loc, "cohort_service")) for loc, service in services
        },
        department_lines={
            service.name: line_of(root, (*loc, "department")) for loc, service in services
        },
        cohort_lines={
            "first_start": line_of(root, ("cohorts", "first_start")),
            **{
                f"assessments.{i}": line_of(root, ("cohorts", "assessments", i, "quarter"))
                for i in range(len(top.cohorts.assessments))
            },
        },
    )
    return config, []


def _validate_services(
    raw_services: Any, at: Locator, top: ServicesFile | None
) -> tuple[list[Issue], list[tuple[Loc, Service]]]:
    issues, services = validate_entries(raw_services, Service, "services", "name", "service", at)
    if top is not None:
        for loc, service in services:
            issues += check_service(service, loc, top, at)
        if not services and not issues:
            issues.append(
                at.issue(("services",), "services.yml lists no services", "add a service")
            )
        issues += check_across_services(services, at)
    return issues, services
