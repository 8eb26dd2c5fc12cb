"""SQL pieces of an incremental recompute: what a run changed, and the values kept from before.

An incremental run merges a day's extract into a copy of the published warehouse, so the
metric values of the previous run are in ``metric_values`` (each metric reads its own rows
before it replaces them) and every version the run added to ``<table>_versions`` carries the
run's id (``$changed_run_id``). The previous computation's as-of timestamp is
``$previous_as_of``. From these, each metric's values are rebuilt exactly as a full
recompute would give them, reading only what can have changed, and only the periods whose
rows can differ are replaced: the query yields their new rows and one marker row per
replaced period (pipelines/metrics/compute.py deletes the metric's rows of those periods
and inserts the new ones); every other row stays in place.

- count and share: a group's value is a count (of records, of successes), so the new
  counts are the previous ones plus the signed rows that differ (``delta_rows_ctes``): the
  changed records' new rows minus their old rows (their latest version without this run's,
  judged at the previous as-of), plus the other records dated between the two as-ofs or
  whose as-of condition may have flipped, judged at the as-of minus at the previous as-of.
  The periods replaced are those the differences touch and those from the previous as-of's
  period on (periods become complete, the spine grows); a count whose breakdown members or
  first period change replaces every period (pipelines/metrics/delta_counts.py, where the
  counts of a table are updated in one query).
- duration_percentile: a quantile needs every duration of its period, so the *affected*
  periods (holding the old or the new timestamp of a changed record whose columns the metric
  reads changed, a row whose as-of condition may have flipped, or from the previous as-of's
  period on) are regrouped, grain by grain, from the rows materialised once per table from
  the earliest affected period on (``recent_rows_statement``). Percentiles of the same
  rows (a service's median and 90th percentile) are regrouped by one query
  (``compile_family``, as in a full run): the fiscal year's regroup is most of a daily run's
  metric time, and a second quantile of the same groups costs almost nothing.
- backlog: a period's backlog is a running sum of +1/-1 events, so the new sums are the
  previous ones plus the events that differ: the changed records' events in their new state,
  minus their events in their old state (their versions without this run's), plus every
  record's events after the previous as-of. The periods whose sums differ are replaced.

Only *hot* records can have a backlog event between the two as-ofs: those changed by the run,
those with a version timestamp between them and those whose age crosses a bucket bound
between them. Their version spans alone are materialised (``<table>_hot_spans``), so a daily
run does not derive the spans of every version again. What the run changed (the changed
records, their old and new rows and spans) is likewise materialised once per table
(``changed_statements``) and read by every metric, rather than found again in the version
history by each.

Pure functions: nothing here touches a database.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from textwrap import indent

from pipelines.metrics.model import MetricsConfig
from pipelines.metrics.periods import GRAIN_STEP, period_start_sql
from pipelines.metrics.sql_parts import CORE_KEYS, Params, select_sql
from pipelines.metrics.tables import MetricTable
from pipelines.warehouse.schema import quote


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


def hot_spans_statement(
    table: MetricTable,
    params: Params,
    columns: Sequence[str] | None = None,
    ages: Sequence[tuple[str, Sequence[int]]] = (),
) -> str:
    """Materialise the spans of every record that can have a backlog event between
    ``$previous_as_of`` and ``$as_of``: changed by ``$changed_run_id``, or with a version
    timestamp between them, or whose age crosses a bucket bound between them (``ages``: the
    start column and bounds in days of each age breakdown). ``columns``: only these canonical
    columns (those the backlogs read), every one when None.

    Every event is at a version's timestamp (a version time less 1us) or at a start plus a
    bound (less 1us), so a record with none of those in (previous as-of, as-of + 1us] has no
    event there: a record still waiting keeps the running sums it had.
    """
    rid = quote(table.id_column)
    picked = "*"
    if columns is not None:
        # Reading every column of every version for the join costs more than the rest.
        names = dict.fromkeys([table.id_column, "source", *columns, "version_at", "run_id"])
        picked = ", ".join(quote(c) for c in names)
    versions = quote(table.name + "_versions")
    upper = "CAST($as_of AS TIMESTAMP) + INTERVAL 1 MICROSECOND"
    between = [
        f"({quote(c)} > $previous_as_of AND {quote(c)} <= {upper})"
        for c in (*table.timestamp_columns, "version_at")
    ]
    for start, bounds in ages:
        for bound in dict.fromkeys(bounds):
            days = f"to_days(CAST({params.add(bound, 'age_days')} AS INTEGER))"
            c = quote(start)
            between.append(f"({c} > $previous_as_of - {days} AND {c} <= {upper} - {days})")
    hot = (
        f"SELECT source, {rid} FROM {versions} WHERE run_id = $changed_run_id\n"
        f"UNION\nSELECT source, {rid} FROM {versions}\nWHERE " + "\n   OR ".join(between)
    )
    # The same spans as version_spans_sql: a record's versions are all hot or none is.
    return (
        f"CREATE OR REPLACE TEMP TABLE {quote(hot_spans_table(table.name))} AS\n"
        f"WITH hot_ids AS (\n{hot}\n)\n"
        "SELECT *,\n"
        "    CASE WHEN row_number() OVER w = 1 THEN NULL ELSE version_at END AS valid_from,\n"
        "    lead(version_at) OVER w AS valid_to\n"
        f"FROM (SELECT {picked} FROM {versions} SEMI JOIN hot_ids USING (source, {rid}))\n"
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
    parts.append(as_of_periods_sql(config, grains))
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


def affected_from_sql(
    config: MetricsConfig,
    table: MetricTable,
    as_of_columns: Sequence[str],
    ends: Sequence[str],
) -> str:
    """One value: a lower bound of every period an incremental percentile of ``table`` can
    regroup (the period starts, at any grain, of the changed records' ``ends`` old and new,
    of the previous as-of, and of the ``ends`` of the rows whose ``as_of_columns`` lie between
    the two as-ofs). Bound as ``$affected_from``, a constant the scan skips row groups with.

    ``ends`` are the percentiles' period columns (affected_ctes regroups the periods of
    those alone): a request opened years ago and closed today moves today's period only.
    least() skips NULLs, so a record without an end (still open) bounds nothing."""
    stamps = ", ".join(quote(c) for c in dict.fromkeys(ends))
    parts = [
        f"SELECT least({stamps}) AS ts FROM {quote(changed_table(table.name, what))}"
        for what in ("old_rows", "new_rows")
    ]
    parts.append("SELECT CAST($previous_as_of AS TIMESTAMP)")
    parts += [
        f"SELECT least({stamps}) FROM {quote(table.name)}\n"
        f"WHERE {quote(c)} >= $previous_as_of AND {quote(c)} <= $as_of"
        for c in as_of_columns
    ]
    fy = config.city.fiscal_year_start_month
    starts = ", ".join(period_start_sql(g, "first_ts", fy) for g in GRAIN_STEP)
    union = indent("\nUNION ALL\n".join(parts), "    ")
    return f"SELECT least({starts})\nFROM (SELECT min(ts) AS first_ts FROM (\n{union}\n))"


def recent_rows_table(table_name: str) -> str:
    """Name of the temporary table of the rows an incremental percentile can regroup."""
    return f"{table_name}_recent_rows"


def recent_rows_statement(
    table: MetricTable, columns: Sequence[str], ends: Sequence[str], filters: Sequence[str]
) -> str:
    """Materialise the rows whose ``ends`` (the percentiles' period columns) are on or after
    ``$affected_from`` and that pass one of the percentiles' ``filters``, with ``columns``:
    one scan of the table for all its percentiles, which then read a fiscal year's rows of
    their own services instead of the whole history."""
    names = ", ".join(quote(c) for c in dict.fromkeys(["source", *columns]))
    where = " OR ".join(f"{quote(e)} >= $affected_from" for e in dict.fromkeys(ends))
    # Each percentile applies its own filter again; rows none of them keeps are never read.
    kept = " OR ".join(f"({f})" for f in filters)
    return (
        f"CREATE OR REPLACE TEMP TABLE {quote(recent_rows_table(table.name))} AS\n"
        f"SELECT {names} FROM {quote(table.name)}\nWHERE ({where})\n  AND ({kept or 'TRUE'})"
    )


def as_of_periods_sql(config: MetricsConfig, grains: Sequence[str]) -> str:
    """(grain, period_start) of every period from the previous as-of's to the as-of's: the
    as-of moved, so records dated between them count, periods complete and the spine grows."""
    fy = config.city.fiscal_year_start_month
    return "\nUNION ALL\n".join(
        f"SELECT '{g}' AS grain, CAST(unnest(generate_series(\n"
        f"    {period_start_sql(g, 'CAST($previous_as_of AS TIMESTAMP)', fy)},\n"
        f"    {period_start_sql(g, 'CAST($as_of AS TIMESTAMP)', fy)},\n"
        f"    {GRAIN_STEP[g]}\n"
        ")) AS DATE) AS period_start"
        for g in grains
    )


def replaced_by(marker: str, row: str) -> str:
    """The condition that the marker row ``marker`` (a partial query's row with no dimension)
    names the period of ``row``, which the partial query therefore replaces."""
    return (
        f"{marker}.dimension IS NULL AND {marker}.grain = {row}.grain"
        f" AND {marker}.period_start = {row}.period_start"
    )


def previous_sql(params: Params, metric_id: str) -> str:
    """The metric's rows of the previous run, core columns only (read before the metric's
    own rows are replaced)."""
    name = params.named("metric_id", metric_id)
    return (
        f"SELECT {CORE_KEYS}, value, numerator, denominator, count\n"
        f"FROM metric_values WHERE metric_id = {name}"
    )


def at_previous_as_of(sql: str) -> str:
    """The same condition or column judged at the previous as-of instead of the as-of."""
    return re.sub(r"\$as_of\b", "$previous_as_of", sql)


def moved_rows_table(table_name: str) -> str:
    """Name of the temporary table of the records a run did not change whose contribution
    to a count or share may still differ (moved_rows_statement)."""
    return f"{table_name}_moved_rows"


def moved_rows_statement(table: MetricTable, columns: Sequence[str]) -> str:
    """Materialise, once for every count and share of ``table``, the records
    ``$changed_run_id`` did not change with any of ``columns`` (their dates and the columns
    their conditions compare with the as-of) between ``$previous_as_of`` and ``$as_of``."""
    rid = quote(table.id_column)
    ids = quote(changed_table(table.name, "ids"))
    between = "\n   OR ".join(
        f"({quote(c)} >= $previous_as_of AND {quote(c)} <= $as_of)" for c in dict.fromkeys(columns)
    )
    return (
        f"CREATE OR REPLACE TEMP TABLE {quote(moved_rows_table(table.name))} AS\n"
        f"SELECT * FROM {quote(table.name)}\nANTI JOIN {ids} USING (source, {rid})\n"
        f"WHERE {between}"
    )


def delta_rows_ctes(
    table: MetricTable,
    ts: str,
    as_of_columns: Sequence[str],
    columns: Sequence[str],
    where: Sequence[str],
) -> list[tuple[str, str]]:
    """moved and delta_rows: every row whose contribution differs from the previous run's,
    signed: the changed records' new rows (+1) and old rows (-1), and the other records
    whose timestamp ``ts`` or ``as_of_columns`` lie between the two as-ofs, judged at the
    as-of (+1) and at the previous as-of (-1). Summed per group they are the change of a
    count. ``columns`` and ``where`` select the metric's rows (alias ``r``) at ``$as_of``.
    """
    between = [f"{ts} > $previous_as_of AND {ts} <= $as_of"]
    between += [f"{quote(c)} >= $previous_as_of AND {quote(c)} <= $as_of" for c in as_of_columns]
    moved = f"SELECT * FROM {quote(moved_rows_table(table.name))}\nWHERE " + "\n   OR ".join(
        f"({b})" for b in between
    )
    new_rows = quote(changed_table(table.name, "new_rows"))
    old_rows = quote(changed_table(table.name, "old_rows"))
    parts = []
    for source, sign in ((new_rows, 1), (old_rows, -1), ("moved", 1), ("moved", -1)):
        part = select_sql([*columns, f"{sign} AS sign"], f"{source} AS r", where)
        # The old contributions were judged at the previous as-of.
        parts.append(part if sign > 0 else at_previous_as_of(part))
    return [("moved", moved), ("delta_rows", "\nUNION ALL\n".join(parts))]


def previous_changes_sql(where: str | None = None) -> str:
    """A backlog's previous per-period changes, recovered from its running sums (of the
    members ``where`` keeps, when given: a condition on whole members)."""
    return (
        f"SELECT {CORE_KEYS},\n"
        "    count - COALESCE(lag(count) OVER (\n"
        "        PARTITION BY grain, dimension, dimension_value ORDER BY period_start\n"
        "    ), 0) AS change\n"
        "FROM previous" + (f"\nWHERE {where}" if where else "")
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
