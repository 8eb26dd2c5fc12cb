"""The Compare page and the district map in a real browser (Debian's chromium under
Playwright) with every request off this machine refused: both must draw offline. The
screenshots are kept in tests/artifacts for a person to look at."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.compare_fixture import SHELBYVILLE, SPRINGFIELD, build_city
from tests.dashboard_fixture import build_fixture_warehouse
from tests.test_browser import ARTIFACTS, browser, require_chromium, run_dashboard

__all__ = ["browser"]  # the fixture shared with tests/test_browser.py

pytestmark = [pytest.mark.browser, pytest.mark.slow]

VIEWPORT = {"width": 1400, "height": 2400}


@pytest.fixture(scope="module")
def compare_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The dashboard on the fixture warehouse, started with ``-- --compare`` two cities."""
    require_chromium()
    root = tmp_path_factory.mktemp("browser_compare")
    warehouse = root / "home.duckdb"
    build_fixture_warehouse(warehouse)
    springfield = build_city(root / "springfield", SPRINGFIELD)
    shelbyville = build_city(root / "shelbyville", SHELBYVILLE)
    with run_dashboard(warehouse, "--compare", str(springfield), str(shelbyville)) as base:
        yield base


def _offline_page(browser: Any, base: str) -> tuple[Any, list[str]]:
    """A page that may reach the dashboard only; what else it asked for is listed."""
    page = browser.new_page(viewport=VIEWPORT)
    refused: list[str] = []

    def only_local(route: Any) -> None:
        if route.request.url.startswith(base):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    return page, refused


def _shoot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1500)
    path = ARTIFACTS / f"browser_{name}.png"
    page.screenshot(path=path, full_page=True)
    return path


def test_the_compare_page_draws_offline(compare_server: str, browser: Any) -> None:
    page, refused = _offline_page(browser, compare_server)
    page.goto(compare_server + "/compare")
    page.get_by_role("heading", name="Cities side by side").wait_for(timeout=30_000)
    page.get_by_text("2.0 per 1,000 residents").first.wait_for()
    page.get_by_text("1.8 per 1,000 residents").first.wait_for()
    # The hostile label is shown as the text it is (an invisible word joiner after "https:"
    # stops Streamlit linking it), not as a link.
    page.get_by_text(
        re.compile(r"^\[click\]\(https:\W?//evil\.example\) \(sf_requests\)$")
    ).wait_for()
    assert page.locator("a[href*='evil.example']").count() == 0
    page.locator(".js-plotly-plot").first.wait_for()
    _shoot(page, "compare")
    assert refused == []
    page.close()


def test_the_district_map_draws_offline(compare_server: str, browser: Any) -> None:
    page, refused = _offline_page(browser, compare_server)
    page.goto(compare_server + "/equity?metric=street_defect_median_days&grain=month")
    page.get_by_role("heading", name="Districts in 2025-03").wait_for(timeout=30_000)
    # The map is SVG (each district a filled path), with no tiles to wait for.
    page.locator(".js-plotly-plot .scatterlayer .js-fill").first.wait_for(state="attached")
    _shoot(page, "district_map")
    assert refused == []
    page.close()
