"""Hostile text in a real browser (issue 15): Markdown links and images, raw HTML,
``javascript:`` URLs and spreadsheet formulas pushed through every URL parameter of both sites
(the list derived from the code, tests/url_parameters.py), typed into every text field of the
meetings UI, and written where a city's own files put text (metric labels, methodology,
department and district names: tests/test_security_markdown.make_hostile). In chromium, no
element such a string would create exists (no link to evil.example or javascript:, no image
it names, no onerror handler, no dialog), each value is shown as its literal text or refused
plainly, and the exports (printable packet, CSVs) carry it as inert text. The sites run as a
city runs them: ``streamlit run dashboard/app.py`` and ``python -m dashboard.public_site``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from dashboard import public_site
from dashboard.app import COMPARE_PAGE, INTERNAL_PAGES, PUBLIC_PAGES
from dashboard.components import site
from dashboard.components.csv_export import FORMULA_TRIGGERS
from dashboard.components.safe_text import WORD_JOINER
from dashboard.meetings import schema as meeting_schema
from dashboard.meetings import store
from dashboard.meetings.permissions import SYSTEM
from dashboard.queries import packets, reader
from tests.test_browser import (
    ARTIFACTS,
    _free_port,
    browser,
    dashboard_env,
    require_chromium,
    run_dashboard,
    serve,
    settle,
)
from tests.test_browser_meetings import _pick, _type_date
from tests.test_security_markdown import LINK, make_hostile
from tests.url_parameters import FREE_TEXT, site_pages, sweep_setting, url_parameters

__all__ = ["browser"]  # the fixture shared with tests/test_browser.py

pytestmark = [pytest.mark.browser, pytest.mark.slow]

VALUES = [
    "[x](https://evil.example)",
    "![x](https://evil.example/a.png)",
    "<img src=x onerror=alert(1)>",
    '<a href="https://evil.example">x</a>',
    "javascript:alert(1)",
    "[x](javascript:alert(1))",
    '=HYPERLINK("https://evil.example","x")',
    "+1+1",
    "-1+1",
    "@SUM(1)",
]
# What any of them would create if it were rendered instead of shown. (Streamlit gives each
# heading a same-page anchor, href="#<heading text as a slug>": it leads nowhere else.)
PLANTED = [
    '[href*="evil"]:not([href^="#"])',
    '[*|href*="evil"]:not([href^="#"])',
    '[href^="javascript:"]',
    '[*|href^="javascript:"]',
    '[src*="evil"]',
    'img[src="x"]',
    'img[src*="x.png"]',  # make_hostile's image: ![x](http://e/x.png)
    "[onerror]",
    "iframe",
]
URL_PATHS = {file: path for file, _, path, _ in [*INTERNAL_PAGES, COMPARE_PAGE]}
URL_PATHS |= {file: path for file, _, path in PUBLIC_PAGES}
VIEWPORT = {"width": 1400, "height": 2400}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hostile fixture warehouse, and a meetings store beside it with one meeting (so the
    meeting parameter is checked against real meetings)."""
    require_chromium()
    path = tmp_path_factory.mktemp("browser_hostile") / "wh.duckdb"
    make_hostile(path)
    wh = reader.Warehouse(str(path), f"{path.name}@{path.stat().st_mtime_ns}")
    definitions, values = packets.packet_source(wh, ["street_defect_on_time"], "month")
    with meeting_schema.connect(path.parent / "meetings.sqlite") as db:
        spec = store.MeetingSpec(date(2025, 4, 20), "department", LINK, "month")
        provenance = store.Provenance("run", None, str(path))
        store.create_meeting(db, SYSTEM, spec, definitions, values, provenance)
    return path


@pytest.fixture(scope="module")
def sites(warehouse: Path) -> Iterator[dict[str, str]]:
    """Both sites on localhost: the internal one as the local user (no roles.yml: leadership),
    the public one started as `make public` starts it."""
    port = _free_port()
    env = {**dashboard_env(warehouse), site.ALLOWED_HOSTS_ENV: "127.0.0.1"}
    command = public_site.command(
        ["--server.port", str(port), "--server.address", "127.0.0.1"], env
    )
    with run_dashboard(warehouse) as internal, serve(command, port, env) as public:
        yield {"internal": internal, "public": public}


