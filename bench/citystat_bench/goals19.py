"""Issue 19's goals table: every goal (1–7) with its figure and verdict, measured at the
largest repeated size of the run (10M in `make bench`).

A goal whose figure this run did not measure says so. The figures are read from
results.json, per size under ``by_size[N]`` (sizes run once for growth under
``once_by_size[N]``):

- ``floor``: runs of `bench/run.py op floor`, the fixed cost a validating run pays on its own
  critical path (wall seconds) — goal 1;
- ``pipeline``, ``raw_load``, ``incremental``: the rebuild, the raw DuckDB load and the daily
  run (wall seconds, peak memory) — goals 2, 4 and 7;
- ``nothing_new``: runs of `citystat run` with nothing new (wall seconds; a reported
  ``published_new_version`` that is true misses the goal) — goal 3;
- ``year``: the year simulation (harness ``SizeBench.year``): ``days``, each day's run
  seconds and file bytes, the fresh rebuild's bytes and the metric_values comparison — goal 5;
- ``browser``: runs of the browser page benchmark (citystat_bench.browser) — goals 6 and 7.
"""

from __future__ import annotations

import math
from typing import Any

from . import browser_figures as pages
from .figures import NOT_MEASURED, ratio, rows_label, rss, s, table, verdict, walls, year_facts
from .measure import exponent

Row = list[str]


def _row(goal: str, label: str, shown: str, limit: str, value: float, bound: float) -> Row:
    return [goal, label, shown, limit, verdict(value, bound)]


def _absent(goal: str, label: str, limit: str) -> Row:
    return [goal, label, "–", limit, NOT_MEASURED]


def _goal1(data: dict[str, Any], label: str) -> list[Row]:
    name, limit = "1. fixed cost of a validating run (`op floor`)", "≤ 0.5 s"
    if not data.get("floor"):
        return [_absent(name, label, limit)]
    floor = walls(data["floor"]).median
    return [_row(name, label, f"{s(floor)} s", limit, floor, 0.5)]


def _goal2(data: dict[str, Any], label: str) -> list[Row]:
    name, limit = "2. daily 10,000-row run / rebuild", "≤ 5%"
    if not (data.get("incremental") and data.get("pipeline")):
        return [_absent(name, label, limit)]
    r = ratio(_walls(data["incremental"]), _walls(data["pipeline"]))
    return [_row(name, label, r.shown("%", 1), limit, r.value, 0.05)]


def _goal3(data: dict[str, Any], label: str) -> list[Row]:
    name, limit = "3. run with nothing new (and it publishes nothing)", "≤ 0.5 s"
    runs = data.get("nothing_new")
    if not runs:
        return [_absent(name, label, limit)]
    seconds = walls(runs).median
    if any(r.get("reported", {}).get("published_new_version") for r in runs):
        return [[name, label, f"{s(seconds)} s", limit, "**missed**: published a new version"]]
    return [_row(name, label, f"{s(seconds)} s", limit, seconds, 0.5)]


def _goal4(data: dict[str, Any], label: str) -> list[Row]:
    name, limit = "4. rebuild / raw DuckDB load", "≤ 3.0×"
    memory_name, memory_limit = "4. rebuild peak memory", "≤ 4 GiB"
    if not (data.get("pipeline") and data.get("raw_load")):
        return [_absent(name, label, limit), _absent(memory_name, label, memory_limit)]
    r = ratio(_walls(data["pipeline"]), _walls(data["raw_load"]))
    memory = rss(data["pipeline"]).median
    return [
        _row(name, label, r.shown("×", 1), limit, r.value, 3.0),
        _row(memory_name, label, f"{memory:.2f} GiB", memory_limit, memory, 4),
    ]


def _goal5(data: dict[str, Any], label: str) -> list[Row]:
    names = (
        ("5. warehouse after a year of daily runs / fresh rebuild", "≤ 1.25×"),
        ("5. daily run time, median of the last days / of the first days", "≤ 1.20×"),
        ("5. published values equal a full rebuild's", "equal"),
    )
    year = data.get("year")
    if not year:
        return [_absent(name, label, limit) for name, limit in names]
    label = f"{label}, {year['days']} days"
    facts = year_facts(year)
    size, growth, differing = facts["size_ratio"], 1 + facts["growth"], facts["differing"]
    equal = "**met**" if differing == 0 else f"**missed**: {differing:,} rows differ"
    return [
        _row(names[0][0], label, f"{size:.2f}×", names[0][1], size, 1.25),
        _row(names[1][0], label, f"{growth:.2f}×", names[1][1], growth, 1.2),
        [names[2][0], label, f"{differing:,} rows differ", names[2][1], equal],
    ]


