"""SQL pieces of an incremental recompute: what a run changed, and the values kept from before.

An incremental run merges a day's extract into a copy of the published warehouse, so the
metric values of the previous run are in ``metric_values`` (copied into the temporary table
``metric_previous`` before they are replaced) and every version the run added to
``<table>_versions`` carries the run's id (``$changed_run_id``). The previous computation's
as-of timestamp is ``$previous_as_of``. From these, each metric's values are rebuilt
exactly as a full recompute would give them, reading only what can have changed:

- count, share and duration_percentile: a period's value depends only on the records whose
  timestamp falls in it, so only the *affected* periods are recomputed from the canonical
  table: those holding the old or the new timestamp of a changed record whose columns the
  metric reads changed (its old state is its latest version without this run's), those
  holding a row whose as-of condition may have flipped, and those from the previous as-of
  period on (the as-of moved: records dated after the old as-of now count, periods become
  complete, the spine grows). Every other period keeps its previous row; a count's spine and
  breakdown members come from all the periods' groups, kept and regrouped.
- backlog: a period's backlog is a running sum of +1/-1 events, so the new sums are the
  previous ones plus the events that differ: the changed records' events in their new state,
  minus their events in their old state (their versions without this run's), plus every
  record's events after the previous as-of.

Only *hot* records can have a backlog event after the previous as-of: those changed by the
run, those still waiting (their stint has no end), and those with any timestamp after it. Their
version spans alone are materialised (``<table>_hot_spans``), so a daily run does not derive
the spans of every version again. What the run changed (the changed records, their old and
new rows and spans) is likewise materialised once per table (``changed_statements``) and
read by every metric, rather than found again in the version history by each.

Pure functions: nothing here touches a database.
"""

from __future__ import annotations

from collections.abc import Sequence

from pipelines.metrics.model import MetricsConfig
from pipelines.metrics.periods import GRAIN_STEP, period_start_sql
from pipelines.metrics.sql_parts import Params, quote
from pipelines.metrics.tables import MetricTable

PREVIOUS_VALUES = "metric_previous"  # temporary copy of metric_values before the run
CORE_COLUMNS = "grain, period_start, dimension, dimension_value"


def changed_table(table_name: str, what: str) -> str:
    """Name of a temporary table of what a run changed in a table: ``ids`` (the records it
    added a version of), ``old_versions`` (their versions before it), ``old_rows`` and
    ``new_rows`` (those records before and after it), ``old_spans`` and ``new_spans``
    (their version spans without and with its versions)."""
    return f"{table_name}_changed_{what}"


CHANGED_PARTS = ("ids", "old_versions", "old_rows", "new_rows", "old_spans", "new_spans")


def changed_statements(table: MetricTable, *, with_spans: bool) -> list[str]:
    """Materialise what ``$changed_run_id`` changed in ``table`` once per computation, for
    every metric's incremental SQL to read instead of deriving it again from the whole
    version history; ``with_spans`` adds the spans (read by backlogs; needs the hot spans)."""
    rid = quote(table.id_column)
    versions = quote(table.name + "_versions")

    def create(what: str, body: str) -> str:
        return f"CREATE OR REPLACE TEMP TABLE {quote(changed_table(table.name, what))} AS\n{body}"

    ids = quote(changed_table(table.name, "ids"))
    # Their versions before this run, read from the whole history once for rows and spans.
    old_versions = quote(changed_table(table.name, "old_versions"))
    statements = [
        create(
            "ids",
            f"SELECT DISTINCT source, {rid} FROM {versions}\nWHERE run_id = $changed_run_id",
        ),
        create(
            "old_versions",
            f"SELECT * FROM {versions} SEMI JOIN {ids} USING (source, {rid})\n"
            "WHERE run_id IS DISTINCT FROM $changed_run_id",
        ),
        # The latest version without this run's is the canonical row before the merge.
        create(
            "old_rows",
            f"SELECT * FROM {old_versions}\nQUALIFY row_number() OVER (\n"
            f"    PARTITION BY source, {rid} ORDER BY version_at DESC NULLS LAST\n) = 1",
        ),
        create(
            "new_rows",
            f"SELECT * FROM {quote(table.name)} SEMI JOIN {ids} USING (source, {rid})",
        ),
    ]
    if with_spans:
        # The same spans as version_spans_sql, over the old versions alone.
        old_spans = (
            "SELECT *,\n"
            "    CASE WHEN row_number() OVER w = 1 THEN NULL ELSE version_at END AS valid_from,\n"
            "    lead(version_at) OVER w AS valid_to\n"
            f"FROM {old_versions}\n"
            f"WINDOW w AS (PARTITION BY source, {rid} ORDER BY version_at NULLS FIRST, run_id)"
        )
        hot = quote(hot_spans_table(table.name))
        statements += [
            create("old_spans", old_spans),
            create("new_spans", f"SELECT * FROM {hot} SEMI JOIN {ids} USING (source, {rid})"),
        ]
    return statements


