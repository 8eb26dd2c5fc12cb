"""Sign-in in a real browser, the way `make demo` runs it: dashboard/demo_site.py starts
oidc-provider-mock and the dashboard on free ports; a department head signs in through the
provider's page and lands on the scorecard with their name shown."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dashboard import demo_site
from dashboard.auth.roles import ROLES_ENV
from tests.dashboard_fixture import build_fixture_warehouse
from tests.test_browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_FLAGS,
    ROOT,
    _free_port,
    dashboard_env,
    require_chromium,
    serve,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HEAD = next(user for user in demo_site.DEMO_USERS if user.role == "department_head")
NEWCOMER = next(user for user in demo_site.DEMO_USERS if user.role == "no role")
SCREENSHOT = Path("/tmp/citystat_sign_in_department_head.png")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo launcher against the fixture warehouse, with the demo city's roles.yml; yields
    the dashboard's address as the browser uses it (localhost, as the redirect URI says)."""
    require_chromium()
    folder = tmp_path_factory.mktemp("browser_sign_in")
    warehouse = folder / "wh.duckdb"
    build_fixture_warehouse(warehouse)
    port = _free_port()
    env = {
        **dashboard_env(warehouse),
        ROLES_ENV: str(ROOT / "roles.yml"),
        "CITYSTAT_DATA_DIR": str(folder),
        demo_site.PROVIDER_PORT_ENV: str(_free_port()),
    }
    command = [
        sys.executable,
        "-m",
        "dashboard.demo_site",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
    ]
    with serve(command, port, env):
        yield f"http://localhost:{port}"
    # The provider stopped with the dashboard: nothing answers on its port any more.
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", int(env[demo_site.PROVIDER_PORT_ENV])), timeout=5)


def _sign_in_as(page: Any, base: str, email: str) -> None:
    page.goto(base + "/")
    page.get_by_role("heading", name="Sign in to citystat").wait_for(timeout=60_000)
    page.get_by_role("button", name="Sign in").click()
    # The provider's own page: pick a demo user.
    page.get_by_role("button", name=email).click(timeout=30_000)


def test_a_department_head_signs_in_through_the_provider_and_lands_on_the_scorecard(
    demo: str,
) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        _sign_in_as(page, demo, HEAD.email)
        page.get_by_role("heading", name="Scorecard").wait_for(timeout=60_000)
        page.get_by_text(f"Signed in as {HEAD.name}").wait_for()
        page.get_by_text("Department head · streets").wait_for()
        page.get_by_role("heading", name="Street defects and potholes").wait_for()
        page.get_by_test_id("stMetric").first.wait_for()
        page.get_by_role("table").nth(1).wait_for()
        # Until Streamlit's running indicator (the toolbar's Stop) is gone, cells may be blank.
        page.get_by_role("button", name="Stop").wait_for(state="detached", timeout=60_000)
        # Their navigation has no analyst tools, and the address does not open them either.
        nav = page.get_by_test_id("stSidebarNav")
        assert nav.get_by_text("Meetings").count() == 1
        assert nav.get_by_text("Data quality").count() == 0
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOT, full_page=True)
        page.screenshot(path=ARTIFACTS / "browser_sign_in_department_head.png", full_page=True)
        page.goto(demo + "/data-quality")
        page.get_by_role("heading", name="Scorecard").wait_for(timeout=60_000)
        assert page.get_by_role("heading", name="Data quality").count() == 0
        browser.close()


def test_someone_without_a_role_sees_no_data(demo: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        _sign_in_as(page, demo, NEWCOMER.email)
        page.get_by_role("heading", name="No role yet").wait_for(timeout=60_000)
        page.get_by_text(f"You are signed in as {NEWCOMER.name}").wait_for()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=ARTIFACTS / "browser_sign_in_no_role.png", full_page=True)
        assert page.get_by_role("heading", name="Scorecard").count() == 0
        page.goto(demo + "/leadership")
        page.get_by_role("heading", name="No role yet").wait_for(timeout=60_000)
        assert page.get_by_text("Leadership overview").count() == 0
        assert page.get_by_role("table").count() == 0
        browser.close()


def test_an_anonymous_visitor_is_sent_to_sign_in_from_any_address(demo: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        for path in ("/", "/metric?metric=street_defect_on_time", "/meetings"):
            page.goto(demo + path)
            page.get_by_role("heading", name="Sign in to citystat").wait_for(timeout=60_000)
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=ARTIFACTS / "browser_sign_in_anonymous.png", full_page=True)
            assert page.get_by_role("table").count() == 0
            assert page.get_by_text("Street defects").count() == 0
        browser.close()
