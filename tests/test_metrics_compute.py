"""Metric values on tiny hand-worked fixtures, for every kind and every grain."""

from __future__ import annotations

from datetime import datetime

import pytest

from pipelines.metrics import compute_metrics, preview
from tests.metrics_support import column, config, metric_yaml, values, warehouse

T = datetime.fromisoformat
COUNT = metric_yaml("opened", "unit: requests\nkind: count\n")
ON_TIME = metric_yaml(
    "on_time",
    """\
    unit: percent
    direction: higher_is_better
    kind: share
    denominator:
      - {column: due_at, op: is_not_null}
      - {column: status, op: "!=", value: cancelled}
      - any:
          - {column: closed_at, op: is_not_null}
          - {column: due_at, op: "<", value: as_of}
    numerator: [{column: closed_at, op: "<=", column_ref: due_at}]
    """,
)


def test_month_boundary_last_second_vs_midnight() -> None:
    # 23:59:59 on 31 Jan is January; 00:00 on 1 Feb is February. as_of 10 Feb:
    # January is complete (ends 1 Feb <= 10 Feb), February is not.
    con = warehouse([{"opened_at": T("2024-01-31 23:59:59")}, {"opened_at": T("2024-02-01")}])
    rows = values(con, config(COUNT), "opened", T("2024-02-10 08:00"), "month")
    assert column(rows, "period_start", "period_end", "period_label", "is_complete", "value") == [
        ("2024-01-01", "2024-02-01", "2024-01", True, 1.0),
        ("2024-02-01", "2024-03-01", "2024-02", False, 1.0),
    ]


def test_week_boundary_sunday_vs_monday() -> None:
    # ISO weeks start on Monday: Sunday 16 Feb 2025 is in 2025-W07 (10–16 Feb),
    # Monday 17 Feb starts 2025-W08.
    con = warehouse([{"opened_at": T("2025-02-16 23:59:59")}, {"opened_at": T("2025-02-17")}])
    rows = values(con, config(COUNT), "opened", T("2025-02-20"), "week")
    assert column(rows, "period_start", "period_end", "period_label", "is_complete", "value") == [
        ("2025-02-10", "2025-02-17", "2025-W07", True, 1.0),
        ("2025-02-17", "2025-02-24", "2025-W08", False, 1.0),
    ]


def test_iso_week_label_uses_iso_year() -> None:
    # Monday 30 Dec 2024 starts ISO week 1 of 2025.
    con = warehouse([{"opened_at": T("2024-12-31 12:00")}])
    rows = values(con, config(COUNT), "opened", T("2025-01-02"), "week")
    assert column(rows, "period_start", "period_label") == [("2024-12-30", "2025-W01")]


def test_quarter_boundary() -> None:
    # A calendar-year city (fiscal year from January): calendar quarters, calendar labels.
    # Fiscal quarters are tested in tests/test_fiscal_quarters.py.
    con = warehouse([{"opened_at": T("2024-03-31 23:59:59")}, {"opened_at": T("2024-04-01")}])
    rows = values(con, config(COUNT, fy=1), "opened", T("2024-07-01"), "quarter")
    # Q2 ends 1 Jul and as_of is 1 Jul, so Q2 is complete; Q3 has started with no requests.
    assert column(rows, "period_start", "period_end", "period_label", "is_complete", "value") == [
        ("2024-01-01", "2024-04-01", "2024-Q1", True, 1.0),
        ("2024-04-01", "2024-07-01", "2024-Q2", True, 1.0),
        ("2024-07-01", "2024-10-01", "2024-Q3", False, 0.0),
    ]