class Watched:
    """A browser page that counts the dialogs anything on it opened."""

    def __init__(self, browser: Any) -> None:
        self.page = browser.new_page(viewport=VIEWPORT, accept_downloads=True)
        self.dialogs: list[str] = []
        self.page.on("dialog", self._dialog)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def nothing_planted(self, where: str) -> None:
        """No element a hostile string would create, and no dialog."""
        self.page.wait_for_load_state("networkidle")
        found = {s: self.page.locator(s).count() for s in PLANTED}
        assert {s: n for s, n in found.items() if n} == {}, where
        assert self.dialogs == [], where

    def main_text(self) -> str:
        text = self.page.locator('[data-testid="stMain"]').inner_text()
        return text.replace(WORD_JOINER, "")


SCRIPT_DONE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def _ignored(param: str, value: str) -> str:
    return f"Ignored {param} “{value}” from the link"


SWEEP = [
    (where, page, params) for where, pages in url_parameters().items() for page, params in pages
]


@pytest.mark.parametrize(("where", "page", "params"), SWEEP)
def test_every_url_parameter_shows_hostile_values_as_text(
    sites: dict[str, str], browser: Any, where: str, page: str, params: list[str]
) -> None:
    watched = Watched(browser)
    # Read on opening: all at once; read after another choice: one at a time, that choice made
    # first; free text: shown as typed; not read by the fixture's page: left out
    # (tests/url_parameters.NEEDS says why).
    settings = {param: sweep_setting(page, param) for param in params}
    direct = [p for p, needs in settings.items() if needs == {} and p not in FREE_TEXT]
    sweeps = [(direct, {})] if direct else []
    sweeps += [([p], needs) for p, needs in settings.items() if needs and p not in FREE_TEXT]
    for value in VALUES:
        for typed in (p for p in params if p in FREE_TEXT):
            watched.page.goto(f"{sites[where]}/{URL_PATHS[page]}?{urlencode({typed: value})}")
            watched.page.locator(SCRIPT_DONE).wait_for(timeout=30_000)
            watched.nothing_planted(f"{where} {page}?{typed}={value}")
            # Shown as the visitor typed it (word joiners aside), never as Markdown.
            assert f"“{value}”" in watched.main_text(), (where, page, typed, value)
        for swept, needs in sweeps:
            _sweep(watched, sites[where], where, page, swept, needs, value)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    watched.page.screenshot(path=ARTIFACTS / f"browser_hostile_{where}_{page[:-3]}.png")
    watched.page.close()


def _sweep(
    watched: Watched,
    base: str,
    where: str,
    page: str,
    params: list[str],
    needs: dict[str, str],
    value: str,
) -> None:
    """Open ``page`` with ``value`` in every one of ``params`` (and ``needs`` set first)."""
    query = urlencode({**needs, **dict.fromkeys(params, value)})
    watched.page.goto(f"{base}/{URL_PATHS[page]}?{query}")
    watched.page.locator("h1").first.wait_for(timeout=30_000)
    if where == "internal":
        for param in params:
            watched.page.get_by_text(f"Ignored {param}").first.wait_for(timeout=30_000)
    watched.nothing_planted(f"{where} {page}?{query}")
    alerts = watched.page.locator('[data-testid="stAlert"]').all_inner_texts()
    shown = "\n".join(alerts).replace(WORD_JOINER, "")
    for param in params:
        if where == "internal":  # named back as text
            assert _ignored(param, value) in shown, (where, page, param, value, shown)
        else:  # the public site never repeats what the address said: its own choice
            assert value not in shown, (where, page, param, value, shown)


@pytest.mark.parametrize("where", ["internal", "public"])
def test_labels_and_district_names_from_the_citys_files_render_as_text(
    sites: dict[str, str], browser: Any, where: str
) -> None:
    watched = Watched(browser)
    for page in site_pages()[where]:
        if page == "compare.py":
            continue  # offered only with two or more cities configured
        watched.page.goto(f"{sites[where]}/{URL_PATHS[page]}")
        watched.page.locator("h1").first.wait_for(timeout=30_000)
        watched.page.wait_for_timeout(500)
        watched.nothing_planted(f"{where} {page}")
    watched.page.goto(f"{sites[where]}/metric")
    watched.page.locator("h1").first.wait_for(timeout=30_000)
    # The first metric's label is the hostile link: its heading reads as the literal text.
    assert LINK in watched.main_text()
    watched.page.close()


