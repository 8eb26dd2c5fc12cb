"""Compile a metric definition into one DuckDB query covering all its grains and dimensions.

Pure functions: nothing here touches a database. Values from metrics.yml reach the SQL only
as named parameters (``$name``); the only interpolated identifiers are column names, grains
and dimensions that the rules have already checked against fixed lists, and they are quoted.
The data's as-of timestamp is the parameter ``$as_of``, supplied when the query runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from textwrap import indent
from typing import Any

from pipelines.metrics.model import AS_OF, Condition, Metric, MetricsConfig
from pipelines.metrics.periods import (
    GRAIN_STEP,
    period_end_sql,
    period_label_sql,
    period_start_sql,
)

KEY_COLUMNS = ("grain", "period_start", "dimension", "dimension_value")
SQL_OPS = {"=": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


@dataclass(frozen=True)
class CompiledQuery:
    """The SQL of one metric and its bound parameters (``$as_of`` is added at run time)."""

    metric_id: str
    sql: str
    params: dict[str, Any]

    def bind(self, as_of: datetime) -> dict[str, Any]:
        """All parameters the query needs, with the data's as-of timestamp."""
        return {**self.params, "as_of": as_of}


@dataclass
class _Params:
    """Collects bound parameters under readable, unique names."""

    values: dict[str, Any] = field(default_factory=dict)

    def add(self, value: Any, stem: str) -> str:
        name = f"{stem}_{len(self.values) + 1}"
        self.values[name] = value
        return f"${name}"

    def named(self, name: str, value: Any) -> str:
        self.values[name] = value
        return f"${name}"


def quote(identifier: str) -> str:
    """Quote an identifier that comes from validated configuration."""
    return '"' + identifier.replace('"', '""') + '"'


def compile_metric(
    config: MetricsConfig, metric_id: str, grains: list[str] | None = None
) -> CompiledQuery:
    """Compile one metric (optionally only some grains) into SQL producing metric_values rows."""
    metric = config.metric(metric_id)
    params = _Params()
    use_grains = grains if grains is not None else config.grains(metric)
    core = _core_sql(config, metric, use_grains, config.dimensions(metric), params)
    sql = _finish_sql(config, metric, core, use_grains, params)
    return CompiledQuery(metric.id, sql, dict(params.values))


def explain(config: MetricsConfig, metric_id: str) -> str:
    """The SQL a metric runs, followed by its parameters."""
    compiled = compile_metric(config, metric_id)
    lines = [f"-- metric: {metric_id}", compiled.sql, "", "-- parameters:"]
    lines.append("--   $as_of = <the data's as-of timestamp, supplied at run time>")
    lines += [f"--   ${name} = {value!r}" for name, value in compiled.params.items()]
    return "\n".join(lines) + "\n"


def conditions_sql(conditions: list[Condition], params: _Params) -> str:
    """AND of conditions as SQL with bound values ('TRUE' when there are none)."""
    if not conditions:
        return "TRUE"
    return " AND ".join(condition_sql(condition, params) for condition in conditions)


def condition_sql(condition: Condition, params: _Params) -> str:
    """One structured condition as SQL."""
    if condition.any_of is not None:
        return "(" + " OR ".join(condition_sql(c, params) for c in condition.any_of) + ")"
    column = quote(condition.column or "")
    op = condition.op or ""
    if op == "is_null":
        return f"{column} IS NULL"
    if op == "is_not_null":
        return f"{column} IS NOT NULL"
    if op in ("in", "not_in"):
        placeholders = ", ".join(params.add(value, "value") for value in condition.value)
        return f"{column} {'NOT IN' if op == 'not_in' else 'IN'} ({placeholders})"
    if condition.column_ref is not None:
        return f"{column} {SQL_OPS[op]} {quote(condition.column_ref)}"
    if condition.value == AS_OF:
        return f"{column} {SQL_OPS[op]} $as_of"
    return f"{column} {SQL_OPS[op]} {params.add(condition.value, 'value')}"


def _core_sql(
    config: MetricsConfig,
    metric: Metric,
    grains: list[str],
    dimensions: list[str],
    params: _Params,
) -> str:
    """SQL yielding grain, period_start, dimension, dimension_value, value, numerator,
    denominator and count for every period and breakdown of one metric."""
    if metric.kind == "ratio":
        return _ratio_sql(config, metric, grains, dimensions, params)
    if metric.kind == "backlog":
        return _backlog_sql(config, metric, grains, dimensions, params)
    return _event_sql(config, metric, grains, dimensions, params)


def _dimension_columns(dimensions: list[str]) -> list[str]:
    # NULL breakdown values are reported as 'Unknown' rather than dropped.
    return [
        f"COALESCE(CAST({quote(d)} AS VARCHAR), 'Unknown') AS {quote('d_' + d)}" for d in dimensions
    ]


