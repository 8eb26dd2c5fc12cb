"""Hand-written DuckDB SQL for every metric kind: the baseline citystat's metric engine is timed
against, and an independent cross-check of its values.

One readable SQL template per kind (count, share, duration percentile, backlog with version
history, ratio), written the way an analyst who knows the warehouse would write it, and
instantiated with a metric's filter values, columns, grains and breakdowns from metrics.yml.
Nothing here calls citystat's compiler: the table defaults and period arithmetic are written
out again below, so a bug in the compiler shows up as a difference, not as the same number.

What the templates leave out on purpose (the work citystat does that a hand-written query for
one known city does not): coverage checks of sources that lack a column, targets, statuses,
period labels and metric_definitions. The benchmark therefore compares the metric engine with
the bare computation of the same values. Values reach DuckDB only as bound parameters.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb

from pipelines.metrics.model import AS_OF, Condition, Metric, MetricsConfig

RESULT_TABLE = "handwritten_values"
KEY_COLUMNS = ("metric_id", "grain", "period_start", "dimension", "dimension_value")
VALUE_COLUMNS = ("value", "numerator", "denominator", "count")


@dataclass(frozen=True)
class TableFacts:
    """What an analyst knows about a canonical table: default timestamps and statuses."""

    start: str  # when a record enters (default date, duration start, backlog entry)
    end: str  # when it leaves (default duration end, backlog exit)
    due: str  # the due time of an overdue backlog
    closing: str  # when a finished record was closed
    open_statuses: tuple[str, ...]
    withdrawn_statuses: tuple[str, ...]
    # A permit that is issued no longer waits for issue, though it is open until completed.
    waiting_for_end: dict[str, tuple[str, ...]] = field(default_factory=dict)


TABLES: dict[str, TableFacts] = {
    "service_requests": TableFacts(
        "opened_at", "closed_at", "due_at", "closed_at", ("open",), ("cancelled",)
    ),
    "permits": TableFacts(
        "applied_at",
        "issued_at",
        "review_due_at",
        "completed_at",
        ("in_review", "issued"),
        ("cancelled",),
        {"issued_at": ("in_review",)},
    ),
    "inspections": TableFacts("received_at", "closed_at", "due_at", "closed_at", ("open",), ()),
}
ID_COLUMNS = {"service_requests": "request_id", "permits": "permit_id", "inspections": "case_id"}

_SQL_OPS = {"=": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_STEP = {
    "week": "INTERVAL 7 DAY",
    "month": "INTERVAL 1 MONTH",
    "quarter": "INTERVAL 3 MONTH",
    "fiscal_year": "INTERVAL 1 YEAR",
}


@dataclass(frozen=True)
class HandwrittenQuery:
    """One metric's hand-written query and its bound parameters (``$as_of`` added at run)."""

    metric_id: str
    sql: str
    params: dict[str, Any]


@dataclass
class _Binder:
    """Names bound values $v1, $v2, ... in the order they are used."""

    values: dict[str, Any] = field(default_factory=dict)

    def bind(self, value: Any) -> str:
        name = f"v{len(self.values) + 1}"
        self.values[name] = value
        return f"${name}"


def q(identifier: str) -> str:
    """A quoted identifier (names come from checked metrics.yml, never from data)."""
    return '"' + identifier.replace('"', '""') + '"'


# ----------------------------------------------------------------------------- templates
# {rows} is the kind's row selection; every template ends in the same key and value columns.

GROUPED = """
SELECT
    CASE {grain_case} END AS grain,
    CAST(COALESCE({period_columns}) AS DATE) AS period_start,
    CASE {dimension_case} ELSE 'citywide' END AS dimension,
    CASE {member_case} ELSE 'Citywide' END AS dimension_value,
    {aggregates}
FROM (SELECT *, {period_of_ts} FROM {source}) AS with_periods
GROUP BY GROUPING SETS ({grouping_sets})"""

# Every period from the first record's to the as-of date's, for each grain.
SPINE = """
SELECT '{grain}' AS grain,
    CAST(unnest(generate_series({first}, {last}, {step})) AS DATE) AS period_start
FROM (SELECT min(ts) AS first_ts FROM {source}) AS first_record"""

