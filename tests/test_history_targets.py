"""Targets set from a metric's own history (``target: {from_history: ...}``), on hand-worked
fixtures: each period's target comes from the same grain's values of the year before it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from pipelines.metrics import check_metrics_file
from pipelines.metrics.describe import describe_metric
from tests.metrics_support import column, config, config_text, metric_yaml, values, warehouse

T = datetime.fromisoformat


def _count(rule: str, direction: str = "lower_is_better") -> str:
    return metric_yaml(
        "opened",
        f"unit: requests\ndirection: {direction}\nkind: count\ntarget: {{from_history: {rule}}}\n",
    )


def _monthly(counts: dict[str, int]) -> list[dict[str, object]]:
    return [{"opened_at": T(f"{month}-10")} for month, n in counts.items() for _ in range(n)]


def test_last_year_median_by_month() -> None:
    # Requests opened 2023-01..05: 4, 8, 6, 2, 5. Each month's target is the median of the
    # months that started in the year before it (median of an even count: mean of the middle
    # two). Lower is better, no watch band: value <= target is on track.
    #   2023-01  no month before it            -> no target
    #   2023-02  [4]                           -> 4    8 > 4  off track
    #   2023-03  [4, 8]                        -> 6    6 = 6  on track
    #   2023-04  [4, 8, 6]                     -> 6    2 < 6  on track
    #   2023-05  [4, 8, 6, 2] -> (4 + 6) / 2   -> 5    5 = 5  on track (incomplete month)
    cfg = config(_count("last_year_median"))
    con = warehouse(
        _monthly({"2023-01": 4, "2023-02": 8, "2023-03": 6, "2023-04": 2, "2023-05": 5})
    )
    rows = values(con, cfg, "opened", T("2023-05-20"), "month")
    assert column(rows, "period_start", "value", "target", "status") == [
        ("2023-01-01", 4.0, None, "no_target"),
        ("2023-02-01", 8.0, 4.0, "off_track"),
        ("2023-03-01", 6.0, 6.0, "on_track"),
        ("2023-04-01", 2.0, 6.0, "on_track"),
        ("2023-05-01", 5.0, 5.0, "on_track"),
    ]


# Quarters 2022-Q1..2023-Q2 with 20, 2, 4, 6, 8, 3 requests (one request per row, in the
# quarter's middle month).
QUARTERS = {"2022-02": 20, "2022-05": 2, "2022-08": 4, "2022-11": 6, "2023-02": 8, "2023-05": 3}


@pytest.mark.parametrize(
    ("direction", "expected_q1", "expected_q2"),
    [
        # 2023-Q1 (from 2023-01-01) reads the quarters that started in 2022: [20, 2, 4, 6],
        # mean 8, squared deviations 144 + 36 + 16 + 4 = 200, sample variance 200 / 3,
        # standard deviation 8.1650: 8 - 8.1650 = -0.1650 (lower is better).
        # 2023-Q2 (from 2023-04-01) reads 2022-Q2..2023-Q1: [2, 4, 6, 8], 2022-Q1 being more
        # than a year before: mean 5, squared deviations 9 + 1 + 1 + 9 = 20, variance 20 / 3,
        # standard deviation 2.5820: 5 - 2.5820 = 2.4180.
        ("lower_is_better", 8 - 8.164966, 5 - 2.581989),
        # Higher is better: one standard deviation above the mean.
        ("higher_is_better", 8 + 8.164966, 5 + 2.581989),
    ],
)
def test_last_year_mean_sd_by_quarter(
    direction: str, expected_q1: float, expected_q2: float
) -> None:
    cfg = config(_count("last_year_mean_sd", direction))
    con = warehouse(_monthly(QUARTERS))
    rows = values(con, cfg, "opened", T("2023-06-30"), "quarter")
    targets = dict(column(rows, "period_start", "target"))
    # 2022-Q1 has no history and 2022-Q2 one value: no standard deviation, so no target.
    assert targets["2022-01-01"] is None and targets["2022-04-01"] is None
    assert targets["2023-01-01"] == pytest.approx(expected_q1, abs=1e-5)
    assert targets["2023-04-01"] == pytest.approx(expected_q2, abs=1e-5)
    statuses = dict(column(rows, "period_start", "status"))
    # 2023-Q2 has 3 requests: above 2.418 (off track when lower is better), below 7.582
    # (off track when higher is better too).
    assert statuses["2023-04-01"] == "off_track"


def test_a_count_target_from_history_is_citywide_only() -> None:
    # District rows of a count carry no target, as with dated targets.
    cfg = config(_count("last_year_median"))
    rows = [{**r, "council_district": "1"} for r in _monthly({"2023-01": 4, "2023-02": 8})]
    con = warehouse(rows)
    by_district = values(con, cfg, "opened", T("2023-02-28"), "month", "council_district")
    assert column(by_district, "value", "target") == [(4.0, None), (8.0, None)]


def test_the_card_names_the_rule() -> None:
    cfg = config(_count("last_year_mean_sd"))
    card = " ".join(describe_metric(cfg, "opened").split())
    assert (
        "at most the mean of its values in the year before each period, minus one standard "
        "deviation (rule last_year_mean_sd" in card
    )


def _issues(tmp_path: Path, body: str) -> list[str]:
    path = tmp_path / "metrics.yml"
    path.write_text(config_text(metric_yaml("m", body)))
    return [str(issue) for issue in check_metrics_file(path)]


# Lines 1-3 are the header, the metric starts on line 4 and its body on line 10.
@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "unit: requests\ndirection: lower_is_better\nkind: count\n"
            "target: {from_history: last_year_mean}\n",
            "metrics.yml:13: metric 'm': 'target.from_history' should be 'last_year_median' or "
            "'last_year_mean_sd', got 'last_year_mean'; use one of the values listed",
        ),
        (
            "unit: requests\nkind: count\ntarget: {from_history: last_year_median}\n",
            "metrics.yml:12: metric 'm': has a target but no direction; add 'direction: "
            "higher_is_better' or 'direction: lower_is_better'",
        ),
        (
            "unit: requests\ndirection: lower_is_better\nkind: count\n"
            "targets: [{from: 2024-01-01, value: 5}]\ntarget: {from_history: last_year_median}\n",
            "metrics.yml:14: metric 'm': has both 'targets' (values by date) and 'target' (from "
            "history); keep one: the dated values under 'targets', or the rule under 'target'",
        ),
        (
            "unit: requests\ndirection: lower_is_better\nkind: count\n"
            "target: {from_history: last_year_median, from: 2024-01-01}\n",
            "metrics.yml:13: unknown key 'from' in metric 'm' (target); use one of: from_history",
        ),
    ],
)
def test_metrics_check_names_the_line(tmp_path: Path, body: str, expected: str) -> None:
    assert expected in _issues(tmp_path, body)