def _event_sql(
    config: MetricsConfig,
    metric: Metric,
    grains: list[str],
    dimensions: list[str],
    params: _Params,
) -> str:
    """count, share and duration_percentile: group rows by the period their timestamp is in."""
    where = [conditions_sql(metric.filter, params)]
    columns = _dimension_columns(dimensions)
    if metric.kind == "duration_percentile":
        start, end = quote(metric.start or "opened_at"), quote(metric.end or "closed_at")
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
        ts = quote(metric.date or "opened_at")
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
        ts = quote(metric.date or "opened_at")
        aggregates = [
            "CAST(count(*) AS DOUBLE) AS value",
            "CAST(NULL AS DOUBLE) AS numerator",
            "CAST(NULL AS DOUBLE) AS denominator",
            "count(*) AS count",
        ]
    where += [f"{ts} IS NOT NULL", f"{ts} <= $as_of"]
    source = (
        "SELECT\n"
        + indent(",\n".join([f"{ts} AS ts", *columns]), "    ")
        + "\nFROM service_requests\nWHERE "
        + "\n  AND ".join(f"({w})" for w in where if w != "TRUE")
    )
    if all(w == "TRUE" for w in where):
        source = source.removesuffix("\nWHERE ")
    ctes = [("source_rows", source), *_grouped_ctes(config, grains, dimensions, aggregates)]
    if metric.kind == "count":
        # Periods with no requests still get a row (value 0), like the backlog spine.
        ctes += _dense_ctes(config, grains)
        final = (
            "SELECT s.grain, s.period_start, m.dimension, m.dimension_value,\n"
            "    COALESCE(g.value, 0) AS value, g.numerator, g.denominator,\n"
            "    COALESCE(g.count, 0) AS count\n"
            "FROM spine AS s\nCROSS JOIN members AS m\n"
            "LEFT JOIN grouped AS g USING (grain, period_start, dimension, dimension_value)"
        )
    else:
        final = "SELECT * FROM grouped"
    return _with(ctes, final)


def _backlog_sql(
    config: MetricsConfig,
    metric: Metric,
    grains: list[str],
    dimensions: list[str],
    params: _Params,
) -> str:
    """Open (or open and overdue) requests at each period end, from a spine of periods.

    A request is in the backlog at instant t when it was opened before t (and, for overdue,
    was due before t) and was not closed before t. So it enters at greatest(opened_at[, due_at])
    and leaves at greatest(that, closed_at); the backlog at a period end is the running sum
    of +1/-1 events before it. For the current, unfinished period it is the backlog at as_of.
    """
    enter = "greatest(opened_at, due_at)" if metric.overdue else "opened_at"
    where = [
        conditions_sql(metric.filter, params),
        "opened_at IS NOT NULL",
        "status IS DISTINCT FROM 'cancelled'",
    ]
    if metric.overdue:
        where.append("due_at IS NOT NULL")
    dims = [quote("d_" + d) for d in dimensions]
    source = (
        "SELECT\n"
        + indent(
            ",\n".join([f"{enter} AS entered_at", "closed_at", *_dimension_columns(dimensions)]),
            "    ",
        )
        + "\nFROM service_requests\nWHERE "
        + "\n  AND ".join(f"({w})" for w in where if w != "TRUE")
    )
    keep = "".join(f", {d}" for d in dims)
    events = (
        f"SELECT entered_at AS ts, 1 AS delta{keep} FROM backlog_rows\n"
        "UNION ALL\n"
        f"SELECT greatest(entered_at, closed_at) AS ts, -1 AS delta{keep} FROM backlog_rows\n"
        "WHERE closed_at IS NOT NULL"
    )
    source_rows = "SELECT * FROM events WHERE ts <= $as_of"
    aggregates = ["sum(delta) AS change"]
    ctes = [
        ("backlog_rows", source),
        ("events", events),
        ("source_rows", source_rows),
        *_grouped_ctes(config, grains, dimensions, aggregates),
        *_dense_ctes(config, grains),
    ]
    final = (
        "SELECT grain, period_start, dimension, dimension_value,\n"
        "    CAST(running AS DOUBLE) AS value, CAST(NULL AS DOUBLE) AS numerator,\n"
        "    CAST(NULL AS DOUBLE) AS denominator, CAST(running AS BIGINT) AS count\n"
        "FROM (\n"
        "    SELECT s.grain, s.period_start, m.dimension, m.dimension_value,\n"
        "        sum(COALESCE(g.change, 0)) OVER (\n"
        "            PARTITION BY s.grain, m.dimension, m.dimension_value\n"
        "            ORDER BY s.period_start ROWS UNBOUNDED PRECEDING\n"
        "        ) AS running\n"
        "    FROM spine AS s\n"
        "    CROSS JOIN members AS m\n"
        "    LEFT JOIN grouped AS g USING (grain, period_start, dimension, dimension_value)\n"
        ") AS backlog"
    )
    return _with(ctes, final)


