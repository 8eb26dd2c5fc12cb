"""Run compiled metrics against the warehouse: write metric_values, or preview one metric."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import duckdb

from pipelines.metrics.availability import (
    Availability,
    metric_availability,
    needed_columns,
    resolved_columns,
)
from pipelines.metrics.backlog import version_spans_table
from pipelines.metrics.compiler import (
    CompiledQuery,
    as_of_columns,
    compile_backlog_check,
    compile_incremental,
    compile_metric,
    compile_unavailable,
    span_columns,
    span_tables,
    spans_statement,
)
from pipelines.metrics.incremental import (
    CHANGED_PARTS,
    affected_from_sql,
    changed_statements,
    changed_table,
    hot_spans_statement,
    hot_spans_table,
    moved_rows_statement,
    moved_rows_table,
    recent_rows_statement,
    recent_rows_table,
)
from pipelines.metrics.model import Metric, MetricsConfig
from pipelines.metrics.sql_parts import Params, quote
from pipelines.metrics.tables import metric_table
from pipelines.warehouse.schema import CANONICAL_TABLES

if TYPE_CHECKING:  # pandas costs 0.2 s to import; only preview() returns a frame
    import pandas as pd

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
    written = 0
    if own_transaction:
        con.execute("BEGIN TRANSACTION")
    try:
        con.execute(STATE_DDL)
        state = _State(con, config, as_of, changed_run_id)
        state.materialise_spans(tables)
        read = list(dict.fromkeys(canonical_table(config, m) for m in config.metrics))
        state.materialise_changes(read, tables)
        state.clear_values()
        con.execute("DELETE FROM metric_definitions")
        availability = {m.id: metric_availability(con, config, m) for m in config.metrics}
        for metric in state.order():
            query, standalone = compiled[metric.id]
            if not availability[metric.id].computable:
                query = compile_unavailable(config, metric.id)
                bind = query.bind(as_of)
            elif state.incremental(metric, standalone, availability):
                query = compile_incremental(config, metric.id)
                bind = state.bind(query)
            else:
                bind = query.bind(as_of)
            state.spans_for(query.sql, tables)
            rows = state.write(query, bind)
            written += rows
            if progress is not None:
                progress(f"{metric.id}: {rows} rows")
        for metric in config.metrics:
            query = compiled[metric.id][1]
            if not availability[metric.id].computable:
                query = compile_unavailable(config, metric.id)
            _record_definition(con, config, metric, query, availability[metric.id])
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


# What each metric's values were computed from, so the next run knows what it may keep.
STATE_DDL = (
    "CREATE TABLE IF NOT EXISTS metric_state (\n"
    "    metric_id VARCHAR,\n"
    "    fingerprint VARCHAR,       -- hash of the metric's SQL, parameters and sources\n"
    "    as_of TIMESTAMP,           -- the data's as-of timestamp the values were computed at\n"
    "    unversioned_rows BIGINT    -- canonical rows without a version (0 for incremental)\n"
    ")"
)


@dataclass(frozen=True)
class _Previous:
    fingerprint: str
    as_of: datetime
    unversioned_rows: int | None  # None for a metric that was not available


class _State:
    """The previous run's metric state, and which metrics this run may update incrementally."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        config: MetricsConfig,
        as_of: datetime,
        changed_run_id: str | None,
    ) -> None:
        self.con, self.config, self.as_of, self.changed_run_id = con, config, as_of, changed_run_id
        self.source_columns = con.execute("SELECT * FROM source_columns ORDER BY ALL").fetchall()
        self.previous: dict[str, _Previous] = {}
        self.previous_rows: dict[str, int] = {}
        self.done: set[str] = set()  # metrics updated incrementally
        self.computed: set[str] = set()  # metrics computed by their SQL (not unavailable)
        self.unversioned: dict[str, int] = {}
        self.full_spans: set[str] = set()  # tables whose every version's spans exist
        self.affected_from: dict[str, datetime | None] = {}
        if changed_run_id is None:
            return
        rows = con.execute(
            "SELECT metric_id, fingerprint, as_of, unversioned_rows FROM metric_state"
        ).fetchall()
        self.previous = {r[0]: _Previous(r[1], r[2], r[3]) for r in rows if r[2] is not None}
        if not self.previous:
            return
        # Each metric's previous rows stay in metric_values until its own are written.
        counts = con.execute(
            "SELECT metric_id, count(*) FROM metric_values GROUP BY metric_id"
        ).fetchall()
        self.previous_rows = {str(m): int(n) for m, n in counts}

    def clear_values(self) -> None:
        """A full run starts from empty metric_values; an incremental one keeps the previous
        rows (each metric replaces its own) and drops only those of metrics gone from the
        configuration."""
        if not self.previous:
            self.con.execute("DELETE FROM metric_values")
            self.previous_rows = {}
            return
        params = Params()
        ids = params.in_list([m.id for m in self.config.metrics], "metric")
        self.con.execute(f"DELETE FROM metric_values WHERE metric_id NOT IN {ids}", params.values)

    def write(self, query: CompiledQuery, bind: dict[str, object]) -> int:
        """Replace the metric's rows with the query's (a partial query's only in the periods
        it marks); returns how many rows the metric has now."""
        con, metric_id = self.con, {"metric_id": query.metric_id}
        # query.sql is compiled from checked configuration; every value in it is bound.
        if query.metric_id not in self.done:
            deleted = _count(con.execute(_DELETE_METRIC, metric_id)) if self.previous_rows else 0
            inserted = _count(
                con.execute(f"INSERT INTO metric_values ({VALUE_COLUMNS})\n{query.sql}", bind)
            )
        else:
            # Computed before any row is deleted: an incremental query reads the previous rows.
            con.execute(f"CREATE OR REPLACE TEMP TABLE {FRESH_VALUES} AS\n{query.sql}", bind)
            delete = _DELETE_MARKED if query.partial else _DELETE_METRIC
            deleted = _count(con.execute(delete, metric_id))
            inserted = _count(con.execute(_INSERT_FRESH))
        return self.previous_rows.get(query.metric_id, 0) - deleted + inserted

    def materialise_spans(self, tables: list[str]) -> None:
        """Spans up front: every version's for a full run, the hot records' for an
        incremental one (every version's then only when a backlog falls back to full)."""
        if not self.previous:
            materialise_version_spans(self.con, self.config, tables)
            self.full_spans.update(tables)
            return
        for table_name in tables:
            params = Params()
            columns = span_columns(self.config, table_name)
            ages = [
                (resolved_columns(m)["start"], m.age_buckets)
                for m in self.config.metrics
                if m.kind == "backlog" and m.table == table_name and m.age_buckets
            ]
            table = metric_table(table_name)
            sql = hot_spans_statement(table, params, columns, ages)
            self.con.execute(sql, {**params.values, **self._run_values(sql)})

    def materialise_changes(self, read: list[str], span_tables: list[str]) -> None:
        """What the run changed in each table the metrics read, once for every metric (an
        incremental run only); the spans only for tables a backlog reads."""
        if not self.previous:
            return
        for table_name in read:
            table = metric_table(table_name)
            for sql in changed_statements(table, with_spans=table_name in span_tables):
                # Built from the table registry, quoted; the run id is bound.
                self.con.execute(sql, self._run_values(sql))
            self._recent_rows(table_name)
            self._moved_rows(table_name)

    def _run_values(self, sql: str) -> dict[str, object]:
        """The run's values a set-up statement uses. Its previous as-of is the earliest of
        every metric's, so what it materialises holds what each metric needs."""
        every = {
            "previous_as_of": min(p.as_of for p in self.previous.values()),
            "as_of": self.as_of,
            "changed_run_id": self.changed_run_id,
        }
        return _used(every, sql)

    def _moved_rows(self, table_name: str) -> None:
        """The records every incremental count and share of the table reads besides the
        changed ones (moved_rows_statement)."""
        columns = [
            c
            for m in self.config.metrics
            if m.kind in ("count", "share") and m.table == table_name
            for c in (resolved_columns(m)["date"], *as_of_columns(m))
        ]
        if not columns:
            return
        sql = moved_rows_statement(metric_table(table_name), columns)
        self.con.execute(sql, self._run_values(sql))

    def _recent_rows(self, table_name: str) -> None:
        """The bound every incremental percentile of the table scans from (affected_from_sql),
        and the rows on or after it, once for all of them (recent_rows_statement)."""
        percentiles = [
            m
            for m in self.config.metrics
            if m.kind == "duration_percentile" and canonical_table(self.config, m) == table_name
        ]
        if not percentiles:
            return
        columns = sorted({c for m in percentiles for c in as_of_columns(m)})
        sql = affected_from_sql(self.config, metric_table(table_name), columns)
        row = self.con.execute(sql, self._run_values(sql)).fetchone()
        bound = row[0] if row else None
        self.affected_from[table_name] = bound
        columns = [c for m in percentiles for c in (*needed_columns(m), *self.config.dimensions(m))]
        ends = [resolved_columns(m)["end"] for m in percentiles]
        table = metric_table(table_name)
        # Built from the table registry and checked column names, quoted; the bound is bound.
        self.con.execute(recent_rows_statement(table, columns, ends), {"affected_from": bound})

    def spans_for(self, sql: str, tables: list[str]) -> None:
        """Materialise the full version spans a query reads, if not done yet."""
        missing = [
            t for t in tables if t not in self.full_spans and quote(version_spans_table(t)) in sql
        ]
        materialise_version_spans(self.con, self.config, missing)
        self.full_spans.update(missing)

    def order(self) -> list[Metric]:
        """Ratios last in an incremental run: they are built from their parts' new values."""
        metrics = self.config.metrics
        if not self.previous:
            return list(metrics)
        return [m for m in metrics if m.kind != "ratio"] + [m for m in metrics if m.kind == "ratio"]

    def fingerprint(self, query: CompiledQuery, availability: Availability) -> str:
        """Everything a metric's values depend on besides the data itself."""
        text = json.dumps(
            [
                FINGERPRINT_VERSION,
                query.sql,
                sorted(query.params.items()),
                availability.computable,
                availability.note,
                self.source_columns,
            ],
            default=str,
        )
        return hashlib.sha256(text.encode()).hexdigest()

    def incremental(
        self, metric: Metric, standalone: CompiledQuery, availability: dict[str, Availability]
    ) -> bool:
        """Whether the metric can be rebuilt from its previous values and the changes."""
        self.computed.add(metric.id)
        previous = self.previous.get(metric.id)
        if (
            previous is None
            or previous.fingerprint != self.fingerprint(standalone, availability[metric.id])
            or previous.as_of > self.as_of
            or previous.unversioned_rows != 0
            # A backlog's stints cannot follow a condition on the as-of; the other kinds
            # regroup the periods of the rows whose verdict it changes.
            or (previous.as_of != self.as_of and metric.kind == "backlog" and as_of_columns(metric))
            or not self.previous_rows.get(metric.id)
        ):
            return False
        if metric.kind == "ratio":
            ok = self._parts_ready(metric)
        elif metric.kind == "backlog":
            check = compile_backlog_check(self.config, metric.id)
            row = self.con.execute(check.sql, self.bind(check)).fetchone()
            ok = row is not None and row[0] == 0
        else:
            ok = True
        if ok:
            self.done.add(metric.id)
        return ok

    def _parts_ready(self, metric: Metric) -> bool:
        """A ratio's parts were computed this run, at every grain and breakdown it needs."""
        grains, dimensions = self.config.grains(metric), self.config.dimensions(metric)
        for part_id in (metric.numerator_metric or "", metric.denominator_metric or ""):
            part = self.config.metric(part_id)
            if (
                part.kind == "ratio"
                or part_id not in self.computed
                or not set(grains) <= set(self.config.grains(part))
                or not set(dimensions) <= set(self.config.dimensions(part))
            ):
                return False
        return True

    def bind(self, query: CompiledQuery) -> dict[str, object]:
        """The parameters of an incremental query: its own, the as-of times and the run."""
        assert self.changed_run_id is not None
        previous = self.previous[query.metric_id]
        every = {
            **query.bind(self.as_of),
            "previous_as_of": previous.as_of,
            "changed_run_id": self.changed_run_id,
            "affected_from": self.affected_from.get(
                canonical_table(self.config, self.config.metric(query.metric_id))
            ),
        }
        return _used(every, query.sql)

    def record(
        self,
        compiled: dict[str, tuple[CompiledQuery, CompiledQuery]],
        availability: dict[str, Availability],
    ) -> None:
        """Replace metric_state with what this run computed."""
        self.con.execute("DELETE FROM metric_state")
        for metric in self.config.metrics:
            standalone = compiled[metric.id][1]
            table = canonical_table(self.config, metric)
            unversioned: int | None
            if metric.id in self.done:
                # A merge gives every record it adds a version, so this stays 0.
                unversioned = self.previous[metric.id].unversioned_rows
            elif metric.id not in self.computed:
                # Not available: it is computed in full once it is (its fingerprint changes).
                unversioned = None
            else:
                unversioned = self._unversioned_rows(table)
            self.con.execute(
                "INSERT INTO metric_state VALUES (?, ?, ?, ?)",
                [
                    metric.id,
                    self.fingerprint(standalone, availability[metric.id]),
                    self.as_of,
                    unversioned,
                ],
            )

    def _unversioned_rows(self, table_name: str) -> int:
        if table_name not in self.unversioned:
            table = CANONICAL_TABLES[table_name]
            rid = quote(table.id_column)
            versions = quote(table.name + "_versions")
            # Identifiers from the fixed table registry, quoted; no values.
            if table_name in self.full_spans:
                # The spans' rows without a version are the canonical rows that have none
                # (a version without a run id counts too: the safe side).
                sql = (
                    f"SELECT count(*) FROM {quote(version_spans_table(table_name))} "
                    "WHERE run_id IS NULL"
                )
            else:
                sql = (
                    f"SELECT count(*) FROM {quote(table.name)} AS c WHERE NOT EXISTS ("
                    f"SELECT 1 FROM {versions} AS v WHERE v.source IS NOT DISTINCT FROM c.source "
                    f"AND v.{rid} = c.{rid})"
                )
            row = self.con.execute(sql).fetchone()
            self.unversioned[table_name] = int(row[0]) if row else 0
        return self.unversioned[table_name]


