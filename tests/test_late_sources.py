"""Stale-data alerts: each source's expected arrival (city.yml), the newest record's instant a
run records, and which sources are late at a given "now", on a hand-worked fixture."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd
import pytest

from dashboard.components.late import late_by, late_summary
from dashboard.queries.freshness import LATE_COLUMNS, late_sources
from pipelines.city.loader import load_city_text
from pipelines.city.tables import ProfileRows, write_profile_tables
from pipelines.config.issues import CityFileError
from pipelines.run import arrivals
from pipelines.run.arrivals import newest_record_times, record_arrivals
from pipelines.warehouse.schema import create_schema
from tests.metrics_support import insert

NEW_YORK = ZoneInfo("America/New_York")
T = datetime.fromisoformat

PROFILE = ProfileRows(
    city=[("Testville", "America/New_York", 7, None, None, None, ["en"])],
    sources=[
        # source, title, expected_every, grace, position, last_record_utc (the run fills it)
        ("nightly", "Nightly 311 export", "1 day", "4 hours", 0, None),
        ("monthly", "Monthly permits file", "1 month", "1 day", 1, None),
        ("archive", "Old 311 archive", None, "1 day", 2, None),
        ("silent", "Inspections feed", "7 days", "1 day", 3, None),
    ],
)
# The run that recorded the arrivals started at 2026-03-09 10:00 UTC.
RUN_STARTED = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    create_schema(con)
    write_profile_tables(con, PROFILE)
    # Record times are New York wall-clock time. Clocks sprang forward on 2026-03-08 at 02:00
    # EST (07:00 UTC) to 03:00 EDT.
    insert(
        con,
        "service_requests",
        [
            # nightly: newest record time 2026-03-08 01:30 EST = 06:30 UTC (its updated_at)
            {
                "source": "nightly",
                "opened_at": T("2026-03-07 09:00"),
                "updated_at": T("2026-03-08 01:30"),
            },
            # a time after the run started is a typo in the extract, not an arrival
            {
                "source": "nightly",
                "opened_at": T("2026-03-07 10:00"),
                "updated_at": T("2026-03-20 08:00"),
            },
            # the archive's newest record is years old: it is never late
            {"source": "archive", "opened_at": T("2019-05-01 12:00")},
        ],
    )
    # monthly: newest record 2026-01-15 12:00 EST = 17:00 UTC; "silent" never delivered.
    insert(con, "permits", [{"source": "monthly", "applied_at": T("2026-01-15 12:00")}])
    record_arrivals(con, newest_record_times(con, "America/New_York", RUN_STARTED).arrivals)
    return con


def test_the_run_records_each_sources_newest_instant(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        "SELECT source, last_record_utc FROM city_sources ORDER BY position"
    ).fetchall()
    assert rows == [
        ("nightly", datetime(2026, 3, 8, 6, 30)),
        ("monthly", datetime(2026, 1, 15, 17, 0)),
        ("archive", datetime(2019, 5, 1, 16, 0)),  # 12:00 EDT
        ("silent", None),
    ]


def test_instants_decide_across_the_spring_forward(con: duckdb.DuckDBPyConnection) -> None:
    # now = 2026-03-09 06:15 EDT = 10:15 UTC (given in New York time).
    # nightly is due by 06:30 UTC + 1 day + 4 hours = 2026-03-09 10:30 UTC: not late, 27 h 45
    # min after its newest record (the wall clock, which lost an hour, would say 28 h 45 min,
    # past the 28 hours allowed).
    # monthly is due by 2026-01-15 17:00 + 1 month + 1 day = 2026-02-16 17:00 UTC, so it is
    # 20 days 17 h 15 min late = 20 + 17.25 / 24 = 20.71875 days.
    # silent never delivered: listed first, with no days_late. The archive is never late.
    late = late_sources(con, datetime(2026, 3, 9, 6, 15, tzinfo=NEW_YORK))
    assert list(late.columns) == LATE_COLUMNS
    assert late["source_id"].tolist() == ["silent", "monthly"]
    assert late["source_name"].tolist() == ["Inspections feed", "Monthly permits file"]
    assert pd.isna(late["days_late"].iloc[0])
    assert late["days_late"].iloc[1] == pytest.approx(20.71875)
    assert late["last_arrived"].iloc[1] == datetime(2026, 1, 15, 17, 0)
    assert late["expected_every"].tolist() == ["7 days", "1 month"]


def test_most_late_first_once_the_nightly_export_is_overdue(
    con: duckdb.DuckDBPyConnection,
) -> None:
    # now = 11:00 UTC (a naive now is UTC): nightly is 30 minutes past 10:30 UTC,
    # 0.5 / 24 = 0.0208333 days late; monthly 20 days 18 h = 20.75 days.
    late = late_sources(con, datetime(2026, 3, 9, 11, 0))
    assert late["source_id"].tolist() == ["silent", "monthly", "nightly"]
    assert late["days_late"].iloc[1:].tolist() == pytest.approx([20.75, 0.5 / 24])


def test_a_warehouse_from_before_arrivals_has_no_late_source() -> None:
    con = duckdb.connect()
    late = late_sources(con, datetime(2026, 3, 9, 11, 0, tzinfo=UTC))
    assert late.empty and list(late.columns) == LATE_COLUMNS


def test_late_words() -> None:
    assert [late_by(d) for d in (None, 0.0208, 0.5, 1.0, 20.75)] == [
        "no record yet",
        "1 hour",
        "12 hours",
        "1 day",
        "20 days",
    ]
    late = {"a": ["Nightly *311* export"]}
    assert late_summary(["a", "b"], late, public=False) == (
        "◷ Late data: 1 of these 2 metrics are computed from a late source (Nightly \\*311\\* "
        "export); their latest values may be out of date."
    )
    # Residents get plain words, no source names.
    assert "Nightly" not in (late_summary(["a", "b"], late, public=True) or "")
    assert late_summary(["b"], late, public=False) is None


CITY = """\
name: Testville
timezone: America/Chicago
sources:
  - archive_311
  - {name: daily_311, expected_every: 1 day}
  - {name: permits, expected_every: 2 weeks, grace: 12 hours}
