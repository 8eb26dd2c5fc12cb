"""The public site in a real browser, started the way a city starts it (`make public`): a
Markdown link in the address is neither a link nor repeated; there is no Deploy button; a
request for another host name is refused; every page, in English and in Spanish, shows no
metric id, hash, run id, file path, traceback or developer wording."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboard import public_site
from dashboard.components import site
from tests.dashboard_fixture import LOAD_FILES, METRICS, RUN_ID, build_fixture_warehouse
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
        page.get_by_text("The link named a measure").wait_for(timeout=30_000)
        page.get_by_role("heading", name="Potholes fixed on time").wait_for()
        body = page.locator("body").inner_text()
        assert "Your account is locked" not in body and "evil.example" not in body
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
            page.get_by_role("heading", name="How the city is doing").wait_for(timeout=30_000)
            page.get_by_text("figures the city publishes for residents").wait_for()
            assert page.get_by_role("heading", name=heading).count() == 0, path
            assert page.get_by_text("Median days to close a street defect").count() == 0
            assert page.get_by_role("button", name="Sign in").count() == 0
        path = Path(ROOT / "tests" / "artifacts")
        path.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=path / "browser_public_internal_address.png", full_page=True)
        browser.close()


# Each page of the public site: its heading, and the last text it draws, in each language.
GLOSSARY_LINE = ("Words on this page explained", "Palabras de esta página explicadas")
PUBLIC_PAGES = {
    "": (("How the city is doing", "Cómo le va a la ciudad"), GLOSSARY_LINE),
    "metric?metric=street_defect_on_time&grain=month": (
        ("Potholes fixed on time", "Baches reparados a tiempo"),
        GLOSSARY_LINE,
    ),
    "metric?metric=abandoned_vehicle_requests&grain=quarter": (
        ("Abandoned car reports", "Avisos de coches abandonados"),
        GLOSSARY_LINE,
    ),
    "open-data": (("Open data", "Datos abiertos"), ("How many times", "Cuántas veces")),
    "glossary": (("Words we use", "Palabras que usamos"), ("calendar year", "año natural")),
}


def _leaks(text: str) -> list[str]:
    """Internal ids, hashes, run ids, file names, paths and developer words in ``text``."""
    forbidden = [metric[0] for metric in METRICS]  # metric ids
    forbidden += [RUN_ID, "run-2025", "Traceback", "Deploy", "pytest-of", ".duckdb"]
    forbidden += [str(row[2]) for row in LOAD_FILES]  # the extracts' file names
    found = [word for word in forbidden if word in text]
    found += re.findall(r"\b[0-9a-f]{64}\b", text)  # a SHA-256
    found += re.findall(r"(?:/[\w.-]+){3,}", text)  # a server path
    return found


def test_the_scan_finds_what_it_looks_for() -> None:
    assert _leaks(f"street_defect_on_time {'ab' * 32} /tmp/pytest-of-root/x Deploy") == [
        "street_defect_on_time",
        "Deploy",
        "pytest-of",
        "ab" * 32,
        "/tmp/pytest-of-root/x",
    ]


def test_every_public_page_in_both_languages_is_free_of_internals(public_server: str) -> None:
    from playwright.sync_api import sync_playwright

    artifacts = ROOT / "tests" / "artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        for index, lang in enumerate(("en", "es")):
            for path, (headings, last) in PUBLIC_PAGES.items():
                joiner = "&" if "?" in path else "?"
                page.goto(f"{public_server}/{path}{joiner}lang={lang}")
                page.get_by_role("heading", name=headings[index]).first.wait_for(timeout=30_000)
                # The page is drawn to its end before it is read.
                page.get_by_text(last[index]).last.wait_for(timeout=30_000)
                body = page.locator("body").inner_text()
                assert not _leaks(body), (path, lang, _leaks(body))
                if lang == "es":
                    name = path.split("?")[0] or "home"
                    page.screenshot(
                        path=artifacts / f"browser_public_es_{name}.png", full_page=True
                    )
            if lang == "es":
                # The Spanish site speaks Spanish: status, navigation and the switch.
                page.goto(f"{public_server}/?lang=es")
                page.get_by_text("Cumple la meta").first.wait_for(timeout=30_000)
                assert page.get_by_text("Meeting the target").count() == 0
                assert page.get_by_role("link", name="Datos abiertos").count() >= 1
        browser.close()


def test_the_language_switch_keeps_the_language_in_the_address(public_server: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 390, "height": 900})
        page.goto(f"{public_server}/?lang=fr")
        page.get_by_role("heading", name="How the city is doing").wait_for(timeout=30_000)
        page.get_by_text("Español").click()
        page.get_by_role("heading", name="Cómo le va a la ciudad").wait_for(timeout=30_000)
        page.wait_for_url(re.compile(r"lang=es"))
        page.get_by_role("link", name="Ver los detalles").first.click()
        # The metric page (the card had the name too): its latest figure, then its table.
        page.get_by_role("heading", name="Cifra más reciente").wait_for(timeout=30_000)
        page.get_by_text("Palabras de esta página explicadas").wait_for(timeout=30_000)
        assert page.get_by_role("heading", name="Baches reparados a tiempo").count() == 1
        assert "lang=es" in page.url and "metric=street_defect_on_time" in page.url
        page.screenshot(
            path=ROOT / "tests" / "artifacts" / "browser_public_es_phone_metric.png",
            full_page=True,
        )
        browser.close()
