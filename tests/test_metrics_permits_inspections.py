"""Permit and inspection metrics on tiny hand-worked fixtures (values worked out in comments)."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.metrics_support import column, config, metric_yaml, values, warehouse

T = datetime.fromisoformat

REVIEW_DAYS = """\
unit: days
direction: lower_is_better
kind: duration_percentile
table: permits
start: applied_at
end: issued_at
percentile: {p}
dimensions: [permit_type]
"""

# All issued in March 2024.
PERMITS = [
    # A: 1 Feb -> 1 Mar 2024 is 29 days (February 2024 has 29 days)
    {"permit_type": "Building", "applied_at": T("2024-02-01"), "issued_at": T("2024-03-01"),
     "status": "issued"},
    # B: 10 days
    {"permit_type": "Building", "applied_at": T("2024-03-01"), "issued_at": T("2024-03-11"),
     "status": "issued"},
    # C: 4.5 days
    {"permit_type": "Building", "applied_at": T("2024-03-05"),
     "issued_at": T("2024-03-09 12:00"), "status": "issued"},
    # D: 2 days; E: 6 days
    {"permit_type": "Electrical", "applied_at": T("2024-03-10"), "issued_at": T("2024-03-12"),
     "status": "issued"},
    {"permit_type": "Electrical", "applied_at": T("2024-03-10"), "issued_at": T("2024-03-16"),
     "status": "issued"},
    # F: still in review: no duration yet
    {"permit_type": "Electrical", "applied_at": T("2024-03-01")},
    # G: issued but the extract has no application date: no duration
    {"permit_type": "Building", "issued_at": T("2024-03-20"), "status": "issued"},
]  # fmt: skip


@pytest.mark.parametrize(
    ("p", "citywide", "building", "electrical"),
    [
        # Citywide [2, 4.5, 6, 10, 29] -> 6; Building [4.5, 10, 29] -> 10; Electrical [2, 6] -> 4.
        (0.5, 6.0, 10.0, 4.0),
        # 90th: citywide position 0.9 * 4 = 3.6 -> 10 + 0.6 * 19 = 21.4; Building position
        # 1.8 -> 10 + 0.8 * 19 = 25.2; Electrical position 0.9 -> 2 + 0.9 * 4 = 5.6.
        (0.9, 21.4, 25.2, 5.6),
    ],
)
def test_permit_review_days_by_type(
    p: float, citywide: float, building: float, electrical: float
) -> None:
    cfg = config(metric_yaml("review_days", REVIEW_DAYS.format(p=p)))
    con = warehouse(PERMITS, "permits")
    rows = values(con, cfg, "review_days", T("2024-03-31"), "month")
    assert column(rows, "period_label", "count") == [("2024-03", 5)]
    assert rows[0]["value"] == pytest.approx(citywide)
    by_type = values(con, cfg, "review_days", T("2024-03-31"), "month", "permit_type")
    assert [(r["dimension_value"], r["count"]) for r in by_type] == [
        ("Building", 3),
        ("Electrical", 2),
    ]
    assert [r["value"] for r in by_type] == pytest.approx([building, electrical])


def test_permits_issued_count_by_issue_date() -> None:
    cfg = config(
        metric_yaml("issued", "unit: permits\nkind: count\ntable: permits\ndate: issued_at\n")
    )
    rows = values(warehouse(PERMITS, "permits"), cfg, "issued", T("2024-03-31"), "month")
    # Six permits have an issue date, all in March (A's application in February is irrelevant).
    assert column(rows, "period_label", "value") == [("2024-03", 6.0)]


WITHIN_TARGET = """\
unit: percent
direction: higher_is_better
kind: share
table: permits
date: applied_at
dimensions: [permit_type]
denominator:
  - {column: review_due_at, op: is_not_null}
  - {column: status, op: "!=", value: cancelled}
  - any:
      - {column: issued_at, op: is_not_null}
      - {column: review_due_at, op: "<", value: as_of}
