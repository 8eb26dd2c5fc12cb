"""Compile a metric definition into one DuckDB query covering all its grains and dimensions.

Pure functions: nothing here touches a database. Values from metrics.yml reach the SQL only
as named parameters (``$name``); the only interpolated identifiers are column names, grains
and dimensions that the rules have already checked against fixed lists, and they are quoted.
The data's as-of timestamp is the parameter ``$as_of``, supplied when the query runs.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from textwrap import indent
from typing import Any

from pipelines.metrics.availability import needed_columns
from pipelines.metrics.backlog import (
    backlog_columns,
    version_spans_sql,
    version_spans_table,
)
from pipelines.metrics.backlog_check import backlog_check_sql
from pipelines.metrics.backlog_update import backlog_update_sql
from pipelines.metrics.core_sql import core_sql
from pipelines.metrics.delta_counts import DELTA_KINDS, delta_counts_sql
from pipelines.metrics.incremental import (
    previous_sql,
    replaced_by,
)
from pipelines.metrics.model import Metric, MetricsConfig
from pipelines.metrics.periods import (
    GRAIN_STEP,
    period_start_sql,
)
from pipelines.metrics.sql_parts import (
    Params,
    coverage_ctes,
    quote,
    with_ctes,
)
from pipelines.metrics.status_sql import finish_sql
from pipelines.metrics.tables import metric_table


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
    core = core_sql(config, metric, use_grains, dims, params, shared_spans=shared_spans)
    sql = finish_sql(config, metric, core, use_grains, params)
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
    sql = finish_sql(config, metric, core, use_grains, params, status="'not_available'")
    return CompiledQuery(metric.id, sql, dict(params.values))


def compile_spark(
    config: MetricsConfig, metric_id: str, *, available: bool = True
) -> CompiledQuery:
    """The metric's full query in Spark SQL: the DuckDB query transpiled with SQLGlot
    (pipelines/metrics/spark_sql.py), the same parameters bound by name (``:x``)."""
    # SQLGlot is imported on the Spark path only: the DuckDB path never pays for it.
    from pipelines.metrics.spark_sql import to_spark

    query = (
        compile_metric(config, metric_id) if available else compile_unavailable(config, metric_id)
    )
    return CompiledQuery(query.metric_id, to_spark(query.sql), query.params)


def compile_incremental(config: MetricsConfig, metric_id: str) -> CompiledQuery:
    """The metric's values rebuilt from the previous run's and what this run changed
    (pipelines/metrics/incremental.py); binds ``$previous_as_of`` and ``$changed_run_id``
    besides ``$as_of`` (a ratio reads its parts' new values instead)."""
    metric = config.metric(metric_id)
    params = Params()
    grains = config.grains(metric)
    # A backlog's incremental core holds only its changed periods, with their markers.
    core = core_sql(config, metric, grains, config.dimensions(metric), params, incremental=True)
    partial = metric.kind != "ratio"
    if partial:
        core, partial = _partial_core(core, params, metric)
    sql = finish_sql(config, metric, core, grains, params)
    return CompiledQuery(metric.id, sql, dict(params.values), partial)


def _partial_core(core: str, params: Params, metric: Metric) -> tuple[str, bool]:
    """An incremental core and whether it replaces only the periods it marks: not when the
    metric has a target from history, which reads the year before each period and so
    changes beyond them (the whole core is then its kept rows and the replaced ones)."""
    if metric.target is None:
        return core, True
    return _with_kept_periods_sql(core, params, metric.id), False


@dataclass(frozen=True)
class CompiledFamily:
    """One query for several metrics: its rows are every member's, told apart by metric_id;
    ``partial`` holds the members whose rows are replaced only in the periods they mark (an
    incremental query's; the others yield all their rows)."""

    members: tuple[str, ...]
    sql: str
    params: dict[str, Any]
    partial: frozenset[str]

    def query(self) -> CompiledQuery:
        """The family as one query, bound like its first member's."""
        return CompiledQuery(self.members[0], self.sql, dict(self.params), partial=False)


def metric_families(config: MetricsConfig) -> list[tuple[str, ...]]:
    """Every family of metrics computed by one query: percentile_families, and in a daily
    run update_families."""
    return [*percentile_families(config), *update_families(config)]


def percentile_families(config: MetricsConfig) -> list[tuple[str, ...]]:
    """Groups of two or more percentiles whose cores, full and incremental, differ only in
    the percentile (same table, rows, durations, grains and breakdowns): the median and the
    90th percentile of a service. One aggregate computes all of a group's quantiles at
    the cost of one (a second quantile_cont of the same rows sorts nothing again)."""
    groups: dict[str, list[str]] = {}
    for metric in config.metrics:
        if metric.kind != "duration_percentile":
            continue
        grains, dims = config.grains(metric), config.dimensions(metric)
        key: list[object] = [grains]
        for incremental in (False, True):
            params = Params()
            core = core_sql(config, metric, grains, dims, params, incremental=incremental)
            key += [core, sorted((k, v) for k, v in params.values.items() if k != "percentile")]
        groups.setdefault(json.dumps(key, default=str), []).append(metric.id)
    return [tuple(ids) for ids in groups.values() if len(ids) > 1]


# The kinds a daily run updates several of in one query (update_families).
UPDATE_KINDS = (*DELTA_KINDS, "backlog")


def update_families(config: MetricsConfig) -> list[tuple[str, ...]]:
    """Groups of two or more metrics a daily run updates in one query, whatever rows each
    keeps: counts (or shares) of one table with the same grains and breakdowns
    (delta_counts_sql), and backlogs of one table with the same grains
    (backlog_update_sql)."""
    groups: dict[tuple[object, ...], list[str]] = {}
    for metric in config.metrics:
        if metric.kind in UPDATE_KINDS:
            grains = config.grains(metric)
            dims = config.dimensions(metric) if metric.kind in DELTA_KINDS else []
            key = (metric.kind, metric.table, tuple(grains), tuple(dims))
            groups.setdefault(key, []).append(metric.id)
    return [tuple(ids) for ids in groups.values() if len(ids) > 1]


FAMILY_CORE = "family_core"  # the CTE of a family's shared rows


def compile_family(
    config: MetricsConfig, members: tuple[str, ...], *, incremental: bool
) -> CompiledFamily:
    """The queries of a family (metric_families) as one, then each member finished as
    compile_metric or compile_incremental finishes it (targets, labels, status), its
    parameters renamed apart. A percentile family's core computes every member's quantile
    in one aggregate (``$percentile`` bound to their list), in full or incremental; an
    update family's core (incremental only) is delta_counts_sql or backlog_update_sql of
    every member, its rows told apart by metric_id."""
    metrics = [config.metric(m) for m in members]
    first = metrics[0]
    params = Params()
    grains, dims = config.grains(first), config.dimensions(first)
    keyed = first.kind in UPDATE_KINDS
    if keyed:
        if not incremental:
            raise ValueError(f"{first.kind} metrics are one query each in a full compute")
        update = delta_counts_sql if first.kind in DELTA_KINDS else backlog_update_sql
        core = update(config, metrics, params)
    else:
        core = core_sql(config, first, grains, dims, params, incremental=incremental)
        params.named("percentile", [m.percentile for m in metrics])
    values = dict(params.values)
    finished, partial = [], set()
    for position, metric in enumerate(metrics, start=1):
        own = Params()
        if keyed:
            member = own.named("member", metric.id)
            member_core = (
                f"SELECT * EXCLUDE (metric_id) FROM {FAMILY_CORE} WHERE metric_id = {member}"
            )
        else:
            member_core = f"SELECT * REPLACE (value[{position}] AS value) FROM {FAMILY_CORE}"
        if incremental:
            member_core, replaces_marked = _partial_core(member_core, own, metric)
            if replaces_marked:
                partial.add(metric.id)
        sql = finish_sql(config, metric, member_core, grains, own)
        prefix = f"m{position}_"
        # Longest names first, so a name that begins another is never renamed inside it.
        for name in sorted(own.values, key=len, reverse=True):
            sql = re.sub(rf"\${re.escape(name)}\b", f"${prefix}{name}", sql)
            values[prefix + name] = own.values[name]
        finished.append(f"SELECT * FROM (\n{indent(sql, '    ')}\n)")
    sql = (
        f"WITH {FAMILY_CORE} AS MATERIALIZED (\n{indent(core, '    ')}\n)\n"
        + "\nUNION ALL\n".join(finished)
    )
    return CompiledFamily(members, sql, values, frozenset(partial))


def _with_kept_periods_sql(core: str, params: Params, metric_id: str) -> str:
    """A partial core made whole: its new rows, and the previous rows of every period it
    does not mark as replaced (a metric's rows are few beside the records they count)."""
    ctes = [("replaced", core), ("previous_rows", previous_sql(params, metric_id))]
    final = (
        "SELECT * FROM replaced WHERE dimension IS NOT NULL\n"
        "UNION ALL BY NAME\n"
        "SELECT * FROM previous_rows AS p WHERE NOT EXISTS (\n"
        f"    SELECT 1 FROM replaced AS r WHERE {replaced_by('r', 'p')}\n"
        ")"
    )
    return with_ctes(ctes, final)


def compile_backlog_check(
    config: MetricsConfig, metric_id: str, *, closer: bool = False
) -> CompiledQuery:
    """A query counting why a backlog cannot be updated incrementally (0 when it can);
    ``closer``: a lost member counts only when no other record is seen to hold it (slower,
    for when the quick check found one)."""
    metric = config.metric(metric_id)
    params = Params()
    coverage = coverage_ctes(metric.table, needed_columns(metric), params)
    dimensions = config.dimensions(metric)
    sql = backlog_check_sql(config, metric, dimensions, params, coverage, closer=closer)
    return CompiledQuery(metric.id, sql, dict(params.values))


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


def explain(config: MetricsConfig, metric_id: str, engine: str = "duckdb") -> str:
    """The SQL a metric runs on ``engine`` (duckdb or spark), followed by its parameters."""
    spark = engine == "spark"
    compiled = compile_spark(config, metric_id) if spark else compile_metric(config, metric_id)
    mark = ":" if spark else "$"
    title = f"-- metric: {metric_id}" + (" (Spark SQL)" if spark else "")
    lines = [title, compiled.sql, "", "-- parameters:"]
    lines.append(f"--   {mark}as_of = <the data's as-of timestamp, supplied at run time>")
    lines += [f"--   {mark}{name} = {value!r}" for name, value in compiled.params.items()]
    return "\n".join(lines) + "\n"