COUNT = """
WITH counted AS (
    SELECT {date} AS ts, {dimensions}
    FROM {table}
    WHERE ({filter}) AND {date} IS NOT NULL AND {date} <= $as_of
),
grouped AS ({grouped}),
spine AS ({spine}),
members AS (
    SELECT DISTINCT dimension, dimension_value FROM grouped
    UNION SELECT 'citywide', 'Citywide'
)
SELECT s.grain, s.period_start, m.dimension, m.dimension_value,
    CAST(COALESCE(g.n, 0) AS DOUBLE) AS value,
    CAST(NULL AS DOUBLE) AS numerator, CAST(NULL AS DOUBLE) AS denominator,
    COALESCE(g.n, 0) AS count
FROM spine AS s CROSS JOIN members AS m
LEFT JOIN grouped AS g USING (grain, period_start, dimension, dimension_value)"""

SHARE = """
WITH population AS (
    SELECT {date} AS ts, COALESCE({numerator}, FALSE) AS is_success, {dimensions}
    FROM {table}
    WHERE ({filter}) AND ({denominator}) AND {date} IS NOT NULL AND {date} <= $as_of
)
SELECT grain, period_start, dimension, dimension_value,
    successes / n AS value, CAST(successes AS DOUBLE) AS numerator,
    CAST(n AS DOUBLE) AS denominator, n AS count
FROM ({grouped})"""

DURATION = """
WITH finished AS (
    SELECT {end} AS ts, (epoch({end}) - epoch({start})) / 86400.0 AS days, {dimensions}
    FROM {table}
    WHERE ({filter}) AND {start} IS NOT NULL AND {end} IS NOT NULL AND {end} <= $as_of
)
SELECT grain, period_start, dimension, dimension_value,
    value, CAST(NULL AS DOUBLE) AS numerator, CAST(NULL AS DOUBLE) AS denominator, n AS count
FROM ({grouped})"""

# Backlog from version history: each version of a record describes [valid_from, valid_to);
# while it is current the record is in the backlog from entry until it left. Timestamps are
# whole microseconds, so "before t" is "at or before t - 1us". The backlog at a period end is
# the running sum of +1 at each entry and -1 at each exit up to that period.
BACKLOG = """
WITH versions AS (
    SELECT *,
        CASE WHEN row_number() OVER w = 1 THEN NULL ELSE version_at END AS valid_from,
        lead(version_at) OVER w AS valid_to
    FROM {versions}
    WINDOW w AS (PARTITION BY source, {id} ORDER BY version_at NULLS FIRST, run_id)
),
stints AS (
    SELECT * FROM (
        SELECT
            greatest({enter}, valid_from - INTERVAL 1 MICROSECOND) AS entered_at,
            least({exit}, valid_to - INTERVAL 1 MICROSECOND) AS left_at,
            {start} AS started_at,
            {dimensions}
        FROM versions
        WHERE ({filter}) AND {start} IS NOT NULL {due_present}
          {not_withdrawn}
          AND (status IN {waiting} OR {finished} IS NOT NULL)
    ) WHERE left_at IS NULL OR left_at > entered_at
),
{age_ctes}
moves AS (
    SELECT ts, delta{dimension_names} FROM (
        SELECT entered_at AS ts, 1 AS delta{dimension_names} FROM stints
        UNION ALL
        SELECT left_at, -1{dimension_names} FROM stints WHERE left_at IS NOT NULL
    ) WHERE ts <= $as_of
),
grouped AS ({grouped}{age_grouped}),
spine AS ({spine}),
members AS (
    SELECT DISTINCT dimension, dimension_value FROM grouped
    UNION SELECT 'citywide', 'Citywide'{age_members}
)
SELECT grain, period_start, dimension, dimension_value,
    CAST(running AS DOUBLE) AS value, CAST(NULL AS DOUBLE) AS numerator,
    CAST(NULL AS DOUBLE) AS denominator, CAST(running AS BIGINT) AS count
FROM (
    SELECT s.grain, s.period_start, m.dimension, m.dimension_value,
        sum(COALESCE(g.change, 0)) OVER (
            PARTITION BY s.grain, m.dimension, m.dimension_value
            ORDER BY s.period_start ROWS UNBOUNDED PRECEDING
        ) AS running
    FROM spine AS s CROSS JOIN members AS m
    LEFT JOIN grouped AS g USING (grain, period_start, dimension, dimension_value)
)"""

