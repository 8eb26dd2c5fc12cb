"""A daily run's update of backlogs: the rows of the periods whose levels change, and their
markers, for several backlogs of one table in one query.

A backlog's level at a period is the running sum of its events' changes through that period.
An update adds the changes of its events (backlog.py's ``backlog_changes_sql``: the changed
records' new events less their old ones, and every event after the previous as-of) to the
previous levels, so the new level is the previous one plus the *shift*: the running sum of
those changes alone. The shift is a running sum over the few changed rows, never over every
period of every member, and a period changes only where some member's shift is not zero (a
close moved from week 10 to week 12 shifts weeks 10 and 11); the periods the as-of moved
through change too, and every period when a breakdown member is new (it gets a row in each)
or the first period moves earlier.

Every member's row of a changed period is written: its previous level (carried forward from
the previous as-of's period into the periods after it; zero where it had none) plus its shift.
The backlog check (backlog_check.py) has made sure no member and no first period vanishes.

The backlogs of one table with the same grains (every service's open and overdue requests)
share the changed records' version spans; their changes are told apart by ``metric_id`` and
updated together, in one query instead of one each (a single backlog's update is the same
SQL for one metric).
"""

from __future__ import annotations

from collections.abc import Sequence
from textwrap import indent

from pipelines.metrics.backlog import backlog_changes_sql, parts_sql
from pipelines.metrics.incremental import as_of_periods_sql
from pipelines.metrics.model import Metric, MetricsConfig
from pipelines.metrics.periods import GRAIN_STEP, period_start_sql
from pipelines.metrics.sql_parts import (
    MEMBER_KEYS,
    MEMBER_MARKERS,
    MEMBERS,
    Params,
    member_ctes,
    one_member_sql,
    with_ctes,
)
from pipelines.metrics.tables import metric_table


def _step_sql(grains: Sequence[str], grain: str) -> str:
    """The length of one period of the grain named by the column ``grain``."""
    cases = " ".join(f"WHEN '{g}' THEN {GRAIN_STEP[g]}" for g in grains)
    return f"CASE {grain} {cases} END"


def _periods_sql(grains: Sequence[str], start: str, stop: str) -> str:
    """Every period start (DATE) from ``start`` up to, not including, ``stop``."""
    return (
        f"CAST(unnest(range(CAST({start} AS TIMESTAMP), CAST({stop} AS TIMESTAMP), "
        f"{_step_sql(grains, 'grain')})) AS DATE)"
    )


def backlog_update_sql(config: MetricsConfig, metrics: Sequence[Metric], params: Params) -> str:
    """metric_id and the core columns of each of ``metrics`` (backlogs of one table with
    the same grains) in the periods whose levels change, and one marker row (NULL
    dimension) per period a metric replaces."""
    first = metrics[0]
    grains = config.grains(first)
    names = [params.add(metric.id, "member") for metric in metrics]
    changes = "\nUNION ALL\n".join(
        f"SELECT {name} AS metric_id, * FROM (\n"
        + indent(backlog_changes_sql(config, metric, grains, params), "    ")
        + "\n)"
        for metric, name in zip(metrics, names, strict=True)
    )
    ctes = [
        *member_ctes(names),
        ("record_versions", parts_sql(metric_table(first.table), with_all=True)),
        ("changes", changes),
        *_update_ctes(config, grains),
    ]
    final = (
        f"SELECT {MEMBER_KEYS},\n"
        "    CAST(running AS DOUBLE) AS value, CAST(NULL AS DOUBLE) AS numerator,\n"
        "    CAST(NULL AS DOUBLE) AS denominator, CAST(running AS BIGINT) AS count\n"
        "FROM backlog_update\n"
        f"UNION ALL BY NAME\n{MEMBER_MARKERS.format('changed_periods')}"
    )
    return with_ctes(ctes, final)


def single_backlog_update_sql(config: MetricsConfig, metric: Metric, params: Params) -> str:
    """One backlog's update: backlog_update_sql of it alone."""
    return one_member_sql(backlog_update_sql(config, [metric], params))


