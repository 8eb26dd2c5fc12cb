"""Load metrics.yml in three stages: line-aware YAML, typed models, semantic rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from pipelines.config.entries import pydantic_issues, read_config_file, validate_entries
from pipelines.config.hints import Locator
from pipelines.config.issues import Issue, MetricsFileError
from pipelines.config.yaml_lines import Loc, YamlSyntaxError, parse_yaml, to_plain
from pipelines.metrics.cross_rules import check_across_metrics
from pipelines.metrics.model import Metric, MetricsConfig, MetricsFile
from pipelines.metrics.rules import check_defaults, check_metric


def load_metrics(path: Path) -> MetricsConfig:
    """Load and check metrics.yml; raise MetricsFileError listing every issue."""
    config, issues = _load(path)
    if issues or config is None:
        raise MetricsFileError(issues)
    return config


def check_metrics_file(path: Path) -> list[Issue]:
    """Every issue in metrics.yml (an empty list when it is clean)."""
    return sorted(_load(path)[1])


def load_metrics_text(text: str, file_label: str = "metrics.yml") -> MetricsConfig:
    """Load metrics.yml content from a string (used by tests and previews)."""
    config, issues = _load_text(text, file_label)
    if issues or config is None:
        raise MetricsFileError(issues)
    return config


def _load(path: Path) -> tuple[MetricsConfig | None, list[Issue]]:
    text, issues = read_config_file(path)
    return (None, issues) if text is None else _load_text(text, path.name)


def _load_text(text: str, file_label: str) -> tuple[MetricsConfig | None, list[Issue]]:
    try:
        root = parse_yaml(text, file_label)
    except YamlSyntaxError as exc:
        return None, [exc.issue]
    at = Locator(file_label, root)
    if not isinstance(root, dict):
        return None, [
            Issue(
                file_label,
                1,
                "metrics.yml must be a mapping with 'city', 'defaults' and 'metrics'",
                "start the file with 'city:' and 'metrics:' sections",
            )
        ]
    plain = to_plain(root)
    try:
        top = MetricsFile.model_validate(plain)
    except ValidationError as exc:
        # Keep going with the metrics so one bad section does not hide the rest.
        issues = pydantic_issues(exc, MetricsFile, (), at, "the file")
        metric_issues, _ = _validate_metrics(plain.get("metrics"), at, None)
        return None, issues + metric_issues
    issues = check_defaults(top.defaults, at)
    metric_issues, metrics = _validate_metrics(top.metrics, at, top)
    issues += metric_issues
    if issues:
        return None, issues
    resolved = [
        m.model_copy(
            update={
                "grains": m.grains if m.grains is not None else list(top.defaults.grains),
                "dimensions": m.dimensions
                if m.dimensions is not None
                else list(top.defaults.dimensions),
                "min_count": m.min_count if m.min_count is not None else top.defaults.min_count,
            }
        )
        for _, m in metrics
    ]
    config = MetricsConfig(
        city=top.city, defaults=top.defaults, metrics=resolved, file_label=file_label
    )
    return config, []


def _validate_metrics(
    raw_metrics: Any, at: Locator, top: MetricsFile | None
) -> tuple[list[Issue], list[tuple[Loc, Metric]]]:
    issues, metrics = validate_entries(raw_metrics, Metric, "metrics", "id", "metric", at)
    if top is not None:
        for loc, metric in metrics:
            issues += check_metric(metric, loc, top.defaults, at)
        issues += check_across_metrics(metrics, at, top.defaults)
    return issues, metrics
