"""The new pages in a real browser (Debian's chromium under Playwright), screenshots kept in
tests/artifacts for a person to look at: services, leadership, department, equity, freshness."""

from __future__ import annotations

import pytest

from tests.test_browser import ARTIFACTS, browser, server, settle

__all__ = ["browser", "server"]  # fixtures shared with tests/test_browser.py

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# A tall viewport: Streamlit scrolls inside its own container, so a full-page screenshot of
# a short viewport would cut the page off.
VIEWPORT = {"width": 1400, "height": 2600}


def _shoot(page, name: str) -> None:
    # Wait for every Plotly chart to draw before the screenshot.
    settle(page)
    page.screenshot(path=ARTIFACTS / f"browser_{name}.png", full_page=True)


def test_leadership_then_a_department_link(server: str, browser) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(server + "/leadership")
    page.get_by_role("heading", name="Leadership overview").wait_for(timeout=30_000)
    page.get_by_text("City index (2025-03)").wait_for()
    page.get_by_role("heading", name="Biggest declines since the prior period").wait_for()
    _shoot(page, "leadership")

    page.goto(server + "/department?department=Streets+Department")
    page.get_by_role("heading", name="Streets Department").wait_for(timeout=30_000)
    # Table cells live in a hidden accessibility grid behind the canvas: attached, not visible.
    page.get_by_text("city_311_2025b.csv").wait_for(state="attached")
    _shoot(page, "department")
    page.close()


def test_services_equity_and_freshness(server: str, browser) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(server + "/services")
    page.get_by_role("heading", name="Priority ranking (Executive Order 2-24)").wait_for(
        timeout=30_000
    )
    page.locator(".js-plotly-plot").first.wait_for()
    _shoot(page, "services")

    page.goto(server + "/equity?metric=street_defect_on_time&grain=month")
    page.get_by_role("heading", name="Districts in 2025-03").wait_for(timeout=30_000)
    page.locator(".js-plotly-plot").nth(1).wait_for()
    _shoot(page, "equity")

    page.goto(server + "/freshness")
    page.get_by_role("heading", name="Where the time of the last runs went").wait_for(
        timeout=30_000
    )
    page.get_by_text("9f86d081884c").wait_for(state="attached")
    _shoot(page, "freshness")
    page.close()