def hot_spans_table(table_name: str) -> str:
    """Name of the temporary table holding the version spans of a table's hot records."""
    return f"{table_name}_hot_spans"


def hot_spans_statement(table: MetricTable, params: Params) -> str:
    """Materialise the spans of every record that can have a backlog event after
    ``$previous_as_of``: changed by ``$changed_run_id``, waiting now, or dated after it."""
    rid = quote(table.id_column)
    versions = quote(table.name + "_versions")
    waiting = sorted(
        {s for _, group in table.waiting_for for s in group} | set(table.open_statuses)
    )
    stamps = ", ".join(quote(c) for c in (*table.timestamp_columns, "version_at"))
    hot = (
        f"SELECT source, {rid} FROM {versions} WHERE run_id = $changed_run_id\n"
        f"UNION\nSELECT source, {rid} FROM {quote(table.name)}\n"
        f"WHERE status IN {params.in_list(waiting, 'waiting')}\n"
        f"UNION\nSELECT source, {rid} FROM {versions}\n"
        f"WHERE greatest({stamps}) > $previous_as_of"
    )
    # The same spans as version_spans_sql: a record's versions are all hot or none is.
    return (
        f"CREATE OR REPLACE TEMP TABLE {quote(hot_spans_table(table.name))} AS\n"
        f"WITH hot_ids AS (\n{hot}\n)\n"
        "SELECT *,\n"
        "    CASE WHEN row_number() OVER w = 1 THEN NULL ELSE version_at END AS valid_from,\n"
        "    lead(version_at) OVER w AS valid_to\n"
        f"FROM (SELECT * FROM {versions} SEMI JOIN hot_ids USING (source, {rid}))\n"
        f"WINDOW w AS (PARTITION BY source, {rid} ORDER BY version_at NULLS FIRST, run_id)"
    )


