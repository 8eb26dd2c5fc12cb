"""Backlog SQL: records open (or open and overdue) at each period end, optionally by age.

A record is in the backlog at instant t while it has entered (``start``, or its due time for
an overdue backlog, before t) and not yet left (its ``end`` on or after t). Each record
yields *stints*: intervals ``(entered_at, left_at]`` during which it is in the backlog. The
backlog at a period end is the running sum of +1 at each stint's entry and -1 at its exit
over the periods before it; for the current, unfinished period it is the backlog at as_of.

History: ``<table>_versions`` holds every version of a record ever loaded. On a past date E
the record is judged by its latest version with ``version_at <= E``; before it was first
seen, by its first version's timestamps. So a request closed and later reopened is out of
the backlog while it was closed, and one cancelled later counts until it was cancelled.
Records with no version (warehouses from before the history existed, tests) are judged by
the current table alone.

Every version's span is derived once per computation, not once per metric: the compute step
materialises ``version_spans_sql`` as the temporary table ``<table>_version_spans`` before
the metrics run, and every backlog metric of that table reads it (``shared_spans``). Compiled
on its own, a backlog derives the spans in its ``record_versions`` CTE, so the SQL that
``citystat metrics explain`` prints runs as it is, with the same values.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from textwrap import indent

from pipelines.metrics.availability import needed_columns, resolved_columns
from pipelines.metrics.incremental import changed_table, delta_events_sql, hot_spans_table
from pipelines.metrics.model import Metric, MetricsConfig
from pipelines.metrics.sql_parts import (
    CORE_KEYS,
    KEEP_COVERED_SOURCES,
    Params,
    conditions_sql,
    coverage_ctes,
    data_span_cte,
    dense_ctes,
    dimension_columns,
    grouped_ctes,
    quote,
    select_sql,
    with_ctes,
)
from pipelines.metrics.tables import AGE_DIMENSION, MetricTable, metric_table

# Timestamps are whole microseconds, so [a, b) is exactly (a - 1us, b - 1us].
_TICK = "INTERVAL 1 MICROSECOND"


def age_bucket_labels(bounds: Sequence[int]) -> list[tuple[str, int, int | None]]:
    """(label, from_days, to_days) per bucket: [30, 60] -> 0-29, 30-59 and 60+ days."""
    edges = [0, *bounds]
    buckets: list[tuple[str, int, int | None]] = [
        (f"{low}-{high - 1} days", low, high) for low, high in itertools.pairwise(edges)
    ]
    return [*buckets, (f"{edges[-1]}+ days", edges[-1], None)]


def backlog_sql(
    config: MetricsConfig,
    metric: Metric,
    grains: list[str],
    dimensions: list[str],
    params: Params,
    coverage: list[tuple[str, str]],
    *,
    shared_spans: bool = False,
) -> str:
    """Backlog of one metric at every period end of every grain and breakdown; with
    ``shared_spans`` it reads the materialised ``<table>_version_spans`` instead of
    deriving the spans itself (a daily run's update is backlog_update.py's)."""
    table = metric_table(metric.table)
    dims = [quote("d_" + d) for d in dimensions]
    keep = "".join(f", {d}" for d in dims)
    spans = quote(version_spans_table(table.name))
    named = version_spans_sql(table, backlog_columns(metric, dimensions))
    ctes = [
        *coverage,
        ("record_versions", f"SELECT * FROM {spans}" if shared_spans else named),
        ("backlog_rows", rows_sql(metric, table, dimensions, params)),
        ("stints", "SELECT * FROM backlog_rows\nWHERE left_at IS NULL OR left_at > entered_at"),
        ("events", events_sql("stints", keep)),
        ("source_rows", "SELECT * FROM events WHERE ts <= $as_of"),
        *grouped_ctes(config, grains, dimensions, ["sum(delta) AS change"]),
    ]
    grouped, more_members = "grouped", None
    if metric.age_buckets:
        ctes += _age_ctes(config, metric.age_buckets, grains, params)
        # Every age bucket gets a row, zero when empty, so the profile always has its shape.
        grouped = "all_grouped"
        more_members = f"SELECT '{AGE_DIMENSION}', label FROM age_buckets"
    # A backlog that matches no record is zero over the data's periods, not absent.
    ctes.append(data_span_cte(table.name, resolved_columns(metric)["start"]))
    # first_from is grouped, not all_grouped: age buckets add no earlier period.
    ctes += dense_ctes(config, grains, grouped, more_members, data_span=True)
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
        f"    LEFT JOIN {grouped} AS g USING (grain, period_start, dimension, dimension_value)\n"
        ") AS backlog"
    )
    return with_ctes(ctes, final)


def backlog_changes_sql(
    config: MetricsConfig, metric: Metric, grains: list[str], params: Params
) -> str:
    """A daily run's changes to one backlog's levels, by period and breakdown member (each
    ``change``): its events that differ from the previous run's (the changed records' new
    events less their old ones, and every event after the previous as-of), grouped. Reads
    the CTE ``record_versions`` (parts_sql with every part) its caller defines."""
    table = metric_table(metric.table)
    dimensions = config.dimensions(metric)
    keep = "".join(f", {quote('d_' + d)}" for d in dimensions)
    ctes = [
        *coverage_ctes(metric.table, needed_columns(metric), params),
        ("backlog_rows", rows_sql(metric, table, dimensions, params, parts=True)),
        (
            "stints",
            "SELECT * FROM backlog_rows\nWHERE (left_at IS NULL OR left_at > entered_at)\n"
            # Every event of a stint that ended by the previous as-of is before it.
            "  AND (part <> 'all' OR left_at IS NULL OR left_at > $previous_as_of)",
        ),
        ("events", events_sql("stints", keep + ", part")),
        ("source_rows", delta_events_sql("events", keep)),
        # The changed records' events alone: few rows.
        *grouped_ctes(config, grains, dimensions, ["sum(delta) AS change"], few_rows=True),
    ]
    grouped = "grouped"
    if metric.age_buckets:
        ctes += _age_ctes(config, metric.age_buckets, grains, params, incremental=True)
        grouped = "all_grouped"
    return with_ctes(ctes, f"SELECT {CORE_KEYS}, change FROM {grouped}")


def parts_sql(table: MetricTable, *, with_all: bool) -> str:
    """Version spans tagged by part: 'new' (changed records now), 'old' (changed records
    without this run's versions) and, ``with_all``, 'all' (every record that can have an
    event after the previous as-of: the hot records' versions whose span reaches past it)."""
    hot = quote(hot_spans_table(table.name))
    old = f"SELECT 'old' AS part, * FROM {quote(changed_table(table.name, 'old_spans'))}"
    new = f"SELECT 'new' AS part, * FROM {quote(changed_table(table.name, 'new_spans'))}"
    # A span ending before the previous as-of has all its events before it too.
    every = (
        f"SELECT 'all' AS part, * FROM {hot}\nWHERE valid_to IS NULL OR valid_to > $previous_as_of"
    )
    return "\nUNION ALL BY NAME\n".join([*([every] if with_all else []), new, old])


def version_spans_table(table_name: str) -> str:
    """Name of the temporary table holding a canonical table's version spans."""
    return f"{table_name}_version_spans"


def version_spans_sql(table: MetricTable, columns: Sequence[str] | None = None) -> str:
    """Every version with the span it describes: [valid_from, valid_to), open-ended first
    and last; records that have no version at all stand for themselves over all time.

    ``columns``: only these canonical columns (besides the id, source and version), when
    the spans are materialised for known metrics; every column when None.
    """
    rid = quote(table.id_column)
    versions = quote(table.name + "_versions")
    if columns is None:
        picked = current = "*"
    else:
        names = dict.fromkeys([table.id_column, "source", *columns])
        current = ", ".join(quote(c) for c in names)
        picked = f"{current}, version_at, run_id"
    same_record = f"v.source IS NOT DISTINCT FROM r.source AND v.{rid} = r.{rid}"
    # Only a revised record (more than one version) needs the window: a single version's
    # span is open at both ends. Most records are never revised, and finding the revised
    # ones is cheaper than ordering every version (requests at 10M: 5.4 s -> 2.9 s).
    return (
        f"WITH revised AS (\n    SELECT source, {rid} FROM {versions} GROUP BY ALL "
        "HAVING count(*) > 1\n)\n"
        f"SELECT {picked},\n"
        "    CASE WHEN row_number() OVER w = 1 THEN NULL ELSE version_at END AS valid_from,\n"
        "    lead(version_at) OVER w AS valid_to\n"
        f"FROM {versions} AS v SEMI JOIN revised AS r ON {same_record}\n"
        f"WINDOW w AS (PARTITION BY source, {rid} ORDER BY version_at NULLS FIRST, run_id)\n"
        "UNION ALL BY NAME\n"
        f"SELECT {picked}, CAST(NULL AS TIMESTAMP) AS valid_from,"
        " CAST(NULL AS TIMESTAMP) AS valid_to\n"
        f"FROM {versions} AS v ANTI JOIN revised AS r ON {same_record}\n"
        "UNION ALL BY NAME\n"
        f"SELECT {current}, CAST(NULL AS TIMESTAMP) AS valid_from,"
        " CAST(NULL AS TIMESTAMP) AS valid_to\n"
        f"FROM {quote(table.name)} AS c\n"
        f"WHERE NOT EXISTS (SELECT 1 FROM {versions} AS v\n"
        f"    WHERE v.source IS NOT DISTINCT FROM c.source AND v.{rid} = c.{rid})"
    )


def backlog_columns(metric: Metric, dimensions: Sequence[str]) -> list[str]:
    """Canonical columns a backlog reads from its version spans."""
    table = metric_table(metric.table)
    columns = [*needed_columns(metric), table.closing, "status", *dimensions]
    return list(dict.fromkeys(columns))


def rows_sql(
    metric: Metric,
    table: MetricTable,
    dimensions: list[str],
    params: Params,
    *,
    parts: bool = False,
) -> str:
    """One candidate stint per version: when it entered and left the backlog, cut to the
    span the version describes (with ``parts``, tagged by the part it belongs to)."""
    columns = resolved_columns(metric)
    start = quote(columns["start"])
    enter = start
    where = [
        conditions_sql(metric.filter, params),
        f"{start} IS NOT NULL",
        KEEP_COVERED_SOURCES,
    ]
    if "due" in columns:
        due = quote(columns["due"])
        enter = f"greatest({start}, {due})"
        where.append(f"{due} IS NOT NULL")
    if table.withdrawn_statuses:
        withdrawn = params.in_list(table.withdrawn_statuses, "withdrawn")
        where.append(f"status IS NULL OR status NOT IN {withdrawn}")
    waiting = f"status IN {params.in_list(table.waiting_statuses(columns['end']), 'waiting')}"
    exit_at = _exit_sql(table, columns["end"], waiting)
    # A finished record with no time it finished cannot be placed: left out, not open forever.
    finished = ", ".join(dict.fromkeys([quote(columns["end"]), quote(table.closing)]))
    finished = f"COALESCE({finished})" if "," in finished else finished
    where.append(f"{waiting} OR {finished} IS NOT NULL")
    select = [
        f"greatest({enter}, valid_from - {_TICK}) AS entered_at",
        f"least({exit_at}, valid_to - {_TICK}) AS left_at",
        f"{start} AS started_at",
        *dimension_columns(dimensions, params),
        *(["part"] if parts else []),
    ]
    return select_sql(select, "record_versions AS r", where)


def _exit_sql(table: MetricTable, end_column: str, waiting: str) -> str:
    """When the record left the backlog, by its own timestamps and status."""
    end = quote(end_column)
    if end_column == table.closing:
        # The status column describes exactly this closing: an open status wins over a
        # closing time left behind when a closed request was reopened.
        return f"CASE WHEN {waiting} THEN NULL ELSE {end} END"
    # Another end (first inspection, issue): a record closed before reaching it left the
    # backlog when it was closed.
    closing = quote(table.closing)
    return f"CASE WHEN {end} IS NOT NULL THEN {end} WHEN {waiting} THEN NULL ELSE {closing} END"


def events_sql(stints: str, keep: str) -> str:
    """+1 at each stint's entry and -1 at its exit, with the ``keep`` columns."""
    return (
        f"SELECT entered_at AS ts, 1 AS delta{keep} FROM {stints}\n"
        "UNION ALL\n"
        f"SELECT left_at AS ts, -1 AS delta{keep} FROM {stints}\n"
        "WHERE left_at IS NOT NULL"
    )


def _age_ctes(
    config: MetricsConfig,
    bounds: Sequence[int],
    grains: list[str],
    params: Params,
    *,
    incremental: bool = False,
) -> list[tuple[str, str]]:
    """The age breakdown: each stint cut into the spans its age falls in each bucket."""
    rows = []
    for label, low, high in age_bucket_labels(bounds):
        rows.append(
            f"(CAST({params.add(label, 'age_label')} AS VARCHAR), "
            f"CAST({params.add(low, 'age_from')} AS INTEGER), "
            f"CAST({params.add(high, 'age_to') if high is not None else 'NULL'} AS INTEGER))"
        )
    buckets = "SELECT * FROM (VALUES\n    " + ",\n    ".join(rows)
    buckets += "\n) AS b(label, from_days, to_days)"
    # Age a at instant t means from_days <= t - started_at < to_days, the half-open span
    # [started_at + from_days, started_at + to_days), i.e. (.. - 1us, .. - 1us].
    age_stints = (
        "SELECT * FROM (\n"
        "    SELECT\n"
        f"        greatest(s.entered_at, s.started_at + to_days(b.from_days) - {_TICK})"
        " AS entered_at,\n"
        f"        least(s.left_at, s.started_at + to_days(b.to_days) - {_TICK}) AS left_at,\n"
        f"        b.label AS {quote('d_' + AGE_DIMENSION)}{', s.part' if incremental else ''}\n"
        "    FROM stints AS s CROSS JOIN age_buckets AS b\n"
        ")\nWHERE left_at IS NULL OR left_at > entered_at"
    )
    age_dim = [AGE_DIMENSION]
    keep = f", {quote('d_' + AGE_DIMENSION)}"
    if incremental:
        age_events = events_sql("age_stints", keep + ", part")
        age_rows = delta_events_sql(f"(\n{indent(age_events, '    ')}\n)", keep)
    else:
        age_rows = f"SELECT * FROM ({events_sql('age_stints', keep)})\nWHERE ts <= $as_of"
    ctes = [
        ("age_buckets", buckets),
        ("age_stints", age_stints),
        ("age_rows", age_rows),
        *grouped_ctes(
            config,
            grains,
            age_dim,
            ["sum(delta) AS change"],
            source="age_rows",
            prefix="age_",
            citywide=False,
            few_rows=incremental,
        ),
        ("all_grouped", "SELECT * FROM grouped\nUNION ALL\nSELECT * FROM age_grouped"),
    ]
    return ctes