def _grouped_ctes(
    config: MetricsConfig, grains: list[str], dimensions: list[str], aggregates: list[str]
) -> list[tuple[str, str]]:
    """periods and grouped CTEs: one scan, one GROUPING SETS aggregate for every grain x
    breakdown (citywide plus each dimension)."""
    fy = config.city.fiscal_year_start_month
    period_cols = [f"{period_start_sql(g, 'ts', fy)} AS {quote('p_' + g)}" for g in grains]
    periods = "SELECT *,\n" + indent(",\n".join(period_cols), "    ") + "\nFROM source_rows"
    sets = []
    for grain in grains:
        p = quote("p_" + grain)
        sets.append(f"({p})")
        sets += [f"({p}, {quote('d_' + d)})" for d in dimensions]
    grain_case = "\n".join(f"WHEN GROUPING({quote('p_' + g)}) = 0 THEN '{g}'" for g in grains)
    dim_case = "\n".join(f"WHEN GROUPING({quote('d_' + d)}) = 0 THEN '{d}'" for d in dimensions)
    starts = ", ".join(quote("p_" + g) for g in grains)
    values = ", ".join([*(quote("d_" + d) for d in dimensions), "'Citywide'"])
    select = [
        f"CASE\n{indent(grain_case, '    ')}\nEND AS grain",
        f"CAST(COALESCE({starts}) AS DATE) AS period_start",
        f"CASE\n{indent(dim_case, '    ')}\n    ELSE 'citywide'\nEND AS dimension"
        if dimensions
        else "'citywide' AS dimension",
        f"COALESCE({values}) AS dimension_value",
        *aggregates,
    ]
    grouped = (
        "SELECT\n"
        + indent(",\n".join(select), "    ")
        + "\nFROM periods\nGROUP BY GROUPING SETS (\n"
        + indent(",\n".join(sets), "    ")
        + "\n)"
    )
    return [("periods", periods), ("grouped", grouped)]


def _dense_ctes(config: MetricsConfig, grains: list[str]) -> list[tuple[str, str]]:
    """spine (every period from the first event to as_of, per grain) and members (every
    breakdown value seen, plus citywide)."""
    fy = config.city.fiscal_year_start_month
    parts = [
        f"SELECT '{g}' AS grain, CAST(unnest(generate_series(\n"
        f"    {period_start_sql(g, 'first_ts', fy)},\n"
        f"    {period_start_sql(g, 'CAST($as_of AS TIMESTAMP)', fy)},\n"
        f"    {GRAIN_STEP[g]}\n"
        f")) AS DATE) AS period_start\nFROM (SELECT min(ts) AS first_ts FROM source_rows)"
        for g in grains
    ]
    members = (
        "SELECT DISTINCT dimension, dimension_value FROM grouped\n"
        "UNION\nSELECT 'citywide', 'Citywide'"
    )
    return [("spine", "\nUNION ALL\n".join(parts)), ("members", members)]


def _ratio_sql(
    config: MetricsConfig,
    metric: Metric,
    grains: list[str],
    dimensions: list[str],
    params: _Params,
) -> str:
    """numerator_metric / denominator_metric, matched on grain, period and breakdown."""
    numerator = config.metric(metric.numerator_metric or "")
    denominator = config.metric(metric.denominator_metric or "")
    ctes = [
        ("numerator_values", _core_sql(config, numerator, grains, dimensions, params)),
        ("denominator_values", _core_sql(config, denominator, grains, dimensions, params)),
    ]
    final = (
        "SELECT grain, period_start, dimension, dimension_value,\n"
        "    n.value / NULLIF(d.value, 0) AS value,\n"
        "    n.value AS numerator,\n"
        "    d.value AS denominator,\n"
        "    CAST(NULL AS BIGINT) AS count\n"
        "FROM numerator_values AS n\n"
        "FULL JOIN denominator_values AS d USING (grain, period_start, dimension, dimension_value)"
    )
    return _with(ctes, final)


def _with(ctes: list[tuple[str, str]], final: str) -> str:
    parts = [f"{name} AS (\n{indent(body, '    ')}\n)" for name, body in ctes]
    return "WITH " + ",\n".join(parts) + "\n" + final


def _finish_sql(
    config: MetricsConfig, metric: Metric, core: str, grains: list[str], params: _Params
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
    status = _status_sql(config, metric, params)
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
    return _with(ctes, final)


def _target_ctes(metric: Metric, params: _Params) -> list[tuple[str, str]]:
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


def _status_sql(config: MetricsConfig, metric: Metric, params: _Params) -> str:
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
