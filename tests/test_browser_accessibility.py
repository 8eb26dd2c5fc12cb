"""Both sites in a real browser for people who use a screen reader, a keyboard or a phone.

axe-core (shipped inside the axe-playwright-python package: nothing is downloaded at run time)
checks every page of the internal site (every page of dashboard/app.py's INTERNAL_PAGES, as the
local leadership user a city without roles.yml gets) and of the public site, at desktop width
and on a phone, and finds no serious or critical violation. A keyboard alone (Tab and Enter)
opens a metric from the scorecard, with a visible focus on the way. The public scorecard fits a
phone: no sideways scrolling, each metric's status, value, target and trend on screen.
Screenshots are kept in tests/artifacts for a person to look at.
"""

from __future__ import annotations

from typing import Any

import pytest

from dashboard.app import INTERNAL_PAGES, PUBLIC_PAGES
from tests.test_browser import ARTIFACTS, browser, server, settle
from tests.test_browser_public_hygiene import public_server

__all__ = ["browser", "public_server", "server"]  # fixtures shared with the other browser tests

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDTHS = {"desktop": 1280, "phone": 390}
BLOCKING = ("serious", "critical")


def _settle(page: Any) -> None:
    """Wait until the page's script has drawn its title and its charts."""
    page.locator('[data-testid="stMain"] h1').first.wait_for(timeout=30_000)
    settle(page)


def _axe_report(page: Any, where: str) -> list[str]:
    """Every serious or critical axe-core violation on the page: rule, impact, nodes."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    lines = []
    for violation in results.response["violations"]:
        if violation["impact"] not in BLOCKING:
            continue
        lines.append(f"{where}: {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            lines.append(f"    {', '.join(map(str, node['target']))}: {node['failureSummary']}")
    return lines


def _axe_every_page(base: str, browser: Any, paths: list[str], width: int, site: str) -> None:
    page = browser.new_page(viewport={"width": width, "height": 900})
    found: list[str] = []
    for path in paths:
        page.goto(f"{base}/{path}")
        _settle(page)
        found += _axe_report(page, f"{site} /{path} at {width} px")
    page.close()
    assert not found, "axe-core found serious or critical violations:\n" + "\n".join(found)


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_every_internal_page_passes_axe(server: str, browser: Any, width: int) -> None:
    paths = [url_path for _file, _title, url_path, _right in INTERNAL_PAGES]
    _axe_every_page(server, browser, paths, width, "internal")


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_every_public_page_passes_axe(public_server: str, browser: Any, width: int) -> None:
    paths = [url_path for _file, _title, url_path in PUBLIC_PAGES]
    _axe_every_page(public_server, browser, paths, width, "public")


def test_the_keyboard_alone_opens_a_metric_from_the_scorecard(server: str, browser: Any) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(server + "/")
    _settle(page)
    # Tab through the page (navigation, filters, tables) to the first "Open metric →".
    for _ in range(80):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const e = document.activeElement; const s = getComputedStyle(e);"
            " return {tag: e.tagName, text: e.textContent, href: e.getAttribute('href'),"
            " visible: e.matches(':focus-visible'), outline: s.outlineStyle,"
            " width: parseFloat(s.outlineWidth), shadow: s.boxShadow}; }"
        )
        if focused["tag"] == "A" and focused["text"] == "Open metric →":
            break
    else:
        pytest.fail("Tab never reached an 'Open metric →' link on the scorecard")
    # The focus is drawn: a focus-visible outline (or ring) around the link.
    assert focused["visible"]
    assert (focused["outline"] != "none" and focused["width"] > 0) or focused["shadow"] != "none"
    page.screenshot(path=ARTIFACTS / "browser_keyboard_focus.png")
    assert focused["href"] == "metric?metric=street_defect_on_time&grain=month"
    # The link opens the metric's page in a new tab.
    with context.expect_page() as opened:
        page.keyboard.press("Enter")
    metric = opened.value
    metric.get_by_role("heading", name="Street defects closed on time").wait_for(timeout=30_000)
    assert "metric=street_defect_on_time" in metric.url and "grain=month" in metric.url
    metric.get_by_text("Definition and methodology").wait_for()
    metric.screenshot(path=ARTIFACTS / "browser_keyboard_metric.png")
    context.close()


# What each card of the public scorecard says, as a resident reads it: value, status, target
# and change (fixture: 0.824 in 2025-03 against 0.80, 0.78 the month before).
CARD_FIELDS = ("82.4%", "Meeting the target", "Target: 80.0%", "Up from 78.0%")


def test_the_public_scorecard_fits_a_phone(public_server: str, browser: Any) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    width = WIDTHS["phone"]
    page = browser.new_page(viewport={"width": width, "height": 844})
    page.goto(public_server + "/")
    _settle(page)
    # Nothing wider than the phone: the page never scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    card = page.locator('[data-testid="stColumn"]').filter(
        has=page.get_by_role("heading", name="Potholes fixed on time")
    )
    card.first.scroll_into_view_if_needed()
    for field in CARD_FIELDS:
        shown = card.first.get_by_text(field).first
        assert shown.is_visible(), field
        box = shown.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, field
    page.get_by_text("82.4%").first.wait_for()
    # The headline counts stay a few lines: the first card starts within two screens.
    assert card.first.bounding_box()["y"] < 2 * 844 + page.evaluate(
        "document.querySelector('[data-testid=stMain]').scrollTop"
    )
    _full_page(page, width, "browser_phone_public_scorecard.png")

    page.goto(public_server + "/metric?metric=street_defect_on_time&grain=month")
    page.get_by_role("heading", name="Potholes fixed on time").wait_for(timeout=30_000)
    _settle(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    _full_page(page, width, "browser_phone_public_metric.png")
    page.close()


def _full_page(page: Any, width: int, name: str) -> None:
    """A screenshot of the whole page: Streamlit scrolls inside its own container, so the
    viewport is made as tall as that container first."""
    height = page.evaluate("document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": width, "height": int(height) + 40})
    page.wait_for_timeout(800)
    page.screenshot(path=ARTIFACTS / name, full_page=True)
