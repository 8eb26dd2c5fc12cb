"""Every dashboard page in a real browser (Playwright driving Debian's chromium), against the
least a Streamlit page of the same server costs.

One `streamlit run bench/browser_app.py` server per site (internal, then public): the app as
it is plus bench-only pages: empty, one chart, and a cache-clearing page (see that script).
For every page of the site's navigation, in this order: a cold load (st.cache_data cleared
just before, fresh browser context), the empty page (fresh context), the one-chart page (a
single small Plotly chart: the floor of any page with a chart), the same chart drawn with
Vega-Lite (what that floor would be without Plotly), a warm load (fresh context, the server's
caches now full) and, in that warm context, one widget changed and its rerun. Every load is
a fresh browser context, so the browser's own caches are always empty.

Settled means: the app root's ``data-test-script-state`` is ``notRunning`` (the script run
finished; ``initial`` before the first run, ``running`` during one, as the frontend of
Streamlit 1.67 sets it), the websocket is connected, the status widget's running icon is gone,
no element is stale (left over from the previous run), every Plotly chart has drawn its SVG
and every Vega-Lite chart its canvas, and the DOM has then been still for QUIET_MS: widgets
are drawn by components React loads lazily, about 0.15 s after the run ends, so the script
state alone settles too early. No element may still be React's grey skeleton, its stand-in
while that code loads: on a slow day a table's code took longer than QUIET_MS to arrive, and
a page of skeletons was timed. The time taken is the page's last change (the quiet wait
itself is not counted). A first load is timed from navigation start (the page's
performance.now() clock); a rerun from the pointer press on the widget (the Enter key, for a
text box) to the settling after a run was seen to start. The widget is the first selectbox,
radio or checkbox of the main area outside a form, else its first text box.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from .measure import report_result

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ENTRY = PROJECT_ROOT / "bench" / "browser_app.py"
APP = PROJECT_ROOT / "dashboard" / "app.py"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SITES = ("internal", "public")
EMPTY, PLOTLY, VEGA, CLEAR = "bench-empty", "bench-plotly", "bench-vega", "bench-clear"
SERVER_START_SECONDS = 120.0
TYPED = "street"  # typed into a page whose only widget is a text box

# Installed in every page before Streamlit's own scripts: the page clock at the latest change
# to the DOM. Widgets are drawn by components React loads lazily, so a page is still changing
# for a moment after its script run finished.
_WATCH_DOM = """
window.__benchLastChange = 0;
new MutationObserver(() => { window.__benchLastChange = performance.now(); })
  .observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
