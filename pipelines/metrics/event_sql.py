"""SQL of event metrics (counts, shares, percentiles), in full and by difference for a daily run."""

from __future__ import annotations

from textwrap import indent

from pipelines.metrics.availability import needed_columns, resolved_columns
from pipelines.metrics.incremental import (
    affected_ctes,
    as_of_periods_sql,
    delta_rows_ctes,
    previous_sql,
    recent_rows_table,
)
from pipelines.metrics.model import Metric, MetricsConfig, as_of_columns
from pipelines.metrics.periods import (
    period_start_sql,
)
from pipelines.metrics.sql_parts import (
    CORE_KEYS,
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
    ``incremental`` regroups only the affected periods (pipelines/metrics/incremental.py)."""
    table = metric_table(metric.table)
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
    if incremental and metric.kind != "duration_percentile":
        rows = (ts, [f"{ts} AS ts", *columns], where)
        return event_delta_sql(config, metric, grains, dimensions, params, coverage, rows)
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


def event_delta_sql(
    config: MetricsConfig,
    metric: Metric,
    grains: list[str],
    dimensions: list[str],
    params: Params,
    coverage: list[tuple[str, str]],
    rows: tuple[str, list[str], list[str]],
) -> str:
    """count and share updated by difference: each group's previous count (and successes)
    plus the signed rows that changed (delta_rows_ctes), in the periods they touch and those
    the as-of moved through. ``rows``: the timestamp, columns and conditions selecting the
    metric's rows."""
    ts, columns, where = rows
    share = metric.kind == "share"
    aggregates = ["CAST(sum(sign) AS BIGINT) AS count"]
    if share:
        aggregates.append(
            "CAST(COALESCE(sum(sign) FILTER (WHERE is_success), 0) AS BIGINT) AS successes"
        )
    scope = (
        f"SELECT DISTINCT grain, period_start FROM (\n"
        f"{indent(as_of_periods_sql(config, grains), '    ')}\n"
        "    UNION ALL\n    SELECT grain, period_start FROM delta_grouped\n)"
    )
    table = metric_table(metric.table)
    ctes = [
        *coverage,
        *delta_rows_ctes(table, ts, as_of_columns(metric), columns, where),
        *grouped_ctes(
            config,
            grains,
            dimensions,
            aggregates,
            source="delta_rows",
            prefix="delta_",
            few_rows=True,
        ),
        ("previous", previous_sql(params, metric.id)),
        ("scope", scope),
        ("combined", _combined_counts_sql(share)),
    ]
    if share:
        final = (
            "SELECT grain, period_start, dimension, dimension_value,\n"
            "    successes / count AS value,\n"
            "    CAST(successes AS DOUBLE) AS numerator,\n"
            "    CAST(count AS DOUBLE) AS denominator,\n"
            "    count\n"
            "FROM combined SEMI JOIN scope USING (grain, period_start)\n"
            f"UNION ALL BY NAME\n{SCOPE_MARKERS.format('scope')}"
        )
        return with_ctes(ctes, final)
    return with_ctes([*ctes, *_dense_count_ctes(config, grains)], _DENSE_COUNT)


def _combined_counts_sql(share: bool) -> str:
    """Each group's new count (and successes): its previous ones plus its differences; a
    group left with no record has no row, as in a full recompute."""
    # A share's previous numerator is its count of successes, exactly (a whole number).
    successes = ", successes" if share else ""
    return (
        "SELECT grain, period_start, dimension, dimension_value,\n"
        "    CAST(sum(count) AS BIGINT) AS count"
        + (",\n    CAST(sum(successes) AS BIGINT) AS successes" if share else "")
        + "\nFROM (\n"
        f"    SELECT {CORE_KEYS}, count"
        + (", CAST(numerator AS BIGINT) AS successes" if share else "")
        + "\n    FROM previous WHERE count > 0\n"
        f"    UNION ALL\n    SELECT {CORE_KEYS}, count{successes} FROM delta_grouped\n"
        ")\n"
        f"GROUP BY {CORE_KEYS}\nHAVING sum(count) > 0"
    )


def _dense_count_ctes(config: MetricsConfig, grains: list[str]) -> list[tuple[str, str]]:
    """spine and members of the new groups, and the periods a count replaces: every one
    when its breakdown members or first period differ from the previous rows', since
    those shape every period."""
    changed_shape = (
        "SELECT EXISTS (\n"
        "    SELECT dimension, dimension_value FROM members\n"
        "    EXCEPT SELECT dimension, dimension_value FROM previous\n"
        ") OR EXISTS (\n"
        "    SELECT dimension, dimension_value FROM previous\n"
        "    EXCEPT SELECT dimension, dimension_value FROM members\n"
        ") OR EXISTS (\n"
        "    SELECT grain, min(period_start) FROM spine GROUP BY grain\n"
        "    EXCEPT SELECT grain, min(period_start) FROM previous GROUP BY grain\n"
        ") OR EXISTS (\n"
        "    SELECT grain, min(period_start) FROM previous GROUP BY grain\n"
        "    EXCEPT SELECT grain, min(period_start) FROM spine GROUP BY grain\n"
        ") AS whole"
    )
    replaced = (
        "SELECT * FROM scope\nUNION\n"
        "SELECT grain, period_start FROM spine WHERE (SELECT whole FROM changed_shape)\nUNION\n"
        "SELECT grain, period_start FROM previous WHERE (SELECT whole FROM changed_shape)"
    )
    return [
        *dense_ctes(config, grains, "combined", first_from="combined"),
        ("changed_shape", changed_shape),
        ("replaced", replaced),
    ]


# A count's rows in the periods it replaces (_dense_count_ctes), zero for an empty group.
_DENSE_COUNT = (
    "SELECT s.grain, s.period_start, m.dimension, m.dimension_value,\n"
    "    COALESCE(CAST(g.count AS DOUBLE), 0) AS value,\n"
    "    CAST(NULL AS DOUBLE) AS numerator, CAST(NULL AS DOUBLE) AS denominator,\n"
    "    COALESCE(g.count, 0) AS count\n"
    "FROM (SELECT * FROM spine SEMI JOIN replaced USING (grain, period_start)) AS s\n"
    "CROSS JOIN members AS m\n"
    "LEFT JOIN combined AS g USING (grain, period_start, dimension, dimension_value)\n"
    f"UNION ALL BY NAME\n{SCOPE_MARKERS.format('replaced')}"
)
