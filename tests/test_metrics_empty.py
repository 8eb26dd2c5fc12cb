"""A metric whose filter matches no record (issue 14): zero counts and "no data" values over
the periods the data covers, instead of no rows at all. Worked by hand:

Two Street Defect requests: A opened 15 Jan 2024, closed 25 Feb; B opened 20 Feb, still open.
As of 10 Mar 2024 the metrics below count Graffiti Removal, which no request is. By month:
  count, backlog   (from opened_at, first 15 Jan) 2024-01, 2024-02, 2024-03: value 0, count 0
  share            (from opened_at) the same months: no value, numerator and denominator 0
  duration         (from closed_at, first 25 Feb) 2024-02, 2024-03: no value, count 0
Only citywide rows: a breakdown has no member without a record.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pipelines.metrics import compute_metrics
from tests.metrics_support import column, config, metric_yaml, values, warehouse

T = datetime.fromisoformat
AS_OF = T("2024-03-10 08:00")
NOTHING = "filter: {service_name: [Graffiti Removal]}\n"
COUNT = metric_yaml("graffiti", "unit: requests\nkind: count\n" + NOTHING)
BACKLOG = metric_yaml("graffiti_open", "unit: requests\nkind: backlog\n" + NOTHING)
SHARE = metric_yaml(
    "graffiti_on_time",
    """\
    unit: percent
    direction: higher_is_better
    kind: share
    denominator: [{column: closed_at, op: is_not_null}]
    numerator: [{column: closed_at, op: "<=", column_ref: due_at}]
    targets: [{from: 2023-07-01, value: 0.8}]
    """
    + NOTHING,
)
DURATION = metric_yaml(
    "graffiti_days", "unit: days\nkind: duration_percentile\npercentile: 0.5\n" + NOTHING
)
REQUESTS = [
    {
        "service_name": "Street Defect",
        "opened_at": T("2024-01-15 09:00"),
        "closed_at": T("2024-02-25 10:00"),
        "status": "closed",
    },
    {"service_name": "Street Defect", "opened_at": T("2024-02-20 09:00")},
]
FIELDS = ("period_label", "is_complete", "value", "numerator", "denominator", "count", "status")


def _rows(metric: str, grain: str = "month", dimension: str = "citywide") -> list[tuple[Any, ...]]:
    cfg = config(COUNT, BACKLOG, SHARE, DURATION)
    return column(values(warehouse(REQUESTS), cfg, metric, AS_OF, grain, dimension), *FIELDS)


def test_a_count_and_a_backlog_are_zero_in_every_period_of_the_data() -> None:
    for metric in ("graffiti", "graffiti_open"):
        assert _rows(metric) == [
            ("2024-01", True, 0.0, None, None, 0, "no_target"),
            ("2024-02", True, 0.0, None, None, 0, "no_target"),
            ("2024-03", False, 0.0, None, None, 0, "no_target"),
        ], metric
        assert _rows(metric, "fiscal_year") == [("FY2024", False, 0.0, None, None, 0, "no_target")]
        assert _rows(metric, dimension="council_district") == []


def test_a_share_has_no_value_and_says_too_little_data() -> None:
    assert _rows("graffiti_on_time") == [
        ("2024-01", True, None, 0.0, 0.0, 0, "too_little_data"),
        ("2024-02", True, None, 0.0, 0.0, 0, "too_little_data"),
        ("2024-03", False, None, 0.0, 0.0, 0, "too_little_data"),
    ]


def test_a_duration_has_no_value_from_the_first_end_of_the_data() -> None:
    assert _rows("graffiti_days") == [
        ("2024-02", True, None, None, None, 0, "no_target"),
        ("2024-03", False, None, None, None, 0, "no_target"),
    ]
    assert _rows("graffiti_days", "week")[0][0] == "2024-W08"  # Monday 19 Feb holds 25 Feb


def test_a_metric_that_matches_some_records_keeps_only_its_own_periods() -> None:
    # A duration over Street Defect: A closed in February, so March has no row at all (a
    # period without a record has no value; only a metric with none at all gets placeholders).
    cfg = config(DURATION.replace("Graffiti Removal", "Street Defect"))
    rows = values(warehouse(REQUESTS), cfg, "graffiti_days", AS_OF, "month")
    assert column(rows, "period_label", "count") == [("2024-02", 1)]


def test_an_empty_table_has_no_period_to_show() -> None:
    con = warehouse([])
    assert compute_metrics(con, config(COUNT, SHARE, DURATION, BACKLOG), AS_OF) == 0