# The age profile: each stint cut into the spans during which its age (days since start) falls
# in each bucket [from_days, to_days).
AGE_CTES = """
buckets AS (SELECT * FROM (VALUES {bucket_rows}) AS b(label, from_days, to_days)),
aged AS (
    SELECT * FROM (
        SELECT
            greatest(s.entered_at, s.started_at + to_days(b.from_days) - INTERVAL 1 MICROSECOND)
                AS entered_at,
            least(s.left_at, s.started_at + to_days(b.to_days) - INTERVAL 1 MICROSECOND)
                AS left_at,
            b.label AS age
        FROM stints AS s CROSS JOIN buckets AS b
    ) WHERE left_at IS NULL OR left_at > entered_at
),
age_moves AS (
    SELECT ts, delta, age FROM (
        SELECT entered_at AS ts, 1 AS delta, age FROM aged
        UNION ALL
        SELECT left_at, -1, age FROM aged WHERE left_at IS NOT NULL
    ) WHERE ts <= $as_of
),"""

RATIO = """
WITH numerator_values AS ({numerator}),
denominator_values AS ({denominator})
SELECT grain, period_start, dimension, dimension_value,
    n.value / NULLIF(d.value, 0) AS value, n.value AS numerator, d.value AS denominator,
    CAST(NULL AS BIGINT) AS count
FROM numerator_values AS n
FULL JOIN denominator_values AS d USING (grain, period_start, dimension, dimension_value)"""


# ----------------------------------------------------------------------------- instantiation


def handwritten_query(config: MetricsConfig, metric: Metric) -> HandwrittenQuery:
    """The hand-written query of one metric, producing metric_values' keys and values."""
    binder = _Binder()
    body = _body(config, metric, binder)
    metric_id = binder.bind(metric.id)
    sql = (
        f"SELECT {metric_id} AS metric_id, grain, period_start, dimension, dimension_value, "  # noqa: S608
        f"value, numerator, denominator, count FROM ({body})"
    )
    return HandwrittenQuery(metric.id, sql, binder.values)


def _body(config: MetricsConfig, metric: Metric, binder: _Binder) -> str:
    if metric.kind == "ratio":
        # A part's own age profile has no counterpart in the other part: left out.
        parts = [
            config.metric(m or "").model_copy(update={"age_buckets": None})
            for m in (metric.numerator_metric, metric.denominator_metric)
        ]
        # Both parts are read at the ratio's own grains and breakdowns.
        grains, dims = config.grains(metric), config.dimensions(metric)
        numerator, denominator = (_body_for(config, p, grains, dims, binder) for p in parts)
        return RATIO.format(numerator=numerator, denominator=denominator)
    return _body_for(config, metric, config.grains(metric), config.dimensions(metric), binder)


