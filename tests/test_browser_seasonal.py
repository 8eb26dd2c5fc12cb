"""The seasonal comparison and the index history in a real browser: switch the scorecard to
"same period last year", see the address carry it, open that address again; screenshots of
the scorecard in both modes, the metric page's five-year view and fiscal year to date, and
the leadership index history (tests/artifacts/seasonal_*.png)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.seasonal_fixture import build_seasonal_warehouse
from tests.test_browser import ARTIFACTS, browser, require_chromium, run_dashboard

pytestmark = [pytest.mark.browser, pytest.mark.slow]
__all__ = ["browser"]  # the shared Playwright fixture


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """streamlit run against the five-year fixture warehouse; yields its base URL."""
    require_chromium()
    warehouse = tmp_path_factory.mktemp("seasonal_browser") / "wh.duckdb"
    build_seasonal_warehouse(warehouse)
    with run_dashboard(warehouse) as base:
        yield base


def test_scorecard_switches_to_same_period_last_year(server: str, browser: Any) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.goto(server + "/")
    page.get_by_role("heading", name="Scorecard").wait_for(timeout=30_000)
    page.get_by_text("compares it with the period before").wait_for(timeout=30_000)
    assert "compare=" not in page.url  # the default leaves the address alone
    page.screenshot(path=ARTIFACTS / "seasonal_scorecard_prior.png", full_page=True)

    page.get_by_text("Same period last year", exact=True).click()
    page.wait_for_url("**compare=last_year**", timeout=30_000)
    page.get_by_text("the same period a year before").wait_for(timeout=30_000)
    page.screenshot(path=ARTIFACTS / "seasonal_scorecard_last_year.png", full_page=True)

    # The address someone shares opens the same comparison.
    shared = page.url
    again = browser.new_page(viewport={"width": 1400, "height": 1100})
    again.goto(shared)
    again.get_by_text("the same period a year before").wait_for(timeout=30_000)
    assert again.get_by_role("radio", name="Same period last year").is_checked()
    again.close()
    page.close()


def test_metric_page_and_index_history_screenshots(server: str, browser: Any) -> None:
    # Tall: Streamlit scrolls inside the page, so a full-page screenshot is the viewport.
    page = browser.new_page(viewport={"width": 1400, "height": 3000})
    page.goto(server + "/metric?metric=pothole_on_time&grain=month")
    page.get_by_text("Fiscal year to date against last year").wait_for(timeout=30_000)
    page.get_by_text("Same month, year by year").wait_for()
    # 492 / 600 against 480 / 600 (tests/seasonal_fixture.py).
    page.get_by_text("82.0%").first.wait_for()
    page.screenshot(path=ARTIFACTS / "seasonal_metric.png", full_page=True)

    page.goto(server + "/leadership")
    page.get_by_text("Index over time").wait_for(timeout=30_000)
    page.get_by_text("1 metric changed status").wait_for(timeout=30_000)
    page.screenshot(path=ARTIFACTS / "seasonal_leadership.png", full_page=True)
    page.close()