departments: [{id: streets, name: Streets}]
"""


def test_city_yml_declares_each_sources_arrival() -> None:
    profile = load_city_text(CITY)
    assert [(s.name, s.expected_every, s.grace) for s in profile.sources] == [
        ("archive_311", None, "1 day"),
        ("daily_311", "1 day", "1 day"),
        ("permits", "2 weeks", "12 hours"),
    ]
    assert profile.source_names == ["archive_311", "daily_311", "permits"]


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (
            "{name: daily_311, expected_every: daily}",
            "city.yml:5: city.yml: 'sources[1].expected_every' 'daily' is not a period; write a "
            "whole number and a unit, such as '1 day', '7 days', '12 hours' or '1 month'",
        ),
        (
            "{name: daily_311, expected_every: 1 day, grase: 2 days}",
            "city.yml:5: unknown key 'grase' in city.yml (sources[1]); did you mean 'grace'?",
        ),
        (
            "{name: daily_311, expected_every: 0 days}",
            "city.yml:5: city.yml: 'sources[1].expected_every' '0 days' is not a period",
        ),
    ],
)
def test_a_bad_arrival_is_reported_at_its_line(entry: str, expected: str) -> None:
    text = CITY.replace("{name: daily_311, expected_every: 1 day}", entry)
    with pytest.raises(CityFileError) as raised:
        load_city_text(text)
    assert any(line.startswith(expected) for line in str(raised.value).splitlines())


@pytest.mark.parametrize(
    "started",
    [
        # New York falls back at 06:00 UTC: 01:00-02:00 happens twice; the run starts in it.
        datetime(2026, 11, 1, 6, 20, tzinfo=UTC),
        # and springs forward at 07:00 UTC: 02:00-03:00 never happens.
        datetime(2026, 3, 8, 7, 10, tzinfo=UTC),
        RUN_STARTED,
    ],
)
def test_only_candidate_rows_are_read_yet_every_newest_time_is_exact(
    started: datetime,
) -> None:
    # Each source's record times every 7 minutes around the DST changes and the run's start,
    # and sparse ones for years before (one source stops in 2019, one runs into the future):
    # the newest instant must be what converting every row gives.
    con = duckdb.connect()
    create_schema(con)
    sources = [("a", "", None, None, 0, None), ("b", "", None, None, 1, None)]
    sources.append(("old", "", None, None, 2, None))
    write_profile_tables(con, ProfileRows(city=PROFILE.city, sources=sources))
    con.execute(
        """
        INSERT INTO service_requests (source, request_id, opened_at, updated_at)
        SELECT s.source, s.source || i::VARCHAR, t, t + INTERVAL 90 MINUTE
        FROM (VALUES ('a', TIMESTAMP '2025-10-01', TIMESTAMP '2026-12-01'),
                     ('b', TIMESTAMP '2026-02-01', TIMESTAMP '2027-01-01'),
                     ('old', TIMESTAMP '2015-01-01', TIMESTAMP '2019-06-01 01:30'))
            AS s(source, first, last),
            LATERAL (SELECT row_number() OVER () AS i, t FROM generate_series(
                first, last, INTERVAL 7 MINUTE) AS g(t)
                WHERE t < TIMESTAMP '2025-01-01' OR t >= TIMESTAMP '2026-01-01') AS r
        """
    )
    times = newest_record_times(con, "America/New_York", started)
    record_arrivals(con, times.arrivals)
    got = con.execute("SELECT source, last_record_utc FROM city_sources ORDER BY source").fetchall()
    expected = con.execute(
        """
        SELECT source, timezone('UTC', max(i) FILTER (i <= $now))
        FROM (SELECT source, timezone('America/New_York', opened_at) AS i FROM service_requests
              UNION ALL
              SELECT source, timezone('America/New_York', updated_at) FROM service_requests)
        GROUP BY source ORDER BY source
        """,
        {"now": started},
    ).fetchall()
    assert got == expected
    assert len(expected) == 3
    # The as-of: the latest wall time at or before New York's clock at the start, of any row.
    (as_of,) = con.execute(
        """
        SELECT max(t) FILTER (t <= CAST(timezone('America/New_York', $now) AS TIMESTAMP))
        FROM (SELECT opened_at AS t FROM service_requests
              UNION ALL SELECT updated_at FROM service_requests)
        """,
        {"now": started},
    ).fetchone() or (None,)
    assert times.as_of == as_of is not None


def test_the_as_of_reads_the_citys_clock_not_the_servers() -> None:
    # A Sydney city on a server whose clock is UTC. The run starts 2026-03-09 00:30 UTC =
    # 11:30 in Sydney (AEDT, UTC+11). Record times are Sydney wall-clock time.
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    create_schema(con)
    insert(
        con,
        "service_requests",
        [
            # 10:00 Sydney, 90 minutes before the start: the as-of (after UTC's 00:30 wall time)
            {
                "source": "s",
                "opened_at": T("2026-03-09 08:00"),
                "updated_at": T("2026-03-09 10:00"),
            },
            # 12:00 Sydney is half an hour ahead of the start: not yet
            {"source": "s", "opened_at": T("2026-03-09 12:00")},
            {"source": "p", "opened_at": T("2026-03-08 23:00")},
        ],
    )
    started = datetime(2026, 3, 9, 0, 30, tzinfo=UTC)
    times = newest_record_times(con, "Australia/Sydney", started)
    assert times.as_of == T("2026-03-09 10:00")
    # 10:00 AEDT = 23:00 UTC the day before; 23:00 AEDT on the 8th = 12:00 UTC.
    assert times.arrivals == {"s": T("2026-03-08 23:00"), "p": T("2026-03-08 12:00")}
    # Without a city.yml the session's clock decides: UTC's 00:30 wall time on the 9th.
    assert newest_record_times(con, None, started).as_of == T("2026-03-08 23:00")


@pytest.fixture
def searched(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Each search newest_record_times makes: True over the rows after its guess, False over
    every row."""
    calls: list[bool] = []
    newest_sql = arrivals._newest_sql

    def spy(*, guessed: bool = False) -> str:
        calls.append(guessed)
        return newest_sql(guessed=guessed)

    monkeypatch.setattr(arrivals, "_newest_sql", spy)
    return calls


