"""The meeting flow and the public site in a real browser (Debian's chromium under Playwright)
against `streamlit run`: create a meeting, comment, add an action, open the next meeting with
the item carried over and overdue, read and save the briefing memo, edit the item and see its
history, export the packet as PDF and read its text, and open the exported HTML offline.
Screenshots are kept in tests/artifacts for a person to look at."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pypdf
import pytest

from dashboard.meetings.memo_draft import MEMO_HEADINGS
from tests.dashboard_fixture import RECORD_ADDRESS, build_fixture_warehouse
from tests.test_browser import ARTIFACTS, browser, require_chromium, run_dashboard, settle

__all__ = ["browser"]  # the fixture shared with tests/test_browser.py

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Tall: Streamlit scrolls inside its own container, so a full-page screenshot shows only what
# fits the viewport.
VIEWPORT = {"width": 1400, "height": 3600}
COMMENT = "Two extra crews patched the March backlog"
ACTION = "Re-sequence pothole crews by district"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_chromium()
    path = tmp_path_factory.mktemp("browser_meetings") / "wh.duckdb"
    build_fixture_warehouse(path)
    return path


@pytest.fixture(scope="module")
def internal(warehouse: Path) -> Iterator[str]:
    with run_dashboard(warehouse) as base:
        yield base


@pytest.fixture(scope="module")
def public(warehouse: Path) -> Iterator[str]:
    # The command-line switch, exactly as a city would start its public site.
    with run_dashboard(warehouse, "--public") as base:
        yield base


def _shoot(page, name: str) -> None:
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1500)
    # From the top of the page, wherever the last action scrolled to.
    page.locator('[data-testid="stMain"]').evaluate("main => main.scrollTo(0, 0)")
    page.wait_for_timeout(300)
    page.screenshot(path=ARTIFACTS / f"browser_{name}.png", full_page=True)


def _pick(page, label: str, option: str) -> None:
    """Choose an option of the Streamlit selectbox with this label."""
    # By its label exactly: the Meeting picker's text also contains "Streets Department".
    label_text = page.locator('[data-testid="stWidgetLabel"]').get_by_text(label, exact=True)
    box = page.locator('[data-testid="stSelectbox"]').filter(has=label_text)
    box.wait_for()
    # The selectbox is a combobox: its text field holds the current choice, and clicking it
    # lists only the options matching that text, so a choice kept from the last form lists
    # nothing; its "Open" button always lists every option.
    if box.get_by_role("combobox").input_value() == option:
        return
    box.get_by_role("button", name="Open").click()
    page.get_by_role("option", name=option, exact=True).click()


def _type_date(page, label: str, day: str) -> None:
    """Type a date (YYYY/MM/DD) into the Streamlit date input with this label: its year,
    month and day are separate segments that move on as each is filled."""
    group = page.get_by_label(label, exact=True)
    year, month, date_of_month = day.split("/")
    for segment, digits in (("year", year), ("month", month), ("day", date_of_month)):
        group.locator(f'[data-type="{segment}"]').click()
        page.keyboard.type(digits)
    # Typing opens the calendar; close it so it does not cover the form's buttons.
    page.keyboard.press("Escape")
    shown = [
        group.locator(f'[data-type="{s}"]').get_attribute("aria-valuenow")
        for s in ("year", "month", "day")
    ]
    assert [int(n or 0) for n in shown] == [int(year), int(month), int(date_of_month)]


def _create_meeting(page, day: str) -> None:
    _pick(page, "Department", "Streets Department")
    _type_date(page, "Meeting date", day)
    page.get_by_role("button", name="Create the meeting and freeze its packet").click()
    page.get_by_text("frozen into its packet").wait_for(timeout=30_000)
    settle(page)  # the message shows before its run ends; the forms below are still drawn


def test_the_meeting_flow_in_a_browser(internal: str, browser) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport=VIEWPORT, accept_downloads=True)
    page.goto(internal + "/meetings")
    page.get_by_role("heading", name="Stat review meetings").wait_for(timeout=30_000)
    _create_meeting(page, "2025/04/20")
    page.get_by_role("heading", name="Streets Department · 2025-04-20").wait_for()

    page.get_by_label("What holds it back", exact=True).fill(COMMENT)
    page.get_by_role("button", name="Save commentary").click()
    page.get_by_text("Commentary on 2025-03 saved.").wait_for(timeout=30_000)

    page.get_by_label("Action", exact=True).fill(ACTION)
    page.get_by_label("Owner: or type a name", exact=True).fill("Deputy Commissioner, Highways")
    _type_date(page, "Due", "2025/05/01")
    page.get_by_role("button", name="Add action item").click()
    page.get_by_text("Action item 1 added.").wait_for(timeout=30_000)
    _shoot(page, "meeting")

    # The briefing memo, drafted from the packet: read it, add a line, save it.
    memo = page.get_by_label("Memo", exact=True)
    assert "## Largest moves against target" in memo.input_value()
    memo.fill(memo.input_value() + "\nAnalyst note: crews are short in April.")
    page.get_by_role("button", name="Save the memo").click()
    page.get_by_text("Briefing memo saved.").wait_for(timeout=30_000)

    # Edit the action's owner; its history beside it shows the edit.
    page.get_by_label("Owner: or type a name (now Deputy Commissioner, Highways)", exact=True).fill(
        "Dana Ruiz"
    )
    page.get_by_role("button", name="Save the action item").click()
    page.get_by_text("Action item #1 saved.").wait_for(timeout=30_000)
    history = page.get_by_role("table").last
    history.get_by_text("Edited", exact=True).wait_for()
    assert "owner: Dana Ruiz" in history.inner_text()
    history.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    page.screenshot(path=ARTIFACTS / "browser_action_history.png")

    with page.expect_download() as exported:
        page.get_by_role("button", name="Download the packet (PDF, US Letter)").click()
    pdf_path = ARTIFACTS / "browser_packet_meeting_1.pdf"
    exported.value.save_as(pdf_path)
    reader = pypdf.PdfReader(pdf_path)
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in reader.pages)
    for shown in (*MEMO_HEADINGS, "Analyst note: crews are short in April.", "Dana Ruiz"):
        assert shown in text, shown

    with page.expect_download() as first:
        page.get_by_role("button", name="Download the packet (printable HTML)").click()
    april = ARTIFACTS / "packet_meeting_1.html"
    first.value.save_as(april)

    # The next meeting opens with the item, overdue since 1 May.
    page.get_by_text("Schedule a meeting").click()
    page.get_by_label("Meeting date", exact=True).wait_for()
    _create_meeting(page, "2025/05/20")
    page.get_by_role("heading", name="Carried over from the meeting of 2025-04-20").wait_for()
    page.get_by_text("1 of 1 carried-over action items are overdue").wait_for()
    _shoot(page, "meeting_next")
    with page.expect_download() as second:
        page.get_by_role("button", name="Download the packet (printable HTML)").click()
    may = ARTIFACTS / "packet_meeting_2.html"
    second.value.save_as(may)
    page.close()

    # The exported packets render offline: every request but the file itself is refused.
    fetched: list[str] = []

    def offline(route) -> None:
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            fetched.append(route.request.url)
            route.abort()

    for packet, name, expected in [
        (april, "packet", [COMMENT, ACTION, "82.4%"]),
        (may, "packet_next", [ACTION, "Overdue", "Dana Ruiz"]),
    ]:
        html = packet.read_text(encoding="utf-8")
        for text in expected:
            assert text in html
        viewer = browser.new_page(viewport={"width": 900, "height": 1200})
        viewer.route("**/*", offline)
        viewer.goto(packet.as_uri())
        viewer.locator("svg.trend").first.wait_for()
        viewer.screenshot(path=ARTIFACTS / f"browser_{name}.png", full_page=True)
        viewer.emulate_media(media="print")
        viewer.screenshot(path=ARTIFACTS / f"browser_{name}_print.png", full_page=True)
        viewer.close()
    assert fetched == []


def test_the_public_site_in_a_browser(public: str, browser) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(public + "/")
    page.get_by_role("heading", name="How the city is doing").wait_for(timeout=30_000)
    page.get_by_text("figures the city publishes for residents", exact=False).wait_for()
    page.get_by_role("heading", name="Potholes fixed on time").wait_for()
    body = page.content()
    assert "Median days to close a street defect" not in body
    assert "Meetings" not in page.locator('[data-testid="stSidebarNav"]').inner_text()
    _shoot(page, "public_scorecard")

    page.goto(public + "/metric?metric=street_defect_on_time&grain=month")
    page.get_by_role("heading", name="Potholes fixed on time").wait_for(timeout=30_000)
    page.get_by_role("heading", name="Over time").wait_for()
    _shoot(page, "public_metric")

    page.goto(public + "/open-data")
    page.get_by_role("heading", name="Open data").wait_for(timeout=30_000)
    assert RECORD_ADDRESS not in page.content()
    _shoot(page, "public_open_data")
    page.close()
