"""The public site in a real browser, started the way a city starts it (`make public`): a
Markdown link in the address is shown as text, not as a link; there is no Deploy button; a
request for another host name is refused."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboard import public_site
from dashboard.components import site
from tests.dashboard_fixture import build_fixture_warehouse
from tests.test_browser import (
    CHROMIUM,
    CHROMIUM_FLAGS,
    ROOT,
    _free_port,
    dashboard_env,
    require_chromium,
    serve,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EVIL = "https://evil.example/login"


@pytest.fixture(scope="module")
def public_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`python -m dashboard.public_site` on localhost against the fixture warehouse."""
    require_chromium()
    warehouse = tmp_path_factory.mktemp("public_browser") / "wh.duckdb"
    build_fixture_warehouse(warehouse)
    port = _free_port()
    env = {**dashboard_env(warehouse), site.ALLOWED_HOSTS_ENV: "127.0.0.1"}
    command = public_site.command(
        ["--server.port", str(port), "--server.address", "127.0.0.1"], env
    )
    with serve(command, port, env) as base:
        yield base


def test_a_markdown_link_in_the_address_is_text_and_the_toolbar_is_gone(
    public_server: str,
) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{public_server}/metric?metric=[Your account is locked]({EVIL})")
        page.get_by_text("Ignored metric").wait_for(timeout=30_000)
        page.get_by_role("heading", name="Street defects closed on time").wait_for()
        warning = page.get_by_text("Ignored metric").inner_text()
        assert "[Your account is locked](" in warning and "evil.example/login" in warning
        assert page.locator('a[href*="evil.example"]').count() == 0
        assert page.get_by_role("button", name="Deploy").count() == 0
        assert page.get_by_text("Deploy", exact=True).count() == 0
        path = Path(ROOT / "tests" / "artifacts")
        path.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=path / "browser_public_hostile_link.png", full_page=True)
        browser.close()


def _session_answer(base: str, host: str) -> str:
    """The status line the server answers a browser's session (WebSocket) request with."""
    port = int(base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(
            (
                f"GET /_stcore/stream HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
                "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: streamlit\r\n\r\n"
            ).encode()
        )
        return connection.recv(200).split(b"\r\n")[0].decode()


def test_a_session_for_another_host_name_is_refused(public_server: str) -> None:
    # server.allowedHosts guards the app's session: a DNS-rebound page gets no app.
    assert " 101 " in _session_answer(public_server, "127.0.0.1")
    refused = _session_answer(public_server, "evil.example")
    assert " 101 " not in refused and refused.startswith("HTTP/1.1 4"), refused


# Every address of an internal page, and what that page would show as its heading.
INTERNAL_ONLY = {
    "leadership": "Leadership overview",
    "department": "Department view",
    "services": "Services",
    "meetings": "Stat review meetings",
    "data-quality": "Data quality",
}


def test_no_internal_page_is_served_on_the_public_site(public_server: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        for path, heading in INTERNAL_ONLY.items():
            page.goto(f"{public_server}/{path}?department=Streets+Department")
            # Not found: the public site's main page runs instead, with public data only.
            page.get_by_text("Page not found").wait_for(timeout=30_000)
            page.get_by_role("heading", name="Scorecard").wait_for(timeout=30_000)
            page.get_by_text("Public view").wait_for()
            assert page.get_by_role("heading", name=heading).count() == 0, path
            assert page.get_by_text("Median days to close a street defect").count() == 0
            assert page.get_by_role("button", name="Sign in").count() == 0
        path = Path(ROOT / "tests" / "artifacts")
        path.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=path / "browser_public_internal_address.png", full_page=True)
        browser.close()
