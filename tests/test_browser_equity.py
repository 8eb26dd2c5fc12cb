"""The Equity page's district map in a real browser (Debian's chromium under Playwright): the
fixture city's districts, and San Francisco's real supervisorial district boundaries with
their 2010 populations, each drawn as a map without a single request leaving the machine
(no tiles, fonts or sprites). Screenshots are kept in tests/artifacts for a person to look at."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipelines.run.pipeline import run_pipeline
from pipelines.warehouse.layout import CITY_ENV, PROJECT_ROOT
from tests.test_browser import ARTIFACTS, browser, require_chromium, run_dashboard, server

__all__ = ["browser", "server"]  # fixtures shared with tests/test_browser.py

pytestmark = [pytest.mark.browser, pytest.mark.slow]

VIEWPORT = {"width": 1400, "height": 2600}


@pytest.fixture(scope="module")
def san_francisco(real_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """San Francisco built into a temporary data folder and the dashboard serving it."""
    require_chromium()
    folder = PROJECT_ROOT / "cities" / "san_francisco"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CITYSTAT_DATA_DIR", str(tmp_path_factory.mktemp("san_francisco")))
        for name in ("CITYSTAT_WAREHOUSE", "CITYSTAT_SOURCES_DIR", "CITYSTAT_METRICS_FILE"):
            env.delenv(name, raising=False)
        env.delenv(CITY_ENV, raising=False)
        result = run_pipeline(folder / "metrics.yml")
    assert result.published, result.message
    with run_dashboard(result.warehouse, "--city", str(folder)) as base:
        yield base


def _map_drawn_offline(browser: Any, url: str, base: str, heading: str, name: str) -> str:
    """Open ``url``, wait for the district map to draw, screenshot it; the page's text. Fails
    when any request goes anywhere but the dashboard itself."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport=VIEWPORT)
    elsewhere: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(base) else elsewhere.append(r.url))
    page.goto(url)
    page.get_by_role("heading", name=heading).wait_for(timeout=30_000)
    # The map is SVG: each district a filled path of the chart's own scatter layer.
    page.locator(".js-plotly-plot .scatterlayer .js-fill").first.wait_for(timeout=30_000)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1500)
    page.screenshot(path=ARTIFACTS / f"browser_equity_map_{name}.png", full_page=True)
    assert page.locator("[data-testid='stException']").count() == 0
    text = page.inner_text("body")
    page.close()
    assert elsewhere == []
    return text


def test_the_fixture_city_map(server: str, browser: Any) -> None:
    text = _map_drawn_offline(
        browser,
        f"{server}/equity?metric=street_defect_on_time&grain=month",
        server,
        "Districts in 2025-03",
        "fixture",
    )
    assert "95% confidence interval (Wilson score)" in text
    assert "District 2 is behind citywide" in text


def test_san_francisco_map_of_real_boundaries(san_francisco: str, browser: Any) -> None:
    text = _map_drawn_offline(
        browser, f"{san_francisco}/equity", san_francisco, "The districts", "san_francisco"
    )
    assert "District populations (805,235 residents in all)" in text
    assert "Supervisorial District 11" in text
