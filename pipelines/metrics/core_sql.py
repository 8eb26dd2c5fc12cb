"""The core SQL of any metric kind: events, backlogs, and ratios of two metrics (which recurse)."""

from __future__ import annotations

from pipelines.metrics.availability import needed_columns
from pipelines.metrics.backlog import backlog_sql
from pipelines.metrics.backlog_update import single_backlog_update_sql
from pipelines.metrics.delta_counts import DELTA_KINDS, single_delta_sql
from pipelines.metrics.event_sql import event_sql
from pipelines.metrics.model import Metric, MetricsConfig
from pipelines.metrics.sql_parts import (
    CORE_KEYS,
    Params,
    coverage_ctes,
    with_ctes,
)


def ratio_sql(
    config: MetricsConfig,
    metric: Metric,
    grains: list[str],
    dimensions: list[str],
    params: Params,
    *,
    shared_spans: bool = False,
) -> str:
    """numerator_metric / denominator_metric, matched on grain, period and breakdown."""
    # A part's own age breakdown has no counterpart in the other part: drop it.
    numerator = config.metric(metric.numerator_metric or "").model_copy(
        update={"age_buckets": None}
    )
    denominator = config.metric(metric.denominator_metric or "").model_copy(
        update={"age_buckets": None}
    )
    ctes = [
        (
            "numerator_values",
            core_sql(config, numerator, grains, dimensions, params, shared_spans=shared_spans),
        ),
        (
            "denominator_values",
            core_sql(config, denominator, grains, dimensions, params, shared_spans=shared_spans),
        ),
    ]
    return with_ctes(ctes, RATIO_OF_PARTS)


# A ratio from its parts' values (CTEs numerator_values and denominator_values).
RATIO_OF_PARTS = (
    "SELECT grain, period_start, dimension, dimension_value,\n"
    "    n.value / NULLIF(d.value, 0) AS value,\n"
    "    n.value AS numerator,\n"
    "    d.value AS denominator,\n"
    "    CAST(NULL AS BIGINT) AS count\n"
    "FROM numerator_values AS n\n"
    "FULL JOIN denominator_values AS d USING (grain, period_start, dimension, dimension_value)"
)


def ratio_from_values_sql(
    metric: Metric, grains: list[str], dimensions: list[str], params: Params
) -> str:
    """A ratio from its parts' values computed earlier in the same run (their rows at the
    ratio's grains and breakdowns are exactly the parts' cores)."""
    ctes = []
    for part, part_id in (
        ("numerator", metric.numerator_metric or ""),
        ("denominator", metric.denominator_metric or ""),
    ):
        ctes.append(
            (
                f"{part}_values",
                f"SELECT {CORE_KEYS}, value FROM metric_values\n"
                f"WHERE metric_id = {params.named(part + '_metric', part_id)}\n"
                f"  AND grain IN {params.in_list(grains, 'grain')}\n"
                f"  AND dimension IN {params.in_list(['citywide', *dimensions], 'dimension')}",
            )
        )
    return with_ctes(ctes, RATIO_OF_PARTS)


def core_sql(
    config: MetricsConfig,
    metric: Metric,
    grains: list[str],
    dimensions: list[str],
    params: Params,
    *,
    shared_spans: bool = False,
    incremental: bool = False,
) -> str:
    """SQL yielding grain, period_start, dimension, dimension_value, value, numerator,
    denominator and count for every period and breakdown of one metric."""
    if metric.kind == "ratio":
        if incremental:
            return ratio_from_values_sql(metric, grains, dimensions, params)
        return ratio_sql(config, metric, grains, dimensions, params, shared_spans=shared_spans)
    if incremental and metric.kind in DELTA_KINDS:
        return single_delta_sql(config, metric, params)
    if incremental and metric.kind == "backlog":
        return single_backlog_update_sql(config, metric, params)
    coverage = coverage_ctes(metric.table, needed_columns(metric), params)
    if metric.kind == "backlog":
        return backlog_sql(
            config, metric, grains, dimensions, params, coverage, shared_spans=shared_spans
        )
    return event_sql(config, metric, grains, dimensions, params, coverage, incremental)
