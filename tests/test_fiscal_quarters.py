"""Fiscal quarters: three months counted from the city's fiscal year start, labelled by the
fiscal year they fall in (FY named for the calendar year it ends in), on hand-worked fixtures."""

from __future__ import annotations

from datetime import datetime

import pytest

from pipelines.config.issues import MetricsFileError
from pipelines.metrics import load_metrics_text
from tests.metrics_support import column, config, config_text, metric_yaml, values, warehouse

T = datetime.fromisoformat
COUNT = metric_yaml("opened", "unit: requests\nkind: count\n")
# One request on each side of every boundary that matters below.
DATES = [
    "2025-12-31 23:59:59",
    "2026-01-01",
    "2026-01-31 23:59:59",
    "2026-02-01",
    "2026-06-30 23:59:59",
    "2026-07-01",
    "2026-09-30 23:59:59",
    "2026-10-01",
]


def _quarters(fy: int) -> list[tuple[object, ...]]:
    con = warehouse([{"opened_at": T(d)} for d in DATES])
    rows = values(con, config(COUNT, fy=fy), "opened", T("2026-10-15"), "quarter")
    return column(rows, "period_start", "period_end", "period_label", "is_complete", "value")


def test_july_city_quarters_are_labelled_by_fiscal_year() -> None:
    # FY2027 runs Jul 2026 - Jun 2027, so Jul-Sep 2026 is FY2027 Q1 and Oct-Dec 2026 FY2027
    # Q2; Oct-Dec 2025 is the second quarter of FY2026. The boundaries are the calendar
    # quarters' (July is a calendar quarter start). Requests: 31 Dec 2025 (FY2026 Q2);
    # 1 Jan, 31 Jan, 1 Feb (FY2026 Q3: 3); 30 Jun (Q4: 1); 1 Jul, 30 Sep (FY2027 Q1: 2);
    # 1 Oct (FY2027 Q2, in progress on 15 Oct: 1).
    assert _quarters(7) == [
        ("2025-10-01", "2026-01-01", "FY2026 Q2", True, 1.0),
        ("2026-01-01", "2026-04-01", "FY2026 Q3", True, 3.0),
        ("2026-04-01", "2026-07-01", "FY2026 Q4", True, 1.0),
        ("2026-07-01", "2026-10-01", "FY2027 Q1", True, 2.0),
        ("2026-10-01", "2027-01-01", "FY2027 Q2", False, 1.0),
    ]


def test_february_city_quarters_move_off_the_calendar_quarters() -> None:
    # A year starting in February (not a calendar quarter start): FY2027 runs Feb 2026 -
    # Jan 2027, its quarters Feb-Apr (Q1), May-Jul (Q2), Aug-Oct (Q3), Nov-Jan (Q4).
    # 31 Dec 2025, 1 Jan and 31 Jan 2026 fall in Nov 2025 - Jan 2026, FY2026 Q4 (3);
    # 1 Feb is FY2027 Q1 (1); 30 Jun and 1 Jul FY2027 Q2 (2); 30 Sep and 1 Oct FY2027 Q3,
    # in progress on 15 Oct (2).
    assert _quarters(2) == [
        ("2025-11-01", "2026-02-01", "FY2026 Q4", True, 3.0),
        ("2026-02-01", "2026-05-01", "FY2027 Q1", True, 1.0),
        ("2026-05-01", "2026-08-01", "FY2027 Q2", True, 2.0),
        ("2026-08-01", "2026-11-01", "FY2027 Q3", False, 2.0),
    ]


def test_calendar_year_city_keeps_calendar_quarter_labels() -> None:
    # January start: 31 Dec 2025 is 2025-Q4; Jan-Mar 2026 holds 3; Apr-Jun 1; Jul-Sep 2;
    # Oct 1, in progress.
    assert _quarters(1) == [
        ("2025-10-01", "2026-01-01", "2025-Q4", True, 1.0),
        ("2026-01-01", "2026-04-01", "2026-Q1", True, 3.0),
        ("2026-04-01", "2026-07-01", "2026-Q2", True, 1.0),
        ("2026-07-01", "2026-10-01", "2026-Q3", True, 2.0),
        ("2026-10-01", "2027-01-01", "2026-Q4", False, 1.0),
    ]


def test_fiscal_year_of_a_february_city_matches_its_quarters() -> None:
    # FY2027 (Feb 2026 - Jan 2027) holds every request from 1 Feb 2026 on: 5.
    con = warehouse([{"opened_at": T(d)} for d in DATES])
    rows = values(con, config(COUNT, fy=2), "opened", T("2026-10-15"), "fiscal_year")
    assert column(rows, "period_start", "period_label", "value") == [
        ("2025-02-01", "FY2026", 3.0),
        ("2026-02-01", "FY2027", 5.0),
    ]


BASELINE = metric_yaml("opened", "unit: requests\nkind: count\nbaseline: {{period: '{period}'}}\n")


@pytest.mark.parametrize(
    ("fy", "period", "hint"),
    [
        # Jul-Sep 2024 is the first quarter of FY2025 in a July city.
        (7, "2024-Q3", "write {period: FY2025 Q1}"),
        # Jan-Mar 2025 is the third quarter of FY2025.
        (7, "2025-Q1", "write {period: FY2025 Q3}"),
        # A February city's quarters are no calendar quarter at all.
        (2, "2024-Q3", "write a quarter as the dashboard labels it, e.g. FY2025 Q1"),
        # A calendar-year city writes calendar quarters.
        (1, "FY2025 Q1", "write {period: 2025-Q1}"),
    ],
)
def test_baseline_quarter_in_the_other_style_is_named_with_the_fix(
    fy: int, period: str, hint: str
) -> None:
    text = config_text(BASELINE.format(period=period), fy=fy)
    with pytest.raises(MetricsFileError) as caught:
        load_metrics_text(text)
    issue = next(i for i in caught.value.issues if "baseline period" in i.message)
    assert f"'{period}' is not a quarter of this city" in issue.message
    assert issue.hint == hint
    assert issue.line == 12  # the baseline line of the inline metrics.yml


@pytest.mark.parametrize(("fy", "period"), [(7, "FY2025 Q1"), (2, "FY2025 Q4"), (1, "2025-Q1")])
def test_baseline_quarter_in_the_city_style_loads(fy: int, period: str) -> None:
    loaded = load_metrics_text(config_text(BASELINE.format(period=period), fy=fy))
    baseline = loaded.metric("opened").baseline
    assert baseline is not None and baseline.period == period
