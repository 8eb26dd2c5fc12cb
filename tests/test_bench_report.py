"""bench/RESULTS.md's goals of issue 19 from a hand-made results.json (nothing is timed here):
every goal 1–7 has a row, verdicts are worked out by hand below, and a goal whose figure a
run did not measure says so. And the browser benchmark's entry script lists the app's own
pages."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from bench.citystat_bench import browser_figures, goals19
from bench.citystat_bench.browser import ENTRY
from bench.citystat_bench.figures import GIB, NOT_MEASURED
from bench.citystat_bench.report import Report


def _runs(walls: list[float], gib: float = 1.0, **reported: Any) -> list[dict[str, Any]]:
    return [
        {"wall_seconds": w, "peak_rss_bytes": int(gib * GIB), "reported": dict(reported)}
        for w in walls
    ]


def _inner(seconds: list[float], **extra: Any) -> list[dict[str, Any]]:
    return [
        {"wall_seconds": x + 1, "peak_rss_bytes": GIB, "reported": {"seconds": x, **extra}}
        for x in seconds
    ]


def _browser(pages: dict[tuple[str, str], list[tuple[float, float, str | None, float | None]]]):
    """Runs of the browser op: pages[(site, url_path)] = one (cold, empty, widget, rerun) per
    run; warm is 0.8 × cold."""
    count = len(next(iter(pages.values())))
    runs = []
    for i in range(count):
        sites: dict[str, Any] = {}
        for (site, url_path), loads in pages.items():
            cold, empty, widget, rerun = loads[i]
            sites.setdefault(site, {"pages": {}})["pages"][url_path] = {
                "title": url_path or "Home",
                "cold": cold,
                "warm": cold * 0.8,
                "empty": empty,
                "widget": widget,
                "rerun": rerun,
                "errors": [],
            }
        runs.append({"wall_seconds": 60.0, "peak_rss_bytes": GIB, "reported": {"sites": sites}})
    return runs


def _size(rows: int, pipeline: list[float], incremental: list[float], browser) -> dict:
    facts = {
        "run_id": "r",
        "steps": {"read": 1.0, "merge": 2.0},
        "files": [
            {
                "source": "s",
                "file": "f.csv",
                "rows_read": rows,
                "rows_staged": rows,
                "rows_quarantined": 0,
                "rows_inserted": rows,
                "rows_updated": 0,
                "rows_unchanged": 0,
            }
        ],
    }
    pages = {"scorecard.py": {"cold": 1.0, "warm": 0.5, "errors": []}}
    return {
        "rows": rows,
        "raw_load": _runs([20.0, 20.0, 20.0], rows={"raw_311": rows}),
        "pipeline": _runs(pipeline, gib=3.5),
        "pipeline_runs": [facts] * 3,
        "compute": _inner([1.0, 1.0, 1.0]),
        "handwritten": _inner([1.0, 1.0, 1.0], per_metric={"m": 1.0}, kinds={"m": "count"}),
        "comparison": {"rows": 10, "metrics": 1, "differences": []},
        "daily_rows": 10_000,
        "incremental": _runs(incremental),
        "incremental_runs": [facts] * 3,
        "floor": _runs([0.4, 0.45, 0.6]),
        "pages": _runs([5.0] * 3, **pages),
        "pages_small": _runs([5.0] * 3, **pages),
        "naive": _inner([30.0, 30.0, 30.0]),
        "browser": browser,
    }


# Three runs at 10M. Internal home: cold 3.0/3.3/3.6 s beside an empty page of 2.0 s: 3.3 / 2.0
# = 1.65× (missed, 1.1× the limit 1.5); warm = 0.8 × cold: 2.64 / 2.0 = 1.32× (met).
# Leadership: 2.2 / 2.0 = 1.1×, radio rerun median 0.35 s. Public home: 2.2 / 2.0 = 1.1×,
# selectbox rerun median 0.7 s: missed, 1.4× the 0.5 s limit.
BROWSER_10M = _browser(
    {
        ("internal", ""): [(3.0, 2.0, None, None), (3.3, 2.0, None, None), (3.6, 2.0, None, None)],
        ("internal", "leadership"): [
            (2.0, 2.0, "radio", 0.3),
            (2.2, 2.0, "radio", 0.35),
            (2.4, 2.0, "radio", 0.4),
        ],
        ("public", ""): [
            (2.2, 2.0, "selectbox", 0.6),
            (2.2, 2.0, "selectbox", 0.7),
            (2.2, 2.0, "selectbox", 0.8),
        ],
    }
)
# At 1M: internal home 1.5 s, leadership 2.0 s, public home 2.2 s. Growth 1M→10M (factor 10):
# internal home 3.3 / 1.5 = 2.2, log10(2.2) = 0.34; the others grow less (1.1, 1.0).
BROWSER_1M = _browser(
    {
        ("internal", ""): [(1.5, 2.0, None, None)] * 3,
        ("internal", "leadership"): [(2.0, 2.0, "radio", 0.3)] * 3,
        ("public", ""): [(2.2, 2.0, "selectbox", 0.3)] * 3,
    }
)
# Once at 30M: internal home 3.6 s: 3.6 / 3.3 = 1.0909, log(1.0909) / log(3) = 0.08.
BROWSER_30M = _browser(
    {
        ("internal", ""): [(3.6, 2.0, None, None)],
        ("internal", "leadership"): [(2.2, 2.0, "radio", 0.3)],
        ("public", ""): [(2.2, 2.0, "selectbox", 0.3)],
    }
)


def _results() -> dict[str, Any]:
    big = _size(10_000_000, [48.0, 50.0, 55.0], [3.0, 4.0, 5.0], BROWSER_10M)
    # Days 1-4 at 2.0, 2.0, 2.2, 2.2 s: a window of min(5, 4 // 4) = 1 day, 2.0 -> 2.2 s.
    big["year"] = {
        "days": 4,
        "runs": [
            {"day": d, "seconds": sec, "bytes": 100 + 40 * (d == 4)}
            for d, sec in enumerate([2.0, 2.0, 2.2, 2.2], 1)
        ],
        "rebuilt_bytes": 100,
        "values": {"only_incremental": 0, "only_rebuild": 0, "rows": 10},
    }
    once = _size(30_000_000, [200.0], [4.4], BROWSER_30M)
    for key in ("raw_load", "compute", "handwritten", "pages", "pages_small", "naive", "floor"):
        del once[key]
    return {
        "started": "2026-12-04 12:00 UTC",
        "machine": {"cores": 2},
        "versions": {"duckdb": "1"},
        "repeats": 3,
        "sizes": [1_000_000, 10_000_000],
        "by_size": {
            "1000000": _size(1_000_000, [8.0, 8.0, 8.0], [0.5, 0.5, 0.5], BROWSER_1M),
            "10000000": big,
        },
        "once_by_size": {"30000000": once},
    }


def _verdicts(results: dict[str, Any]) -> dict[str, tuple[str, str, str]]:
    return {row[0] + " @" + row[1]: (row[2], row[3], row[4]) for row in goals19.goal_rows(results)}


def test_every_goal_has_its_verdict_worked_by_hand() -> None:
    rows = _verdicts(_results())
    # 1: floor runs 0.4, 0.45, 0.6 s: median 0.45 s ≤ 0.5 s.
    assert rows["1. fixed cost of a validating run (`op floor`) @10M"] == (
        "0.45 s",
        "≤ 0.5 s",
        "**met**",
    )
    # 2: daily median 4.0 s / rebuild median 50 s = 8.0%: 1.6× the 5% limit.
    daily = rows["2. daily 10,000-row run / rebuild @10M"]
    assert daily[0].startswith("8.0% (paired 6.2%–9.1%)")  # 3/48, 4/50, 5/55
    assert daily[2] == "**missed**: 1.6× the limit"
    # 3: no nothing-new op in this run.
    assert rows["3. run with nothing new (and it publishes nothing) @10M"][2] == NOT_MEASURED
    # 4: rebuild 50 s / raw load 20 s = 2.5× ≤ 3.0×; peak memory 3.5 GiB ≤ 4 GiB.
    assert rows["4. rebuild / raw DuckDB load @10M"][2] == "**met**"
    assert rows["4. rebuild peak memory @10M"][:1] == ("3.50 GiB",)
    # 5: 140 / 100 bytes = 1.4× the fresh rebuild's size: 1.4 / 1.25 = 1.12, "1.1× the limit";
    # 2.2 / 2.0 s = 1.10×; no metric_values row differs.
    assert rows["5. warehouse after a year of daily runs / fresh rebuild @10M, 4 days"] == (
        "1.40×",
        "≤ 1.25×",
        "**missed**: 1.1× the limit",
    )
    assert rows["5. daily run time, median of the last days / of the first days @10M, 4 days"][
        ::2
    ] == (
        "1.10×",
        "**met**",
    )
    assert rows["5. published values equal a full rebuild's @10M, 4 days"][2] == "**met**"
    # 6: see BROWSER_10M.
    cold = rows["6. slowest page's first load (cold caches) / empty page, browser @10M"]
    assert cold[0].startswith("1.65× (paired 1.50–1.80×), internal: Home (/)")
    assert cold[2] == "**missed**: 1.1× the limit"
    warm = rows["6. slowest page's first load (warm caches) / empty page, browser @10M"]
    assert warm[0].startswith("1.32×") and warm[2] == "**met**"
    rerun = rows["6. slowest rerun after a widget change, browser @10M"]
    assert rerun == (
        "0.70 s, public: Home (/) (selectbox)",
        "≤ 0.5 s",
        "**missed**: 1.4× the limit",
    )
    # 7, 1M→10M: rebuild 50 / 8 = 6.25, log10 = 0.80; daily 4.0 / 0.5 = 8, log10 = 0.90.
    assert rows["7. growth exponent: rebuild @1M→10M"][::2] == ("0.80", "**met**")
    assert rows["7. growth exponent: daily run @1M→10M"][::2] == ("0.90", "**met**")
    pages = rows["7. growth exponent: pages (slowest growing, first load cold) @1M→10M"]
    assert pages[0] == "0.34, internal: Home (/)" and pages[2] == "**met**"
    # 7, 10M→30M once: rebuild 200 / 50 = 4, log 4 / log 3 = 1.26: 1.3× the limit;
    # daily 4.4 / 4.0 = 1.1, log 1.1 / log 3 = 0.09; pages 0.08.
    assert rows["7. growth exponent: rebuild @10M→30M"] == (
        "1.26",
        "≤ 1",
        "**missed**: 1.3× the limit",
    )
    assert rows["7. growth exponent: daily run @10M→30M"][::2] == ("0.09", "**met**")
    pages = rows["7. growth exponent: pages (slowest growing, first load cold) @10M→30M"]
    assert pages[0].startswith("0.08, ") and pages[2] == "**met**"


def test_goals_not_measured_say_so() -> None:
    results = _results()
    for size in results["by_size"].values():
        for key in ("floor", "year", "browser"):
            size.pop(key, None)
    results["by_size"]["10000000"]["nothing_new"] = _runs(
        [0.3, 0.3, 0.3], published_new_version=True
    )
    del results["once_by_size"]
    rows = _verdicts(results)
    for goal in (
        "1. fixed cost of a validating run (`op floor`) @10M",
        "5. warehouse after a year of daily runs / fresh rebuild @10M",
        "5. published values equal a full rebuild's @10M",
        "6. slowest page's first load (cold caches) / empty page, browser @10M",
        "6. slowest rerun after a widget change, browser @10M",
        "7. growth exponent: pages (slowest growing, first load cold) @1M→10M",
        "7. growth exponents beyond the largest size (30M, once) @–",
    ):
        assert rows[goal][2] == NOT_MEASURED, goal
    # 0.3 s is under 0.5 s, but a run with nothing new must not publish.
    nothing = rows["3. run with nothing new (and it publishes nothing) @10M"]
    assert nothing[2] == "**missed**: published a new version"
    assert "6. pages shown without errors @10M" not in rows
    numbers = {row[0].split(".")[0] for row in goals19.goal_rows(results)}
    assert numbers == {"1", "2", "3", "4", "5", "6", "7"}


def test_results_md_carries_the_goals_and_the_browser_pages() -> None:
    text = Report(copy.deepcopy(_results())).render()
    assert "## Goals of issue 19" in text
    assert "## Earlier goals" in text
    assert "### Pages in chromium (Playwright)" in text
    # The 10M table (after the 1M one) has leadership at 2.2 / 2.0 = 1.10×, rerun 0.35 s.
    leadership = "| internal: leadership (/leadership)"
    line = [x for x in text.splitlines() if x.startswith(leadership)][1]
    assert "1.10× (paired 1.00–1.20×)" in line and "radio: 0.35 s" in line


@pytest.mark.parametrize("key", ["cold_ratio", "rerun"])
def test_worst_page_ignores_pages_without_the_figure(key: str) -> None:
    pages = browser_figures.page_figures(BROWSER_10M)
    worst = browser_figures.worst(pages, key)
    assert worst is not None
    assert (worst.site, worst.url_path) == (
        ("internal", "") if key == "cold_ratio" else ("public", "")
    )


def test_browser_entry_lists_the_apps_own_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """bench/browser_app.py times exactly the pages dashboard/app.py's navigation offers a
    local leadership user (every internal page; no compare page without compare cities)."""
    from dashboard.app import INTERNAL_PAGES

    listed = tmp_path / "pages.json"
    monkeypatch.setenv("BENCH_PAGES_FILE", str(listed))
    monkeypatch.setenv("CITYSTAT_ROLES_FILE", "/nonexistent")
    monkeypatch.setenv("CITYSTAT_WAREHOUSE", str(tmp_path / "absent.duckdb"))
    monkeypatch.delenv("CITYSTAT_PUBLIC", raising=False)
    monkeypatch.delenv("CITYSTAT_COMPARE", raising=False)
    AppTest.from_file(str(ENTRY), default_timeout=60).run()
    pages = json.loads(listed.read_text())
    assert [p["url_path"] for p in pages] == [url for _, _, url, _ in INTERNAL_PAGES]
    assert [p["title"] for p in pages] == [title for _, title, _, _ in INTERNAL_PAGES]


def test_a_page_that_showed_an_error_misses_goal_6() -> None:
    results = _results()
    run = results["by_size"]["10000000"]["browser"][1]
    run["reported"]["sites"]["public"]["pages"][""]["rerun_errors"] = ["Sorry, this page ..."]
    rows = _verdicts(results)
    assert rows["6. pages shown without errors @10M"] == (
        "errors on public: Home (/)",
        "none",
        "**missed**",
    )


@pytest.mark.parametrize(
    ("cpu", "cores", "measure"),
    # 3,600,000 records over 1,800 core-seconds of the JVM = 2,000 a core-second, so 10^9
    # records in an hour need 10^9 / 2,000 / 3,600 = 138.9 cores; without the JVM's figure,
    # 1,000 s x 2 cores = 2,000 core-seconds: 1,800 a core-second, 154.3 cores.
    [(1_800.0, "139", "1,800 core-seconds of the JVM"), (None, "154", "wall time x cores")],
)
def test_the_spark_estimate_uses_the_jvms_cpu_time_when_measured(
    cpu: float | None, cores: str, measure: str
) -> None:
    results = copy.deepcopy(_results())
    reported = {"seconds": 1_000.0, "export_seconds": 5.0, "rows": 10, "records": 3_600_000}
    reported |= {"cores": 2, **({"cpu_seconds": cpu} if cpu else {})}
    results["by_size"]["10000000"]["spark"] = [
        {"wall_seconds": 1_010.0, "peak_rss_bytes": GIB, "reported": reported}
    ]
    text = Report(results).render()
    line = next(x for x in text.splitlines() if x.startswith("All metrics of metrics.yml"))
    assert f"about {cores} executor cores" in line and measure in line


def test_the_chart_floor_is_the_one_chart_page_beside_the_empty_page() -> None:
    """The one-chart page is loaded right after each page's empty page; its ratio pools every
    pair. Worked by hand: internal home's three runs give one-chart 3.0, 3.0, 3.0 s beside
    empty 2.0 s; leadership's give 3.4 s beside 2.0 s; public home's are not measured (an
    older run). Pooled: the median of 3.0, 3.0, 3.0, 3.4, 3.4, 3.4 is 3.2 s, / 2.0 = 1.60×, missed
    at 1.07× the 1.5× limit; paired 1.50-1.70×."""
    name = "6. (floor) a page with one small Plotly chart alone / empty page, browser @10M"
    vega = "6. (floor) a page with one small Vega-Lite chart alone / empty page, browser @10M"
    assert _verdicts(_results())[name][2] == NOT_MEASURED  # runs from before the page
    assert _verdicts(_results())[vega][2] == NOT_MEASURED
    results = copy.deepcopy(_results())
    floors = {("internal", ""): (3.0, 2.4), ("internal", "leadership"): (3.4, 2.8)}
    for run in results["by_size"]["10000000"]["browser"]:
        for (site, url_path), (plotly, vega_lite) in floors.items():
            page = run["reported"]["sites"][site]["pages"][url_path]
            page["plotly"], page["vega"], page["charts"] = plotly, vega_lite, 2
    rows = _verdicts(results)
    assert rows[name] == ("1.60× (paired 1.50–1.70×)", "≤ 1.5×", "**missed**: 1.1× the limit")
    # The same chart in Vega-Lite: 2.4 s three times and 2.8 s three times beside 2.0 s;
    # the median 2.6 s / 2.0 = 1.30×, paired 1.20-1.40×.
    assert rows[vega] == ("1.30× (paired 1.20–1.40×)", "≤ 1.5×", "**met**")
    # Internal home: cold median 3.3 s / one-chart 3.0 s = 1.10×, two charts.
    text = Report(copy.deepcopy(results)).render()
    home = [x for x in text.splitlines() if x.startswith("| internal: Home (/)")][1]
    assert "| 2 | 1.10× (paired 1.00–1.20×) |" in home
    assert "The one-chart page itself: 1.60× (paired 1.50–1.70×) the empty page." in text
    assert "drawn with Vega-Lite: 1.30× (paired 1.20–1.40×) the empty page." in text
