"""Whether a backlog can be updated from the changes: the query counting why it cannot.

An incremental backlog (``pipelines.metrics.backlog.backlog_sql``) adds the changed records'
events to the previous run's running sums, so it keeps every breakdown member and period the
previous run had. A full recompute drops a member, or moves the first period, when no event
holds it any more; this check finds when that may happen, and the metric is then recomputed
in full.
"""

from __future__ import annotations

from collections.abc import Sequence
from textwrap import indent

from pipelines.metrics.backlog import events_sql, parts_sql, rows_sql
from pipelines.metrics.incremental import previous_changes_sql, previous_sql
from pipelines.metrics.model import Metric, MetricsConfig
from pipelines.metrics.periods import period_start_sql
from pipelines.metrics.sql_parts import Params, quote, with_ctes
from pipelines.metrics.tables import metric_table


def backlog_check_sql(
    config: MetricsConfig,
    metric: Metric,
    dimensions: list[str],
    params: Params,
    coverage: list[tuple[str, str]],
    *,
    closer: bool = False,
) -> str:
    """Counts the reasons an incremental backlog could differ from a full one (0: none).

    A breakdown member or the first period can only vanish when the changed records' old
    events held it; when their new events do not also hold it, the metric is recomputed in
    full. ``closer``: such a member still keeps its row when the other records' events are
    seen to hold it too (a record closed back-dated before its due time leaves the overdue
    backlog of a ZIP code that other overdue records keep); it costs more, so it is asked
    only when the quick check found a lost member.
    """
    table = metric_table(metric.table)
    fy = config.city.fiscal_year_start_month
    grains = config.grains(metric)
    ctes = [
        *coverage,
        ("record_versions", parts_sql(table, with_all=False)),
        ("backlog_rows", rows_sql(metric, table, dimensions, params, parts=True)),
        ("stints", "SELECT * FROM backlog_rows\nWHERE left_at IS NULL OR left_at > entered_at"),
        (
            "events",
            events_sql("stints", "".join(f", {quote('d_' + d)}" for d in dimensions) + ", part")
            + "\n",
        ),
        ("seen", "SELECT * FROM events WHERE ts <= $previous_as_of"),
        ("old_events", "SELECT * FROM seen WHERE part = 'old'"),
        ("previous", previous_sql(params, metric.id)),
        ("lost_periods", _lost_periods_sql(grains, fy)),
    ]
    problems = []
    for i, d in enumerate(dimensions):
        if closer:
            ctes.append((f"lost_{i}", _lost_members_sql(d, grains, fy, params)))
        else:
            ctes.append((f"lost_{i}", _candidates_sql(d)))
        problems.append(f"(SELECT count(*) FROM lost_{i})")
    # A first period only the old events held, unless a new event keeps it: closing a
    # request opened in the data's first weeks (daily work) leaves its opening where it was.
    problems.append(
        "(SELECT count(*) FROM lost_periods AS l\n"
        "    JOIN (SELECT grain, min(period_start) AS first_start FROM previous GROUP BY grain)\n"
        "        AS f ON f.grain = l.grain AND l.period_start <= f.first_start)"
    )
    return with_ctes(ctes, "SELECT " + "\n    + ".join(problems) + " AS problems")


def _lost_members_sql(dimension: str, grains: Sequence[str], fy: int, params: Params) -> str:
    """The members of one breakdown only the changed records' old events are known to hold.

    A member the other records hold has, in some period, a previous change that the changed
    records' old events do not account for (their changes there are the rest). Only the
    members the old events hold and the new ones do not are looked up: usually none.
    """
    d = quote("d_" + dimension)
    name = params.named(f"dimension_{dimension}", dimension)
    old_changes = "\n        UNION ALL\n".join(
        f"        SELECT '{g}', CAST({period_start_sql(g, 'o.ts', fy)} AS DATE), o.{d}, -o.delta"
        f"\n        FROM old_events AS o WHERE o.{d} IN (SELECT * FROM candidates)"
        for g in grains
    )
    # Whole members are kept or left out before the window, so each change is as before.
    previous_changes = previous_changes_sql(
        f"dimension = {name} AND dimension_value IN (SELECT * FROM candidates)"
    )
    return (
        f"WITH candidates AS (\n{indent(_candidates_sql(dimension), '    ')}\n)\n"
        "SELECT * FROM candidates\n"
        "EXCEPT\n"
        "SELECT dimension_value FROM (\n"
        f"    SELECT grain, period_start, dimension_value, change FROM ({previous_changes})\n"
        "    UNION ALL\n"
        f"{old_changes}\n"
        ") AS c(grain, period_start, dimension_value, change)\n"
        "GROUP BY grain, period_start, dimension_value HAVING sum(change) <> 0"
    )


def _candidates_sql(dimension: str) -> str:
    """The members of one breakdown the changed records' old events hold and new ones do not."""
    d = quote("d_" + dimension)
    return f"SELECT {d} FROM seen GROUP BY {d}\n{_ONLY_OLD}"


def _lost_periods_sql(grains: Sequence[str], fy: int) -> str:
    """The periods of each grain the changed records' old events hold and new ones do not."""
    names = ", ".join(f"'{g}'" for g in grains)
    starts = ", ".join(f"CAST({period_start_sql(g, 'ts', fy)} AS DATE)" for g in grains)
    return (
        "SELECT grain, period_start FROM (\n"
        f"    SELECT part, unnest([{names}]) AS grain, unnest([{starts}]) AS period_start\n"
        "    FROM seen\n"
        f") GROUP BY grain, period_start\n{_ONLY_OLD}"
    )


# Held by the old events and by no new one (as EXCEPT would say, NULL members included).
_ONLY_OLD = "HAVING bool_or(part = 'old') AND NOT bool_or(part = 'new')"
