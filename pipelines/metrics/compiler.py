"""Compile a metric definition into one DuckDB query covering all its grains and dimensions.

Pure functions: nothing here touches a database. Values from metrics.yml reach the SQL only
as named parameters (``$name``); the only interpolated identifiers are column names, grains
and dimensions that the rules have already checked against fixed lists, and they are quoted.
The data's as-of timestamp is the parameter ``$as_of``, supplied when the query runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from textwrap import indent
from typing import Any

from pipelines.metrics.availability import needed_columns, resolved_columns
from pipelines.metrics.backlog import (
    backlog_check_sql,
    backlog_columns,
    backlog_sql,
    version_spans_sql,
    version_spans_table,
)
from pipelines.metrics.incremental import (
    affected_ctes,
    as_of_periods_sql,
    delta_rows_ctes,
    previous_sql,
    recent_rows_table,
)
from pipelines.metrics.model import AS_OF, Metric, MetricsConfig
from pipelines.metrics.periods import (
    GRAIN_STEP,
    period_end_sql,
    period_label_sql,
    period_start_sql,
)
from pipelines.metrics.sql_parts import (
    KEEP_COVERED_SOURCES,
    Params,
    conditions_sql,
    coverage_ctes,
    dense_ctes,
    dimension_columns,
    grouped_ctes,
    quote,
    select_sql,
    with_ctes,
)
from pipelines.metrics.tables import metric_table

KEY_COLUMNS = ("grain", "period_start", "dimension", "dimension_value")
CORE_KEYS = ", ".join(KEY_COLUMNS)


@dataclass(frozen=True)
class CompiledQuery:
    """The SQL of one metric and its bound parameters (``$as_of`` is added at run time)."""

    metric_id: str
    sql: str
    params: dict[str, Any]
    # An incremental query replacing only some periods: it also yields one row with a NULL
    # dimension per period it replaces (SCOPE_MARKERS); otherwise it yields every row.
    partial: bool = False

    def bind(self, as_of: datetime) -> dict[str, Any]:
        """All parameters the query needs, with the data's as-of timestamp."""
        return {**self.params, "as_of": as_of}


def compile_metric(
    config: MetricsConfig,
    metric_id: str,
    grains: list[str] | None = None,
    *,
    shared_spans: bool = False,
) -> CompiledQuery:
    """Compile one metric (optionally only some grains) into SQL producing metric_values rows.

    With ``shared_spans`` a backlog reads the version spans materialised beforehand (see
    ``spans_statement``) instead of deriving them; the values are the same.
    """
    metric = config.metric(metric_id)
    params = Params()
    use_grains = grains if grains is not None else config.grains(metric)
    dims = config.dimensions(metric)
    core = _core_sql(config, metric, use_grains, dims, params, shared_spans=shared_spans)
    sql = _finish_sql(config, metric, core, use_grains, params)
    return CompiledQuery(metric.id, sql, dict(params.values))


def compile_unavailable(
    config: MetricsConfig, metric_id: str, grains: list[str] | None = None
) -> CompiledQuery:
    """Rows saying a metric is not available: citywide, the latest complete and the current
    period of each grain, NULL value, status not_available (so the scorecard shows why)."""
    metric = config.metric(metric_id)
    params = Params()
    use_grains = grains if grains is not None else config.grains(metric)
    fy = config.city.fiscal_year_start_month
    current = "CAST($as_of AS TIMESTAMP)"
    periods = []
    for grain in use_grains:
        start = period_start_sql(grain, current, fy)
        periods.append(f"SELECT '{grain}' AS grain, CAST({start} AS DATE) AS period_start")
        periods.append(f"SELECT '{grain}', CAST({start} - {GRAIN_STEP[grain]} AS DATE)")
    core = (
        "SELECT grain, period_start, 'citywide' AS dimension, 'Citywide' AS dimension_value,\n"
        "    CAST(NULL AS DOUBLE) AS value, CAST(NULL AS DOUBLE) AS numerator,\n"
        "    CAST(NULL AS DOUBLE) AS denominator, CAST(NULL AS BIGINT) AS count\n"
        "FROM (\n" + indent("\nUNION ALL\n".join(periods), "    ") + "\n) AS latest_periods"
    )
    sql = _finish_sql(config, metric, core, use_grains, params, status="'not_available'")
    return CompiledQuery(metric.id, sql, dict(params.values))