def _body_for(
    config: MetricsConfig, metric: Metric, grains: list[str], dims: list[str], binder: _Binder
) -> str:
    facts = TABLES[metric.table]
    fy = config.city.fiscal_year_start_month
    common = {
        "table": q(metric.table),
        "filter": _conditions(metric.filter, binder),
        "dimensions": ", ".join(
            f"COALESCE(CAST({q(d)} AS VARCHAR), 'Unknown') AS {q('d_' + d)}" for d in dims
        ),
    }
    if metric.kind == "count":
        date = q(metric.date or facts.start)
        grouped = _grouped("counted", grains, dims, fy, ["count(*) AS n"])
        spine = _spine("counted", grains, fy)
        return COUNT.format(date=date, grouped=grouped, spine=spine, **common)
    if metric.kind == "share":
        aggregates = ["count(*) FILTER (WHERE is_success) AS successes", "count(*) AS n"]
        return SHARE.format(
            date=q(metric.date or facts.start),
            numerator=_conditions(metric.numerator or [], binder),
            denominator=_conditions(metric.denominator or [], binder),
            grouped=_grouped("population", grains, dims, fy, aggregates),
            **common,
        )
    if metric.kind == "duration_percentile":
        percentile = binder.bind(metric.percentile)
        aggregates = [f"quantile_cont(days, {percentile}) AS value", "count(*) AS n"]
        return DURATION.format(
            start=q(metric.start or facts.start),
            end=q(metric.end or facts.end),
            grouped=_grouped("finished", grains, dims, fy, aggregates),
            **common,
        )
    if metric.kind == "backlog":
        return _backlog(metric, facts, grains, dims, fy, binder, common)
    raise ValueError(f"{metric.id}: no hand-written template for kind {metric.kind!r}")


def _backlog(
    metric: Metric,
    facts: TableFacts,
    grains: list[str],
    dims: list[str],
    fy: int,
    binder: _Binder,
    common: dict[str, str],
) -> str:
    start, end_name = q(metric.start or facts.start), metric.end or facts.end
    end, closing = q(end_name), q(facts.closing)
    waiting = _in_list(facts.waiting_for_end.get(end_name, facts.open_statuses), binder)
    enter, due_present = start, ""
    if metric.overdue:
        due = q(metric.due or facts.due)
        enter, due_present = f"greatest({start}, {due})", f"AND {due} IS NOT NULL"
    if end_name == facts.closing:
        # A reopened record keeps its old close time: its open status wins.
        exit_at = f"CASE WHEN status IN {waiting} THEN NULL ELSE {end} END"
        finished = end
    else:
        # Closed before reaching `end` (e.g. never inspected): it left when it was closed.
        exit_at = (
            f"CASE WHEN {end} IS NOT NULL THEN {end} WHEN status IN {waiting} THEN NULL "
            f"ELSE {closing} END"
        )
        finished = f"COALESCE({end}, {closing})"
    names = "".join(f", {q('d_' + d)}" for d in dims)
    age_ctes = age_grouped = age_members = ""
    if metric.age_buckets:
        age_ctes = AGE_CTES.format(bucket_rows=_bucket_rows(metric.age_buckets, binder))
        age_grouped = "\nUNION ALL\n" + _grouped(
            "age_moves", grains, ["age"], fy, ["sum(delta) AS change"], citywide=False, raw=True
        )
        age_members = "\n    UNION SELECT 'age', label FROM buckets"
    return BACKLOG.format(
        versions=q(metric.table + "_versions"),
        id=q(ID_COLUMNS[metric.table]),
        enter=enter,
        exit=exit_at,
        start=start,
        due_present=due_present,
        not_withdrawn=(
            f"AND (status IS NULL OR status NOT IN {_in_list(facts.withdrawn_statuses, binder)})"
            if facts.withdrawn_statuses
            else ""  # NOT IN (NULL) would drop every row
        ),
        waiting=waiting,
        finished=finished,
        dimension_names=names,
        age_ctes=age_ctes,
        grouped=_grouped("moves", grains, dims, fy, ["sum(delta) AS change"]),
        age_grouped=age_grouped,
        spine=_spine("moves", grains, fy),
        age_members=age_members,
        **common,
    )


def _bucket_rows(bounds: Sequence[int], binder: _Binder) -> str:
    """(label, from_days, to_days) per bucket: [30, 60] -> 0-29, 30-59, 60+ days."""
    edges = [0, *bounds]
    rows: list[tuple[str, int, int | None]] = [
        (f"{lo}-{hi - 1} days", lo, hi) for lo, hi in itertools.pairwise(edges)
    ]
    rows.append((f"{edges[-1]}+ days", edges[-1], None))
    return ", ".join(
        f"(CAST({binder.bind(label)} AS VARCHAR), CAST({binder.bind(lo)} AS INTEGER), "
        f"CAST({binder.bind(hi) if hi is not None else 'NULL'} AS INTEGER))"
        for label, lo, hi in rows
    )