TITLE = '<img src=x onerror=alert(1)> [t](https://evil.example) =HYPERLINK("https://evil.example")'
COMMENTARY = {
    "Why it matters": "[Your account is locked](https://evil.example/login)",
    "What drives performance": "![x](https://evil.example/a.png) <img src=x onerror=alert(1)>",
    "What holds it back": '<a href="https://evil.example">x</a> [x](javascript:alert(1))',
    "Improvement plan": '=HYPERLINK("https://evil.example","Click")',
}
ACTION = "<script>alert(1)</script> javascript:alert(1) [act](https://evil.example)"
OWNER = "@SUM(1)+cmd|' /C calc'!A0"


def _text_cells(data: bytes) -> list[str]:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    return [cell for row in rows for cell in row if not re.fullmatch(r"-?[\d.]+(e-?\d+)?", cell)]


def test_text_typed_into_the_meetings_ui_is_text_on_pages_and_in_exports(
    sites: dict[str, str], browser: Any
) -> None:
    watched = Watched(browser)
    page = watched.page
    page.goto(f"{sites['internal']}/meetings")
    page.get_by_role("heading", name="Stat review meetings").wait_for(timeout=30_000)
    page.get_by_text("Schedule a meeting").click()
    _pick(page, "Department", LINK)
    page.get_by_label("Title (optional)", exact=True).fill(TITLE)
    _type_date(page, "Meeting date", "2025/04/21")
    page.get_by_role("button", name="Create the meeting and freeze its packet").click()
    page.get_by_text("frozen into its packet").wait_for(timeout=30_000)
    # The message shows before the run that draws it ends: text typed into a form still being
    # drawn was lost (the first field's, once in CI).
    settle(page)
    for label, text in COMMENTARY.items():
        page.get_by_label(label, exact=True).fill(text)
    page.get_by_role("button", name="Save commentary").click()
    page.get_by_text("saved.").first.wait_for(timeout=30_000)
    settle(page)
    page.get_by_label("Action", exact=True).fill(ACTION)
    page.get_by_label("Owner: or type a name", exact=True).fill(OWNER)
    _type_date(page, "Due", "2025/05/01")
    page.get_by_role("button", name="Add action item").click()
    page.get_by_text("added.").first.wait_for(timeout=30_000)

    page.goto(f"{sites['internal']}/meetings?meeting=2")
    page.get_by_text("Packet frozen").wait_for(timeout=30_000)
    page.get_by_text(re.compile(r"^Audit trail \(\d+ changes")).click()
    page.get_by_text(re.compile("^why_it_matters: ")).first.wait_for(timeout=30_000)
    watched.nothing_planted("meeting page")
    shown = watched.main_text()
    for text in [ACTION, OWNER, *COMMENTARY.values()]:
        assert text in shown, text
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / "browser_hostile_meeting.png", full_page=True)

    exports = {}
    for label in (
        "Download the packet (printable HTML)",
        "Download the packet's values (CSV)",
        "Download the audit trail (CSV)",
    ):
        with page.expect_download() as download:
            page.get_by_role("button", name=label).click()
        exports[label] = Path(download.value.path()).read_bytes()
    for label in ("Download the packet's values (CSV)", "Download the audit trail (CSV)"):
        cells = _text_cells(exports[label])
        assert cells and [c for c in cells if c.startswith(FORMULA_TRIGGERS)] == [], label
    audit = exports["Download the audit trail (CSV)"].decode("utf-8")
    assert "=HYPERLINK" in audit and "@SUM(1)" in audit  # kept, inside inert cells
    html = exports["Download the packet (printable HTML)"].decode("utf-8")
    assert "<img src=x" not in html and "<script>alert" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html

    # The printable packet, opened offline, creates nothing either.
    packet = ARTIFACTS / "packet_hostile.html"
    packet.write_text(html, encoding="utf-8")
    page.goto(packet.as_uri())
    page.locator("h1").first.wait_for()
    watched.nothing_planted("exported packet")

    # The department page, which lists open action items, creates nothing either.
    page.goto(f"{sites['internal']}/department?department=streets")
    page.get_by_role("heading", name="Open action items").wait_for(timeout=30_000)
    page.wait_for_timeout(1500)
    watched.nothing_planted("department page")
    page.close()
