"""When each source's data last arrived: the UTC instant of the newest record time it holds.

A source is late when that instant, plus its ``expected_every`` and ``grace`` from city.yml,
is before now (``dashboard.queries.freshness.late_sources``). The newest record time, not the
newest load, because a city that keeps loading an extract nobody refreshes is still waiting
for data. Record times are the city's wall-clock time; they become instants through the
city's zone here, once, so the comparison with "now" never meets a repeated or skipped hour.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from pipelines.warehouse.schema import CANONICAL_TABLES, quote

# Values this far below the run's local wall time are instants before it in any zone (UTC
# offsets of one zone differ by far less), and a value this far below another of its source
# has the earlier instant too (DST moves a clock by at most two hours).
_SURELY_PAST = "INTERVAL 2 DAY"
_DST_MARGIN = "INTERVAL 3 HOUR"


def _candidates_sql(table: str, column: str) -> str:
    """The rows of one version column whose instant can be their source's newest: those
    within a DST margin of the oldest source's newest surely-past value, or later. Found by
    comparing wall times alone, so only these few rows are converted to instants (converting
    every row of a 10M-row table took 2.8 s of each daily run)."""
    floor = f"(CAST(timezone($zone, $now) AS TIMESTAMP) - {_SURELY_PAST})"
    lows = f"SELECT max({column}) AS low FROM {table} WHERE {column} < {floor} GROUP BY source"
    bound = f"(SELECT least(min(low) - {_DST_MARGIN}, {floor}) FROM ({lows}))"
    return f"SELECT source, {column} FROM {table} WHERE {column} >= coalesce({bound}, {floor})"


def _newest_sql() -> str:
    # One filtered max per column and table, as the run's data_as_of does; a time after the
    # run started (a typo in an extract, 2062 for 2026) is not an arrival.
    parts = " UNION ALL ".join(
        f"SELECT source, max(timezone($zone, {quote(c)})) "
        f"FILTER (timezone($zone, {quote(c)}) <= $now) AS newest "
        f"FROM ({_candidates_sql(quote(t.name), quote(c))}) GROUP BY source"
        for t in CANONICAL_TABLES.values()
        for c in t.version_columns
    )
    return (
        "UPDATE city_sources SET last_record_utc = n.newest FROM ("
        f"SELECT source, timezone('UTC', max(newest)) AS newest FROM ({parts}) GROUP BY source"
        ") AS n WHERE city_sources.source = n.source"
    )


def record_arrivals(con: duckdb.DuckDBPyConnection, zone: str, now: datetime) -> None:
    """Fill ``city_sources.last_record_utc`` from the records (``now``: tz-aware run start)."""
    con.execute(_newest_sql(), {"zone": zone, "now": now})