@pytest.mark.parametrize(
    ("fy", "last_day", "first_day", "expected"),
    [
        # July start: 30 June 2024 ends FY2024 (Jul 2023–Jun 2024); 1 July starts FY2025.
        (
            7,
            "2024-06-30 23:59:59",
            "2024-07-01",
            [("2023-07-01", "2024-07-01", "FY2024"), ("2024-07-01", "2025-07-01", "FY2025")],
        ),
        # October start (US federal): 30 Sep 2024 is FY2024, 1 Oct 2024 is FY2025.
        (
            10,
            "2024-09-30 23:59:59",
            "2024-10-01",
            [("2023-10-01", "2024-10-01", "FY2024"), ("2024-10-01", "2025-10-01", "FY2025")],
        ),
        # January start: the fiscal year is the calendar year.
        (
            1,
            "2024-12-31 23:59:59",
            "2025-01-01",
            [("2024-01-01", "2025-01-01", "FY2024"), ("2025-01-01", "2026-01-01", "FY2025")],
        ),
    ],
)
def test_fiscal_year_boundary(
    fy: int, last_day: str, first_day: str, expected: list[tuple[str, str, str]]
) -> None:
    con = warehouse([{"opened_at": T(last_day)}, {"opened_at": T(first_day)}])
    rows = values(con, config(COUNT, fy=fy), "opened", T(first_day), "fiscal_year")
    assert column(rows, "period_start", "period_end", "period_label") == expected
    assert column(rows, "value") == [(1.0,), (1.0,)]


def test_count_fills_empty_periods_with_zero_and_ignores_rows_after_as_of() -> None:
    # January and March have a request, February none; the April request is after as_of.
    con = warehouse(
        [
            {"opened_at": T("2024-01-15")},
            {"opened_at": T("2024-03-15")},
            {"opened_at": T("2024-04-02")},
        ]
    )
    rows = values(con, config(COUNT), "opened", T("2024-03-20"), "month")
    assert column(rows, "period_label", "value", "count") == [
        ("2024-01", 1.0, 1),
        ("2024-02", 0.0, 0),
        ("2024-03", 1.0, 1),
    ]


def test_count_by_dimension_reports_missing_values_as_unknown() -> None:
    con = warehouse(
        [
            {"opened_at": T("2024-01-02"), "council_district": "5"},
            {"opened_at": T("2024-01-03"), "council_district": "5"},
            {"opened_at": T("2024-01-04"), "council_district": None},
        ]
    )
    cfg = config(COUNT)
    rows = values(con, cfg, "opened", T("2024-01-31"), "month", "council_district")
    assert column(rows, "dimension_value", "value") == [("5", 2.0), ("Unknown", 1.0)]
    citywide = values(con, cfg, "opened", T("2024-01-31"), "month")
    assert column(citywide, "dimension_value", "value") == [("Citywide", 3.0)]


def test_on_time_counts_open_overdue_requests_as_late() -> None:
    # All opened in January 2024; as_of 15 Feb 2024.
    rows = [
        # a: closed before due -> on time
        {"opened_at": T("2024-01-01"), "closed_at": T("2024-01-03"), "due_at": T("2024-01-05"),
         "status": "closed"},
        # b: closed after due -> late
        {"opened_at": T("2024-01-01"), "closed_at": T("2024-01-10"), "due_at": T("2024-01-05"),
         "status": "closed"},
        # c: still open, due 20 Jan < as_of -> late
        {"opened_at": T("2024-01-02"), "due_at": T("2024-01-20")},
        # d: still open, due 1 Mar > as_of -> not decided yet, left out
        {"opened_at": T("2024-01-03"), "due_at": T("2024-03-01")},
        # e: cancelled -> left out
        {"opened_at": T("2024-01-03"), "closed_at": T("2024-01-04"), "due_at": T("2024-01-05"),
         "status": "cancelled"},
        # f: closed exactly at the due time -> on time
        {"opened_at": T("2024-01-04"), "closed_at": T("2024-01-05 12:00"),
         "due_at": T("2024-01-05 12:00"), "status": "closed"},
        # g: no due date -> left out
        {"opened_at": T("2024-01-05"), "closed_at": T("2024-01-06"), "status": "closed"},
    ]  # fmt: skip
    con = warehouse(rows)
    result = values(con, config(ON_TIME), "on_time", T("2024-02-15"), "month")
    # denominator a, b, c, f = 4; numerator a, f = 2.
    assert column(result, "period_label", "numerator", "denominator", "value", "count") == [
        ("2024-01", 2.0, 4.0, 0.5, 4)
    ]


