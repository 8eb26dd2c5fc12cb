"""Confirming a quarterly cohort in a real browser: Playwright driving Debian's chromium against
streamlit run on the fixture warehouse (data to 14 Apr 2025: FY2025 Q4 is in progress)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.dashboard_fixture import build_fixture_warehouse
from tests.test_browser import ARTIFACTS, browser, require_chromium, run_dashboard

__all__ = ["browser"]  # the chromium fixture, shared with tests/test_browser.py

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """streamlit run on the fixture warehouse, with a meetings store of its own."""
    require_chromium()
    warehouse = tmp_path_factory.mktemp("browser_cohorts") / "wh.duckdb"
    build_fixture_warehouse(warehouse)
    with run_dashboard(warehouse) as base:
        yield base


def test_leadership_confirms_the_cohort_in_progress(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.goto(server + "/services")
    page.get_by_role("heading", name="Quarterly cohorts").wait_for(timeout=30_000)
    page.get_by_text("○ Proposed, not confirmed yet").first.wait_for()
    confirm = page.get_by_role("button", name="Confirm FY2025 Q4")
    confirm.scroll_into_view_if_needed()
    page.screenshot(path=ARTIFACTS / "browser_cohort_proposed.png", full_page=True)
    confirm.click()
    page.get_by_text("FY2025 Q4 confirmed: 2 service(s).").wait_for(timeout=30_000)
    page.get_by_text("✔ Confirmed by").first.wait_for()
    # Only the next quarter is left to confirm.
    assert page.get_by_role("button", name="Confirm FY2025 Q4").count() == 0
    assert page.get_by_role("button", name="Confirm FY2026 Q1").count() == 1
    page.screenshot(path=ARTIFACTS / "browser_cohort_confirmed.png", full_page=True)
    # The Leadership page shows the cohort in progress as confirmed.
    page.goto(server + "/leadership")
    page.get_by_role("heading", name="Quarterly cohorts").wait_for(timeout=30_000)
    page.get_by_text("✔ Confirmed by").first.wait_for(timeout=30_000)
    page.screenshot(path=ARTIFACTS / "browser_cohort_leadership.png", full_page=True)
    page.close()
