"""The last step of every metric's SQL: targets by date, the status against them, the final rows."""

from __future__ import annotations

from textwrap import indent

from pipelines.metrics.model import Metric, MetricsConfig, has_target
from pipelines.metrics.periods import (
    period_end_sql,
    period_label_sql,
)
from pipelines.metrics.sql_parts import (
    Params,
    with_ctes,
)


def finish_sql(
    config: MetricsConfig,
    metric: Metric,
    core: str,
    grains: list[str],
    params: Params,
    status: str | None = None,
) -> str:
    """Add period end, label, completeness, the target in force and the status."""
    fy = config.city.fiscal_year_start_month
    end_case = "\n".join(f"WHEN '{g}' THEN {period_end_sql(g, 'period_start')}" for g in grains)
    label_case = "\n".join(
        f"WHEN '{g}' THEN {period_label_sql(g, 'period_start', fy)}" for g in grains
    )
    ctes = [("metric_core", core)]
    if metric.targets:
        ctes += _target_ctes(metric, params)
    elif metric.target is not None:
        ctes += _history_target_ctes(metric)
    labelled = (
        "SELECT *,\n"
        f"    CASE grain\n{indent(end_case, '        ')}\n    END AS period_end,\n"
        f"    CASE grain\n{indent(label_case, '        ')}\n    END AS period_label\n"
        f"FROM {'with_target' if has_target(metric) else 'metric_core'}"
    )
    ctes.append(("labelled", labelled))
    metric_id = params.named("metric_id", metric.id)
    status = status or _status_sql(config, metric, params)
    columns = [
        f"{metric_id} AS metric_id",
        "grain",
        "period_start",
        "period_end",
        "period_label",
        "period_end <= CAST($as_of AS DATE) AS is_complete",
        "dimension",
        "dimension_value",
        "CAST(value AS DOUBLE) AS value",
        "numerator",
        "denominator",
        "CAST(count AS BIGINT) AS count",
        "target" if has_target(metric) else "CAST(NULL AS DOUBLE) AS target",
        f"{status} AS status",
    ]
    final = (
        "SELECT\n"
        + indent(",\n".join(columns), "    ")
        + "\nFROM labelled\nORDER BY grain, period_start, dimension, dimension_value"
    )
    return with_ctes(ctes, final)


def _target_ctes(metric: Metric, params: Params) -> list[tuple[str, str]]:
    rows = []
    for index, target in enumerate(metric.targets, start=1):
        start = params.named(f"target_{index}_from", target.from_)
        value = params.named(f"target_{index}_value", target.value)
        grain = params.named(f"target_{index}_grain", target.grain) if target.grain else "NULL"
        rows.append(f"(CAST({start} AS DATE), CAST({value} AS DOUBLE), CAST({grain} AS VARCHAR))")
    targets = "SELECT * FROM (VALUES\n" + indent(",\n".join(rows), "    ")
    targets += "\n) AS t(target_from, target_value, target_grain)"
    # The target in force is the latest one that started on or before the period start;
    # a target restricted to a grain wins a tie with a general one. A count or backlog target
    # is a citywide total, so it says nothing about one district's share of the work.
    with_target = (
        "SELECT c.*, t.target_value AS target\n"
        "FROM metric_core AS c\n"
        "LEFT JOIN targets AS t\n"
        "    ON t.target_from <= c.period_start\n"
        "    AND (t.target_grain IS NULL OR t.target_grain = c.grain)\n"
        f"{_citywide_only(metric)}"
        "QUALIFY row_number() OVER (\n"
        "    PARTITION BY c.grain, c.period_start, c.dimension, c.dimension_value\n"
        "    ORDER BY t.target_from DESC NULLS LAST, t.target_grain NULLS LAST\n"
        ") = 1"
    )
    return [("targets", targets), ("with_target", with_target)]


def _citywide_only(metric: Metric) -> str:
    # A count or backlog target is a citywide total: it says nothing of one district's share.
    return "    AND c.dimension = 'citywide'\n" if metric.kind in ("count", "backlog") else ""


# How each rule sums up the values of the year before a period. One standard deviation
# "better" is below the mean when lower is better and above it when higher is better. The
# mean and deviation add in period order: a floating-point sum depends on its order, and a
# daily run's update must give the last bit a full recompute gives.
_ORDERED = "h.value ORDER BY h.period_start"
_HISTORY_AGGREGATES = {
    ("last_year_median", "lower_is_better"): "median(h.value)",
    ("last_year_median", "higher_is_better"): "median(h.value)",
    ("last_year_mean_sd", "lower_is_better"): f"avg({_ORDERED}) - stddev_samp({_ORDERED})",
    ("last_year_mean_sd", "higher_is_better"): f"avg({_ORDERED}) + stddev_samp({_ORDERED})",
}


def _history_target_ctes(metric: Metric) -> list[tuple[str, str]]:
    """Each row's target from the same grain and breakdown's values of the year before its
    period (periods that started within the 12 months before it; every one is complete).
    A period with no such value has no target; the standard deviation needs two values."""
    assert metric.target is not None
    direction = metric.direction or "lower_is_better"  # the rules require one
    aggregate = _HISTORY_AGGREGATES[(metric.target.from_history, direction)]
    history = (
        f"SELECT c.grain, c.period_start, c.dimension, c.dimension_value, {aggregate} AS target\n"
        "FROM metric_core AS c\n"
        "JOIN metric_core AS h\n"
        "    ON h.grain = c.grain AND h.dimension = c.dimension\n"
        "    AND h.dimension_value = c.dimension_value\n"
        "    AND h.period_start >= c.period_start - INTERVAL 1 YEAR\n"
        "    AND h.period_start < c.period_start\n"
        f"{_citywide_only(metric)}"
        "GROUP BY ALL"
    )
    with_target = (
        "SELECT c.*, t.target\n"
        "FROM metric_core AS c\n"
        "LEFT JOIN history_target AS t USING (grain, period_start, dimension, dimension_value)"
    )
    return [("history_target", history), ("with_target", with_target)]


def _status_sql(config: MetricsConfig, metric: Metric, params: Params) -> str:
    """on_track / watch / off_track against the target, or a grey state."""
    if not has_target(metric) or metric.direction is None:
        return "'no_target'"
    whens = ["WHEN target IS NULL THEN 'no_target'"]
    observations = {"share": "denominator", "duration_percentile": "count"}.get(metric.kind)
    if observations is not None:
        min_count = params.named("min_count", config.min_count(metric))
        whens.append(f"WHEN COALESCE({observations}, 0) < {min_count} THEN 'too_little_data'")
    whens.append("WHEN value IS NULL THEN 'too_little_data'")
    band = params.named("watch_band", metric.watch_band)
    if metric.direction == "higher_is_better":
        whens += [
            "WHEN value >= target THEN 'on_track'",
            f"WHEN value >= target - abs(target) * {band} THEN 'watch'",
        ]
    else:
        whens += [
            "WHEN value <= target THEN 'on_track'",
            f"WHEN value <= target + abs(target) * {band} THEN 'watch'",
        ]
    return "CASE\n" + indent("\n".join([*whens, "ELSE 'off_track'"]), "        ") + "\n    END"
