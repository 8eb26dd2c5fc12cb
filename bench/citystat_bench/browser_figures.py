"""The browser page benchmark's figures (results' ``browser`` runs, see citystat_bench.browser):
each page against the empty page of the same server, its rerun, and its growth with size."""

from __future__ import annotations

from dataclasses import dataclass

from .figures import Ratio, Runs, fmt, ratio, s, table
from .measure import Summary, exponent, summarize

RERUN_LIMIT = 0.5  # seconds, issue 19 goal 6
EMPTY_RATIO_LIMIT = 1.5


@dataclass(frozen=True)
class PageFigures:
    """One page of one site over a size's runs."""

    site: str
    url_path: str
    title: str
    cold: Summary
    warm: Summary
    empty: Summary
    cold_ratio: Ratio  # first load with cold server caches / the empty page loaded beside it
    warm_ratio: Ratio
    widget: str | None
    rerun: Summary
    errors: tuple[str, ...]
    charts: int = 0  # Plotly charts on the page
    chart_ratio: Ratio | None = None  # first load (cold) / the one-chart page loaded beside it

    @property
    def name(self) -> str:
        """'internal: Leadership (/leadership)'."""
        return f"{self.site}: {self.title} (/{self.url_path})"


def page_figures(runs: Runs) -> list[PageFigures]:
    """Every page measured in ``runs``, in navigation order; ratios pair each run's page load
    with the empty page loaded right after it."""
    loads: dict[tuple[str, str], list[dict]] = {}
    for run in runs:
        for site, measured in run.get("reported", {}).get("sites", {}).items():
            for url_path, page in measured.get("pages", {}).items():
                loads.setdefault((site, url_path), []).append(page)
    found = []
    for (site, url_path), pages in loads.items():
        cold = [p["cold"] for p in pages]
        warm = [p["warm"] for p in pages]
        empty = [p["empty"] for p in pages]
        reruns = [p["rerun"] for p in pages if p.get("rerun") is not None]
        widget = next((p["widget"] for p in pages if p.get("widget")), None)
        with_floor = [p for p in pages if p.get("plotly")]
        found.append(
            PageFigures(
                site=site,
                url_path=url_path,
                title=pages[0].get("title", url_path),
                cold=summarize(cold),
                warm=summarize(warm),
                empty=summarize(empty),
                cold_ratio=ratio(cold, empty),
                warm_ratio=ratio(warm, empty),
                widget=widget,
                rerun=summarize(reruns),
                errors=tuple(
                    sorted(
                        {e for p in pages for e in p.get("errors", [])}
                        | {
                            f"after the rerun: {e}"
                            for p in pages
                            for e in p.get("rerun_errors", [])
                        }
                    )
                ),
                charts=max((int(p.get("charts", 0)) for p in pages), default=0),
                chart_ratio=ratio(
                    [p["cold"] for p in with_floor], [p["plotly"] for p in with_floor]
                )
                if with_floor
                else None,
            )
        )
    return found


def chart_floor(runs: Runs, chart: str = "plotly") -> Ratio | None:
    """The one-chart page (a single small chart, nothing else; ``chart``: "plotly", or "vega"
    for the same chart drawn with Vega-Lite) against the empty page loaded before it, over
    every page's pair of every run: the least a page with such a chart can cost, measured
    beside the empty page it is compared with. None when not measured."""
    pairs = [
        (page[chart], page["empty"])
        for run in runs
        for measured in run.get("reported", {}).get("sites", {}).values()
        for page in measured.get("pages", {}).values()
        if page.get(chart)
    ]
    if not pairs:
        return None
    return ratio([p for p, _ in pairs], [e for _, e in pairs])


def worst(pages: list[PageFigures], key: str) -> PageFigures | None:
    """The page with the largest ``key`` ('cold_ratio', 'warm_ratio' or 'rerun'), ignoring
    pages without that figure."""
    measured = [p for p in pages if _value(p, key) == _value(p, key)]  # not NaN
    return max(measured, key=lambda p: _value(p, key), default=None)


def _value(page: PageFigures, key: str) -> float:
    figure = getattr(page, key)
    return figure.value if isinstance(figure, Ratio) else figure.median


def worst_growth(
    small: list[PageFigures], large: list[PageFigures], factor: float
) -> tuple[float, str]:
    """The largest growth exponent of a page's first load (cold caches) between two sizes,
    and the page's name; NaN when no page was measured at both."""
    before = {(p.site, p.url_path): p for p in small}
    grown = [
        (exponent(before[(p.site, p.url_path)].cold.median, p.cold.median, factor), p.name)
        for p in large
        if (p.site, p.url_path) in before
    ]
    return max(grown, default=(float("nan"), ""))


def section(runs: Runs) -> list[str]:
    """RESULTS.md's table of every page in the browser at one size."""
    pages = page_figures(runs)
    if not pages:
        return []
    rows = [
        [
            p.name,
            fmt(p.cold),
            fmt(p.warm),
            fmt(p.empty),
            p.cold_ratio.shown("×", 2),
            p.warm_ratio.shown("×", 2),
            str(p.charts),
            p.chart_ratio.shown("×", 2) if p.chart_ratio else "–",
            f"{p.widget}: {s(p.rerun.median)} s" if p.widget else "no widget",
        ]
        for p in pages
    ]
    lines = ["", "### Pages in chromium (Playwright), against an empty page of the same server", ""]
    lines.append(
        "Each load is a fresh browser context (empty browser caches), timed from navigation "
        "start until the script run has finished, every chart has drawn and the page has "
        "stopped changing. *Cold* loads follow a clear of st.cache_data; *warm* loads follow "
        "the cold one; the empty page (navigation only, same server) is loaded between them "
        "and is the baseline of both ratios. Right after it comes the one-chart page (a single "
        "small Plotly chart and nothing else: what the browser pays for Plotly itself), the "
        "floor of any page with a chart; *cold / one-chart* compares the page with it. Then "
        "the same chart drawn with Vega-Lite (Streamlit's built-in charts, through Altair): "
        "what that floor would be without Plotly. The "
        "rerun changes the page's first widget in the "
        "warm context and is timed from the pointer press to the settled page. Screenshots of "
        "each settled page are under bench/output/screenshots/."
    )
    lines.append("")
    header = ["page", "first load, cold", "first load, warm", "empty page"]
    header += ["cold / empty", "warm / empty", "charts", "cold / one-chart", "rerun"]
    lines += table(header, rows)
    floor = chart_floor(runs)
    if floor is not None:
        lines += ["", f"The one-chart page itself: {floor.shown('×', 2)} the empty page."]
    vega = chart_floor(runs, "vega")
    if vega is not None:
        lines += [f"The same chart drawn with Vega-Lite: {vega.shown('×', 2)} the empty page."]
    errors = [f"{p.name}: {e}" for p in pages for e in p.errors]
    if errors:
        lines += ["", "Pages that raised: " + "; ".join(errors)]
    return lines
