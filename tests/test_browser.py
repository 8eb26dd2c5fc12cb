"""The dashboard in a real browser: Playwright driving Debian's chromium against streamlit run."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.dashboard_fixture import build_fixture_warehouse

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def settle(page: Any, timeout: float = 60_000) -> None:
    """Wait until Streamlit has finished the page's script, then for its charts to draw.

    A fixed pause alone loses on a loaded machine (a page still drawing its skeletons), so
    this waits for the app root's own run state first."""
    done = '[data-testid="stApp"][data-test-script-state="notRunning"]'
    page.locator(done).wait_for(timeout=timeout)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1000)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def require_chromium() -> None:
    """Skip (fail under CI) when Debian's chromium is not installed."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("Debian's chromium is missing; `make test` installs it")
        pytest.skip("Debian's chromium is not installed (make test installs it)")


@contextmanager
def run_dashboard(warehouse: Path, *script_args: str) -> Iterator[str]:
    """`streamlit run dashboard/app.py [-- script_args]` on localhost against a warehouse, with
    a meetings database beside it (never the developer's own); yields its base URL."""
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "dashboard/app.py",
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--browser.gatherUsageStats",
        "false",
    ]
    if script_args:
        command += ["--", *script_args]
    with serve(command, port, dashboard_env(warehouse)) as base:
        yield base


def dashboard_env(warehouse: Path) -> dict[str, str]:
    """This process's environment, pointed at a warehouse and a meetings database beside it."""
    return {
        **os.environ,
        "CITYSTAT_WAREHOUSE": str(warehouse),
        "CITYSTAT_MEETINGS_DB": str(warehouse.parent / "meetings.sqlite"),
    }


@contextmanager
def serve(command: list[str], port: int, env: dict[str, str]) -> Iterator[str]:
    """Run a Streamlit server command until it answers its health check; yield its base URL."""
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """streamlit run on localhost against the fixture warehouse; yields its base URL."""
    require_chromium()
    warehouse = tmp_path_factory.mktemp("browser") / "wh.duckdb"
    build_fixture_warehouse(warehouse)
    with run_dashboard(warehouse) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's chromium under Playwright; nothing is downloaded from a browser vendor."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


def test_scorecard_then_a_shared_metric_link_then_the_grain_switch(server: str, browser) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1100})

    page.goto(server + "/")
    page.get_by_role("heading", name="Scorecard").wait_for(timeout=30_000)
    page.get_by_text("Demo data: generated Philadelphia-style extract").wait_for()
    page.get_by_role("heading", name="Street defects and potholes").wait_for()
    page.screenshot(path=ARTIFACTS / "browser_scorecard.png", full_page=True)

    # A link someone shared from a stat meeting opens the same metric and grain.
    page.goto(server + "/metric?metric=street_defect_on_time&grain=quarter")
    page.get_by_role("heading", name="Street defects closed on time").wait_for(timeout=30_000)
    page.get_by_text("77.0%").first.wait_for()
    page.get_by_text("Definition and methodology").wait_for()

    # Switching the grain rewrites the address, so the new view can be shared in turn.
    page.get_by_text("Month", exact=True).click()
    page.wait_for_url("**grain=month**", timeout=30_000)
    page.get_by_text("82.4%").first.wait_for(timeout=30_000)
    assert "metric=street_defect_on_time" in page.url
    page.screenshot(path=ARTIFACTS / "browser_metric.png", full_page=True)
    page.close()