def _two_sources() -> duckdb.DuckDBPyConnection:
    """A warehouse whose city profile lists the sources a and b."""
    con = duckdb.connect()
    create_schema(con)
    sources = [("a", "", None, None, 0, None), ("b", "", None, None, 1, None)]
    write_profile_tables(con, ProfileRows(city=PROFILE.city, sources=sources))
    return con


def test_a_run_after_recorded_arrivals_reads_from_them_and_stays_exact(
    searched: list[bool],
) -> None:
    # A daily run reads only the times at or after the last run's arrivals (less two days);
    # a source whose newest time falls below that, or that is new with older records, sends
    # it back to every row, so the result is always what every row gives.
    con = _two_sources()
    insert(
        con,
        "service_requests",
        [
            {
                "source": "a",
                "opened_at": T("2026-03-01 09:00"),
                "updated_at": T("2026-03-08 12:00"),
            },
            {"source": "b", "opened_at": T("2026-03-07 23:00")},
            {"source": "b", "opened_at": T("2025-06-01 08:00")},
        ],
    )
    first = newest_record_times(con, "America/New_York", RUN_STARTED)
    assert searched == [False]  # no arrivals recorded yet: every row
    record_arrivals(con, first.arrivals)
    assert newest_record_times(con, "America/New_York", RUN_STARTED) == first
    assert searched == [False, True]  # a's 16:00 and b's 04:00 UTC less two days: enough

    # a's record corrected to 2024; a new source c with a record from 2025 alone.
    con.execute(
        "UPDATE service_requests SET updated_at = TIMESTAMP '2024-05-01 10:00' WHERE source = 'a'"
    )
    con.execute(
        "UPDATE service_requests SET opened_at = TIMESTAMP '2024-04-01 10:00' WHERE source = 'a'"
    )
    insert(con, "permits", [{"source": "c", "applied_at": T("2025-02-01 12:00")}])
    searched.clear()
    times = newest_record_times(con, "America/New_York", RUN_STARTED)
    assert searched == [True, False]
    assert times.as_of == T("2026-03-07 23:00")
    # New York wall times: 2024-05-01 10:00 EDT, 2026-03-07 23:00 EST, 2025-02-01 12:00 EST.
    assert times.arrivals == {
        "a": T("2024-05-01 14:00"),
        "b": T("2026-03-08 04:00"),
        "c": T("2025-02-01 17:00"),
    }