FINGERPRINT_VERSION = 1  # raise when the meaning of stored values changes without the SQL
FRESH_VALUES = "metric_fresh"  # temporary: a partial query's rows and replaced periods
_DELETE_METRIC = "DELETE FROM metric_values WHERE metric_id = $metric_id"
_DELETE_MARKED = (
    "DELETE FROM metric_values AS v WHERE metric_id = $metric_id AND EXISTS (\n"
    f"    SELECT 1 FROM {FRESH_VALUES} AS f\n"
    "    WHERE f.dimension IS NULL AND f.grain = v.grain AND f.period_start = v.period_start\n"
    ")"
)
_INSERT_FRESH = (
    f"INSERT INTO metric_values ({VALUE_COLUMNS})\n"
    f"SELECT {VALUE_COLUMNS} FROM {FRESH_VALUES} WHERE dimension IS NOT NULL"
)


def _used(values: Mapping[str, object], sql: str) -> dict[str, object]:
    """The values a statement names: DuckDB refuses parameters a statement does not use."""
    return {k: v for k, v in values.items() if f"${k}" in sql}


def _count(result: duckdb.DuckDBPyConnection) -> int:
    """The row count a DELETE or INSERT reports."""
    row = result.fetchone()
    return int(row[0]) if row else 0


def materialise_version_spans(
    con: duckdb.DuckDBPyConnection, config: MetricsConfig, tables: list[str]
) -> None:
    """Derive each table's version spans once, for every backlog metric to read; only the
    columns the metrics read are kept, which halves the cost of the copy."""
    for table_name in tables:
        # Built from the table registry and checked column names, quoted; no parameters.
        con.execute(spans_statement(table_name, span_columns(config, table_name)))