def compile_incremental(config: MetricsConfig, metric_id: str) -> CompiledQuery:
    """The metric's values rebuilt from the previous run's and what this run changed
    (pipelines/metrics/incremental.py); binds ``$previous_as_of`` and ``$changed_run_id``
    besides ``$as_of`` (a ratio reads its parts' new values instead)."""
    metric = config.metric(metric_id)
    params = Params()
    grains = config.grains(metric)
    core = _core_sql(config, metric, grains, config.dimensions(metric), params, incremental=True)
    if metric.kind == "backlog":
        core = _changed_periods_sql(config, core, grains, params, metric.id)
    sql = _finish_sql(config, metric, core, grains, params)
    partial = metric.kind != "ratio"
    return CompiledQuery(metric.id, sql, dict(params.values), partial)


def _changed_periods_sql(
    config: MetricsConfig, core: str, grains: list[str], params: Params, metric_id: str
) -> str:
    """Only the periods of ``core`` whose rows differ from the previous ones, and those the
    as-of moved through (their completeness changes), each with its SCOPE_MARKERS row: a
    backlog's running sums are computed whole, but most periods keep their values."""
    compared = f"{CORE_KEYS}, value, count"
    differ = (
        "SELECT DISTINCT grain, period_start FROM (\n"
        f"    (SELECT {compared} FROM all_rows EXCEPT SELECT {compared} FROM previous_rows)\n"
        "    UNION ALL\n"
        f"    (SELECT {compared} FROM previous_rows EXCEPT SELECT {compared} FROM all_rows)\n"
        ")\nUNION\n"
        f"SELECT DISTINCT * FROM (\n{indent(as_of_periods_sql(config, grains), '    ')}\n)"
    )
    ctes = [
        ("all_rows", core),
        ("previous_rows", previous_sql(params, metric_id)),
        ("changed_periods", differ),
    ]
    final = (
        "SELECT * FROM all_rows SEMI JOIN changed_periods USING (grain, period_start)\n"
        f"UNION ALL BY NAME\n{SCOPE_MARKERS.format('changed_periods')}"
    )
    return with_ctes(ctes, final)


def compile_backlog_check(config: MetricsConfig, metric_id: str) -> CompiledQuery:
    """A query counting why a backlog cannot be updated incrementally (0 when it can)."""
    metric = config.metric(metric_id)
    params = Params()
    coverage = coverage_ctes(metric.table, needed_columns(metric), params)
    sql = backlog_check_sql(config, metric, config.dimensions(metric), params, coverage)
    return CompiledQuery(metric.id, sql, dict(params.values))


def as_of_columns(metric: Metric) -> list[str]:
    """Columns the metric's conditions compare with the as-of time (ratio parts excluded)."""
    conditions = [*metric.filter, *(metric.numerator or []), *(metric.denominator or [])]
    columns: list[str] = []
    while conditions:
        condition = conditions.pop()
        if condition.value == AS_OF and condition.column:
            columns.append(condition.column)
        conditions += condition.any_of or []
    return sorted(set(columns))


def span_tables(config: MetricsConfig, metric_id: str) -> list[str]:
    """Canonical tables whose version spans the metric reads (its backlogs' tables)."""
    metric = config.metric(metric_id)
    if metric.kind == "ratio":
        parts = [metric.numerator_metric or "", metric.denominator_metric or ""]
        return list(dict.fromkeys(t for part in parts for t in span_tables(config, part)))
    return [metric.table] if metric.kind == "backlog" else []


def span_columns(config: MetricsConfig, table_name: str) -> list[str]:
    """Columns every backlog of ``table_name`` reads (a ratio's parts, with its breakdowns)."""
    columns: list[str] = []
    for metric in config.metrics:
        if metric.kind == "backlog" and metric.table == table_name:
            columns += backlog_columns(metric, config.dimensions(metric))
        if metric.kind == "ratio":
            for part_id in (metric.numerator_metric or "", metric.denominator_metric or ""):
                part = config.metric(part_id)
                if part.kind == "backlog" and part.table == table_name:
                    columns += backlog_columns(part, config.dimensions(metric))
    return list(dict.fromkeys(columns))


def spans_statement(table_name: str, columns: list[str] | None = None) -> str:
    """The statement materialising a table's version spans (no parameters); ``columns``
    narrows them to what the metrics read (span_columns), every column when None."""
    name = quote(version_spans_table(table_name))
    spans = version_spans_sql(metric_table(table_name), columns)
    return f"CREATE OR REPLACE TEMP TABLE {name} AS\n{spans}"


def explain(config: MetricsConfig, metric_id: str) -> str:
    """The SQL a metric runs, followed by its parameters."""
    compiled = compile_metric(config, metric_id)
    lines = [f"-- metric: {metric_id}", compiled.sql, "", "-- parameters:"]
    lines.append("--   $as_of = <the data's as-of timestamp, supplied at run time>")
    lines += [f"--   ${name} = {value!r}" for name, value in compiled.params.items()]
    return "\n".join(lines) + "\n"