numerator: [{column: issued_at, op: "<=", column_ref: review_due_at}]
"""


def test_share_issued_within_review_target_counts_in_review_past_due_as_late() -> None:
    # All applied in February 2024; as_of 31 March.
    permits = [
        # a: issued before due -> on time
        {"permit_type": "Building", "applied_at": T("2024-02-01"),
         "review_due_at": T("2024-02-15"), "issued_at": T("2024-02-10"), "status": "issued"},
        # b: issued after due -> late
        {"permit_type": "Building", "applied_at": T("2024-02-02"),
         "review_due_at": T("2024-02-16"), "issued_at": T("2024-02-20"), "status": "issued"},
        # c: still in review and past due (17 Feb < 31 Mar) -> late
        {"permit_type": "Building", "applied_at": T("2024-02-03"),
         "review_due_at": T("2024-02-17")},
        # d: in review, due 30 April: not decided yet -> left out
        {"permit_type": "Electrical", "applied_at": T("2024-02-05"),
         "review_due_at": T("2024-04-30")},
        # e: issued exactly at the due time -> on time
        {"permit_type": "Electrical", "applied_at": T("2024-02-06"),
         "review_due_at": T("2024-02-20"), "issued_at": T("2024-02-20"), "status": "issued"},
        # f: cancelled -> left out
        {"permit_type": "Electrical", "applied_at": T("2024-02-07"),
         "review_due_at": T("2024-02-21"), "status": "cancelled"},
        # g: no review target for its type -> left out
        {"permit_type": "Building", "applied_at": T("2024-02-08"),
         "issued_at": T("2024-02-09"), "status": "issued"},
    ]  # fmt: skip
    cfg = config(metric_yaml("within_target", WITHIN_TARGET))
    con = warehouse(permits, "permits")
    rows = values(con, cfg, "within_target", T("2024-03-31"), "month")
    # Population a, b, c, e = 4; on time a, e = 2.
    assert column(rows, "period_label", "numerator", "denominator", "value") == [
        ("2024-02", 2.0, 4.0, 0.5)
    ]
    by_type = values(con, cfg, "within_target", T("2024-03-31"), "month", "permit_type")
    # Building: a of a, b, c; Electrical: e of e.
    assert column(by_type, "dimension_value", "numerator", "denominator") == [
        ("Building", 1.0, 3.0),
        ("Electrical", 1.0, 1.0),
    ]


INSPECTED_ON_TIME = """\
unit: percent
direction: higher_is_better
kind: share
table: inspections
date: received_at
dimensions: [priority]
denominator:
  - {column: due_at, op: is_not_null}
  - any:
      - {column: first_inspected_at, op: is_not_null}
      - {column: due_at, op: "<", value: as_of}
  - any:
      - {column: first_inspected_at, op: is_not_null}
      - {column: status, op: "=", value: open}
