"""SQL of counts and shares updated by difference in a daily run, several metrics in one query.

A group's value is a count (of records, of successes), so the new counts are the previous
ones plus the signed rows that differ (``delta_rows_ctes`` in pipelines/metrics/incremental.py),
in the periods they touch and those the as-of moved through. The counts (or the shares) of
one table with the same grains and breakdowns (every service's requests, say) differ only in
which rows they keep: their signed rows are told apart by ``metric_id`` and grouped, added to
the previous values and given a spine together, in one query instead of one each: the same
work, planned and started once (the demo's 14 counts and shares are 2 statements; about
0.1 s of a daily run at 10M, bench/analysis.md).

Pure functions: nothing here touches a database.
"""

from __future__ import annotations

from collections.abc import Sequence
from textwrap import indent

from pipelines.metrics.availability import needed_columns
from pipelines.metrics.event_sql import event_rows
from pipelines.metrics.incremental import as_of_periods_sql, delta_rows_ctes
from pipelines.metrics.model import Metric, MetricsConfig, as_of_columns
from pipelines.metrics.sql_parts import (
    MEMBER_KEYS,
    MEMBER_MARKERS,
    MEMBERS,
    Params,
    coverage_ctes,
    dense_ctes,
    grouped_ctes,
    member_ctes,
    one_member_sql,
    with_ctes,
)
from pipelines.metrics.tables import metric_table

DELTA_KINDS = ("count", "share")  # the kinds updated by difference


def single_delta_sql(config: MetricsConfig, metric: Metric, params: Params) -> str:
    """One count or share updated by difference: delta_counts_sql of it alone."""
    return one_member_sql(delta_counts_sql(config, [metric], params))


def delta_counts_sql(config: MetricsConfig, metrics: Sequence[Metric], params: Params) -> str:
    """metric_id and the core columns of each of ``metrics`` (counts, or shares, of one
    table with the same grains and breakdowns) updated by difference: each group's previous
    count (and successes) plus its signed rows that changed, and one marker row (NULL
    dimension) per period a metric replaces."""
    first = metrics[0]
    grains, dimensions = config.grains(first), config.dimensions(first)
    share = first.kind == "share"
    names = [params.add(metric.id, "member") for metric in metrics]
    deltas = [
        f"SELECT * FROM (\n{indent(_member_delta_sql(metric, dimensions, params, name), '    ')}\n)"
        for metric, name in zip(metrics, names, strict=True)
    ]
    aggregates = ["CAST(sum(sign) AS BIGINT) AS count"]
    if share:
        aggregates.append(
            "CAST(COALESCE(sum(sign) FILTER (WHERE is_success), 0) AS BIGINT) AS successes"
        )
    as_of_periods = indent(as_of_periods_sql(config, grains), "        ")
    scope = (
        "SELECT DISTINCT metric_id, grain, period_start FROM (\n"
        "    SELECT m.metric_id, a.grain, a.period_start\n"
        f"    FROM (\n{as_of_periods}\n    ) AS a\n    CROSS JOIN {MEMBERS} AS m\n"
        "    UNION ALL\n    SELECT metric_id, grain, period_start FROM delta_grouped\n)"
    )
    ctes = [
        *member_ctes(names),
        ("member_rows", "\nUNION ALL\n".join(deltas)),
        *grouped_ctes(
            config,
            grains,
            dimensions,
            aggregates,
            source="member_rows",
            prefix="delta_",
            few_rows=True,
            key="metric_id",
        ),
        ("scope", scope),
        ("combined", _combined_counts_sql(share)),
    ]
    if share:
        final = (
            "SELECT metric_id, grain, period_start, dimension, dimension_value,\n"
            "    successes / count AS value,\n"
            "    CAST(successes AS DOUBLE) AS numerator,\n"
            "    CAST(count AS DOUBLE) AS denominator,\n"
            "    count\n"
            "FROM combined SEMI JOIN scope USING (metric_id, grain, period_start)\n"
            f"UNION ALL BY NAME\n{MEMBER_MARKERS.format('scope')}"
        )
        return with_ctes(ctes, final)
    ctes += _dense_count_ctes(config, grains)
    return with_ctes(
        ctes, f"{_DENSE_COUNT}\nUNION ALL BY NAME\n{MEMBER_MARKERS.format('replaced')}"
    )