DURATION = """\
unit: days
direction: lower_is_better
kind: duration_percentile
percentile: {p}
"""


@pytest.mark.parametrize(("p", "expected"), [(0.5, 2.75), (0.9, 8.05)])
def test_duration_percentile_assigns_by_close_date(p: float, expected: float) -> None:
    # Closed in January: 1, 2, 3.5 and 10 days (one of them opened in December).
    # Median of [1, 2, 3.5, 10] = (2 + 3.5) / 2 = 2.75.
    # 90th percentile: position 0.9 * 3 = 2.7 -> 3.5 + 0.7 * (10 - 3.5) = 8.05.
    # The request closed at 00:00 on 1 February (0.5 days) is February's.
    con = warehouse(
        [
            {"opened_at": T("2024-01-05"), "closed_at": T("2024-01-06")},
            {"opened_at": T("2024-01-10"), "closed_at": T("2024-01-12")},
            {"opened_at": T("2024-01-20 00:00"), "closed_at": T("2024-01-23 12:00")},
            {"opened_at": T("2023-12-22"), "closed_at": T("2024-01-01")},
            {"opened_at": T("2024-01-31 12:00"), "closed_at": T("2024-02-01")},
            {"opened_at": T("2024-01-31 12:00")},  # still open: no duration
        ]
    )
    cfg = config(metric_yaml("days", DURATION.format(p=p)))
    rows = values(con, cfg, "days", T("2024-02-10"), "month")
    assert column(rows, "period_label", "count") == [("2024-01", 4), ("2024-02", 1)]
    assert rows[0]["value"] == pytest.approx(expected)
    assert rows[1]["value"] == pytest.approx(0.5)


BACKLOG_ROWS = [
    # r1: closed exactly at the end of January -> still open at that instant
    {"opened_at": T("2024-01-10"), "closed_at": T("2024-02-01"), "due_at": T("2024-01-31"),
     "status": "closed"},
    # r2: opened in the last second of January, never closed
    {"opened_at": T("2024-01-31 23:59:59"), "due_at": T("2024-02-05")},
    # r3: opened at the first instant of February, closed 20 Feb
    {"opened_at": T("2024-02-01"), "closed_at": T("2024-02-20"), "due_at": T("2024-02-25"),
     "status": "closed"},
    # r4: cancelled -> never in the backlog
    {"opened_at": T("2024-01-05"), "due_at": T("2024-01-06"), "status": "cancelled"},
    # r5: opened 10 Feb, due 29 Feb noon, closed 10 Mar
    {"opened_at": T("2024-02-10"), "closed_at": T("2024-03-10"), "due_at": T("2024-02-29 12:00"),
     "status": "closed"},
]  # fmt: skip


@pytest.mark.parametrize(
    ("overdue", "expected"),
    [
        # Open at 1 Feb: r1, r2. At 1 Mar: r2, r5. At 1 Apr: r2. At as_of (15 Apr): r2.
        (False, [("2024-01", 2.0), ("2024-02", 2.0), ("2024-03", 1.0), ("2024-04", 1.0)]),
        # Also due before the instant: 1 Feb: r1 (r2 due 5 Feb). 1 Mar: r2, r5. Then r2.
        (True, [("2024-01", 1.0), ("2024-02", 2.0), ("2024-03", 1.0), ("2024-04", 1.0)]),
    ],
)
def test_backlog_at_period_end(overdue: bool, expected: list[tuple[str, float]]) -> None:
    body = "unit: requests\nkind: backlog\n" + ("overdue: true\n" if overdue else "")
    cfg = config(metric_yaml("backlog", body))
    rows = values(warehouse(BACKLOG_ROWS), cfg, "backlog", T("2024-04-15"), "month")
    # April has no events at all: the period spine still gives it a row.
    assert column(rows, "period_label", "value") == expected