def _period_start(grain: str, expr: str, fy: int) -> str:
    """Start of the period containing ``expr``; a fiscal year starts in month ``fy``."""
    if grain != "fiscal_year":
        return f"date_trunc('{grain}', {expr})"
    shift = fy - 1
    return f"(date_trunc('year', {expr} - INTERVAL {shift} MONTH) + INTERVAL {shift} MONTH)"


def _grouped(
    source: str,
    grains: Sequence[str],
    dims: Sequence[str],
    fy: int,
    aggregates: Sequence[str],
    *,
    citywide: bool = True,
    raw: bool = False,
) -> str:
    """One GROUPING SETS aggregate: every grain, citywide and by each breakdown."""
    # `raw` sources name their breakdown column plainly (age), not d_<name>.
    col = {d: q(d if raw else "d_" + d) for d in dims}
    sets = []
    for g in grains:
        sets += [f"(p_{g})"] if citywide else []
        sets += [f"(p_{g}, {col[d]})" for d in dims]
    return GROUPED.format(
        grain_case=" ".join(f"WHEN GROUPING(p_{g}) = 0 THEN '{g}'" for g in grains),
        period_columns=", ".join(f"p_{g}" for g in grains),
        dimension_case=" ".join(f"WHEN GROUPING({col[d]}) = 0 THEN '{d}'" for d in dims)
        or "WHEN FALSE THEN NULL",
        member_case=" ".join(f"WHEN GROUPING({col[d]}) = 0 THEN {col[d]}" for d in dims)
        or "WHEN FALSE THEN NULL",
        aggregates=", ".join(aggregates),
        period_of_ts=", ".join(f"{_period_start(g, 'ts', fy)} AS p_{g}" for g in grains),
        source=source,
        grouping_sets=", ".join(sets),
    )


def _spine(source: str, grains: Sequence[str], fy: int) -> str:
    return "\nUNION ALL".join(
        SPINE.format(
            grain=g,
            first=_period_start(g, "first_ts", fy),
            last=_period_start(g, "CAST($as_of AS TIMESTAMP)", fy),
            step=_STEP[g],
            source=source,
        )
        for g in grains
    )


def _conditions(conditions: Sequence[Condition], binder: _Binder) -> str:
    """AND of structured conditions, values bound."""
    return " AND ".join(_condition(c, binder) for c in conditions) or "TRUE"


def _condition(c: Condition, binder: _Binder) -> str:
    if c.any_of is not None:
        return "(" + " OR ".join(_condition(part, binder) for part in c.any_of) + ")"
    column, op = q(c.column or ""), c.op or ""
    if op in ("is_null", "is_not_null"):
        return f"{column} IS {'NOT ' if op == 'is_not_null' else ''}NULL"
    if op in ("in", "not_in"):
        return f"{column} {'NOT IN' if op == 'not_in' else 'IN'} {_in_list(c.value, binder)}"
    if c.column_ref is not None:
        return f"{column} {_SQL_OPS[op]} {q(c.column_ref)}"
    value = "$as_of" if c.value == AS_OF else binder.bind(c.value)
    return f"{column} {_SQL_OPS[op]} {value}"


def _in_list(values: Sequence[Any], binder: _Binder) -> str:
    return "(" + ", ".join(binder.bind(v) for v in values) + ")" if values else "(NULL)"


# ----------------------------------------------------------------------------- running


def computable_metrics(con: duckdb.DuckDBPyConnection, config: MetricsConfig) -> list[Metric]:
    """The metrics citystat could compute in this warehouse (its metric_definitions say so);
    a metric shown as "not available for this source" has no values to compare."""
    rows = con.execute(
        "SELECT metric_id FROM metric_definitions WHERE availability IS NULL "
        "OR NOT starts_with(availability, 'not available')"
    ).fetchall()
    available = {r[0] for r in rows}
    return [m for m in config.metrics if m.id in available]


