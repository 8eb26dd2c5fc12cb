"""Run compiled metrics against the warehouse: write metric_values, or preview one metric."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import duckdb
import pandas as pd

from pipelines.metrics.compiler import compile_metric
from pipelines.metrics.model import MetricsConfig

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
    compiled = [compile_metric(config, metric.id) for metric in config.metrics]
    written = 0
    if own_transaction:
        con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM metric_values")
        con.execute("DELETE FROM metric_definitions")
        for metric, query in zip(config.metrics, compiled, strict=True):
            before = _count_rows(con)
            # query.sql is compiled from checked configuration; every value in it is bound.
            insert = f"INSERT INTO metric_values ({VALUE_COLUMNS})\n{query.sql}"
            con.execute(insert, query.bind(as_of))
            rows = _count_rows(con) - before
            written += rows
            con.execute(
                "INSERT INTO metric_definitions (metric_id, label, description, methodology, "
                "department, owner, cohort_service, unit, direction, kind, grains, dimensions, "
                "min_count, sql) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    metric.id,
                    metric.label,
                    metric.description,
                    metric.methodology,
                    metric.department,
                    metric.owner,
                    metric.cohort_service,
                    metric.unit,
                    metric.direction,
                    metric.kind,
                    config.grains(metric),
                    config.dimensions(metric),
                    config.min_count(metric),
                    query.sql,
                ],
            )
            if progress is not None:
                progress(f"{metric.id}: {rows} rows")
        if own_transaction:
            con.execute("COMMIT")
    except BaseException:
        if own_transaction:
            con.execute("ROLLBACK")
        raise
    return written


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
    row = con.execute(
        "SELECT greatest(max(opened_at), max(closed_at), max(updated_at)) FROM service_requests"
    ).fetchone()
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
        raise ValueError("service_requests is empty; load data with `citystat run` first")
    query = compile_metric(config, metric_id, grains=[grain])
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
