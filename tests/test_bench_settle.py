"""The browser benchmark's test of a settled page, on pages it must and must not accept."""

from __future__ import annotations

from typing import Any

import pytest

from bench.citystat_bench.browser import _SETTLED
from tests.test_browser import browser, require_chromium

pytestmark = pytest.mark.browser
__all__ = ["browser"]  # the shared Playwright fixture

_APP = (
    '<div data-testid="stApp" data-test-script-state="notRunning" '
    'data-test-connection-state="CONNECTED">{body}</div>'
)
_TABLE = '<div data-testid="stElementContainer"><table><tr><td>1</td></tr></table></div>'
# What Streamlit 1.67 draws while React loads a lazy element's code (its Suspense fallback).
_SKELETON = (
    '<div data-testid="stElementContainer"><div data-testid="stSkeleton" aria-hidden="true">'
    "</div></div>"
)


def _settles(browser: Any, body: str) -> bool:
    """Whether the predicate accepts the page once its DOM has been still for 50 ms."""
    require_chromium()
    page = browser.new_page()
    try:
        page.set_content(_APP.format(body=body))
        page.evaluate("window.__benchLastChange = 0")
        page.wait_for_timeout(100)
        return bool(page.evaluate(_SETTLED, [False, 50]))
    finally:
        page.close()


def test_a_drawn_page_settles(browser: Any) -> None:
    assert _settles(browser, _TABLE)


def test_a_page_still_showing_a_skeleton_has_not_settled(browser: Any) -> None:
    assert not _settles(browser, _TABLE + _SKELETON)


def test_a_page_whose_chart_has_not_drawn_has_not_settled(browser: Any) -> None:
    assert not _settles(browser, '<div data-testid="stPlotlyChart"></div>')
    assert _settles(browser, '<div data-testid="stPlotlyChart"><svg class="main-svg"></svg></div>')