"""

# True once the page has settled: the conditions below hold and the DOM has not changed for
# QUIET_MS. Records the settling moment (the last change, or when the conditions began to
# hold if later) in window.__benchSettledAt. A rerun also needs window.__benchSawRun.
QUIET_MS = 300
_SETTLED = """([needRun, quietMs]) => {
  const now = performance.now();
  const app = document.querySelector('[data-testid="stApp"]');
  const holds = app !== null
    && app.getAttribute('data-test-script-state') === 'notRunning'
    && app.getAttribute('data-test-connection-state') === 'CONNECTED'
    && (!needRun || window.__benchSawRun)
    && !document.querySelector('[data-testid="stStatusWidgetRunningIcon"]')
    && !document.querySelector('[data-testid="stElementContainer"][data-stale="true"]')
    && !document.querySelector('[data-testid="stSkeleton"]')
    && Array.from(document.querySelectorAll('[data-testid="stPlotlyChart"]'))
      .every((chart) => chart.querySelector('.main-svg'))
    && Array.from(document.querySelectorAll('[data-testid="stVegaLiteChart"]'))
      .every((chart) => chart.querySelector('canvas, svg.marks'));
  if (!holds) { window.__benchHoldsSince = null; return false; }
  if (window.__benchHoldsSince == null) window.__benchHoldsSince = now;
  if (now - window.__benchLastChange < quietMs) return false;
  window.__benchSettledAt = Math.max(window.__benchLastChange, window.__benchHoldsSince);
  return true;
}"""

# Before a widget is touched: note the press time and watch the script state leave notRunning.
_ARM_RERUN = """() => {
  window.__benchSawRun = false;
  window.__benchHoldsSince = null;
  window.__benchPressedAt = null;
  const pressed = () => {
    if (window.__benchPressedAt === null) window.__benchPressedAt = performance.now();
  };
  document.addEventListener('pointerdown', pressed, {capture: true, once: true});
  document.addEventListener('keydown', pressed, {capture: true, once: true});
  const app = document.querySelector('[data-testid="stApp"]');
  new MutationObserver(() => {
    if (app.getAttribute('data-test-script-state') !== 'notRunning') window.__benchSawRun = true;
  }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""

# The first widget of the page's main area whose change reruns the script (not in a form),
# marked data-bench-widget; returns its kind or null. A text box only when there is no choice
# to make: what is typed into it is the benchmark's own word.
_MARK_WIDGET = """() => {
  const passes = [
    {stSelectbox: 'selectbox', stRadio: 'radio', stCheckbox: 'checkbox'},
    {stTextInput: 'text'},
  ];
  const main = document.querySelector('[data-testid="stMain"]');
  for (const kinds of passes) {
    const selector = Object.keys(kinds).map((k) => `[data-testid="${k}"]`).join(',');
    for (const widget of main ? main.querySelectorAll(selector) : []) {
      if (widget.closest('[data-testid="stForm"]')) continue;
      if (widget.querySelector('input:disabled')) continue;
      if (!widget.checkVisibility()) continue;
      widget.setAttribute('data-bench-widget', '1');
      return kinds[widget.getAttribute('data-testid')];
    }
  }
  return null;
}"""

_CHARTS = """() => document.querySelectorAll('[data-testid="stPlotlyChart"]').length"""

# What a page shows when it raised, or caught and said so (the public site's error box).
_ERRORS = """() => Array.from(document.querySelectorAll(
    '[data-testid="stException"], [data-testid="stAlertContentError"]'))
  .map((e) => e.innerText.slice(0, 300))"""


class Server:
    """`streamlit run bench/browser_app.py` for one site, on one port, until closed.

    Streamlit resolves a page path given to st.page_link against the entry script's folder
    (then follows symlinks), and the app's pages name each other as "views/x.py" from
    dashboard/. So the server runs a copy of the entry script in ``scratch`` beside a
    ``views`` symlink to dashboard/views: the app's links resolve as under dashboard/app.py,
    and nothing bench-only is written into dashboard/.
    """

    def __init__(self, site: str, port: int, scratch: Path, log: Path) -> None:
        entry = scratch / ENTRY.name
        shutil.copyfile(ENTRY, entry)
        (scratch / "views").symlink_to(APP.parent / "views", target_is_directory=True)
        self.pages_file = scratch / "pages.json"
        env = {**os.environ, "BENCH_PAGES_FILE": str(self.pages_file), "BENCH_APP": str(APP)}
        env.setdefault("CITYSTAT_ROLES_FILE", "/nonexistent")  # a local leadership user
        if site == "public":
            env["CITYSTAT_PUBLIC"] = "1"
        else:
            env.pop("CITYSTAT_PUBLIC", None)
        command = [sys.executable, "-m", "streamlit", "run", str(entry)]
        command += ["--server.headless", "true", "--server.port", str(port)]
        command += ["--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
        self.url = f"http://localhost:{port}"
        self._log = log.open("w")
        self.process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )
        self._wait_healthy()

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"streamlit exited with {self.process.returncode}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise SystemExit(f"streamlit did not answer at {self.url} in {SERVER_START_SECONDS:.0f} s")

    def close(self) -> None:
        """Stop the server this object started."""
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


class Timer:
    """Page loads and reruns in fresh contexts of one chromium."""

    def __init__(self, browser: Any, url: str, shots: Path | None, timeout: float) -> None:
        self.browser, self.url, self.shots, self.timeout_ms = browser, url, shots, timeout * 1000

    def load(self, path: str, shot: str | None = None) -> tuple[float, Any]:
        """Seconds from navigation start to settled, in a new context; returns the context
        too (the caller closes it)."""
        context = self.browser.new_context(viewport={"width": 1400, "height": 1000})
        context.add_init_script(_WATCH_DOM)
        page = context.new_page()
        page.goto(f"{self.url}/{path}", wait_until="commit", timeout=self.timeout_ms)
        page.wait_for_function(_SETTLED, arg=[False, QUIET_MS], polling=20, timeout=self.timeout_ms)
        seconds = float(page.evaluate("window.__benchSettledAt")) / 1000
        self._shoot(page, shot)
        return seconds, context

    def rerun(self, context: Any, shot: str | None) -> tuple[str | None, float | None]:
        """Change the page's first widget; the widget's kind and the seconds to settle."""
        page = context.pages[0]
        kind = page.evaluate(_MARK_WIDGET)
        if kind is None:
            return None, None
        widget = page.locator("[data-bench-widget]")
        page.evaluate(_ARM_RERUN)
        if kind == "selectbox":
            # Streamlit 1.67's selectbox is a react-aria combobox.
            widget.locator("[role='combobox']").click()
            page.evaluate(_ARM_RERUN)  # again: opening the list pressed the pointer too
            options = "[role='listbox'] [role='option']:not([aria-selected='true'])"
            page.locator(options).first.click()
        elif kind == "text":
            box = widget.locator("input")
            box.fill(TYPED)  # Streamlit sends a text box's value on Enter
            page.evaluate(_ARM_RERUN)
            box.press("Enter")
        elif kind == "radio":
            widget.locator("label:has(input:not(:checked))").first.click()
        else:
            widget.locator("label").first.click()
        page.wait_for_function(_SETTLED, arg=[True, QUIET_MS], polling=20, timeout=self.timeout_ms)
        settled, pressed = page.evaluate("[window.__benchSettledAt, window.__benchPressedAt]")
        self._shoot(page, shot)
        return kind, (float(settled) - float(pressed)) / 1000

    def errors(self, context: Any) -> list[str]:
        """Exceptions the page shows."""
        return list(context.pages[0].evaluate(_ERRORS))

    def _shoot(self, page: Any, name: str | None) -> None:
        if self.shots is not None and name is not None:
            self.shots.mkdir(parents=True, exist_ok=True)
            # The main area scrolls inside the window: bring its last element into view.
            last = page.locator("[data-testid='stMain'] [data-testid='stElementContainer']").last
            if last.count():
                last.scroll_into_view_if_needed()
            page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True)


def _label(url_path: str) -> str:
    return url_path or "(default)"


def time_site(
    site: str, port: int, timeout: float, shots: Path | None, log: Path
) -> dict[str, Any]:
    """Every page of one site: cold and warm first loads, the empty page beside each, and a
    widget's rerun."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as scratch:
        server = Server(site, port, Path(scratch), log)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
                )
                timer = Timer(browser, server.url, shots, timeout)
                # Warms the server's own imports and lists the navigation's pages.
                _, context = timer.load(EMPTY)
                context.close()
                listed = json.loads(server.pages_file.read_text())
                result: dict[str, Any] = {"pages": {}}
                for entry in listed:
                    path = entry["url_path"]
                    name = f"{site}_{_label(path)}"
                    _, context = timer.load(CLEAR)
                    context.close()
                    cold, context = timer.load(path, shot=f"{name}_cold")
                    errors = timer.errors(context)
                    charts = int(context.pages[0].evaluate(_CHARTS))
                    context.close()
                    empty, context = timer.load(EMPTY, shot=f"{site}_empty")
                    context.close()
                    plotly, context = timer.load(PLOTLY, shot=f"{site}_plotly")
                    context.close()
                    vega, context = timer.load(VEGA, shot=f"{site}_vega")
                    context.close()
                    warm, context = timer.load(path)
                    kind, rerun = timer.rerun(context, shot=f"{name}_rerun")
                    rerun_errors = timer.errors(context) if kind else []
                    context.close()
                    result["pages"][path] = {
                        "title": entry["title"],
                        "cold": cold,
                        "warm": warm,
                        "empty": empty,
                        "plotly": plotly,
                        "vega": vega,
                        "charts": charts,
                        "widget": kind,
                        "rerun": rerun,
                        "errors": errors,
                        "rerun_errors": rerun_errors,
                    }
                browser.close()
        finally:
            server.close()
    return result


def browser_pages(port: int, timeout: float, logs: Path, shots: Path | None) -> None:
    """The op: both sites against $CITYSTAT_WAREHOUSE, one after the other on one port."""
    logs.mkdir(parents=True, exist_ok=True)
    sites = {
        site: time_site(site, port, timeout, shots, logs / f"streamlit_{site}.log")
        for site in SITES
    }
    report_result({"sites": sites})