def run_handwritten(
    con: duckdb.DuckDBPyConnection, config: MetricsConfig, as_of: datetime
) -> dict[str, float]:
    """Run every computable metric's hand-written query into handwritten_values; seconds per
    metric."""
    con.execute(f"DROP TABLE IF EXISTS {RESULT_TABLE}")
    con.execute(
        f"CREATE TABLE {RESULT_TABLE} (metric_id VARCHAR, grain VARCHAR, period_start DATE, "
        "dimension VARCHAR, dimension_value VARCHAR, value DOUBLE, numerator DOUBLE, "
        "denominator DOUBLE, count BIGINT)"
    )
    seconds: dict[str, float] = {}
    for metric in computable_metrics(con, config):
        query = handwritten_query(config, metric)
        started = time.perf_counter()
        con.execute(f"INSERT INTO {RESULT_TABLE} {query.sql}", {**query.params, "as_of": as_of})
        seconds[metric.id] = time.perf_counter() - started
    return seconds


@dataclass(frozen=True)
class Difference:
    """One row where citystat's metric_values and the hand-written values disagree."""

    metric_id: str
    grain: str
    period_start: str
    dimension: str
    dimension_value: str
    column: str  # value | numerator | denominator | count | missing_in_citystat | ...
    citystat: Any
    handwritten: Any


_COMPARE = """
WITH citystat AS (
    SELECT {keys}, {values} FROM metric_values
    WHERE metric_id IN (
        SELECT metric_id FROM metric_definitions
        WHERE availability IS NULL OR NOT starts_with(availability, 'not available')
    )
),
joined AS (
    SELECT {keys_coalesced}, {pairs},
        c.metric_id IS NULL AS missing_in_citystat, h.metric_id IS NULL AS missing_in_handwritten
    FROM citystat AS c FULL JOIN {table} AS h USING ({keys})
)
SELECT * FROM joined WHERE missing_in_citystat OR missing_in_handwritten OR {differs}
ORDER BY ALL LIMIT $limit"""


def compare_values(con: duckdb.DuckDBPyConnection, limit: int = 50) -> list[Difference]:
    """Rows of handwritten_values and metric_values that differ (values within 1e-9)."""
    keys = ", ".join(KEY_COLUMNS)
    pairs = ", ".join(f"c.{v} AS c_{v}, h.{v} AS h_{v}" for v in VALUE_COLUMNS)
    differs = " OR ".join(
        f"(c_{v} IS NULL) <> (h_{v} IS NULL) OR abs(c_{v} - h_{v}) > 1e-9 * greatest(1, abs(c_{v}))"
        for v in VALUE_COLUMNS
    )
    sql = _COMPARE.format(
        keys=keys,
        values=", ".join(VALUE_COLUMNS),
        table=RESULT_TABLE,
        keys_coalesced=", ".join(KEY_COLUMNS),
        pairs=pairs,
        differs=differs,
    )
    frame = con.execute(sql, {"limit": limit}).fetchall()
    differences = []
    for row in frame:
        metric_id, grain, start, dimension, member = (str(x) for x in row[:5])
        rest = row[5:]
        c_h = dict(zip([f"{s}_{v}" for v in VALUE_COLUMNS for s in ("c", "h")], rest, strict=False))
        missing_c, missing_h = rest[-2], rest[-1]
        if missing_c or missing_h:
            column = "missing_in_citystat" if missing_c else "missing_in_handwritten"
            differences.append(
                Difference(
                    metric_id,
                    grain,
                    start,
                    dimension,
                    member,
                    column,
                    c_h["c_value"],
                    c_h["h_value"],
                )
            )
            continue
        for v in VALUE_COLUMNS:
            if c_h[f"c_{v}"] != c_h[f"h_{v}"]:
                differences.append(
                    Difference(
                        metric_id, grain, start, dimension, member, v, c_h[f"c_{v}"], c_h[f"h_{v}"]
                    )
                )
    return differences


def compared_rows(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """(rows of handwritten_values, metrics they cover)."""
    sql = f"SELECT count(*), count(DISTINCT metric_id) FROM {RESULT_TABLE}"  # noqa: S608
    row = con.execute(sql).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)