def _update_ctes(config: MetricsConfig, grains: Sequence[str]) -> list[tuple[str, str]]:
    """The CTEs after ``changes`` (each metric's changes, by period and member) and
    ``previous`` (its previous rows); ``backlog_update`` holds the changed periods' rows,
    ``changed_periods`` those periods."""
    fy = config.city.fiscal_year_start_month
    current = "\nUNION ALL\n".join(
        f"SELECT '{g}' AS grain, "
        f"CAST({period_start_sql(g, 'CAST($as_of AS TIMESTAMP)', fy)} AS DATE) AS current_period"
        for g in grains
    )
    step = _step_sql(grains, "grain")
    member = "metric_id, dimension, dimension_value"
    return [
        (
            "bounds",
            # Per metric and grain: the previous spine's first and last periods, and the
            # as-of's period.
            "SELECT metric_id, grain, min(period_start) AS first_previous,\n"
            "    max(period_start) AS last_previous, any_value(current_period) AS current_period,\n"
            "    least(min(period_start), any_value(first_change)) AS first_period\n"
            f"FROM previous JOIN ({current}) USING (grain)\n"
            "LEFT JOIN (\n"
            "    SELECT metric_id, grain, min(period_start) AS first_change FROM changes\n"
            "    GROUP BY metric_id, grain\n"
            ") USING (metric_id, grain)\n"
            "GROUP BY metric_id, grain",
        ),
        (
            "shifts",
            f"SELECT {MEMBER_KEYS},\n"
            "    sum(change) OVER w AS shift, lead(period_start) OVER w AS next_change\n"
            "FROM changes\n"
            "WINDOW w AS (PARTITION BY metric_id, grain, dimension, dimension_value\n"
            "    ORDER BY period_start ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)",
        ),
        (
            "spread",
            # Each shift holds from its period up to the member's next change (or the end).
            "SELECT metric_id, grain, "
            + _periods_sql(
                grains, "s.period_start", f"COALESCE(s.next_change, b.current_period + {step})"
            )
            + " AS period_start,\n"
            "    dimension, dimension_value, shift\n"
            "FROM shifts AS s JOIN bounds AS b USING (metric_id, grain)\n"
            "WHERE shift <> 0",
        ),
        ("previous_members", f"SELECT DISTINCT {member} FROM previous"),
        (
            "members",
            f"SELECT * FROM previous_members\nUNION\nSELECT DISTINCT {member} FROM changes",
        ),
        # The metrics with a breakdown member the previous run did not have.
        (
            "grown",
            "SELECT DISTINCT metric_id FROM (\n"
            "    SELECT * FROM members EXCEPT SELECT * FROM previous_members\n)",
        ),
        (
            "changed_periods",
            "SELECT DISTINCT metric_id, grain, period_start FROM spread\n"
            "UNION\nSELECT m.metric_id, a.grain, a.period_start\nFROM (\n"
            + indent(as_of_periods_sql(config, grains), "    ")
            + f"\n) AS a\nCROSS JOIN {MEMBERS} AS m\n"
            # A new member has a row in every period; new first periods have every member's.
            "UNION\nSELECT metric_id, grain, "
            + _periods_sql(
                grains,
                "first_period",
                f"CASE WHEN metric_id IN (SELECT metric_id FROM grown)\n"
                f"        THEN current_period + {step} ELSE first_previous END",
            )
            + " AS period_start\nFROM bounds",
        ),
        (
            "backlog_update",
            "SELECT c.metric_id, c.grain, c.period_start, m.dimension, m.dimension_value,\n"
            "    COALESCE(p.count, CASE WHEN c.period_start > b.last_previous THEN l.count END, 0)"
            "\n        + COALESCE(s.shift, 0) AS running\n"
            "FROM changed_periods AS c JOIN bounds AS b USING (metric_id, grain)\n"
            "JOIN members AS m ON m.metric_id = c.metric_id"
            + _member_join("previous", "p", "c.period_start")
            + _member_join("previous", "l", "b.last_previous")
            + _member_join("spread", "s", "c.period_start"),
        ),
    ]


def _member_join(relation: str, alias: str, period: str) -> str:
    """A LEFT JOIN of ``relation``'s row of one changed period's member (``c`` and ``m``)."""
    return (
        f"\nLEFT JOIN {relation} AS {alias} ON {alias}.metric_id = c.metric_id "
        f"AND {alias}.grain = c.grain\n    AND {alias}.period_start = {period} "
        f"AND {alias}.dimension = m.dimension AND {alias}.dimension_value = m.dimension_value"
    )
