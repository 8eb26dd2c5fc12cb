"""Backlog on past dates from the version history, on a hand-worked fixture.

A month's backlog is measured at its end (the 1st of the next month); the current month at
as_of, 15 April 2024. Each record's versions are what daily extracts showed on the dates in
``version_at``; the current table holds each record's latest version.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.metrics_support import column, config, insert, metric_yaml, values, warehouse

T = datetime.fromisoformat
AS_OF = T("2024-04-15")
BACKLOG = metric_yaml("backlog", "unit: requests\nkind: backlog\n")


def _version(record: str, at: str, **fields: Any) -> dict[str, Any]:
    return {"request_id": record, "source": "city", "version_at": T(at), **fields}


VERSIONS = [
    # h1 closed 20 Jan, reopened 10 Feb (the extract clears closed_at), closed again 20 Mar.
    _version("h1", "2024-01-05", opened_at=T("2024-01-05")),
    _version("h1", "2024-01-20", opened_at=T("2024-01-05"), status="closed",
             closed_at=T("2024-01-20")),
    _version("h1", "2024-02-10", opened_at=T("2024-01-05")),
    _version("h1", "2024-03-20", opened_at=T("2024-01-05"), status="closed",
             closed_at=T("2024-03-20")),
    # h2 opened 10 Jan, cancelled 5 Mar: in the backlog until it was cancelled.
    _version("h2", "2024-01-10", opened_at=T("2024-01-10")),
    _version("h2", "2024-03-05", opened_at=T("2024-01-10"), status="cancelled",
             closed_at=T("2024-03-05")),
    # h3 first seen on 10 Mar, already closed: before that its timestamps speak (open 15 Jan
    # to 10 Mar).
    _version("h3", "2024-03-10", opened_at=T("2024-01-15"), status="closed",
             closed_at=T("2024-03-10")),
    # h4 first seen 25 Mar, open.
    _version("h4", "2024-03-25", opened_at=T("2024-03-25")),
    # h6 closed 8 Jan, reopened 20 Feb with the old closed_at left behind: the open status
    # wins from 20 Feb on.
    _version("h6", "2024-01-03", opened_at=T("2024-01-03")),
    _version("h6", "2024-01-08", opened_at=T("2024-01-03"), status="closed",
             closed_at=T("2024-01-08")),
    _version("h6", "2024-02-20", opened_at=T("2024-01-03"), closed_at=T("2024-01-08")),
]  # fmt: skip


def _current(versions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The current table: each record's latest version (h5 has no version at all)."""
    latest: dict[str, dict[str, Any]] = {}
    for version in sorted(versions, key=lambda v: v["version_at"]):
        latest[version["request_id"]] = {k: v for k, v in version.items() if k != "version_at"}
    h5 = {"request_id": "h5", "source": "city", "opened_at": T("2024-02-15")}
    return [*latest.values(), h5]


def test_backlog_on_past_dates_follows_the_versions() -> None:
    con = warehouse(_current(VERSIONS))
    insert(con, "service_requests_versions", VERSIONS)
    rows = values(con, config(BACKLOG), "backlog", AS_OF, "month")
    # 1 Feb: h2, h3 (h1 closed 20 Jan, h6 closed 8 Jan) = 2.
    # 1 Mar: h1 (reopened), h2, h3, h5 (no versions: its current row), h6 (reopened) = 5.
    # 1 Apr: h4, h5, h6 (h1 closed again, h2 cancelled, h3 closed) = 3. 15 Apr: the same 3.
    assert column(rows, "period_label", "value") == [
        ("2024-01", 2.0),
        ("2024-02", 5.0),
        ("2024-03", 3.0),
        ("2024-04", 3.0),
    ]


def test_without_versions_the_current_table_is_used() -> None:
    # The same current rows, no history: h1 looks open from 5 Jan to 20 Mar, h2 is cancelled
    # so never counted, h6 is open now so counts since 3 Jan.
    con = warehouse(_current(VERSIONS))
    rows = values(con, config(BACKLOG), "backlog", AS_OF, "month")
    # 1 Feb: h1, h3, h6. 1 Mar: h1, h3, h5, h6. 1 Apr: h4, h5, h6. 15 Apr: h4, h5, h6.
    assert column(rows, "period_label", "value") == [
        ("2024-01", 3.0),
        ("2024-02", 4.0),
        ("2024-03", 3.0),
        ("2024-04", 3.0),
    ]


def test_weekly_backlog_from_history_around_the_reopening() -> None:
    # Only h1: the week ending Mon 22 Jan is measured after its close (20 Jan), the week
    # ending Mon 12 Feb after its reopening (10 Feb).
    con = warehouse(_current(VERSIONS[:4])[:1])
    insert(con, "service_requests_versions", VERSIONS[:4])
    rows = values(con, config(BACKLOG), "backlog", T("2024-02-14"), "week")
    assert column(rows, "period_label", "value") == [
        ("2024-W01", 1.0),  # ends Mon 8 Jan: open since 5 Jan
        ("2024-W02", 1.0),  # ends 15 Jan
        ("2024-W03", 0.0),  # ends 22 Jan: closed 20 Jan
        ("2024-W04", 0.0),
        ("2024-W05", 0.0),  # ends 5 Feb
        ("2024-W06", 1.0),  # ends 12 Feb: reopened 10 Feb
        ("2024-W07", 1.0),  # current week, at as_of 14 Feb
    ]


def test_breakdowns_follow_the_version_of_the_day() -> None:
    # A request moved from district 1 to district 2 on 10 Feb counts in 1 at 1 Feb and in
    # 2 at 1 Mar.
    versions = [
        _version("m", "2024-01-10", opened_at=T("2024-01-10"), council_district="1"),
        _version("m", "2024-02-10", opened_at=T("2024-01-10"), council_district="2"),
    ]
    con = warehouse(_current(versions)[:1])
    insert(con, "service_requests_versions", versions)
    rows = values(con, config(BACKLOG), "backlog", T("2024-03-10"), "month", "council_district")
    assert column(rows, "period_label", "dimension_value", "value") == [
        ("2024-01", "1", 1.0),
        ("2024-01", "2", 0.0),
        ("2024-02", "1", 0.0),
        ("2024-02", "2", 1.0),
        ("2024-03", "1", 0.0),
        ("2024-03", "2", 1.0),
    ]
