"""Run compiled metrics against the warehouse: write metric_values, or preview one metric."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import duckdb
import pandas as pd

from pipelines.metrics.availability import Availability, metric_availability
from pipelines.metrics.compiler import CompiledQuery, compile_metric, compile_unavailable
from pipelines.metrics.model import Metric, MetricsConfig
from pipelines.warehouse import CANONICAL_TABLES

VALUE_COLUMNS = (
    "metric_id, grain, period_start, period_end, period_label, is_complete, dimension, "
    "dimension_value, value, numerator, denominator, count, target, status"
)


def compute_metrics(
    con: duckdb.DuckDBPyConnection,
    config: MetricsConfig,
    as_of: datetime,
    progress: Callable[[str], None] | None = None,
    *,
    own_transaction: bool = True,
) -> int:
    """Replace metric_values and metric_definitions with every metric computed at ``as_of``.

    The replacement runs in its own transaction so readers never see half of it; pass
    ``own_transaction=False`` when the caller already holds a transaction on ``con``.
    """
    # Compile everything first: a metric that does not compile must not leave half the tables.
    compiled = [compile_metric(config, metric.id) for metric in config.metrics]
    written = 0
    if own_transaction:
        con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM metric_values")
        con.execute("DELETE FROM metric_definitions")
        for metric, query in zip(config.metrics, compiled, strict=True):
            availability = metric_availability(con, config, metric)
            if not availability.computable:
                query = compile_unavailable(config, metric.id)
            before = _count_rows(con)
            # query.sql is compiled from checked configuration; every value in it is bound.
            insert = f"INSERT INTO metric_values ({VALUE_COLUMNS})\n{query.sql}"
            con.execute(insert, query.bind(as_of))
            rows = _count_rows(con) - before
            written += rows
            _record_definition(con, config, metric, query, availability)
            if progress is not None:
                progress(f"{metric.id}: {rows} rows")
        if own_transaction:
            con.execute("COMMIT")
    except BaseException:
        if own_transaction:
            con.execute("ROLLBACK")
        raise
    return written


def _record_definition(
    con: duckdb.DuckDBPyConnection,
    config: MetricsConfig,
    metric: Metric,
    query: CompiledQuery,
    availability: Availability,
) -> None:
    """One metric_definitions row: the definition as written, its SQL and availability."""
    values = {
        "metric_id": metric.id,
        "label": metric.label,
        "description": metric.description,
        "methodology": metric.methodology,
        "department": metric.department,
        "owner": metric.owner,
        "cohort_service": metric.cohort_service,
        "unit": metric.unit,
        "direction": metric.direction,
        "kind": metric.kind,
        "grains": config.grains(metric),
        "dimensions": config.dimensions(metric),
        "min_count": config.min_count(metric),
        "sql": query.sql,
        "canonical_table": canonical_table(config, metric),
        "availability": availability.note,
        "baseline_period": metric.baseline.period if metric.baseline else None,
        "public": metric.public,
    }
    names = ", ".join(values)
    placeholders = ", ".join("?" for _ in values)
    con.execute(
        f"INSERT INTO metric_definitions ({names}) VALUES ({placeholders})",
        list(values.values()),
    )


def canonical_table(config: MetricsConfig, metric: Metric) -> str:
    """The table a metric reads; a ratio reads its numerator's."""
    while metric.kind == "ratio":
        metric = config.metric(metric.numerator_metric or "")
    return metric.table


def _count_rows(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT count(*) FROM metric_values").fetchone()
    return int(row[0]) if row else 0


def data_as_of(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """The as-of timestamp of the data: the latest published run's, else the latest event."""
    has_runs = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'runs'"
    ).fetchone()
    if has_runs and has_runs[0]:
        row = con.execute("SELECT max(data_as_of) FROM runs WHERE status = 'published'").fetchone()
        if row and row[0] is not None:
            return row[0]
    # Every canonical table's latest timestamp, ignoring none: the newest event of any.
    latest = " UNION ALL ".join(
        f"SELECT max(ts) AS ts FROM (SELECT unnest([{', '.join(table.version_columns)}]) AS ts "
        f"FROM {table.name})"
        for table in CANONICAL_TABLES.values()
    )
    row = con.execute(f"SELECT max(ts) FROM ({latest})").fetchone()
    return row[0] if row else None


def preview(
    con: duckdb.DuckDBPyConnection,
    config: MetricsConfig,
    metric_id: str,
    grain: str = "month",
    periods: int = 6,
    as_of: datetime | None = None,
) -> pd.DataFrame:
    """The last ``periods`` periods of one metric at one grain, computed without writing."""
    metric = config.metric(metric_id)
    if grain not in config.grains(metric):
        allowed = ", ".join(config.grains(metric))
        raise ValueError(f"metric '{metric_id}' has no grain '{grain}'; use one of: {allowed}")
    when = as_of if as_of is not None else data_as_of(con)
    if when is None:
        raise ValueError("the warehouse holds no records; load data with `citystat run` first")
    if metric_availability(con, config, metric).computable:
        query = compile_metric(config, metric_id, grains=[grain])
    else:
        query = compile_unavailable(config, metric_id, grains=[grain])
    sql = (
        f"WITH preview_values AS (\n{query.sql}\n)\n"  # compiled SQL; values are bound
        "SELECT * FROM preview_values\n"
        "WHERE period_start IN (\n"
        "    SELECT DISTINCT period_start FROM preview_values\n"
        "    ORDER BY period_start DESC LIMIT $preview_periods\n"
        ")\n"
        "ORDER BY period_start, dimension <> 'citywide', dimension, dimension_value"
    )
    return con.execute(sql, {**query.bind(when), "preview_periods": periods}).df()