def _goal6(data: dict[str, Any], label: str) -> list[Row]:
    cold_name = "6. slowest page's first load (cold caches) / empty page, browser"
    warm_name = "6. slowest page's first load (warm caches) / empty page, browser"
    rerun_name = "6. slowest rerun after a widget change, browser"
    limit, rerun_limit = f"≤ {pages.EMPTY_RATIO_LIMIT}×", f"≤ {pages.RERUN_LIMIT} s"
    measured = pages.page_figures(data.get("browser", []))
    rows = []
    for name, key in ((cold_name, "cold_ratio"), (warm_name, "warm_ratio")):
        page = pages.worst(measured, key)
        if page is None:
            rows.append(_absent(name, label, limit))
            continue
        r = getattr(page, key)
        shown = f"{r.shown('×', 2)}, {page.name}"
        rows.append(_row(name, label, shown, limit, r.value, pages.EMPTY_RATIO_LIMIT))
    for chart, drawn_with in (("plotly", "Plotly"), ("vega", "Vega-Lite")):
        floor_name = (
            f"6. (floor) a page with one small {drawn_with} chart alone / empty page, browser"
        )
        floor = pages.chart_floor(data.get("browser", []), chart)
        if floor is None:
            rows.append(_absent(floor_name, label, limit))
            continue
        shown = floor.shown("×", 2)
        rows.append(_row(floor_name, label, shown, limit, floor.value, pages.EMPTY_RATIO_LIMIT))
    page = pages.worst(measured, "rerun")
    if page is None:
        rows.append(_absent(rerun_name, label, rerun_limit))
    else:
        shown = f"{s(page.rerun.median)} s, {page.name} ({page.widget})"
        rows.append(_row(rerun_name, label, shown, rerun_limit, page.rerun.median, 0.5))
    failed = [p.name for p in measured if p.errors]
    if failed:
        # A page that stopped on an error may look fast: its times prove nothing.
        shown = "errors on " + ", ".join(failed)
        rows.append(["6. pages shown without errors", label, shown, "none", "**missed**"])
    return rows


def _goal7(small: dict[str, Any] | None, large: dict[str, Any] | None) -> list[Row]:
    """Growth exponents between two sizes for the rebuild, the daily run and the pages."""
    names = ("rebuild", "daily run", "pages (slowest growing, first load cold)")
    if small is None or large is None:
        return [_absent(f"7. growth exponent: {n}", "–", "≤ 1") for n in names]
    label = f"{rows_label(small['rows'])}→{rows_label(large['rows'])}"
    factor = large["rows"] / small["rows"]
    rows = []
    for name, key in (("rebuild", "pipeline"), ("daily run", "incremental")):
        if small.get(key) and large.get(key):
            k = exponent(walls(small[key]).median, walls(large[key]).median, factor)
            rows.append(_row(f"7. growth exponent: {name}", label, f"{k:.2f}", "≤ 1", k, 1))
        else:
            rows.append(_absent(f"7. growth exponent: {name}", label, "≤ 1"))
    k, page = pages.worst_growth(
        pages.page_figures(small.get("browser", [])),
        pages.page_figures(large.get("browser", [])),
        factor,
    )
    name = f"7. growth exponent: {names[2]}"
    if math.isnan(k):
        rows.append(_absent(name, label, "≤ 1"))
    else:
        rows.append(_row(name, label, f"{k:.2f}, {page}", "≤ 1", k, 1))
    return rows


def _walls(runs: list[dict[str, Any]]) -> list[float]:
    return [r["wall_seconds"] for r in runs]


def goal_rows(results: dict[str, Any]) -> list[Row]:
    """Every goal of issue 19: [goal, size, measured, goal, verdict] rows."""
    by_size = {int(k): v for k, v in results.get("by_size", {}).items()}
    once = {int(k): v for k, v in results.get("once_by_size", {}).items()}
    sizes = sorted(by_size)
    largest = sizes[-1] if sizes else None
    data = by_size.get(largest, {}) if largest is not None else {}
    label = rows_label(largest) if largest is not None else "–"
    rows: list[Row] = []
    for goal in (_goal1, _goal2, _goal3, _goal4, _goal5, _goal6):
        rows += goal(data, label)
    first = by_size[sizes[0]] if len(sizes) >= 2 else None
    rows += _goal7(first, data or None)
    for rows_once in sorted(once):
        rows += _goal7(data or None, once[rows_once])
    if not once:
        rows += [_absent("7. growth exponents beyond the largest size (30M, once)", "–", "≤ 1")]
    return rows


def section(results: dict[str, Any]) -> list[str]:
    """RESULTS.md's table of issue 19's goals."""
    lines = ["", "## Goals of issue 19", ""]
    lines += table(["goal", "size", "measured", "goal", "verdict"], goal_rows(results))
    lines += [
        "",
        "Ratios are of two medians measured in this one run; *paired* gives the range of "
        "run-by-run ratios. Growth exponents k solve t(large) / t(small) = (large / small)^k "
        "on the medians.",
    ]
    return lines
