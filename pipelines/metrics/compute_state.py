"""What each metric was last computed from, and what a daily run may update incrementally."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import duckdb

from pipelines.metrics.availability import (
    Availability,
    needed_columns,
    resolved_columns,
)
from pipelines.metrics.backlog import version_spans_table
from pipelines.metrics.compiler import (
    CompiledQuery,
    compile_backlog_check,
    span_columns,
)
from pipelines.metrics.incremental import (
    affected_from_sql,
    changed_statements,
    hot_spans_statement,
    moved_rows_statement,
    recent_rows_statement,
)
from pipelines.metrics.model import Metric, MetricsConfig, as_of_columns
from pipelines.metrics.sql_parts import Params, conditions_sql
from pipelines.metrics.tables import metric_table
from pipelines.metrics.value_writes import (
    add_fresh,
    delete_metric,
    insert_rows,
    replace_with_fresh,
    rows_of,
    start_fresh,
)
from pipelines.metrics.version_spans import materialise_version_spans
from pipelines.warehouse.rows import insert_rows as insert_values
from pipelines.warehouse.schema import CANONICAL_TABLES, quote

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
class PreviousValues:
    fingerprint: str
    as_of: datetime
    unversioned_rows: int | None  # None for a metric that was not available


class ComputeState:
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
        self.previous: dict[str, PreviousValues] = {}
        self.previous_rows: dict[str, int] = {}
        self.done: set[str] = set()  # metrics updated incrementally
        self.computed: set[str] = set()  # metrics computed by their SQL (not unavailable)
        self.unversioned: dict[str, int] = {}
        self.full_spans: set[str] = set()  # tables whose every version's spans exist
        self.affected_from: dict[str, datetime | None] = {}
        self.previous_empty: set[str] = set()  # metrics whose previous rows count no record
        # Incremental rows computed but not yet written (flush): metric id -> partial.
        self.pending: dict[str, bool] = {}
        self.verdicts: dict[str, bool] = {}  # incremental()'s answers
        if changed_run_id is None:
            return
        rows = con.execute(
            "SELECT metric_id, fingerprint, as_of, unversioned_rows FROM metric_state"
        ).fetchall()
        self.previous = {r[0]: PreviousValues(r[1], r[2], r[3]) for r in rows if r[2] is not None}
        if not self.previous:
            return
        # Each metric's previous rows stay in metric_values until its own are written.
        counts = con.execute(
            "SELECT metric_id, count(*) FROM metric_values GROUP BY metric_id"
        ).fetchall()
        self.previous_rows = {str(m): int(n) for m, n in counts}
        self.previous_empty = self._without_records(list(self.previous_rows))

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

    def write(self, query: CompiledQuery, bind: dict[str, object]) -> int | None:
        """Replace the metric's rows with the query's: a full query's now (returns how many
        rows the metric has), an incremental one's at the next flush (returns None)."""
        if query.metric_id in self.done:
            self.add_fresh(query.sql, bind, {query.metric_id: query.partial})
            return None
        deleted = delete_metric(self.con, query.metric_id) if self.previous_rows else 0
        inserted = insert_rows(self.con, query.sql, bind)
        return self.previous_rows.get(query.metric_id, 0) - deleted + inserted

    def add_fresh(self, sql: str, bind: dict[str, object], partial: dict[str, bool]) -> None:
        """Compute an incremental query's rows (one metric's, or a family's: ``partial`` says
        for each whether it replaces only the periods it marks), written at the next flush."""
        if not self.pending:
            start_fresh(self.con)
        add_fresh(self.con, sql, bind)
        self.pending.update(partial)

    def flush(self) -> dict[str, int]:
        """Write every pending incremental metric's rows at once (replace_with_fresh); how
        many rows each has now. A statement's fixed cost, paid once instead of per metric."""
        if not self.pending:
            return {}
        ids = list(self.pending)
        whole = [m for m in ids if not self.pending[m]]
        replace_with_fresh(self.con, whole, [m for m in ids if self.pending[m]])
        self.pending = {}
        return rows_of(self.con, tuple(ids))

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
        ends = [resolved_columns(m)["end"] for m in percentiles]
        table = metric_table(table_name)
        sql = affected_from_sql(self.config, table, columns, ends)
        row = self.con.execute(sql, self._run_values(sql)).fetchone()
        bound = row[0] if row else None
        self.affected_from[table_name] = bound
        columns = [c for m in percentiles for c in (*needed_columns(m), *self.config.dimensions(m))]
        params, kept = Params(), {repr(m.filter): m.filter for m in percentiles}  # a family's once
        filters = [conditions_sql(f, params) for f in kept.values()]
        sql = recent_rows_statement(table, columns, ends, filters)
        # Built from the table registry and checked column names, quoted; values are bound.
        self.con.execute(sql, {**params.values, "affected_from": bound, **self._run_values(sql)})

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
        """Whether the metric can be rebuilt from its previous values and the changes;
        decided once per metric (a backlog's check is a query), however often it is asked
        (a family that falls back asks for each member again)."""
        if metric.id not in self.verdicts:
            self.verdicts[metric.id] = self._may_update(metric, standalone, availability)
        return self.verdicts[metric.id]

    def _may_update(
        self, metric: Metric, standalone: CompiledQuery, availability: dict[str, Availability]
    ) -> bool:
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
            # A metric that matched nothing holds only the data span's placeholder rows.
            or metric.id in self.previous_empty
        ):
            return False
        if metric.kind == "ratio":
            ok = self._parts_ready(metric)
        elif metric.kind == "backlog":
            ok = self._backlog_ready(metric.id, closer=False) or self._backlog_ready(
                metric.id, closer=True
            )
        else:
            ok = True
        if ok:
            self.done.add(metric.id)
        return ok

    def emptied(self, rows: Mapping[str, int]) -> list[str]:
        """The metrics an incremental update left without a record (``rows``: each metric's
        row count now), no longer counted as updated: only a full recompute, next, gives them
        the data span's placeholder rows (event_sql). One query asks for all of them."""
        updated = sorted(m for m in self.done if m in rows)
        gone = {m for m in updated if not rows[m]}
        # A ratio's rows carry no record count: one with rows is never emptied.
        counted = [m for m in updated if rows[m] and self.config.metric(m).kind != "ratio"]
        gone |= self._without_records(counted) if counted else set()
        for metric_id in gone:
            self.done.discard(metric_id)
            self.previous_rows[metric_id] = rows[metric_id]
        return sorted(gone)

    def _without_records(self, metric_ids: list[str]) -> set[str]:
        """Those of ``metric_ids`` with no row counting a record (ratios' rows carry none)."""
        params = Params()
        ids = params.in_list(metric_ids, "metric")
        rows = self.con.execute(
            "SELECT v.metric_id FROM metric_values AS v\n"
            f"WHERE v.metric_id IN {ids}\n"
            "GROUP BY v.metric_id HAVING NOT bool_or(COALESCE(v.count, 0) > 0)",
            params.values,
        ).fetchall()
        ratios = {m.id for m in self.config.metrics if m.kind == "ratio"}
        return {str(r[0]) for r in rows} - ratios

    def _backlog_ready(self, metric_id: str, *, closer: bool) -> bool:
        """No breakdown member or first period of the backlog can vanish (its check is 0)."""
        check = compile_backlog_check(self.config, metric_id, closer=closer)
        row = self.con.execute(check.sql, self.bind(check)).fetchone()
        return row is not None and row[0] == 0

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
        rows = []
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
            fingerprint = self.fingerprint(standalone, availability[metric.id])
            rows.append([metric.id, fingerprint, self.as_of, unversioned])
        insert_values(self.con, "INSERT INTO metric_state", rows)

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


def _used(values: Mapping[str, object], sql: str) -> dict[str, object]:
    """The values a statement names: DuckDB refuses parameters a statement does not use."""
    return {k: v for k, v in values.items() if f"${k}" in sql}


def canonical_table(config: MetricsConfig, metric: Metric) -> str:
    """The table a metric reads; a ratio reads its numerator's."""
    while metric.kind == "ratio":
        metric = config.metric(metric.numerator_metric or "")
    return metric.table