def _member_delta_sql(metric: Metric, dimensions: list[str], params: Params, name: str) -> str:
    """One metric's signed rows that differ from the previous run's, with its id ``name``:
    its own coverage (sources lacking a column it reads), rows and conditions."""
    ts, columns, where, _ = event_rows(metric, dimensions, params)
    ctes = [
        *coverage_ctes(metric.table, needed_columns(metric), params),
        *delta_rows_ctes(
            metric_table(metric.table), ts, as_of_columns(metric), [f"{ts} AS ts", *columns], where
        ),
    ]
    return with_ctes(ctes, f"SELECT {name} AS metric_id, * FROM delta_rows")


def _combined_counts_sql(share: bool) -> str:
    """Each group's new count (and successes): its previous ones plus its differences; a
    group left with no record has no row, as in a full recompute."""
    # A share's previous numerator is its count of successes, exactly (a whole number).
    successes = ", successes" if share else ""
    return (
        f"SELECT {MEMBER_KEYS},\n"
        "    CAST(sum(count) AS BIGINT) AS count"
        + (",\n    CAST(sum(successes) AS BIGINT) AS successes" if share else "")
        + "\nFROM (\n"
        f"    SELECT {MEMBER_KEYS}, count"
        + (", CAST(numerator AS BIGINT) AS successes" if share else "")
        + "\n    FROM previous WHERE count > 0\n"
        f"    UNION ALL\n    SELECT {MEMBER_KEYS}, count{successes} FROM delta_grouped\n"
        ")\n"
        f"GROUP BY {MEMBER_KEYS}\nHAVING sum(count) > 0"
    )


def _dense_count_ctes(config: MetricsConfig, grains: list[str]) -> list[tuple[str, str]]:
    """spine and members of each metric's new groups, and the periods it replaces: every
    one when its breakdown members or first period differ from its previous rows', since
    those shape every period."""
    differ = [
        ("metric_id, dimension, dimension_value", "members", "previous", ""),
        ("metric_id, dimension, dimension_value", "previous", "members", ""),
        ("metric_id, grain, min(period_start)", "spine", "previous", " GROUP BY metric_id, grain"),
        ("metric_id, grain, min(period_start)", "previous", "spine", " GROUP BY metric_id, grain"),
    ]
    changed_shape = "\nUNION\n".join(
        f"SELECT metric_id FROM (\n    SELECT {columns} FROM {one}{group}\n"
        f"    EXCEPT SELECT {columns} FROM {other}{group}\n)"
        for columns, one, other, group in differ
    )
    replaced = "\nUNION\n".join(
        [
            "SELECT * FROM scope",
            *(
                f"SELECT metric_id, grain, period_start FROM {whole}\n"
                "SEMI JOIN changed_shape USING (metric_id)"
                for whole in ("spine", "previous")
            ),
        ]
    )
    return [
        *dense_ctes(config, grains, "combined", first_from="combined", key=("metric_id", MEMBERS)),
        ("changed_shape", changed_shape),
        ("replaced", replaced),
    ]


# Each count's rows in the periods it replaces (_dense_count_ctes), zero for an empty group.
_DENSE_COUNT = (
    "SELECT s.metric_id, s.grain, s.period_start, m.dimension, m.dimension_value,\n"
    "    COALESCE(CAST(g.count AS DOUBLE), 0) AS value,\n"
    "    CAST(NULL AS DOUBLE) AS numerator, CAST(NULL AS DOUBLE) AS denominator,\n"
    "    COALESCE(g.count, 0) AS count\n"
    "FROM (SELECT * FROM spine SEMI JOIN replaced USING (metric_id, grain, period_start)) AS s\n"
    "JOIN members AS m ON m.metric_id = s.metric_id\n"
    "LEFT JOIN combined AS g\n"
    "    ON g.metric_id = s.metric_id AND g.grain = s.grain AND g.period_start = s.period_start\n"
    "    AND g.dimension = m.dimension AND g.dimension_value = m.dimension_value"
)
