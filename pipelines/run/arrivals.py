"""The newest record times a run reads from its records: the data's as-of and each source's
last arrival, found in one pass over every version column (a daily run reads only the times
at or after what the last run found, when that is seen to be exact).

The as-of is the latest record time at or before the run's start on the city's clock: record
times are the city's wall-clock time, so they are compared with the city's wall clock, never
the server's (a server in UTC would otherwise ignore the last hours of a city east of it, and
count the future times of a city west of it). A source is late when its last arrival, plus its
``expected_every`` and ``grace`` from city.yml, is before now
(``dashboard.queries.freshness.late_sources``): the newest record time, not the newest load,
because a city that keeps loading an extract nobody refreshes is still waiting for data. The
arrival is an instant (the wall time through the city's zone), so the comparison with "now"
never meets a repeated or skipped hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from pipelines.warehouse.schema import CANONICAL_TABLES, has_column, quote

# Values this far below the run's local wall time are instants before it in any zone (UTC
# offsets of one zone differ by far less), and a value this far below another of its source
# has the earlier instant too (DST moves a clock by at most two hours).
_SURELY_PAST = "INTERVAL 2 DAY"
_DST_MARGIN = "INTERVAL 3 HOUR"
# The city's wall clock at the run's start.
_LOCAL_NOW = "CAST(timezone($zone, $now) AS TIMESTAMP)"


@dataclass(frozen=True)
class RecordTimes:
    """The data's as-of (a wall time; None when no record has a usable time) and each
    source's last arrival (a naive UTC instant), at the run's start."""

    as_of: datetime | None
    arrivals: dict[str, datetime]


def _candidates_sql(table: str, column: str, *, guessed: bool = False) -> str:
    """The rows of one version column that can hold their source's newest time: those within
    a DST margin of the oldest source's newest surely-past value, or later. Found by comparing
    wall times alone, so only these few rows are converted to instants (converting every row
    of a 10M-row table took 2.8 s of each daily run). Each source's latest wall time at or
    before the run is among them: it is either surely past, so its source's surely-past
    maximum, or later than that bound. ``guessed``: the rows at or after ``$guess`` instead
    (newest_record_times says when that is exact)."""
    if guessed:
        return f"SELECT source, {column} AS t FROM {table} WHERE {column} >= $guess"
    floor = f"({_LOCAL_NOW} - {_SURELY_PAST})"
    lows = f"SELECT max({column}) AS low FROM {table} WHERE {column} < {floor} GROUP BY source"
    bound = f"(SELECT least(min(low) - {_DST_MARGIN}, {floor}) FROM ({lows}))"
    return f"SELECT source, {column} AS t FROM {table} WHERE {column} >= coalesce({bound}, {floor})"


def _newest_sql(*, guessed: bool = False) -> str:
    # A time after the run started (a typo in an extract, 2062 for 2026) is neither the
    # as-of nor an arrival.
    times = " UNION ALL ".join(
        _candidates_sql(quote(t.name), quote(c), guessed=guessed)
        for t in CANONICAL_TABLES.values()
        for c in t.version_columns
    )
    return (
        "SELECT source, "
        "timezone('UTC', max(timezone($zone, t)) FILTER (timezone($zone, t) <= $now)), "
        f"max(t) FILTER (t <= {_LOCAL_NOW})\n"
        f"FROM ({times}) GROUP BY source"
    )


def newest_record_times(
    con: duckdb.DuckDBPyConnection,
    zone: str | None,
    now: datetime,
    held: set[str] | None = None,
) -> RecordTimes:
    """The as-of and arrivals at ``now`` (tz-aware run start) on ``zone``'s clock (city.yml's
    timezone; without a city.yml, the clock of DuckDB's session).

    ``held``: every source with a record, or more (a superset only sends the search over
    every row); None: found here by a scan of every table (``record_sources``)."""
    if zone is None:
        (zone,) = con.execute("SELECT current_setting('TimeZone')").fetchone() or ("UTC",)
    values: dict[str, object] = {"zone": zone, "now": now}
    guess = _previous_guess(con)
    rows = None
    if guess is not None:
        rows = con.execute(_newest_sql(guessed=True), {**values, "guess": guess}).fetchall()
        # A source with a time past both filters among the rows at or after the guess has
        # its newest times there too (every time at or after the guess is among them). One
        # without (its newest record corrected to an earlier time, a source new to this run
        # with older records) may have earlier ones: then every row is searched as before.
        found = {source for source, newest, wall in rows if newest is not None and wall is not None}
        if not (record_sources(con) if held is None else held) <= found:
            rows = None
    if rows is None:
        rows = con.execute(_newest_sql(), values).fetchall()
    latest = [wall for _, _, wall in rows if wall is not None]
    return RecordTimes(
        max(latest) if latest else None,
        {source: newest for source, newest, _ in rows if newest is not None},
    )


def _previous_guess(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """A wall time at or before every source's newest, guessed from the arrivals the last run
    recorded (None without them): the earliest, less the margin of any zone's offset."""
    if not has_column(con, "city_sources", "last_record_utc"):
        return None
    row = con.execute(f"SELECT min(last_record_utc) - {_SURELY_PAST} FROM city_sources").fetchone()
    return row[0] if row else None


def record_sources(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Every source with a record in a canonical table."""
    unions = " UNION ".join(
        f"SELECT DISTINCT source FROM {quote(t.name)}" for t in CANONICAL_TABLES.values()
    )
    rows = con.execute(f"SELECT source FROM ({unions}) WHERE source IS NOT NULL").fetchall()
    return {str(s) for (s,) in rows}


def record_arrivals(con: duckdb.DuckDBPyConnection, arrivals: dict[str, datetime]) -> None:
    """Fill ``city_sources.last_record_utc`` with each source's last arrival."""
    if not arrivals:
        return
    con.execute(
        "UPDATE city_sources SET last_record_utc = n.newest FROM "
        "(SELECT unnest($sources) AS source, unnest($newest) AS newest) AS n "
        "WHERE city_sources.source = n.source",
        {"sources": list(arrivals), "newest": list(arrivals.values())},
    )