def drop_version_spans(con: duckdb.DuckDBPyConnection, tables: list[str]) -> None:
    """Free the temporary span tables (they are never part of the published warehouse)."""
    for table_name in tables:
        con.execute(f"DROP TABLE IF EXISTS temp.{quote(version_spans_table(table_name))}")


def _span_tables_of(config: MetricsConfig, metric_ids: list[str]) -> list[str]:
    return list(dict.fromkeys(t for m in metric_ids for t in span_tables(config, m)))


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
        query = compile_metric(config, metric_id, grains=[grain], shared_spans=True)
    else:
        query = compile_unavailable(config, metric_id, grains=[grain])
    tables = _span_tables_of(config, [metric_id])
    sql = (
        f"WITH preview_values AS (\n{query.sql}\n)\n"  # compiled SQL; values are bound
        "SELECT * FROM preview_values\n"
        "WHERE period_start IN (\n"
        "    SELECT DISTINCT period_start FROM preview_values\n"
        "    ORDER BY period_start DESC LIMIT $preview_periods\n"
        ")\n"
        "ORDER BY period_start, dimension <> 'citywide', dimension, dimension_value"
    )
    materialise_version_spans(con, config, tables)
    try:
        return con.execute(sql, {**query.bind(when), "preview_periods": periods}).df()
    finally:
        drop_version_spans(con, tables)