def test_backlog_quarter_and_week_grains() -> None:
    cfg = config(metric_yaml("backlog", "unit: requests\nkind: backlog\n"))
    con = warehouse(BACKLOG_ROWS)
    quarters = values(con, cfg, "backlog", T("2024-04-15"), "quarter")
    # At 1 Apr: r2 only (r5 closed 10 Mar). Q2 is measured at as_of: r2. With the fiscal
    # year from July, Jan-Mar 2024 is FY2024 Q3 and Apr-Jun FY2024 Q4.
    assert column(quarters, "period_label", "value") == [("FY2024 Q3", 1.0), ("FY2024 Q4", 1.0)]
    weeks = values(con, cfg, "backlog", T("2024-02-06"), "week")
    # Week of Mon 8 Jan ends Mon 15 Jan: r1. Weeks ending 22 and 29 Jan: r1.
    # Week ending Mon 5 Feb: r1 closed 1 Feb; r2 and r3 open. Current week (5-11 Feb): r2, r3.
    assert column(weeks, "period_label", "value") == [
        ("2024-W02", 1.0),
        ("2024-W03", 1.0),
        ("2024-W04", 1.0),
        ("2024-W05", 2.0),
        ("2024-W06", 2.0),
    ]


def test_ratio_of_two_counts() -> None:
    closed = metric_yaml(
        "closed",
        """\
        unit: requests
        kind: count
        date: closed_at
        filter: {status: closed}
        """,
    )
    ratio = metric_yaml(
        "closed_per_opened",
        "unit: ratio\nkind: ratio\nnumerator_metric: closed\ndenominator_metric: opened\n",
    )
    con = warehouse(
        [
            {"opened_at": T("2024-01-02"), "closed_at": T("2024-01-03"), "status": "closed"},
            {"opened_at": T("2024-01-05"), "closed_at": T("2024-02-03"), "status": "closed"},
            {"opened_at": T("2024-01-06")},
            {"opened_at": T("2024-01-07")},
            {"opened_at": T("2024-03-01")},
        ]
    )
    rows = values(con, config(COUNT, closed, ratio), "closed_per_opened", T("2024-03-05"), "month")
    # Jan: 1 closed / 4 opened; Feb: 1 closed / 0 opened -> no value; Mar: 0 / 1.
    assert column(rows, "period_label", "numerator", "denominator", "value") == [
        ("2024-01", 1.0, 4.0, 0.25),
        ("2024-02", 1.0, 0.0, None),
        ("2024-03", 0.0, 1.0, 0.0),
    ]


def _monthly_counts(counts: dict[str, int]) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for month, n in counts.items():
        rows += [{"opened_at": T(f"{month}-10")} for _ in range(n)]
    return rows


def test_status_bands_higher_is_better() -> None:
    # Target 10, watch band 10%: 10 on track, 9 watch (>= 9), 8 off track.
    cfg = config(
        metric_yaml(
            "opened",
            """\
            unit: requests
            direction: higher_is_better
            kind: count
            targets: [{from: 2024-01-01, value: 10}]
            watch_band: 0.1
            """,
        )
    )
    con = warehouse(_monthly_counts({"2024-01": 10, "2024-02": 9, "2024-03": 8}))
    rows = values(con, cfg, "opened", T("2024-03-31"), "month")
    assert column(rows, "value", "target", "status") == [
        (10.0, 10.0, "on_track"),
        (9.0, 10.0, "watch"),
        (8.0, 10.0, "off_track"),
    ]


