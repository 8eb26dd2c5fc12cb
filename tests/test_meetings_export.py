"""The packet export on its own: printable self-contained HTML (escaped, inline SVG charts)
and formula-safe CSV, from a packet built by hand."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from dashboard.meetings import actions as meeting_actions
from dashboard.meetings import schema as meeting_schema
from dashboard.meetings import store
from dashboard.meetings.packet import packet_csv, packet_html, reviewed_periods
from dashboard.meetings.packet_chart import nice_ticks, trend_svg
from dashboard.meetings.permissions import SYSTEM

ON_TIME = "street_defect_on_time"


def _series() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "metric_id": [ON_TIME] * 3,
            "period_label": ["2025-01", "2025-02", "2025-03"],
            "period_start": ["2025-01-01", "2025-02-01", "2025-03-01"],
            "period_end": ["2025-02-01", "2025-03-01", "2025-04-01"],
            "value": [0.70, 0.78, 0.824],
            "target": [0.80, 0.80, 0.80],
            "status": ["off_track", "watch", "on_track"],
            "count": [200, 210, 250],
        }
    )


@pytest.fixture
def packet(tmp_path: Path) -> store.Packet:
    con = meeting_schema.connect(tmp_path / "m.sqlite")
    definitions = pd.DataFrame(
        [
            {
                "metric_id": ON_TIME,
                "label": "Street defects closed on time",
                "description": "Share closed on time.",
                "methodology": "Closed on or before due_at.",
                "department": "Streets Department",
                "owner": "Deputy Commissioner, Highways",
                "cohort_service": "Street defects and potholes",
                "unit": "percent",
                "direction": "higher_is_better",
                "public": True,
            }
        ]
    )
    spec = store.MeetingSpec(date(2025, 4, 20), "department", "Streets Department", "month")
    meeting = store.create_meeting(
        con, SYSTEM, spec, definitions, _series(), store.Provenance("run-1", None, "wh")
    )
    store.save_commentary(
        con,
        SYSTEM,
        meeting,
        ON_TIME,
        "2025-03",
        {"drivers": "<script>alert('x')</script> & crews", "improvement_plan": "@once a week"},
        read_version=0,
    )
    meeting_actions.add_action(
        con, SYSTEM, meeting, ON_TIME, "-Patch <b>faster</b>", "Highways", date(2025, 5, 1)
    )
    loaded = store.load_packet(con, meeting)
    con.close()
    return loaded


def test_the_html_is_escaped_self_contained_and_printable(packet: store.Packet) -> None:
    html = packet_html(packet)
    assert html.startswith("<!DOCTYPE html>")
    assert "@page" in html and "@media print" in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; crews" in html
    assert "<script" not in html
    assert "-Patch &lt;b&gt;faster&lt;/b&gt;" in html
    # Nothing to fetch: no scripts, stylesheets, images or frames from anywhere.
    for tag in ("<link", " src=", "<img", "<iframe", "url("):
        assert tag not in html
    assert "82.4%" in html and "● On track" in html
    assert "Packet frozen" in html and "run-1" in html


def test_the_trend_is_drawn_where_the_numbers_put_it() -> None:
    svg = trend_svg(_series(), "percent", "Street defects closed on time")
    # Values 0.70..0.824 and target 0.80 span 0.124: a quarter of it is 0.031, so ticks step
    # by 0.05 from 0.70 to 0.85; the plot is 150 pixels tall from y = 14 and x runs from 78 in
    # steps of (640 - 78 - 40) / 2 = 261. 0.70 -> 14 + 0.15/0.15 * 150 = 164.0;
    # 0.824 -> 14 + 0.026/0.15 * 150 = 40.0; the 0.80 target -> 14 + 0.05/0.15 * 150 = 64.0.
    assert '<circle cx="78.0" cy="164.0" r="5.5" fill="#c62828"' in svg  # off track, red
    assert '<circle cx="600.0" cy="40.0" r="5.5" fill="#1a7f37"' in svg  # on track, green
    for label in ("70.0%", "75.0%", "80.0%", "85.0%"):
        assert f">{label}</text>" in svg
    # The target from the left edge of the plot to its right edge, never beyond it.
    assert 'points="78.0,64.0 208.5,64.0 208.5,64.0 469.5,64.0 469.5,64.0 600.0,64.0"' in svg
    assert 'stroke-dasharray="6 4"' in svg  # the target
    assert "<title>Street defects closed on time</title>" in svg
    assert trend_svg(_series().assign(value=None), "percent", "x") == ""


@pytest.mark.parametrize(
    ("low", "high", "ticks"),
    [
        (0.70, 0.824, [0.70, 0.75, 0.80, 0.85]),
        (2.9, 3.5, [2.8, 3.0, 3.2, 3.4, 3.6]),
        (1100.0, 1234.0, [1100.0, 1150.0, 1200.0, 1250.0]),
        # No spread: the value's own size sets the step (5 / 4 -> 2), the flat line centred.
        (5.0, 5.0, [4.0, 6.0]),
    ],
)
def test_axis_ticks_are_round_numbers(low: float, high: float, ticks: list[float]) -> None:
    assert nice_ticks(low, high) == pytest.approx(ticks)


def test_the_csv_holds_the_frozen_values_formula_safe(packet: store.Packet) -> None:
    rows = list(csv.DictReader(io.StringIO(packet_csv(packet).decode())))
    assert [r["period"] for r in rows] == ["2025-01", "2025-02", "2025-03"]
    assert [r["under_review"] for r in rows] == ["False", "False", "True"]
    assert [r["value"] for r in rows] == ["0.7", "0.78", "0.824"]
    assert rows[2]["status"] == "on_track" and rows[2]["scope"] == "Streets Department"
    assert reviewed_periods(packet.values) == {ON_TIME: "2025-03"}