def test_the_sources_a_run_knows_it_holds_spare_a_scan_and_a_superset_stays_exact(
    monkeypatch: pytest.MonkeyPatch, searched: list[bool]
) -> None:
    # A daily run passes the sources it found while checking the published copy, plus those
    # it loaded files of: no table is scanned for them again. A superset (a source that
    # loaded a file but holds no record yet) only sends the search over every row.
    def no_scan(con: duckdb.DuckDBPyConnection) -> set[str]:
        raise AssertionError("record_sources scanned the tables although held was given")

    con = _two_sources()
    insert(
        con,
        "service_requests",
        [
            {"source": "a", "opened_at": T("2026-03-08 09:00")},
            {"source": "b", "opened_at": T("2026-03-07 23:00")},
        ],
    )
    every_row = newest_record_times(con, "America/New_York", RUN_STARTED)
    record_arrivals(con, every_row.arrivals)
    searched.clear()
    monkeypatch.setattr(arrivals, "record_sources", no_scan)
    assert newest_record_times(con, "America/New_York", RUN_STARTED, {"a", "b"}) == every_row
    assert searched == [True]
    searched.clear()
    assert newest_record_times(con, "America/New_York", RUN_STARTED, {"a", "b", "c"}) == every_row
    assert searched == [True, False]
