"""Run compiled metrics against the warehouse: write metric_values, or preview one metric."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

import duckdb

from pipelines.config.hints import one_of
from pipelines.metrics.availability import (
    Availability,
    all_availability,
    metric_availability,
)
from pipelines.metrics.compiler import (
    UPDATE_KINDS,
    CompiledQuery,
    compile_family,
    compile_incremental,
    compile_metric,
    compile_unavailable,
    metric_families,
    span_tables,
)
from pipelines.metrics.compute_state import (
    STATE_DDL,
    ComputeState,
    canonical_table,
)
from pipelines.metrics.describe import describe_metric
from pipelines.metrics.incremental import (
    CHANGED_PARTS,
    changed_table,
    hot_spans_table,
    moved_rows_table,
    recent_rows_table,
)
from pipelines.metrics.model import Metric, MetricsConfig, shifts_as_of
from pipelines.metrics.public_rules import city_languages
from pipelines.metrics.value_writes import (
    FRESH_VALUES,
    delete_metric,
    insert_rows,
    rows_of,
)
from pipelines.metrics.version_spans import drop_version_spans, materialise_version_spans
from pipelines.warehouse.rows import insert_rows as insert_values
from pipelines.warehouse.schema import CANONICAL_TABLES, quote

if TYPE_CHECKING:  # pandas costs 0.2 s to import; only preview() returns a frame
    import pandas as pd


def compute_metrics(
    con: duckdb.DuckDBPyConnection,
    config: MetricsConfig,
    as_of: datetime,
    progress: Callable[[str], None] | None = None,
    *,
    own_transaction: bool = True,
    changed_run_id: str | None = None,
) -> int:
    """Replace metric_values and metric_definitions with every metric computed at ``as_of``.

    The replacement runs in its own transaction so readers never see half of it; pass
    ``own_transaction=False`` when the caller already holds a transaction on ``con``.

    ``changed_run_id``: the warehouse is the previous run's, into which run ``changed_run_id``
    merged new versions; each metric whose definition is unchanged since that run's values is
    then rebuilt from them and the changes alone (pipelines/metrics/incremental.py), with
    exactly the values a full recompute gives. Any other metric is recomputed in full.
    """
    # Compile everything first: a metric that does not compile must not leave half the tables.
    # Each backlog runs on the shared spans; the definition records the SQL that runs alone.
    compiled = {
        m.id: (compile_metric(config, m.id, shared_spans=True), compile_metric(config, m.id))
        for m in config.metrics
    }
    tables = _span_tables_of(config, [metric.id for metric in config.metrics])
    if own_transaction:
        con.execute("BEGIN TRANSACTION")
    try:
        con.execute(STATE_DDL)
        state = ComputeState(con, config, as_of, changed_run_id)
        state.materialise_spans(tables)
        read = list(dict.fromkeys(canonical_table(config, m) for m in config.metrics))
        state.materialise_changes(read, tables)
        state.clear_values()
        con.execute("DELETE FROM metric_definitions")
        con.execute("DELETE FROM metric_public_texts")
        availability = all_availability(con, config)
        written = _compute_all(state, compiled, availability, tables, progress)
        _record_definitions(con, config, compiled, availability)
        texts = public_text_rows(config)
        insert_values(con, "INSERT INTO metric_public_texts", texts)
        state.record(compiled, availability)
        # Temporary, never published; dropped before the commit to free their memory.
        drop_version_spans(con, tables)
        changes = [changed_table(t, part) for t in read for part in CHANGED_PARTS]
        recent = [f(t) for t in read for f in (recent_rows_table, moved_rows_table)]
        for name in [FRESH_VALUES, *(hot_spans_table(t) for t in tables), *changes, *recent]:
            con.execute(f"DROP TABLE IF EXISTS temp.{quote(name)}")
        if own_transaction:
            con.execute("COMMIT")
    except BaseException:
        if own_transaction:
            # Rolls back the temporary tables' creation too.
            con.execute("ROLLBACK")
        raise
    return written


def _compute_all(
    state: ComputeState,
    compiled: dict[str, tuple[CompiledQuery, CompiledQuery]],
    availability: dict[str, Availability],
    tables: list[str],
    progress: Callable[[str], None] | None,
) -> int:
    """Write every metric's values in the state's order; returns the rows written."""
    # A family is written by one query: a second quantile of the same groups costs almost
    # nothing, and a daily run's counts (or shares, or backlogs) of a table are updated
    # together.
    families = {m: f for f in metric_families(state.config) for m in f}
    settled: dict[str, int | None] = {}
    counts: dict[str, int] = {}
    unchecked: list[str] = []  # written since the last check for emptied metrics
    for metric in state.order():
        if metric.kind == "ratio" and unchecked:
            # A ratio reads its parts' new values: every pending write lands first, and an
            # emptied part is refilled.
            _flush(state, counts, progress)
            _refill_emptied(state, compiled, tables, counts, unchecked, progress)
        if metric.id in families and metric.id not in settled:
            settled.update(_compute_family(state, families[metric.id], compiled, availability))
        if metric.id in settled:
            rows = settled.pop(metric.id)
        else:
            rows = _compute_one(state, metric, compiled[metric.id], availability, tables)
        unchecked.append(metric.id)
        if rows is not None:
            counts[metric.id] = rows
            if progress is not None:
                progress(f"{metric.id}: {rows} rows")
    _flush(state, counts, progress)
    _refill_emptied(state, compiled, tables, counts, unchecked, progress)
    return sum(counts.values())


def _flush(
    state: ComputeState, counts: dict[str, int], progress: Callable[[str], None] | None
) -> None:
    """Write the pending incremental metrics (ComputeState.flush) and count their rows."""
    written = state.flush()
    counts.update(written)
    for metric_id, rows in written.items():
        if progress is not None:
            progress(f"{metric_id}: {rows} rows, updated")


def _refill_emptied(
    state: ComputeState,
    compiled: dict[str, tuple[CompiledQuery, CompiledQuery]],
    tables: list[str],
    counts: dict[str, int],
    unchecked: list[str],
    progress: Callable[[str], None] | None,
) -> None:
    """Recompute in full those of ``unchecked`` (emptied after) that an incremental update
    left without a record (only a full recompute writes the data span's placeholder rows),
    asked once for all of them."""
    gone = state.emptied({m: counts[m] for m in unchecked})
    unchecked.clear()
    for metric_id in gone:
        query = compiled[metric_id][0]
        state.spans_for(query.sql, tables)
        rows = state.write(query, query.bind(state.as_of))
        assert rows is not None  # no longer updated (emptied): computed in full, now
        counts[metric_id] = rows
        if progress is not None:
            progress(f"{metric_id}: {counts[metric_id]} rows, recomputed: no record is left")


def _compute_one(
    state: ComputeState,
    metric: Metric,
    compiled: tuple[CompiledQuery, CompiledQuery],
    availability: dict[str, Availability],
    tables: list[str],
) -> int | None:
    """Write one metric's values, incrementally when it may be; returns its row count (None
    for an incremental one: written at the next flush)."""
    query, standalone = compiled
    if not availability[metric.id].computable:
        query = compile_unavailable(state.config, metric.id)
        bind = query.bind(state.as_of)
    elif not shifts_as_of(metric) and state.incremental(metric, standalone, availability):
        query = compile_incremental(state.config, metric.id)
        bind = state.bind(query)
    else:
        bind = query.bind(state.as_of)
    state.spans_for(query.sql, tables)
    return state.write(query, bind)


def _compute_family(
    state: ComputeState,
    members: tuple[str, ...],
    compiled: dict[str, tuple[CompiledQuery, CompiledQuery]],
    availability: dict[str, Availability],
) -> dict[str, int | None]:
    """Write a family's members from one query: incrementally when each of them may be
    updated from the same previous as-of (at the next flush: each None), in full when none
    may and they are percentiles (their row counts); {} otherwise (each then goes its own
    way, as it would alone)."""
    metrics = [state.config.metric(m) for m in members]
    if not all(availability[m].computable for m in members):
        return {}
    # Every member is asked (not all() of a generator): asking records it as computed.
    updatable = [
        not shifts_as_of(m) and state.incremental(m, compiled[m.id][1], availability)
        for m in metrics
    ]
    incremental = all(updatable)
    if not incremental and (any(updatable) or metrics[0].kind in UPDATE_KINDS):
        return {}
    family = compile_family(state.config, members, incremental=incremental)
    query = family.query()
    if not incremental:
        for metric_id in members if state.previous_rows else ():
            delete_metric(state.con, metric_id)
        insert_rows(state.con, query.sql, query.bind(state.as_of))
        return dict(rows_of(state.con, members))
    if len({state.previous[m].as_of for m in members}) > 1:
        return {}
    state.add_fresh(query.sql, state.bind(query), {m: m in family.partial for m in members})
    return dict.fromkeys(members)


def _span_tables_of(config: MetricsConfig, metric_ids: list[str]) -> list[str]:
    return list(dict.fromkeys(t for m in metric_ids for t in span_tables(config, m)))


def _record_definitions(
    con: duckdb.DuckDBPyConnection,
    config: MetricsConfig,
    compiled: dict[str, tuple[CompiledQuery, CompiledQuery]],
    availability: dict[str, Availability],
) -> None:
    """The metric_definitions rows: each definition as written, its SQL and availability."""
    rows = []
    for metric in config.metrics:
        query = compiled[metric.id][1]
        if not availability[metric.id].computable:
            query = compile_unavailable(config, metric.id)
        rows.append(definition_row(config, metric, query, availability[metric.id]))
    if not rows:
        return
    names = ", ".join(rows[0])
    values = [list(r.values()) for r in rows]
    insert_values(con, f"INSERT INTO metric_definitions ({names})", values)


def definition_row(
    config: MetricsConfig, metric: Metric, query: CompiledQuery, availability: Availability
) -> dict[str, object]:
    """The metric_definitions row of a metric: as written, its SQL, availability and card."""
    return {
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
        "explanation": describe_metric(config, metric.id),
        "common_id": metric.common_id,
    }


def public_text_rows(config: MetricsConfig) -> list[tuple[str, str, str, str]]:
    """(metric_id, language, name, about) of every public text: the city's first language
    as written in ``public_text``, and each translation under its own code."""
    first = city_languages(config.profile)[0]
    return [
        (metric.id, language, text.name, text.about)
        for metric in config.metrics
        if metric.public_text is not None
        for language, text in [
            (first, metric.public_text),
            *metric.public_text.translations.items(),
        ]
    ]


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


def materialise_values(
    con: duckdb.DuckDBPyConnection,
    config: MetricsConfig,
    metric_id: str,
    as_of: datetime,
    table: str,
    grains: list[str] | None = None,
) -> None:
    """Compute one metric (``grains``, or all of them) without writing the warehouse: its
    metric_values rows become the temporary table ``table`` (read-only connections may)."""
    metric = config.metric(metric_id)
    if metric_availability(con, config, metric).computable:
        query = compile_metric(config, metric_id, grains=grains, shared_spans=True)
    else:
        query = compile_unavailable(config, metric_id, grains=grains)
    tables = _span_tables_of(config, [metric_id])
    materialise_version_spans(con, config, tables)
    try:
        # Compiled SQL into a temporary table named by the caller; every value is bound.
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {quote(table)} AS\n{query.sql}", query.bind(as_of)
        )
    finally:
        drop_version_spans(con, tables)


def latest_rows(
    con: duckdb.DuckDBPyConnection, table: str, grain: str, periods: int
) -> pd.DataFrame:
    """The rows of the last ``periods`` periods of one grain of materialised values."""
    sql = (
        f"WITH shown AS (SELECT * FROM {quote(table)} WHERE grain = $grain)\n"
        "SELECT * FROM shown\n"
        "WHERE period_start IN (\n"
        "    SELECT DISTINCT period_start FROM shown ORDER BY period_start DESC LIMIT $periods\n"
        ")\n"
        "ORDER BY period_start, dimension <> 'citywide', dimension, dimension_value"
    )
    return con.execute(sql, {"grain": grain, "periods": periods}).df()


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
        hint = one_of(
            config.grains(metric), when_none="it lists no grains: add some under 'grains:'"
        )
        raise ValueError(f"metric '{metric_id}' has no grain '{grain}'; {hint}")
    when = as_of if as_of is not None else data_as_of(con)
    if when is None:
        raise ValueError("the warehouse holds no records; load data with `citystat run` first")
    materialise_values(con, config, metric_id, when, PREVIEW_VALUES, [grain])
    try:
        return latest_rows(con, PREVIEW_VALUES, grain, periods)
    finally:
        con.execute(f"DROP TABLE IF EXISTS temp.{quote(PREVIEW_VALUES)}")


PREVIEW_VALUES = "preview_values"  # temporary: the values a preview shows
