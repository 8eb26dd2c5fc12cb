"""Every internal page of two real cities (Boston's 311, Chicago's permits and inspections) in
a real browser: each renders without an exception and shows the city's own departments. The
screenshots are kept in tests/artifacts for a person to look at."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipelines.run.pipeline import run_pipeline
from pipelines.warehouse.layout import CITY_ENV, PROJECT_ROOT
from tests.test_browser import ARTIFACTS, browser, require_chromium, run_dashboard, settle

__all__ = ["browser"]  # the fixture shared with tests/test_browser.py

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAGES = [
    "",
    "metric",
    "leadership",
    "department",
    "equity",
    "services",
    "meetings",
    "data-quality",
    "freshness",
]
# A department name from each city's registry that its scorecard shows.
SHOWN = {"boston": "Public Works Department", "chicago": "Department of Buildings"}


@pytest.fixture(scope="module", params=sorted(SHOWN))
def city_server(
    request: pytest.FixtureRequest, real_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """The city built into a temporary data folder and the dashboard serving it (--city)."""
    require_chromium()
    city = str(request.param)
    folder = PROJECT_ROOT / "cities" / city
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CITYSTAT_DATA_DIR", str(tmp_path_factory.mktemp(city)))
        for name in ("CITYSTAT_WAREHOUSE", "CITYSTAT_SOURCES_DIR", "CITYSTAT_METRICS_FILE"):
            env.delenv(name, raising=False)
        env.delenv(CITY_ENV, raising=False)
        result = run_pipeline(folder / "metrics.yml")
    assert result.published, result.message
    with run_dashboard(result.warehouse, "--city", str(folder)) as base:
        yield city, base


def test_every_page_of_the_city_renders(city_server: tuple[str, str], browser: Any) -> None:
    city, base = city_server
    page = browser.new_page(viewport={"width": 1300, "height": 1400})
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for path in PAGES:
        page.goto(f"{base}/{path}")
        page.get_by_role("heading").first.wait_for(timeout=30_000)
        settle(page)
        name = path or "scorecard"
        page.screenshot(path=ARTIFACTS / f"browser_city_{city}_{name}.png")
        assert page.locator("[data-testid='stException']").count() == 0, f"{city} {name}"
        if not path:
            assert SHOWN[city] in page.inner_text("body")
    page.close()