def affected_ctes(
    config: MetricsConfig,
    table: MetricTable,
    grains: Sequence[str],
    ts: str,
    read_columns: Sequence[str],
    as_of_columns: Sequence[str] = (),
) -> list[tuple[str, str]]:
    """changed_times and affected (grain, period_start): the periods of the old and the new
    timestamp ``ts`` of every changed record whose ``read_columns`` (all the metric reads)
    changed, and every period from the previous as-of on.

    The old row is the record's latest version without this run's (the canonical row
    before the merge); a new record has none. A condition comparing ``as_of_columns`` with
    the as-of changes its verdict only for rows whose column lies between the two as-ofs:
    their periods are affected too.
    """
    rid = quote(table.id_column)
    old_rows = f"SELECT * FROM {quote(changed_table(table.name, 'old_rows'))}"
    new_rows = f"SELECT * FROM {quote(changed_table(table.name, 'new_rows'))}"
    differs = " OR ".join(
        f"o.{quote(c)} IS DISTINCT FROM n.{quote(c)}"
        for c in dict.fromkeys(["source", *read_columns])
    )
    times = (
        f"SELECT unnest([o.{ts}, n.{ts}]) AS ts\n"
        f"FROM new_rows AS n FULL JOIN old_rows AS o USING (source, {rid})\n"
        f"WHERE {differs}"
    )
    fy = config.city.fiscal_year_start_month
    parts = []
    for g in grains:
        start = period_start_sql(g, "ts", fy)
        parts.append(
            f"SELECT '{g}' AS grain, CAST({start} AS DATE) AS period_start\n"
            "FROM changed_times WHERE ts IS NOT NULL"
        )
        parts.append(
            f"SELECT '{g}', CAST(unnest(generate_series(\n"
            f"    {period_start_sql(g, 'CAST($previous_as_of AS TIMESTAMP)', fy)},\n"
            f"    {period_start_sql(g, 'CAST($as_of AS TIMESTAMP)', fy)},\n"
            f"    {GRAIN_STEP[g]}\n"
            ")) AS DATE)"
        )
    for column in as_of_columns:
        c = quote(column)
        starts = ", ".join(f"CAST({period_start_sql(g, ts, fy)} AS DATE)" for g in grains)
        parts.append(
            f"SELECT unnest([{', '.join(repr(g) for g in grains)}]), unnest([{starts}])\n"
            f"FROM {quote(table.name)}\n"
            f"WHERE {c} >= $previous_as_of AND {c} <= $as_of AND {ts} IS NOT NULL"
        )
    affected = "SELECT DISTINCT * FROM (\n" + "\nUNION ALL\n".join(parts) + "\n)"
    return [
        ("old_rows", old_rows),
        ("new_rows", new_rows),
        ("changed_times", times),
        ("affected", affected),
    ]


def affected_filter(config: MetricsConfig, grains: Sequence[str], ts: str) -> str:
    """A row (timestamp ``ts``) is needed when its period of any grain is affected."""
    fy = config.city.fiscal_year_start_month
    return " OR ".join(
        f"CAST({period_start_sql(g, ts, fy)} AS DATE) IN "
        f"(SELECT period_start FROM affected WHERE grain = '{g}')"
        for g in grains
    )


def previous_sql(params: Params, metric_id: str) -> str:
    """The metric's rows of the previous run, core columns only."""
    name = params.named("metric_id", metric_id)
    return (
        f"SELECT {CORE_COLUMNS}, value, numerator, denominator, count\n"
        f"FROM {PREVIOUS_VALUES} WHERE metric_id = {name}"
    )


def kept_event_groups_sql(only_nonzero: bool) -> str:
    """Previous rows of periods nothing changed (for a count, only groups that had rows)."""
    where = "WHERE NOT EXISTS (SELECT 1 FROM affected AS a\n"
    where += "    WHERE a.grain = p.grain AND a.period_start = p.period_start)"
    if only_nonzero:
        where += "\n  AND p.count > 0"
    return f"SELECT p.* FROM previous AS p\n{where}"


def previous_changes_sql() -> str:
    """A backlog's previous per-period changes, recovered from its running sums."""
    return (
        f"SELECT {CORE_COLUMNS},\n"
        "    count - COALESCE(lag(count) OVER (\n"
        "        PARTITION BY grain, dimension, dimension_value ORDER BY period_start\n"
        "    ), 0) AS change\n"
        "FROM previous"
    )


def delta_events_sql(events: str, keep: str) -> str:
    """Events that differ from the previous run: every event after the previous as-of, and
    below it the changed records' new events minus their old ones."""
    return (
        f"SELECT ts, delta{keep} FROM {events}\n"
        "WHERE part = 'all' AND ts > $previous_as_of AND ts <= $as_of\n"
        "UNION ALL\n"
        f"SELECT ts, CASE part WHEN 'old' THEN -delta ELSE delta END AS delta{keep}\n"
        f"FROM {events}\n"
        "WHERE part IN ('new', 'old') AND ts <= $previous_as_of"
    )
