"""The metric page (issue 16): the plain-words card under "How it is computed", and an
analyst's saved draft shown instead of a published metric (never on the public site)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.components import site
from pipelines.catalog.drafts import DRAFT_VALUES, IndexMove, save_draft
from tests.dashboard_fixture import build_fixture_warehouse
from tests.tables_support import shown_tables

APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
CARD = "The share of service requests that closed on time.\nFilters: only Street Defect."


@pytest.fixture
def city(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    data = tmp_path / "data"
    data.mkdir()
    warehouse = data / "citystat.duckdb"
    build_fixture_warehouse(warehouse)
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "UPDATE metric_definitions SET explanation = ? "
            "WHERE metric_id = 'street_defect_on_time'",
            [CARD],
        )
    monkeypatch.setenv("CITYSTAT_DATA_DIR", str(data))
    monkeypatch.setenv("CITYSTAT_WAREHOUSE", str(warehouse))
    monkeypatch.delenv(site.PUBLIC_ENV, raising=False)
    yield data


def _save_draft(data: Path) -> Path:
    con = duckdb.connect()
    con.execute(
        f"CREATE TEMP TABLE {DRAFT_VALUES} AS SELECT * FROM (VALUES "
        "('draft_within_5_days', 'month', DATE '2025-02-01', DATE '2025-03-01', '2025-02', true, "
        "'citywide', 'Citywide', 0.85, 17.0, 20.0, 20, 0.8, 'on_track'), "
        "('draft_within_5_days', 'month', DATE '2025-03-01', DATE '2025-04-01', '2025-03', true, "
        "'citywide', 'Citywide', 0.9, 18.0, 20.0, 20, 0.8, 'on_track'), "
        "('draft_within_5_days', 'month', DATE '2025-04-01', DATE '2025-05-01', '2025-04', false, "
        "'citywide', 'Citywide', 1.0, 2.0, 2.0, 2, 0.8, 'too_little_data')"
        ") AS v(metric_id, grain, period_start, period_end, period_label, is_complete, dimension, "
        "dimension_value, value, numerator, denominator, count, target, status)"
    )
    definition = {
        "metric_id": "draft_within_5_days",
        "label": "Street defects closed within 5 days",
        "description": "Share closed within 5 days.",
        "methodology": "By the month opened.",
        "unit": "percent",
        "direction": "higher_is_better",
        "explanation": "The share of service requests whose closed_at came within 5 days.\n"
        "Target: at least 80%.",
        "draft_file": "drafts/street_defects.yml",
        "data_as_of": datetime(2025, 4, 14, 23, 0),
        "warehouse_version": "an-older-version.duckdb",
    }
    move = IndexMove(
        "department", "streets", "month", "2025-03", True, 0.98375, 1.0308333, 1.125, "on_track"
    )
    return save_draft(data / "drafts", con, definition, [move])


def _metric_page() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    at.switch_page("views/metric.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_card_is_under_how_it_is_computed(city: Path) -> None:
    at = _metric_page()
    texts = [m.value for m in at.markdown]
    computed = next(i for i, t in enumerate(texts) if t.startswith("**How it is computed.**"))
    assert texts[computed + 1] == (
        "The share of service requests that closed on time.\n\nFilters: only Street Defect."
    )
    assert not [s for s in at.selectbox if s.label.startswith("Show a draft")]  # none saved


def test_a_saved_draft_is_shown_instead_of_a_published_metric(city: Path) -> None:
    assert _save_draft(city).name == "draft_within_5_days.duckdb"
    at = _metric_page()
    (picker,) = [s for s in at.selectbox if s.label.startswith("Show a draft")]
    picker.select("draft_within_5_days").run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["Draft: Street defects closed within 5 days"]
    (warning,) = [w.value for w in at.warning]
    assert warning.startswith("Not published. Computed from drafts/street_defects.yml")
    assert "published again since" in warning  # saved against another version
    (index,) = [frame.value.to_dict("records") for frame in shown_tables(at)]
    assert index == [
        {
            "Scope": "department",
            "Name": "streets",
            "Period": "2025-03",
            "Index as published": "0.98",
            "Index with the draft": "1.03",
            "The draft's score": "1.12",
            "The draft's status": "On track",
        }
    ]
    texts = "\n".join(m.value for m in at.markdown)
    assert "whose closed_at came within 5 days" in texts
    assert len(at.get("plotly_chart")) == 1  # the draft's trend


def test_the_public_site_never_offers_drafts(city: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _save_draft(city)
    monkeypatch.setenv(site.PUBLIC_ENV, "1")
    at = _metric_page()
    assert not [s for s in at.selectbox if s.label.startswith("Show a draft")]
    assert not any(t.value.startswith("Draft:") for t in at.title)
