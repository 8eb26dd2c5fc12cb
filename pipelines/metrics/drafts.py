"""Draft metrics: definitions tried against the city's metrics before they join metrics.yml.

A draft file holds metrics in the format of metrics.yml's ``metrics:`` list, under
``metrics:`` (or as a bare list). It is checked by the same rules, with the defaults of the
city's metrics.yml and the department registry of its city.yml, each issue at the draft's
own line. A draft metric may divide metrics of metrics.yml (a ratio), and one with the id of
a metric of metrics.yml stands in for it: that is how a change to a metric is tried.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.config.entries import read_config_file
from pipelines.config.hints import Locator
from pipelines.config.issues import Issue, MetricsFileError
from pipelines.config.yaml_lines import Loc, YamlSyntaxError, parse_yaml, to_plain
from pipelines.metrics.department_rules import check_departments
from pipelines.metrics.loader import resolve_metric, validate_metrics
from pipelines.metrics.model import MetricsConfig


def load_draft(path: Path, base: MetricsConfig) -> MetricsConfig:
    """The city's metrics with the draft's added (or standing in for those of the same id);
    ``file_label`` names the draft. MetricsFileError lists every issue of the draft."""
    text, issues = read_config_file(path)
    if text is None:
        raise MetricsFileError(issues)
    config, issues = load_draft_text(text, path.name, base)
    if config is None:
        raise MetricsFileError(issues)
    return config


def load_draft_text(
    text: str, file_label: str, base: MetricsConfig
) -> tuple[MetricsConfig | None, list[Issue]]:
    """A draft's text loaded against ``base``: the combined config, or None and the issues."""
    try:
        root = parse_yaml(text, file_label)
    except YamlSyntaxError as exc:
        return None, [exc.issue]
    at = Locator(file_label, root)
    raw, prefix, issues = _entries(root, at)
    if raw is None:
        return None, issues
    drafted = {str(e["id"]) for e in raw if isinstance(e, dict) and isinstance(e.get("id"), str)}
    others = [m for m in base.metrics if m.id not in drafted]
    found, metrics = validate_metrics(raw, at, base.defaults, others, prefix)
    issues += found
    issues += check_departments(metrics, at, base.profile)
    if not metrics and not issues:
        issues.append(
            at.issue((), f"{file_label} holds no metric", "list metrics under 'metrics:'")
        )
    if issues:
        return None, sorted(issues)
    draft = [resolve_metric(m, base.defaults) for _, m in metrics]
    combined = base.model_copy(update={"metrics": [*others, *draft], "file_label": file_label})
    return combined, []


def _entries(root: object, at: Locator) -> tuple[list[object] | None, Loc, list[Issue]]:
    """The draft's metric entries and where they are, or None and why not."""
    if isinstance(root, list):
        return to_plain(root), (), []
    if isinstance(root, dict) and isinstance(root.get("metrics"), list):
        extra = [key for key in root if key != "metrics"]
        issues = [
            at.issue(
                (str(key),),
                f"a draft holds only 'metrics:', not '{key}'",
                "remove it: the defaults and the city come from metrics.yml and city.yml",
            )
            for key in extra
        ]
        return to_plain(root["metrics"]), ("metrics",), issues
    return (
        None,
        (),
        [
            at.issue(
                (),
                "a draft is a 'metrics:' list, as in metrics.yml",
                "start the file with 'metrics:' and list the draft metrics under it",
            )
        ],
    )