def test_status_bands_lower_is_better() -> None:
    # Target 2 days, watch band 50%: 2 on track, 3 watch (<= 3), 3.5 off track.
    cfg = config(
        metric_yaml(
            "days",
            DURATION.format(p=0.5) + "targets: [{from: 2024-01-01, value: 2}]\nwatch_band: 0.5\n",
        )
    )
    con = warehouse(
        [
            {"opened_at": T("2024-01-01"), "closed_at": T("2024-01-03")},
            {"opened_at": T("2024-02-01"), "closed_at": T("2024-02-04")},
            {"opened_at": T("2024-03-01"), "closed_at": T("2024-03-04 12:00")},
        ]
    )
    rows = values(con, cfg, "days", T("2024-03-31"), "month")
    assert column(rows, "value", "status") == [
        (2.0, "on_track"),
        (3.0, "watch"),
        (3.5, "off_track"),
    ]


def test_too_little_data_uses_the_denominator() -> None:
    # min_count 3: January has 3 decided requests (2 on time), February only 2.
    body = ON_TIME.replace("kind: share", "kind: share\n    min_count: 3")
    body += "    targets: [{from: 2024-01-01, value: 0.5}]\n"
    cfg = config(body)
    rows = [
        {"opened_at": T(f"2024-01-0{day}"), "due_at": T("2024-01-20"),
         "closed_at": T("2024-01-10") if day < 3 else None}
        for day in (1, 2, 3)
    ] + [
        {"opened_at": T(f"2024-02-0{day}"), "due_at": T("2024-02-20"),
         "closed_at": T("2024-02-10")}
        for day in (1, 2)
    ]  # fmt: skip
    result = values(warehouse(rows), cfg, "on_time", T("2024-03-01"), "month")
    assert column(result, "period_label", "denominator", "value", "status") == [
        ("2024-01", 3.0, pytest.approx(2 / 3), "on_track"),
        ("2024-02", 2.0, 1.0, "too_little_data"),
    ]


def test_dated_and_grain_targets() -> None:
    # Before 2024-01-01 no target; from January 10; from March 20. A month-only target of 5
    # from January wins its tie with the general one for months, not for quarters.
    cfg = config(
        metric_yaml(
            "opened",
            """\
            unit: requests
            direction: higher_is_better
            kind: count
            targets:
              - {from: 2024-01-01, value: 10}
              - {from: 2024-03-01, value: 20}
              - {from: 2024-01-01, value: 5, grain: month}
            """,
        )
    )
    con = warehouse(_monthly_counts({"2023-12": 1, "2024-01": 1, "2024-02": 1, "2024-03": 1}))
    months = values(con, cfg, "opened", T("2024-03-31"), "month")
    assert column(months, "period_label", "target", "status") == [
        ("2023-12", None, "no_target"),
        ("2024-01", 5.0, "off_track"),
        ("2024-02", 5.0, "off_track"),
        ("2024-03", 20.0, "off_track"),
    ]
    quarters = values(con, cfg, "opened", T("2024-03-31"), "quarter")
    # Oct-Dec 2023 and Jan-Mar 2024 are FY2024's second and third quarters.
    assert column(quarters, "period_label", "target") == [
        ("FY2024 Q2", None),
        ("FY2024 Q3", 10.0),
    ]


