"""metrics.yml against the city's source mappings: every column a metric reads is mapped.

A metric reads timestamp columns (its ``date``, ``start``, ``end``, ``due``, or its table's
default for each) and the columns of its conditions. When no source of the metric's table
maps one of them, the run publishes the metric as "not available for this source"; `citystat
metrics check` says so beforehand, at the metric's line, with what to map or choose instead.
Sources whose mapping does not load are left to `citystat sources check`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipelines.config.hints import Locator
from pipelines.config.issues import Issue
from pipelines.config.yaml_lines import Loc, YamlSyntaxError, parse_yaml, read_config_text
from pipelines.ingest.mapping import column_coverage
from pipelines.ingest.mapping_files import MappingError, load_source, mapping_path
from pipelines.metrics.availability import condition_columns, resolved_columns
from pipelines.metrics.model import Metric, MetricsConfig
from pipelines.metrics.tables import metric_table
from pipelines.warehouse.layout import in_city


@dataclass(frozen=True)
class SourceColumns:
    """One loadable source: the canonical table it feeds and the columns it fills."""

    source: str
    table: str
    filled: frozenset[str]
    file: str  # the mapping file, as messages name it


def city_source_columns(config: MetricsConfig, city: Path) -> list[SourceColumns]:
    """The columns each source the city loads fills (mappings that do not load are skipped)."""
    found = []
    with in_city(city):
        for source in config.city.sources:
            try:
                mapping = load_source(source)
            except MappingError:
                continue  # `citystat sources check` reports it, with its line
            filled = frozenset(c for c, ok in column_coverage(mapping).items() if ok)
            found.append(SourceColumns(source, mapping.kind, filled, str(mapping_path(source))))
    return found


def check_metrics_against_sources(path: Path, config: MetricsConfig) -> list[Issue]:
    """Every column a metric of ``path`` reads that no source of its table maps."""
    try:
        root = parse_yaml(read_config_text(path), path.name)
    except (OSError, YamlSyntaxError):
        return []  # the metrics file's own check reports it
    sources = city_source_columns(config, path.parent)
    return check_against_sources(config, Locator(path.name, root), sources)


def check_against_sources(
    config: MetricsConfig, at: Locator, sources: list[SourceColumns]
) -> list[Issue]:
    """The issues of each metric whose table's sources lack a column it reads."""
    issues: list[Issue] = []
    for index, metric in enumerate(config.metrics):
        if metric.kind == "ratio":
            continue  # its two metrics are checked themselves
        feeding = [s for s in sources if s.table == metric.table]
        if feeding:
            issues += _metric_issues(metric, ("metrics", index), at, feeding)
    return issues


def _metric_issues(
    metric: Metric, where: Loc, at: Locator, feeding: list[SourceColumns]
) -> list[Issue]:
    issues = []
    table = metric_table(metric.table)
    names = ", ".join(s.source for s in feeding)
    files = ", ".join(s.file for s in feeding)
    for role, column in _read_columns(metric):
        if any(column in s.filled for s in feeding):
            continue
        explicit = role in ("filter", "numerator", "denominator") or getattr(metric, role, None)
        said = "" if explicit else f" (the default {role} of {table.name})"
        mapped = [c for c in table.timestamp_columns if all(c in s.filled for s in feeding)]
        if role in ("filter", "numerator", "denominator"):
            instead = f"or change the '{role}' condition on {column}"
        elif mapped:
            instead = f"or set '{role}:' to a column they map ({', '.join(mapped)})"
        else:
            instead = f"or set '{role}:' to a timestamp column they map"
        issues.append(
            at.issue(
                (*where, role) if explicit else where,
                f"metric '{metric.id}': {role} column {column}{said} is mapped by no "
                f"{table.name} source ({names}), so the run would publish it as not available",
                f"map {column} under columns: in {files}, {instead}",
            )
        )
    return issues


def _read_columns(metric: Metric) -> list[tuple[str, str]]:
    """(field naming it, column) for each column the metric reads, at its first mention."""
    columns = list(resolved_columns(metric).items())
    seen = {column for _, column in columns}
    for field in ("filter", "numerator", "denominator"):
        for column in condition_columns(getattr(metric, field) or []):
            if column not in seen:
                seen.add(column)
                columns.append((field, column))
    return columns
