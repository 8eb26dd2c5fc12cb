"""Unit tests for the dashboard's pure presentation helpers (no Streamlit involved)."""

from __future__ import annotations

import math
from datetime import date, datetime

import pandas as pd
import pytest

from dashboard.components.formats import (
    UNIT_PERCENT,
    default_grain,
    delta_colour,
    describe_change,
    format_count,
    format_delta,
    format_timestamp,
    format_value,
    grain_label,
    order_grains,
)
from dashboard.components.html_table import Link, table_html, table_link
from dashboard.components.links import metric_link
from dashboard.components.status import (
    check_mark,
    status_colour,
    status_counts,
    status_label,
    status_markdown,
    status_word,
)
from dashboard.components.tables import (
    accounting_problems,
    describe_targets,
    describe_trend,
    metric_links,
    scorecard_table,
)


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (0.824, "percent", "82.4%"),
        (0.8, "percent", "80.0%"),
        (1.0, "percent", "100.0%"),
        (3.2, "days", "3.2 days"),
        (3.26, "days", "3.3 days"),
        (1234, "requests", "1,234"),
        (1234.6, "requests", "1,235"),
        (0.9731, "ratio", "0.97"),
        (None, "percent", "—"),
        (math.nan, "days", "—"),
    ],
)
def test_format_value_by_unit(value: float | None, unit: str, expected: str) -> None:
    assert format_value(value, unit) == expected


@pytest.mark.parametrize(
    ("status", "label", "word", "colour"),
    [
        ("on_track", "● On track", "On track", "#1a7f37"),
        ("watch", "▲ Watch", "Watch", "#8a5a00"),
        ("off_track", "■ Off track", "Off track", "#c62828"),
        ("no_target", "○ No target", "No target", "#57606a"),
        ("too_little_data", "… Too little data", "Too little data", "#57606a"),
        (
            "not_available",
            "⊘ Not available for this source",
            "Not available for this source",
            "#57606a",
        ),
        (None, "– No data", "No data", "#57606a"),
        ("bogus", "– No data", "No data", "#57606a"),
    ],
)
def test_status_presentation(status: str | None, label: str, word: str, colour: str) -> None:
    assert status_label(status) == label
    assert status_word(status) == word
    assert status_colour(status) == colour


def test_status_markdown_uses_named_colours_and_grey_for_no_target() -> None:
    assert status_markdown("off_track") == ":red[■ Off track]"
    assert status_markdown("no_target") == ":gray[○ No target]"


def test_change_is_judged_by_direction() -> None:
    # 0.824 - 0.780 = 0.044 → 4.4 percentage points, up, good when higher is better.
    up = describe_change(0.824, 0.780, "percent", "higher_is_better")
    assert up.text == "↑ +4.4 pts (better)"
    assert up.delta_text == "+4.4 pts (better)"
    # 3.2 - 2.9 = 0.3 days more: worse when lower is better.
    assert describe_change(3.2, 2.9, "days", "lower_is_better").text == "↑ +0.3 days (worse)"
    assert describe_change(2.9, 3.2, "days", "lower_is_better").text == "↓ -0.3 days (better)"
    # No direction: arrow and delta but no verdict.
    assert describe_change(1234, 1100, "requests", None).text == "↑ +134"
    assert describe_change(5, 5, "requests", "higher_is_better").text == "→ ±0 (no change)"
    assert describe_change(5, None, "requests", "higher_is_better").text == "—"
    assert describe_change(math.nan, 1.0, "days", "lower_is_better").delta_text == ""


def test_format_delta_and_delta_colour() -> None:
    assert format_delta(-0.0123, "percent") == "-1.2 pts"
    assert format_delta(-1500.4, "requests") == "-1,500"
    assert format_delta(0.05, "ratio") == "+0.05"
    assert delta_colour("higher_is_better") == "normal"
    assert delta_colour("lower_is_better") == "inverse"
    assert delta_colour(None) == "off"


def test_grains_order_label_and_default() -> None:
    assert order_grains(["quarter", "fiscal_year", "week", "month"]) == [
        "week",
        "month",
        "quarter",
        "fiscal_year",
    ]
    assert grain_label("fiscal_year") == "Fiscal year"
    assert default_grain(["week", "month"]) == "month"
    assert default_grain(["quarter", "fiscal_year"]) == "quarter"
    assert default_grain([]) is None


def test_timestamps_counts_and_checks() -> None:
    assert format_timestamp(datetime(2025, 4, 15, 6, 4, 59)) == "2025-04-15 06:04"
    assert format_timestamp(date(2025, 4, 15)) == "2025-04-15"
    assert format_timestamp(pd.NaT) == "—"
    assert format_timestamp(None) == "—"
    assert format_count(1234567) == "1,234,567"
    assert check_mark(True) == "✔ Passed"
    assert check_mark(False) == "✖ Failed"
    assert check_mark(None) == "—"


def test_metric_link_encodes_query_parameters() -> None:
    assert metric_link("street_defect_on_time", "quarter") == (
        "metric?metric=street_defect_on_time&grain=quarter"
    )
    assert metric_link("a&b", "month") == "metric?metric=a%26b&grain=month"


def test_status_counts_counts_every_status() -> None:
    counts = status_counts(
        ["on_track", "watch", "on_track", None, "too_little_data", "not_available"]
    )
    assert counts == {
        "on_track": 2,
        "watch": 1,
        "off_track": 0,
        "no_target": 0,
        "too_little_data": 1,
        "not_available": 1,
    }