def test_compute_metrics_replaces_tables_and_reports_progress() -> None:
    con = warehouse([{"opened_at": T("2024-01-31 23:59:59")}, {"opened_at": T("2024-02-01")}])
    cfg = config(COUNT, ON_TIME)
    messages: list[str] = []
    written = compute_metrics(con, cfg, T("2024-02-10"), messages.append)
    stored = con.execute("SELECT count(*) FROM metric_values").fetchone()
    assert stored is not None and written == stored[0]
    # Weeks of 29 Jan and 5 Feb, months Jan and Feb, Q1, FY2024: 6 periods x 2 members = 12;
    # on_time has no decided requests (no due dates): 6 citywide "no data" rows (issue 14:
    # it used to have no rows at all and vanished from every page).
    assert written == 12 + 6
    assert [m.split(":")[0] for m in messages] == ["opened", "on_time"]
    assert compute_metrics(con, cfg, T("2024-02-10")) == 18  # replaced, not appended
    definitions = con.execute(
        "SELECT metric_id, kind, grains, min_count, sql LIKE 'WITH%' FROM metric_definitions "
        "ORDER BY metric_id"
    ).fetchall()
    assert definitions == [
        ("on_time", "share", ["week", "month", "quarter", "fiscal_year"], 1, True),
        ("opened", "count", ["week", "month", "quarter", "fiscal_year"], 1, True),
    ]


def test_preview_returns_the_latest_periods_of_one_grain() -> None:
    con = warehouse(_monthly_counts({"2024-01": 1, "2024-02": 2, "2024-03": 3}))
    frame = preview(con, config(COUNT), "opened", grain="month", periods=2)
    # as_of is the latest timestamp in the data (10 March).
    assert list(frame["period_label"]) == ["2024-02", "2024-02", "2024-03", "2024-03"]
    assert list(frame["dimension"]) == ["citywide", "council_district"] * 2
    assert list(frame["value"]) == [2.0, 2.0, 3.0, 3.0]
    stored = con.execute("SELECT count(*) FROM metric_values").fetchone()
    assert stored == (0,)


def test_compute_metrics_inside_the_callers_transaction() -> None:
    con = warehouse([{"opened_at": T("2024-01-10")}])
    con.execute("BEGIN TRANSACTION")
    assert compute_metrics(con, config(COUNT), T("2024-01-20"), own_transaction=False) > 0
    con.execute("ROLLBACK")  # the caller decides: nothing was committed on its behalf
    assert con.execute("SELECT count(*) FROM metric_values").fetchone() == (0,)


def test_count_targets_are_citywide_and_rate_targets_apply_to_every_district() -> None:
    # A count target of 2 is a citywide total: district 5's 2 requests are not "on track"
    # against it. An on-time target of 0.5 is a rate every district can be held to.
    rows = [
        {"opened_at": T("2024-01-02"), "council_district": "5"},
        {"opened_at": T("2024-01-03"), "council_district": "5"},
        {"opened_at": T("2024-01-04"), "council_district": "6"},
    ]
    con = warehouse(rows)
    counted = config(
        metric_yaml(
            "opened",
            "unit: requests\ndirection: higher_is_better\nkind: count\n"
            "targets: [{from: 2024-01-01, value: 2}]\n",
        )
    )
    by_district = values(con, counted, "opened", T("2024-01-31"), "month", "council_district")
    assert column(by_district, "dimension_value", "target", "status") == [
        ("5", None, "no_target"),
        ("6", None, "no_target"),
    ]
    citywide = values(con, counted, "opened", T("2024-01-31"), "month")
    assert column(citywide, "value", "target", "status") == [(3.0, 2.0, "on_track")]

    closed = [
        {**row, "status": "closed", "due_at": T("2024-01-10"), "closed_at": T(day)}
        for row, day in zip(rows, ["2024-01-05", "2024-01-20", "2024-01-06"], strict=True)
    ]
    con = warehouse(closed)
    rate = config(
        ON_TIME.replace(
            "kind: share",
            "kind: share\n    min_count: 1\n    targets: [{from: 2024-01-01, value: 0.5}]",
            1,
        )
    )
    by_district = values(con, rate, "on_time", T("2024-01-31"), "month", "council_district")
    # District 5: one of two on time = 0.5, meets 0.5; district 6: 1 of 1.
    assert column(by_district, "dimension_value", "value", "target", "status") == [
        ("5", 0.5, 0.5, "on_track"),
        ("6", 1.0, 0.5, "on_track"),
    ]
