"""An incremental backlog's rows in the periods whose levels change, and their markers.

A backlog's level at a period is the running sum of its events' changes through that period.
An update adds the changes of its events (``grouped``: the changed records' new events less
their old ones, and every event after the previous as-of) to the previous levels, so the new
level is the previous one plus the *shift*: the running sum of those changes alone. The shift
is a running sum over the few changed rows, never over every period of every member, and a
period changes only where some member's shift is not zero (a close moved from week 10 to week
12 shifts weeks 10 and 11); the periods the as-of moved through change too, and every period
when a breakdown member is new (it gets a row in each) or the first period moves earlier.

Every member's row of a changed period is written: its previous level (carried forward from
the previous as-of's period into the periods after it; zero where it had none) plus its shift.
The backlog check (backlog_check.py) has made sure no member and no first period vanishes.
"""

from __future__ import annotations

from collections.abc import Sequence

from pipelines.metrics.event_sql import SCOPE_MARKERS
from pipelines.metrics.incremental import as_of_periods_sql, previous_sql
from pipelines.metrics.model import MetricsConfig
from pipelines.metrics.periods import GRAIN_STEP, period_start_sql
from pipelines.metrics.sql_parts import CORE_KEYS, Params


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


def backlog_update_ctes(
    config: MetricsConfig, grains: Sequence[str], grouped: str, params: Params, metric_id: str
) -> list[tuple[str, str]]:
    """The CTEs after ``grouped`` (the changes, by period and member); ``backlog_update``
    holds the changed periods' rows, ``changed_periods`` those periods."""
    fy = config.city.fiscal_year_start_month
    current = "\nUNION ALL\n".join(
        f"SELECT '{g}' AS grain, "
        f"CAST({period_start_sql(g, 'CAST($as_of AS TIMESTAMP)', fy)} AS DATE) AS current_period"
        for g in grains
    )
    return [
        ("previous", previous_sql(params, metric_id)),
        (
            "bounds",
            # Per grain: the previous spine's first and last periods, and the as-of's period.
            "SELECT grain, min(period_start) AS first_previous, "
            "max(period_start) AS last_previous, any_value(current_period) AS current_period,\n"
            f"    least(min(period_start), any_value(first_change)) AS first_period\n"
            f"FROM previous JOIN ({current}) USING (grain)\n"
            f"LEFT JOIN (SELECT grain, min(period_start) AS first_change FROM {grouped} "
            "GROUP BY grain) USING (grain)\n"
            "GROUP BY grain",
        ),
        (
            "shifts",
            f"SELECT {CORE_KEYS},\n"
            "    sum(change) OVER w AS shift, lead(period_start) OVER w AS next_change\n"
            f"FROM {grouped}\n"
            "WINDOW w AS (PARTITION BY grain, dimension, dimension_value ORDER BY period_start\n"
            "    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)",
        ),
        (
            "spread",
            # Each shift holds from its period up to the member's next change (or the end).
            "SELECT grain, "
            + _periods_sql(
                grains,
                "s.period_start",
                f"COALESCE(s.next_change, b.current_period + {_step_sql(grains, 'grain')})",
            )
            + " AS period_start,\n"
            "    dimension, dimension_value, shift\n"
            "FROM shifts AS s JOIN bounds AS b USING (grain)\n"
            "WHERE shift <> 0",
        ),
        ("previous_members", "SELECT DISTINCT dimension, dimension_value FROM previous"),
        (
            "members",
            "SELECT * FROM previous_members\nUNION\n"
            f"SELECT DISTINCT dimension, dimension_value FROM {grouped}",
        ),
        (
            "changed_periods",
            "SELECT DISTINCT grain, period_start FROM spread\n"
            f"UNION\nSELECT * FROM ({as_of_periods_sql(config, grains)})\n"
            # A new member has a row in every period; new first periods have every member's.
            "UNION\nSELECT grain, "
            + _periods_sql(
                grains,
                "first_period",
                "CASE WHEN (SELECT count(*) FROM members) > "
                "(SELECT count(*) FROM previous_members)\n"
                f"        THEN current_period + {_step_sql(grains, 'grain')} "
                "ELSE first_previous END",
            )
            + " AS period_start\nFROM bounds",
        ),
        (
            "backlog_update",
            "SELECT c.grain, c.period_start, m.dimension, m.dimension_value,\n"
            "    COALESCE(p.count, CASE WHEN c.period_start > b.last_previous THEN l.count END, 0)"
            "\n        + COALESCE(s.shift, 0) AS running\n"
            "FROM changed_periods AS c JOIN bounds AS b USING (grain)\n"
            "CROSS JOIN members AS m\n"
            "LEFT JOIN previous AS p ON p.grain = c.grain AND p.period_start = c.period_start\n"
            "    AND p.dimension = m.dimension AND p.dimension_value = m.dimension_value\n"
            "LEFT JOIN previous AS l ON l.grain = c.grain AND l.period_start = b.last_previous\n"
            "    AND l.dimension = m.dimension AND l.dimension_value = m.dimension_value\n"
            "LEFT JOIN spread AS s ON s.grain = c.grain AND s.period_start = c.period_start\n"
            "    AND s.dimension = m.dimension AND s.dimension_value = m.dimension_value",
        ),
    ]


BACKLOG_UPDATE_ROWS = (
    "SELECT grain, period_start, dimension, dimension_value,\n"
    "    CAST(running AS DOUBLE) AS value, CAST(NULL AS DOUBLE) AS numerator,\n"
    "    CAST(NULL AS DOUBLE) AS denominator, CAST(running AS BIGINT) AS count\n"
    "FROM backlog_update\n"
    f"UNION ALL BY NAME\n{SCOPE_MARKERS.format('changed_periods')}"
)