numerator: [{column: first_inspected_at, op: "<=", column_ref: due_at}]
"""

# Complaints received in January 2024; as_of 15 February.
COMPLAINTS = [
    # i1: inspected half a day after receipt, before due -> on time
    {"priority": "Hazardous", "received_at": T("2024-01-02"), "due_at": T("2024-01-03"),
     "first_inspected_at": T("2024-01-02 12:00")},
    # i2: inspected 4 days after receipt, 3 days after due -> late
    {"priority": "Hazardous", "received_at": T("2024-01-04"), "due_at": T("2024-01-05"),
     "first_inspected_at": T("2024-01-08")},
    # i3: never inspected, open, due 11 Jan -> late
    {"priority": "Hazardous", "received_at": T("2024-01-10"), "due_at": T("2024-01-11")},
    # i4: inspected 1 Feb (22 days), due 9 Feb -> on time
    {"priority": "Standard", "received_at": T("2024-01-10"), "due_at": T("2024-02-09"),
     "first_inspected_at": T("2024-02-01")},
    # i5: not inspected, due 19 Feb after as_of -> not decided, left out
    {"priority": "Standard", "received_at": T("2024-01-20"), "due_at": T("2024-02-19")},
    # i6: closed without an inspection (e.g. a duplicate) -> left out
    {"priority": "Standard", "received_at": T("2024-01-05"), "due_at": T("2024-02-04"),
     "status": "closed", "closed_at": T("2024-01-07")},
]  # fmt: skip


def test_inspections_within_due_time_by_priority() -> None:
    cfg = config(metric_yaml("inspected_on_time", INSPECTED_ON_TIME))
    con = warehouse(COMPLAINTS, "inspections")
    rows = values(con, cfg, "inspected_on_time", T("2024-02-15"), "month")
    # Population i1, i2, i3, i4; on time i1, i4.
    assert column(rows, "period_label", "numerator", "denominator", "value") == [
        ("2024-01", 2.0, 4.0, 0.5)
    ]
    by_priority = values(con, cfg, "inspected_on_time", T("2024-02-15"), "month", "priority")
    assert column(by_priority, "dimension_value", "numerator", "denominator") == [
        ("Hazardous", 1.0, 3.0),
        ("Standard", 1.0, 1.0),
    ]


def test_median_days_from_complaint_to_first_inspection() -> None:
    body = """\
    unit: days
    kind: duration_percentile
    table: inspections
    start: received_at
    end: first_inspected_at
    percentile: 0.5
    """
    cfg = config(metric_yaml("days_to_inspect", body))
    rows = values(warehouse(COMPLAINTS, "inspections"), cfg, "days_to_inspect",
                  T("2024-02-15"), "month")  # fmt: skip
    # By inspection month: January i1 0.5 and i2 4 days -> 2.25; February i4 22 days.
    assert column(rows, "period_label", "count", "value") == [
        ("2024-01", 2, 2.25),
        ("2024-02", 1, 22.0),
    ]


def test_days_to_correct_a_violation() -> None:
    body = """\
    unit: days
    kind: duration_percentile
    table: inspections
    start: first_inspected_at
    end: corrected_at
    percentile: 0.5
    """
    cases = [
        # 10 days and 20.5 days, corrected in January
        {"received_at": T("2024-01-01"), "first_inspected_at": T("2024-01-03"),
         "corrected_at": T("2024-01-13")},
        {"received_at": T("2024-01-01"), "first_inspected_at": T("2024-01-05"),
         "corrected_at": T("2024-01-25 12:00")},
        # not corrected yet: no duration
        {"received_at": T("2024-01-01"), "first_inspected_at": T("2024-01-06")},
        # 31 days, corrected in February
        {"received_at": T("2024-01-01"), "first_inspected_at": T("2024-01-02"),
         "corrected_at": T("2024-02-02")},
    ]  # fmt: skip
    cfg = config(metric_yaml("days_to_correct", body))
    rows = values(warehouse(cases, "inspections"), cfg, "days_to_correct", T("2024-02-28"),
                  "month")  # fmt: skip
    # January: median of 10 and 20.5 = 15.25.
    assert column(rows, "period_label", "count", "value") == [
        ("2024-01", 2, 15.25),
        ("2024-02", 1, 31.0),
    ]


UNINSPECTED = """\
unit: cases
direction: lower_is_better
kind: backlog
table: inspections
start: received_at
end: first_inspected_at
age_buckets: [30, 60]
"""

# as_of 15 March 2024. A month's backlog is measured at its end (the 1st of the next month).
UNINSPECTED_CASES = [
    # u1: inspected 15 Feb: waiting at 1 Feb (age 31 days)
    {"received_at": T("2024-01-01"), "first_inspected_at": T("2024-02-15")},
    # u2: never inspected: age 12 days at 1 Feb, 41 at 1 Mar, 55 at 15 Mar
    {"received_at": T("2024-01-20")},
    # u3: never inspected: age 31 at 1 Jan, 62 at 1 Feb, 91 at 1 Mar
    {"received_at": T("2023-12-01")},
    # u4: closed 25 Jan without an inspection: left the backlog then
    {"received_at": T("2024-01-05"), "status": "closed", "closed_at": T("2024-01-25")},
    # u5: received and inspected within February: never waiting at a month end
    {"received_at": T("2024-02-20"), "first_inspected_at": T("2024-02-21")},
    # u6: inspected 31 Jan 23:00 and still open: no longer waiting at 1 Feb
    {"received_at": T("2024-01-10"), "first_inspected_at": T("2024-01-31 23:00")},
    # u7: exactly 30 days old at 1 Feb: "30-59 days"; inspected 10 Feb
    {"received_at": T("2024-01-02"), "first_inspected_at": T("2024-02-10")},
]  # fmt: skip


def test_uninspected_backlog_at_period_ends_with_age_profile() -> None:
    cfg = config(metric_yaml("uninspected", UNINSPECTED))
    con = warehouse(UNINSPECTED_CASES, "inspections")
    rows = values(con, cfg, "uninspected", T("2024-03-15"), "month")
    # Dec: u3. Jan: u1, u2, u3, u7. Feb: u2, u3. Mar (at as_of): u2, u3.
    assert column(rows, "period_label", "value") == [
        ("2023-12", 1.0),
        ("2024-01", 4.0),
        ("2024-02", 2.0),
        ("2024-03", 2.0),
    ]
    ages = values(con, cfg, "uninspected", T("2024-03-15"), "month", "age")
    by_month: dict[str, dict[str, float]] = {}
    for row in ages:
        by_month.setdefault(row["period_label"], {})[row["dimension_value"]] = row["value"]
    assert by_month == {
        "2023-12": {"0-29 days": 0.0, "30-59 days": 1.0, "60+ days": 0.0},  # u3 31 days
        # u2 12 days; u1 31 and u7 exactly 30; u3 62
        "2024-01": {"0-29 days": 1.0, "30-59 days": 2.0, "60+ days": 1.0},
        "2024-02": {"0-29 days": 0.0, "30-59 days": 1.0, "60+ days": 1.0},  # u2 41, u3 91
        "2024-03": {"0-29 days": 0.0, "30-59 days": 1.0, "60+ days": 1.0},  # u2 55, u3 105
    }


def test_age_profile_has_no_target_and_the_citywide_total_does() -> None:
    body = UNINSPECTED + "targets: [{from: 2023-01-01, value: 3}]\nwatch_band: 0.5\n"
    cfg = config(metric_yaml("uninspected", body))
    con = warehouse(UNINSPECTED_CASES, "inspections")
    citywide = values(con, cfg, "uninspected", T("2024-03-15"), "month")
    # Target 3, band 50% (watch up to 4.5): 1 and 2 on track, 4 watch.
    assert column(citywide, "value", "status") == [
        (1.0, "on_track"),
        (4.0, "watch"),
        (2.0, "on_track"),
        (2.0, "on_track"),
    ]
    ages = values(con, cfg, "uninspected", T("2024-03-15"), "month", "age")
    assert {row["status"] for row in ages} == {"no_target"}


def test_permits_in_review_backlog_ends_at_issue_and_overdue_uses_review_due() -> None:
    body = "unit: permits\nkind: backlog\ntable: permits\nstart: applied_at\nend: issued_at\n"
    permits = [
        # p1: applied 10 Jan, due 20 Jan, issued 5 Feb, completed later
        {"applied_at": T("2024-01-10"), "review_due_at": T("2024-01-20"),
         "issued_at": T("2024-02-05"), "status": "completed", "completed_at": T("2024-03-01")},
        # p2: in review since 25 Jan, due 10 Feb
        {"applied_at": T("2024-01-25"), "review_due_at": T("2024-02-10")},
        # p3: cancelled: never in the backlog
        {"applied_at": T("2024-01-05"), "review_due_at": T("2024-01-15"), "status": "cancelled"},
        # p4: expired without ever being issued and no date says when: left out
        {"applied_at": T("2024-01-06"), "status": "expired"},
    ]  # fmt: skip
    con = warehouse(permits, "permits")
    cfg = config(
        metric_yaml("in_review", body),
        metric_yaml("overdue", body + "overdue: true\ndue: review_due_at\n"),
    )
    # At 1 Feb: p1, p2. At 1 Mar: p2. At as_of 10 Mar: p2.
    in_review = values(con, cfg, "in_review", T("2024-03-10"), "month")
    assert column(in_review, "period_label", "value") == [
        ("2024-01", 2.0),
        ("2024-02", 1.0),
        ("2024-03", 1.0),
    ]
    # Past the review due time as well: at 1 Feb only p1 (p2 due 10 Feb); then p2.
    overdue = values(con, cfg, "overdue", T("2024-03-10"), "month")
    assert column(overdue, "period_label", "value") == [
        ("2024-01", 1.0),
        ("2024-02", 1.0),
        ("2024-03", 1.0),
    ]


def test_every_age_bucket_has_a_row_even_when_nothing_is_that_old() -> None:
    # One complaint, 10 days old at as_of: the 30-59 and 60+ buckets show zero.
    cfg = config(metric_yaml("uninspected", UNINSPECTED))
    con = warehouse([{"received_at": T("2024-03-05")}], "inspections")
    ages = values(con, cfg, "uninspected", T("2024-03-15"), "month", "age")
    assert column(ages, "dimension_value", "value") == [
        ("0-29 days", 1.0),
        ("30-59 days", 0.0),
        ("60+ days", 0.0),
    ]
