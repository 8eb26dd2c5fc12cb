"""Load metrics.yml in three stages: line-aware YAML, typed models, semantic rules."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from pipelines.city.loader import check_city_file, load_city
from pipelines.city.model import CityProfile
from pipelines.config.entries import pydantic_issues, read_config_file
from pipelines.config.hints import Locator
from pipelines.config.issues import CityFileError, Issue, MetricsFileError
from pipelines.config.yaml_lines import Loc, YamlSyntaxError, parse_yaml, to_plain
from pipelines.metrics.cross_rules import check_across_metrics
from pipelines.metrics.department_rules import check_departments
from pipelines.metrics.lenient import validate_metric_entries
from pipelines.metrics.model import City, Defaults, Metric, MetricsConfig, MetricsFile
from pipelines.metrics.public_rules import check_public_texts
from pipelines.metrics.rules import check_defaults, check_metric
from pipelines.metrics.table_rules import check_quarter_labels
from pipelines.metrics.within import resolve_within
from pipelines.warehouse.layout import CITY_FILE


def load_metrics(path: Path) -> MetricsConfig:
    """Load and check metrics.yml with the city.yml beside it; MetricsFileError lists every issue.

    The issues of city.yml and metrics.yml are reported together, each at its own line.
    """
    config, issues = _load(path)
    if issues or config is None:
        raise MetricsFileError(issues)
    return config


def check_metrics_file(path: Path) -> list[Issue]:
    """Every issue in metrics.yml and the city.yml beside it (an empty list when both are clean)."""
    return sorted(_load(path)[1])


def load_metrics_text(
    text: str, file_label: str = "metrics.yml", profile: CityProfile | None = None
) -> MetricsConfig:
    """Load metrics.yml text, for the city ``profile`` if given (tests and previews)."""
    config, issues = _load_text(text, file_label, profile, profile is not None)
    if issues or config is None:
        raise MetricsFileError(issues)
    return config


def _load(path: Path) -> tuple[MetricsConfig | None, list[Issue]]:
    text, issues = read_config_file(path)
    profile, city_issues, has_city = _profile_beside(path)
    if text is None:
        return None, issues + city_issues
    config, metric_issues = _load_text(text, path.name, profile, has_city)
    issues = city_issues + metric_issues
    return (None, issues) if issues else (config, [])


def _profile_beside(path: Path) -> tuple[CityProfile | None, list[Issue], bool]:
    """The city.yml in the metrics file's folder: its profile, its issues, whether it exists."""
    city_path = path.parent / CITY_FILE
    if not city_path.exists():
        return None, [], False
    issues = check_city_file(city_path)
    if issues:
        return None, issues, True
    try:
        return load_city(path.parent), [], True
    except CityFileError as exc:
        return None, exc.issues, True


def _load_text(
    text: str, file_label: str, profile: CityProfile | None = None, has_city: bool = False
) -> tuple[MetricsConfig | None, list[Issue]]:
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
                "metrics.yml must be a mapping with 'defaults' and 'metrics'",
                "start the file with 'defaults:' and 'metrics:' sections",
            )
        ]
    plain = to_plain(root)
    try:
        top = MetricsFile.model_validate(plain)
    except ValidationError as exc:
        # Keep going with the metrics so one bad section does not hide the rest.
        issues = pydantic_issues(exc, MetricsFile, (), at, "the file")
        metric_issues, _ = validate_metrics(plain.get("metrics"), at, None)
        return None, issues + metric_issues
    issues = check_defaults(top.defaults, at)
    metric_issues, metrics = validate_metrics(top.metrics, at, top.defaults)
    issues += metric_issues
    issues += _city_issues(top, at, has_city)
    issues += check_departments(metrics, at, profile)
    issues += check_public_texts(metrics, at, profile)
    city = top.city if top.city is not None else _city_of(profile)
    if top.city is not None or profile is not None:  # a broken city.yml has no known year
        issues += check_quarter_labels(metrics, at, city.fiscal_year_start_month)
    if issues:
        return None, issues
    resolved = [resolve_metric(m, top.defaults) for _, m in metrics]
    config = MetricsConfig(
        city=city, defaults=top.defaults, metrics=resolved, file_label=file_label, profile=profile
    )
    return config, []


def resolve_metric(metric: Metric, defaults: Defaults) -> Metric:
    """A checked metric as it is computed: the defaults filled in, ``within_days`` written
    out as its numerator and denominator (pipelines/metrics/within.py)."""
    filled = metric.model_copy(
        update={
            "grains": metric.grains if metric.grains is not None else list(defaults.grains),
            "dimensions": metric.dimensions
            if metric.dimensions is not None
            else list(defaults.dimensions),
            "min_count": metric.min_count if metric.min_count is not None else defaults.min_count,
        }
    )
    return resolve_within(filled)


def _city_issues(top: MetricsFile, at: Locator, has_city: bool) -> list[Issue]:
    """metrics.yml names its city in ``city:`` only when no city.yml is beside it."""
    if has_city and top.city is not None:
        return [
            at.issue(
                ("city",),
                "the city is described in city.yml beside this file",
                "remove this 'city:' section (name, fiscal year and sources live in city.yml)",
            )
        ]
    if not has_city and top.city is None:
        return [
            at.issue(
                (),
                "no city.yml beside metrics.yml and no 'city:' section",
                "write the city's profile with `citystat init DIR`, or pass --city DIR",
            )
        ]
    return []


def _city_of(profile: CityProfile | None) -> City:
    """The city fields metric SQL needs, from the profile (a City of a profile that failed)."""
    if profile is None:
        return City(name="(city.yml has errors)")
    return City(
        name=profile.name,
        fiscal_year_start_month=profile.fiscal_year_start_month,
        sources=profile.source_names,
    )


def validate_metrics(
    raw_metrics: Any,
    at: Locator,
    defaults: Defaults | None,
    others: Sequence[Metric] = (),
    prefix: Loc = ("metrics",),
) -> tuple[list[Issue], list[tuple[Loc, Metric]]]:
    """Every issue of the metric entries, and the entries that type-checked.

    An entry that does not type-check is still checked by the semantic rules, repaired
    (pipelines/metrics/lenient.py), so one typo does not hide the metric's other mistakes.
    ``others``: metrics of another file a ratio here may divide (a draft's metrics.yml).
    """
    issues, entries = validate_metric_entries(raw_metrics, at, prefix)
    for loc, metric, unsure in entries:
        issues += check_metric(metric, loc, defaults or Defaults(), at, unsure)
    everything = [(loc, metric) for loc, metric, _ in entries]
    if defaults is not None:  # the file's defaults type-checked
        issues += check_across_metrics(everything, at, defaults, others)
    # Each department once its field type-checked (a stand-in would be "not an id").
    sure = [(loc, m) for loc, m, unsure in entries if "department" not in unsure]
    return issues, sure


def metric_sites(text: str, file_label: str) -> tuple[Locator, dict[str, Loc]]:
    """The parsed file as a Locator, and where each metric's entry is (by id), for checks
    that run after loading (warnings, the warehouse's values); a metrics.yml or a draft."""
    try:
        root = parse_yaml(text, file_label)
    except YamlSyntaxError:
        root = None
    at = Locator(file_label, root)
    entries, prefix = (root.get("metrics"), ("metrics",)) if isinstance(root, dict) else (root, ())
    if not isinstance(entries, list):
        return at, {}
    sites: dict[str, Loc] = {}
    for index, entry in enumerate(entries):
        if isinstance(entry, dict) and isinstance(entry.get("id"), str):
            sites.setdefault(str(entry["id"]), (*prefix, index))
    return at, sites