def test_scorecard_table_formats_each_metric_row() -> None:
    board = pd.DataFrame(
        {
            "metric_id": ["on_time", "volume"],
            "label": ["Closed on time", "Requests"],
            "unit": ["percent", "requests"],
            "direction": ["higher_is_better", None],
            "period_label": ["2025-03", None],
            "value": [0.824, None],
            "target": [0.80, None],
            "status": ["on_track", None],
            "prior_value": [0.78, None],
            "trend": [[0.7, 0.78, 0.824], []],
        }
    )
    table = scorecard_table(board, "month")
    assert table.to_dict("records") == [
        {
            "Metric": "Closed on time",
            "Period": "2025-03",
            "Value": "82.4%",
            "Target": "80.0%",
            "Status": "● On track",
            "Change": "↑ +4.4 pts (better)",
            # The first and last of the three periods, in words for the HTML table.
            "Trend": "70.0% → 82.4%",
            "Details": Link("Open metric →", "metric?metric=on_time&grain=month"),
        },
        {
            "Metric": "Requests",
            "Period": "—",
            "Value": "—",
            "Target": "—",
            "Status": "– No data",
            "Change": "—",
            "Trend": "—",
            "Details": Link("Open metric →", "metric?metric=volume&grain=month"),
        },
    ]


def test_a_trend_in_words_shows_its_first_and_last_known_values() -> None:
    # Four periods, the first without a value: the first known (3.0) and the last (2.5).
    assert describe_trend([None, 3.0, 4.0, 2.5], "days") == "3.0 days → 2.5 days"
    assert describe_trend([0.5], UNIT_PERCENT) == "—"
    assert describe_trend([], UNIT_PERCENT) == "—"


def test_table_links_and_statuses_are_composed_html_the_rest_is_escaped() -> None:
    table = pd.DataFrame({"Metric": ["<b>x</b> & y"], "Status": ["on_track"]})
    table = table.assign(Details=metric_links(["on_time"], "month"))
    assert table_html(table, ["watch"]) == (
        '<table><thead><tr><th scope="col">Metric</th><th scope="col">Status</th>'
        '<th scope="col">Details</th></tr></thead><tbody><tr>'
        "<td>&lt;b&gt;x&lt;/b&gt; &amp; y</td>"
        '<td><span style="color:#8a5a00">▲ Watch</span></td>'
        '<td><a href="metric?metric=on_time&amp;grain=month" target="_blank" '
        'rel="noopener noreferrer">Open metric →</a></td>'
        "</tr></tbody></table>"
    )


@pytest.mark.parametrize(
    "address", ["https://evil.example", "//evil.example", "javascript:alert(1)", "a b", "x)"]
)
def test_a_table_link_goes_only_to_a_page_of_this_site(address: str) -> None:
    with pytest.raises(ValueError, match="relative"):
        table_link("Open", address)


def test_accounting_problems_name_the_file_and_the_gap() -> None:
    files = pd.DataFrame(
        {
            "file": ["a.csv", "b.csv"],
            "rows_read": [1000, 500],
            "rows_accounted": [1000, 499],
            "adds_up": [True, False],
        }
    )
    assert accounting_problems(files) == [
        "b.csv: 500 rows read but 499 accounted for (staged + quarantined + rejected)"
    ]


def test_describe_targets_lists_each_span() -> None:
    targets = pd.DataFrame(
        {
            "first_period": ["2024-Q4", "2025-Q1"],
            "last_period": ["2024-Q4", "2025-Q2"],
            "target": [0.75, 0.80],
        }
    )
    assert describe_targets(targets, "percent") == "75.0% (2024-Q4); 80.0% (2025-Q1–2025-Q2)"
    assert describe_targets(targets.iloc[0:0], "percent") == "No target set"


@pytest.mark.parametrize(
    ("baseline", "latest", "unit", "direction", "expected"),
    [
        # Boston: days in review cut by 30%.
        (20.0, 14.0, "days", "lower_is_better", "20.0 days → 14.0 days, -30% (better)"),
        # Atlanta: the uninspected backlog cut by 70%.
        (3000, 900, "cases", "lower_is_better", "3,000 → 900, -70% (better)"),
        # Atlanta: inspections within target from 17% to 77%, a change in points.
        (0.17, 0.77, "percent", "higher_is_better", "17.0% → 77.0%, +60.0 pts (better)"),
        (5.0, 5.01, "days", "lower_is_better", "5.0 days → 5.0 days, ±0.0 days"),
        (None, 5.0, "days", "lower_is_better", ""),
    ],
)
def test_change_since_baseline_reads_like_a_stat_report(
    baseline: float | None, latest: float, unit: str, direction: str, expected: str
) -> None:
    from dashboard.components.formats import describe_baseline

    assert describe_baseline(baseline, latest, unit, direction) == expected


def test_a_change_too_small_to_show_is_no_change() -> None:
    change = describe_change(2.51, 2.54, "days", "lower_is_better")
    assert (change.arrow, change.delta, change.verdict) == ("→", "±0.0 days", "no change")


def test_a_trend_with_a_null_period_stays_a_sparkline() -> None:
    """A NULL inside a DuckDB list arrives masked; Arrow can't mix it with lists."""
    import numpy as np

    from dashboard.queries.scorecard import sparkline_values

    masked = np.ma.masked_array([1.0, 2.0, 3.0], mask=[False, True, False])
    assert sparkline_values(masked) == [1.0, None, 3.0]
    assert sparkline_values(np.array([4, 5])) == [4.0, 5.0]
    assert sparkline_values(None) == []
    frame = pd.DataFrame({"Trend": [sparkline_values(masked), [1.0, 2.0]]})
    pa = pytest.importorskip("pyarrow")
    assert pa.Table.from_pandas(frame).column("Trend").type == pa.list_(pa.float64())