def _core_sql(
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
            return _ratio_from_values_sql(metric, grains, dimensions, params)
        return _ratio_sql(config, metric, grains, dimensions, params, shared_spans=shared_spans)
    coverage = coverage_ctes(metric.table, needed_columns(metric), params)
    if metric.kind == "backlog":
        return backlog_sql(
            config,
            metric,
            grains,
            dimensions,
            params,
            coverage,
            shared_spans=shared_spans or incremental,
            incremental=incremental,
        )
    return _event_sql(config, metric, grains, dimensions, params, coverage, incremental)


def _event_sql(
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
        return _event_delta_sql(config, metric, grains, dimensions, params, coverage, rows)
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
    if metric.kind == "count":
        # Periods with no records still get a row (value 0), like the backlog spine.
        ctes += dense_ctes(config, grains)
        final = (
            "SELECT s.grain, s.period_start, m.dimension, m.dimension_value,\n"
            "    COALESCE(g.value, 0) AS value, g.numerator, g.denominator,\n"
            "    COALESCE(g.count, 0) AS count\n"
            "FROM spine AS s\nCROSS JOIN members AS m\n"
            "LEFT JOIN grouped AS g USING (grain, period_start, dimension, dimension_value)"
        )
    else:
        final = "SELECT * FROM grouped"
    return with_ctes(ctes, final)


# One row per replaced period of an incremental query: its dimension is NULL, so it is
# never inserted, but every previous row of its period is deleted (pipelines/metrics/compute.py).
SCOPE_MARKERS = "SELECT grain, period_start, CAST(NULL AS VARCHAR) AS dimension FROM {}"


def _event_delta_sql(
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
        *grouped_ctes(config, grains, dimensions, aggregates, source="delta_rows", prefix="delta_"),
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


def _ratio_sql(
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
            _core_sql(config, numerator, grains, dimensions, params, shared_spans=shared_spans),
        ),
        (
            "denominator_values",
            _core_sql(config, denominator, grains, dimensions, params, shared_spans=shared_spans),
        ),
    ]
    return with_ctes(ctes, _RATIO_OF_PARTS)


# A ratio from its parts' values (CTEs numerator_values and denominator_values).
_RATIO_OF_PARTS = (
    "SELECT grain, period_start, dimension, dimension_value,\n"
    "    n.value / NULLIF(d.value, 0) AS value,\n"
    "    n.value AS numerator,\n"
    "    d.value AS denominator,\n"
    "    CAST(NULL AS BIGINT) AS count\n"
    "FROM numerator_values AS n\n"
    "FULL JOIN denominator_values AS d USING (grain, period_start, dimension, dimension_value)"
)


def _ratio_from_values_sql(
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
                f"SELECT {', '.join(KEY_COLUMNS)}, value FROM metric_values\n"
                f"WHERE metric_id = {params.named(part + '_metric', part_id)}\n"
                f"  AND grain IN {params.in_list(grains, 'grain')}\n"
                f"  AND dimension IN {params.in_list(['citywide', *dimensions], 'dimension')}",
            )
        )
    return with_ctes(ctes, _RATIO_OF_PARTS)


def _finish_sql(
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
    labelled = (
        "SELECT *,\n"
        f"    CASE grain\n{indent(end_case, '        ')}\n    END AS period_end,\n"
        f"    CASE grain\n{indent(label_case, '        ')}\n    END AS period_label\n"
        f"FROM {'with_target' if metric.targets else 'metric_core'}"
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
        "target" if metric.targets else "CAST(NULL AS DOUBLE) AS target",
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
    citywide_only = (
        "    AND c.dimension = 'citywide'\n" if metric.kind in ("count", "backlog") else ""
    )
    with_target = (
        "SELECT c.*, t.target_value AS target\n"
        "FROM metric_core AS c\n"
        "LEFT JOIN targets AS t\n"
        "    ON t.target_from <= c.period_start\n"
        "    AND (t.target_grain IS NULL OR t.target_grain = c.grain)\n"
        f"{citywide_only}"
        "QUALIFY row_number() OVER (\n"
        "    PARTITION BY c.grain, c.period_start, c.dimension, c.dimension_value\n"
        "    ORDER BY t.target_from DESC NULLS LAST, t.target_grain NULLS LAST\n"
        ") = 1"
    )
    return [("targets", targets), ("with_target", with_target)]


def _status_sql(config: MetricsConfig, metric: Metric, params: Params) -> str:
    """on_track / watch / off_track against the target, or a grey state."""
    if not metric.targets or metric.direction is None:
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
