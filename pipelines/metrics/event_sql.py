"""SQL of event metrics (counts, shares, percentiles) in full, and percentiles in a daily run."""

from __future__ import annotations

from pipelines.metrics.availability import needed_columns, resolved_columns
from pipelines.metrics.incremental import (
    affected_ctes,
    recent_rows_table,
)
from pipelines.metrics.model import Metric, MetricsConfig, as_of_columns
from pipelines.metrics.periods import (
    period_start_sql,
)
from pipelines.metrics.sql_parts import (
    KEEP_COVERED_SOURCES,
    Params,
    conditions_sql,
    data_span_cte,
    dense_ctes,
    dimension_columns,
    grouped_ctes,
    quote,
    select_sql,
    with_ctes,
)
from pipelines.metrics.tables import metric_table


def event_rows(
    metric: Metric, dimensions: list[str], params: Params
) -> tuple[str, list[str], list[str], list[str]]:
    """The timestamp an event metric's rows are dated by, their columns, the conditions that
    select them (row alias ``r``, judged at ``$as_of``) and the aggregates of a group."""
    timestamps = resolved_columns(metric)
    where = [conditions_sql(metric.filter, params), KEEP_COVERED_SOURCES]
    columns = dimension_columns(dimensions, params)
    if metric.kind == "duration_percentile":
        start, end = quote(timestamps["start"]), quote(timestamps["end"])
        ts = end
        where.append(f"{start} IS NOT NULL")
        columns.append(f"(epoch({end}) - epoch({start})) / 86400.0 AS days")
        percentile = params.named("percentile", metric.percentile)
        aggregates = [
            f"quantile_cont(days, {percentile}) AS value",
            "CAST(NULL AS DOUBLE) AS numerator",
            "CAST(NULL AS DOUBLE) AS denominator",
            "count(*) AS count",
        ]
    elif metric.kind == "share":
        ts = quote(timestamps["date"])
        where.append(conditions_sql(metric.denominator or [], params))
        success = conditions_sql(metric.numerator or [], params)
        columns.append(f"COALESCE({success}, FALSE) AS is_success")
        aggregates = [
            "count(*) FILTER (WHERE is_success) / count(*) AS value",
            "CAST(count(*) FILTER (WHERE is_success) AS DOUBLE) AS numerator",
            "CAST(count(*) AS DOUBLE) AS denominator",
            "count(*) AS count",
        ]
    else:
        ts = quote(timestamps["date"])
        aggregates = [
            "CAST(count(*) AS DOUBLE) AS value",
            "CAST(NULL AS DOUBLE) AS numerator",
            "CAST(NULL AS DOUBLE) AS denominator",
            "count(*) AS count",
        ]
    where += [f"{ts} IS NOT NULL", f"{ts} <= $as_of"]
    return ts, columns, where, aggregates


def event_sql(
    config: MetricsConfig,
    metric: Metric,
    grains: list[str],
    dimensions: list[str],
    params: Params,
    coverage: list[tuple[str, str]],
    incremental: bool = False,
) -> str:
    """count, share and duration_percentile: group rows by the period their timestamp is in;
    ``incremental`` (a percentile: counts and shares are updated by difference in
    pipelines/metrics/delta_counts.py) regroups only the affected periods
    (pipelines/metrics/incremental.py)."""
    table = metric_table(metric.table)
    timestamps = resolved_columns(metric)
    ts, columns, where, aggregates = event_rows(metric, dimensions, params)
    if incremental:
        # A constant range test (affected_from_sql); each grain then keeps its own periods.
        where.append(f"{ts} >= $affected_from")
    # An incremental percentile reads the rows materialised for it (recent_rows_statement).
    read = quote(recent_rows_table(table.name) if incremental else table.name)
    source = select_sql([f"{ts} AS ts", *columns], f"{read} AS r", where)
    if incremental:
        # A percentile needs every duration of its period: the affected ones are regrouped.
        ctes = [
            *coverage,
            *affected_ctes(
                config,
                table,
                grains,
                ts,
                [*needed_columns(metric), *dimensions],
                as_of_columns(metric),
            ),
            ("source_rows", source),
        ]
        # Grain by grain, only the rows of that grain's affected periods: the current fiscal
        # year's rows are all needed for it, but a week's quantiles need only its own week.
        fy = config.city.fiscal_year_start_month
        for g in grains:
            in_affected = (
                f"CAST({period_start_sql(g, 'ts', fy)} AS DATE) IN "
                f"(SELECT period_start FROM affected WHERE grain = '{g}')"
            )
            ctes.append((f"{g}_rows", f"SELECT * FROM source_rows WHERE {in_affected}"))
            ctes += grouped_ctes(
                config, [g], dimensions, aggregates, source=f"{g}_rows", prefix=f"{g}_"
            )
        fresh = "\nUNION ALL\n".join(f"SELECT * FROM {g}_grouped" for g in grains)
        return with_ctes(ctes, f"{fresh}\nUNION ALL BY NAME\n{SCOPE_MARKERS.format('affected')}")
    else:
        ctes = [
            *coverage,
            ("source_rows", source),
            *grouped_ctes(config, grains, dimensions, aggregates),
        ]
    # A metric that matches no record still has the periods of the data (data_span_cte).
    ts_column = timestamps["end" if metric.kind == "duration_percentile" else "date"]
    spine, members = dense_ctes(config, grains, data_span=True)
    ctes += [data_span_cte(table.name, ts_column), spine]
    if metric.kind == "count":
        # Periods with no records still get a row (value 0), like the backlog spine.
        ctes.append(members)
        final = (
            "SELECT s.grain, s.period_start, m.dimension, m.dimension_value,\n"
            "    COALESCE(g.value, 0) AS value, g.numerator, g.denominator,\n"
            "    COALESCE(g.count, 0) AS count\n"
            "FROM spine AS s\nCROSS JOIN members AS m\n"
            "LEFT JOIN grouped AS g USING (grain, period_start, dimension, dimension_value)"
        )
    else:
        # A share or duration period without records has no value; but one that matches no
        # record at all says so citywide in every period ("no data": value NULL, count 0),
        # rather than vanishing from every page.
        none = "CAST(0 AS DOUBLE)" if metric.kind == "share" else "CAST(NULL AS DOUBLE)"
        final = (
            "SELECT * FROM grouped\nUNION ALL BY NAME\n"
            "SELECT grain, period_start, 'citywide' AS dimension, 'Citywide' AS dimension_value,\n"
            f"    CAST(NULL AS DOUBLE) AS value, {none} AS numerator, {none} AS denominator,\n"
            "    CAST(0 AS BIGINT) AS count\n"
            "FROM spine WHERE NOT EXISTS (SELECT 1 FROM grouped)"
        )
    return with_ctes(ctes, final)


# One row per replaced period of an incremental query: its dimension is NULL, so it is
# never inserted, but every previous row of its period is deleted (pipelines/metrics/compute.py).
SCOPE_MARKERS = "SELECT grain, period_start, CAST(NULL AS VARCHAR) AS dimension FROM {}"
