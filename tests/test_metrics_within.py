"""Durations in conditions: ``plus_days`` and the ``within_days`` share, as SQL and as values.

The SQL is snapshot-tested (tests/snapshots/conditions/, rewritten with
CITYSTAT_UPDATE_SNAPSHOTS=1) and the values are worked out by hand on tiny tables, including
the open-and-already-late rule: a record still open past its N days counts as late (in the
denominator, not the numerator); one still within its N days is not counted yet.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest

from pipelines.metrics import compile_metric, explain
from pipelines.metrics.model import shifts_as_of
from tests.metrics_support import column, config, metric_yaml, values, warehouse

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots" / "conditions"
UPDATE = os.environ.get("CITYSTAT_UPDATE_SNAPSHOTS") == "1"
T = datetime.fromisoformat
AS_OF = T("2024-03-20 12:00")

PERMITS_WITHIN_7 = metric_yaml(
    "permits_within_7_days",
    """\
    unit: percent
    direction: higher_is_better
    kind: share
    table: permits
    within_days: 7
    grains: [month]
    dimensions: []
    targets: [{from: 2024-01-01, value: 0.8}]
    """,
)
# The same rule spelt out with plus_days: what within_days stands for.
REQUESTS_WITHIN_3 = metric_yaml(
    "requests_closed_within_3_days",
    """\
    unit: percent
    direction: higher_is_better
    kind: share
    grains: [month]
    dimensions: []
    denominator:
      - {column: status, op: "!=", value: cancelled}
      - any:
          - {column: closed_at, op: is_not_null}
          - {column: opened_at, op: "<", value: as_of, plus_days: -3}
    numerator:
      - {column: closed_at, op: "<=", column_ref: opened_at, plus_days: 3}
    """,
)
OPEN_OVER_30_DAYS = metric_yaml(
    "opened_over_30_days_ago_still_open",
    """\
    unit: requests
    kind: count
    grains: [month]
    dimensions: []
    filter:
      - {column: status, op: "=", value: open}
      - {column: opened_at, op: "<", value: as_of, plus_days: -30}
    """,
)
CONFIG = config(PERMITS_WITHIN_7, REQUESTS_WITHIN_3, OPEN_OVER_30_DAYS)


@pytest.mark.parametrize("metric_id", [m.id for m in CONFIG.metrics])
def test_compiled_sql_matches_snapshot(metric_id: str) -> None:
    text = explain(CONFIG, metric_id)
    golden = SNAPSHOTS / f"{metric_id}.sql"
    if UPDATE:
        SNAPSHOTS.mkdir(parents=True, exist_ok=True)
        golden.write_text(text)
    assert golden.exists(), f"no snapshot for {metric_id}; run with CITYSTAT_UPDATE_SNAPSHOTS=1"
    assert text == golden.read_text(), f"SQL of {metric_id} changed; review the diff"


def test_days_are_bound_parameters_not_sql() -> None:
    query = compile_metric(CONFIG, "permits_within_7_days")
    assert "to_days(CAST($days_" in query.sql
    assert sorted(v for k, v in query.params.items() if k.startswith("days_")) == [-7, 7]
    assert " 7" not in query.sql.replace("$days_", "")


def test_within_days_writes_the_open_and_late_rule() -> None:
    metric = CONFIG.metric("permits_within_7_days")
    assert [c.model_dump(exclude_none=True) for c in metric.numerator or []] == [
        {"column": "issued_at", "op": "<=", "column_ref": "applied_at", "plus_days": 7}
    ]
    assert [c.model_dump(exclude_none=True, by_alias=True) for c in metric.denominator or []] == [
        {"column": "applied_at", "op": "is_not_null"},
        {"column": "status", "op": "not_in", "value": ["cancelled"]},
        {
            "any": [
                {"column": "issued_at", "op": "is_not_null"},
                {"column": "applied_at", "op": "<", "value": "as_of", "plus_days": -7},
            ]
        },
    ]
    # Its verdict moves with the as-of by days: such a metric is recomputed in full daily.
    assert shifts_as_of(metric)
    assert not shifts_as_of(config(metric_yaml("c", "unit: requests\nkind: count\n")).metrics[0])


# Permits, worked out by hand as of 20 March 2024 12:00, within 7 days of application.
PERMITS = [
    # March
    {"applied_at": T("2024-03-01 09:00"), "issued_at": T("2024-03-05 09:00"), "status": "issued"},
    # exactly 7 days: on time (on or before the deadline)
    {"applied_at": T("2024-03-01 09:00"), "issued_at": T("2024-03-08 09:00"), "status": "issued"},
    # one minute late
    {"applied_at": T("2024-03-01 09:00"), "issued_at": T("2024-03-08 09:01"), "status": "issued"},
    # still in review 18 days on: open and already late -> denominator, not numerator
    {"applied_at": T("2024-03-02 10:00")},
    # in review 5 days: not counted yet, it may still make it
    {"applied_at": T("2024-03-15 00:00")},
    # its 7 days end exactly at the as-of: not late yet
    {"applied_at": T("2024-03-13 12:00")},
    # cancelled before issue: left out
    {"applied_at": T("2024-03-03 10:00"), "status": "cancelled"},
    # completed since: judged by when it was issued
    {
        "applied_at": T("2024-03-10 08:00"),
        "issued_at": T("2024-03-12 08:00"),
        "status": "completed",
    },
    # 7 calendar days on the wall clock across the spring clock change: on time
    {"applied_at": T("2024-03-08 12:00"), "issued_at": T("2024-03-15 12:00"), "status": "issued"},
    # no application date: in no period
    {"issued_at": T("2024-03-05 09:00"), "status": "issued"},
    # February: issued after 10 days, late
    {"applied_at": T("2024-02-10 09:00"), "issued_at": T("2024-02-20 09:00"), "status": "issued"},
]


def test_within_days_share_by_hand() -> None:
    con = warehouse(PERMITS, "permits")
    rows = values(con, CONFIG, "permits_within_7_days", AS_OF, "month")
    # March: population 1, 2, 3, 4 (open and late), 8, 9 = 6; on time 1, 2, 8, 9 = 4.
    assert column(rows, "period_start", "numerator", "denominator", "status") == [
        ("2024-02-01", 0.0, 1.0, "off_track"),
        ("2024-03-01", 4.0, 6.0, "off_track"),
    ]
    assert rows[1]["value"] == pytest.approx(4 / 6)


def test_a_day_later_the_waiting_record_is_judged() -> None:
    # On 22 March 01:00 the permit applied for on 15 March 00:00 is past its 7 days: late.
    con = warehouse(PERMITS, "permits")
    rows = values(con, CONFIG, "permits_within_7_days", T("2024-03-22 01:00"), "month")
    assert column(rows, "period_start", "numerator", "denominator")[-1] == ("2024-03-01", 4.0, 8.0)


def test_plus_days_spelt_out_by_hand() -> None:
    con = warehouse(
        [
            {
                "opened_at": T("2024-03-01 08:00"),
                "closed_at": T("2024-03-04 08:00"),
                "status": "closed",
            },
            {
                "opened_at": T("2024-03-01 08:00"),
                "closed_at": T("2024-03-04 08:30"),
                "status": "closed",
            },
            {"opened_at": T("2024-03-10 08:00")},  # open 10 days: late
            {"opened_at": T("2024-03-19 08:00")},  # open 1 day: not yet counted
            {
                "opened_at": T("2024-03-02 08:00"),
                "closed_at": T("2024-03-02 09:00"),
                "status": "cancelled",
            },
        ],
    )
    rows = values(con, CONFIG, "requests_closed_within_3_days", AS_OF, "month")
    assert column(rows, "period_start", "numerator", "denominator") == [("2024-03-01", 1.0, 3.0)]


def test_plus_days_with_the_as_of_in_a_count() -> None:
    con = warehouse(
        [
            {"opened_at": T("2024-01-15 08:00")},  # open 65 days
            {"opened_at": T("2024-02-19 12:00")},  # open exactly 30 days: not over
            {"opened_at": T("2024-02-19 11:59")},  # a minute over
            {"opened_at": T("2024-01-20 08:00"), "status": "closed", "closed_at": AS_OF},
            {"opened_at": T("2024-03-01 08:00")},
        ],
    )
    rows = values(con, CONFIG, "opened_over_30_days_ago_still_open", AS_OF, "month")
    assert column(rows, "period_start", "value") == [
        ("2024-01-01", 1.0),
        ("2024-02-01", 1.0),
        ("2024-03-01", 0.0),
    ]
