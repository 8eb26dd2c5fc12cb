"""Write bench/RESULTS.md from the harness's results: figures, goals, breakdowns, scaling.

Every number is computed here from bench/output/results.json; the engineers' reading of them
(why a goal is missed and what to change) is bench/analysis.md, included verbatim.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import browser_figures, goals19
from .figures import Runs, year_facts
from .figures import fmt as _fmt
from .figures import inner as _inner
from .figures import ratio as _ratio
from .figures import rows_label as _rows_label
from .figures import rss as _rss
from .figures import s as _s
from .figures import table as _table
from .figures import verdict as _verdict
from .figures import walls as _walls
from .measure import Summary, exponent, summarize
from .year import CLOSE_AFTER_DAYS

BENCH_DIR = Path(__file__).resolve().parents[1]
RESULTS_FILE = BENCH_DIR / "RESULTS.md"
ANALYSIS_FILE = BENCH_DIR / "analysis.md"
BILLION = 1_000_000_000
STEP_ORDER = (
    "copy",
    "hash",
    "read",
    "stage",
    "validate",
    "merge",
    "metrics",
    "services",
    "publish",
)


def _times(repeats: int) -> str:
    return "once" if repeats == 1 else f"{repeats} times"


def _page_times(runs: Runs, key: str) -> dict[str, Summary]:
    pages: dict[str, list[float]] = {}
    for run in runs:
        for page, times in run.get("reported", {}).items():
            pages.setdefault(page, []).append(times[key])
    return {page: summarize(values) for page, values in pages.items()}


def _page_errors(runs: Runs) -> list[str]:
    return sorted(
        {
            f"{page}: {error}"
            for run in runs
            for page, times in run.get("reported", {}).items()
            for error in times.get("errors", [])
        }
    )


def _published_at(rows: int, name: str) -> list[float]:
    """Seconds on the command's progress clock at which each run printed "published"."""
    found = []
    for log in sorted((BENCH_DIR / "output" / "logs" / str(rows)).glob(f"{name}_*.log")):
        for line in log.read_text(errors="replace").splitlines():
            match = re.match(r"\s*([\d.]+)s\s+published ", line)
            if match:
                found.append(float(match.group(1)))
    return found


def _kind_times(runs: Runs) -> list[str]:
    """Hand-written seconds by metric kind: where computing the metrics' values goes."""
    kinds = next((r["reported"]["kinds"] for r in runs if "kinds" in r["reported"]), None)
    if kinds is None:
        from pipelines.metrics import load_metrics  # older results did not record kinds

        kinds = {m.id: m.kind for m in load_metrics(BENCH_DIR.parent / "metrics.yml").metrics}
    totals: dict[str, list[float]] = {}
    counts: dict[str, int] = {}
    for run in runs:
        by_kind: dict[str, float] = {}
        for metric, seconds in run["reported"].get("per_metric", {}).items():
            by_kind[kinds.get(metric, "?")] = by_kind.get(kinds.get(metric, "?"), 0) + seconds
        for kind, seconds in by_kind.items():
            totals.setdefault(kind, []).append(seconds)
    for metric in runs[0]["reported"].get("per_metric", {}) if runs else {}:
        counts[kinds.get(metric, "?")] = counts.get(kinds.get(metric, "?"), 0) + 1
    rows = [
        [kind, str(counts.get(kind, 0)), _s(summarize(values).median)]
        for kind, values in sorted(totals.items(), key=lambda kv: -summarize(kv[1]).median)
    ]
    text = "Where computing the values goes (hand-written SQL, median seconds by kind):"
    return [text, "", *_table(["kind", "metrics", "seconds"], rows), ""]


def _steps(runs: Runs) -> dict[str, Summary]:
    names: dict[str, list[float]] = {}
    for run in runs:
        for step, seconds in run.get("steps", {}).items():
            names.setdefault(step, []).append(seconds)
    ordered = sorted(names, key=lambda s: STEP_ORDER.index(s) if s in STEP_ORDER else 99)
    return {step: summarize(names[step]) for step in ordered}


class Report:
    """RESULTS.md, section by section."""

    def __init__(self, results: dict[str, Any]) -> None:
        self.results = results
        self.by_size = {int(k): v for k, v in results["by_size"].items()}
        self.sizes = sorted(self.by_size)
        self.goal_rows: list[list[str]] = []

    def render(self) -> str:
        """The whole document."""
        lines = self._head()
        for rows in self.sizes:
            self._goals(rows)
        self._scaling_goals()
        lines += goals19.section(self.results)
        lines += ["", "## Earlier goals", ""]
        lines += _table(["goal", "size", "measured", "goal", "verdict"], self.goal_rows)
        lines += [
            "",
            "A ratio is of the two medians; *paired* gives the range of run-by-run ratios (run "
            "i of a figure against run i of its baseline; the raw load and hand-written SQL ran "
            "right before or after their figure, the incremental runs after all rebuilds). "
            "Page times are first loads with empty caches.",
        ]
        lines += self._floor()
        for rows in self.sizes:
            lines += self._size_section(rows)
        lines += self._scaling()
        lines += self._year()
        if ANALYSIS_FILE.exists():
            lines += ["", ANALYSIS_FILE.read_text().strip()]
        return "\n".join(lines) + "\n"

    def _floor(self) -> list[str]:
        """What the fixed cost of any validating run makes of the incremental goal."""
        parts = []
        for rows in self.sizes:
            data = self.by_size[rows]
            if not data.get("floor"):
                continue
            floor = _walls(data["floor"]).median
            rebuild = _walls(data["pipeline"]).median
            parts.append(
                f"at {_rows_label(rows)} it is {floor:.2f} s, {floor / rebuild:.1%} of the full "
                f"rebuild ({rebuild:.1f} s); 5% of a rebuild at 2.5× the raw load would be "
                f"{0.05 * 2.5 * _walls(data['raw_load']).median:.2f} s"
            )
        if not parts:
            return []
        return [
            "",
            "Before it reads a row, every run that validates a file pays the interpreter's "
            "start-up, citystat's imports and Great Expectations' import and context "
            "(measured alone as `bench/run.py op floor`): " + "; ".join(parts) + ".",
        ]

    def _head(self) -> list[str]:
        r = self.results
        sizes = " and ".join(_rows_label(s) for s in self.sizes)
        lines = [
            "# citystat benchmarks",
            "",
            f"Generated by `{r.get('command', 'make bench')}` on {r['started']}: the demo city "
            f"at {sizes} 311 requests (permits and complaint cases in proportion), every figure "
            f"run {_times(r['repeats'])}, each run in its own process. Figures are medians with "
            "the range (min–max) in brackets; peak memory is the process's own `ru_maxrss`."
            + self._once_sizes(),
            "",
            "The harness process that starts them peaked at "
            f"{r.get('harness_peak_rss_bytes', 0) / 2**20:.0f} MiB, the floor Linux puts under "
            "every child's `ru_maxrss`.",
            "",
            "These machines are shared, so absolute seconds can vary between runs: each figure "
            "was run alternately with its baseline, and only ratios measured in this one "
            "harness run are compared.",
            "",
            "## Machine and versions",
            "",
        ]
        facts = {**r["machine"], **r["versions"]}
        return lines + _table(["", ""], [[k, str(v)] for k, v in facts.items()])

    def _once_sizes(self) -> str:
        once = sorted(int(k) for k in self.results.get("once_by_size", {}))
        if not once:
            return ""
        sizes = " and ".join(_rows_label(s) for s in once)
        return (
            f" At {sizes}, the rebuild, the daily run and the pages in the browser ran once "
            "each, for the growth exponents alone."
        )

    def _goals(self, rows: int) -> None:
        data, label = self.by_size[rows], _rows_label(rows)
        walls = {k: [r["wall_seconds"] for r in data[k]] for k in ("pipeline", "raw_load")}
        walls["incremental"] = [r["wall_seconds"] for r in data["incremental"]]
        inner = {k: [r["reported"]["seconds"] for r in data[k]] for k in ("compute", "handwritten")}
        ratio = _ratio(walls["pipeline"], walls["raw_load"])
        self._goal(
            "full pipeline / raw DuckDB load",
            label,
            ratio.shown("×", 1),
            "≤ 2.5×",
            ratio.value,
            2.5,
        )
        memory = _rss(data["pipeline"]).median
        self._goal("full pipeline peak memory", label, f"{memory:.2f} GiB", "≤ 4 GiB", memory, 4)
        ratio = _ratio(inner["compute"], inner["handwritten"])
        self._goal(
            "metric computation / hand-written SQL",
            label,
            ratio.shown("×", 2),
            "≤ 1.5×",
            ratio.value,
            1.5,
        )
        ratio = _ratio(walls["incremental"], walls["pipeline"])
        self._goal(
            f"incremental {data.get('daily_rows', 0):,} rows / full rebuild",
            label,
            ratio.shown("%", 1),
            "≤ 5%",
            ratio.value,
            0.05,
        )
        big, small = _page_times(data["pages"], "cold"), _page_times(data["pages_small"], "cold")
        naive = _inner(data["naive"]).median
        worst = max(big, key=lambda p: big[p].median / small[p].median if p in small else 0)
        scale = big[worst].median / small[worst].median
        slowest = max(s.median for s in big.values())
        self._goal(
            f"slowest page ratio, N / 10,000 rows, first load ({worst})",
            label,
            f"{scale:.2f}×",
            "≤ 1.5×",
            scale,
            1.5,
        )
        self._goal(
            "naive dashboard / slowest page (first load)",
            label,
            f"{naive / slowest:.0f}×",
            "≥ 20×",
            naive / slowest,
            20,
            at_most=False,
        )

    def _scaling_goals(self) -> None:
        """Time and memory grow no faster than linearly: exponents at most 1."""
        if len(self.sizes) < 2:
            return
        small, large = self.sizes[0], self.sizes[-1]
        a, b, factor = self.by_size[small], self.by_size[large], large / small
        span = f"{_rows_label(small)}→{_rows_label(large)}"
        for name, key, timing in (
            ("full pipeline", "pipeline", _walls),
            ("metric computation", "compute", _inner),
        ):
            t = exponent(timing(a[key]).median, timing(b[key]).median, factor)
            m = exponent(_rss(a[key]).median, _rss(b[key]).median, factor)
            self._goal(f"{name}: time scaling exponent", span, f"{t:.2f}", "≤ 1", t, 1)
            self._goal(f"{name}: memory scaling exponent", span, f"{m:.2f}", "≤ 1", m, 1)

    def _goal(
        self,
        name: str,
        label: str,
        shown: str,
        goal: str,
        value: float,
        limit: float,
        *,
        at_most: bool = True,
    ) -> None:
        self.goal_rows.append([name, label, shown, goal, _verdict(value, limit, at_most=at_most)])

    def _year(self) -> list[str]:
        """The simulated year's section: size and run time, day by day in tenths."""
        lines: list[str] = []
        for rows in self.sizes:
            year = self.by_size[rows].get("year")
            if not year:
                continue
            facts, runs = year_facts(year), year["runs"]
            lines += ["", f"## A year of daily runs at {_rows_label(rows)} requests", ""]
            lines.append(
                f"{year['days']} simulated days (bench/citystat_bench/year.py), each a file of "
                "10,000 requests: a fifth close open requests, the rest are new, a quarter of "
                f"them left open and closed {CLOSE_AFTER_DAYS} days later (a steady backlog). "
                f"A fresh rebuild of the same files is {year['rebuilt_bytes'] / 2**20:,.0f} MiB; "
                f"the warehouse after the daily runs {runs[-1]['bytes'] / 2**20:,.0f} MiB "
                f"({facts['size_ratio']:.2f}×). metric_values: {year['values']['rows']:,} rows, "
                f"{year['values']['only_incremental']:,} only after the daily runs, "
                f"{year['values']['only_rebuild']:,} only in the rebuild. Run time is the median "
                f"of {facts['window']} days."
            )
            lines.append("")
            step = max(len(runs) // 10, 1)
            picked = runs[::step] + ([runs[-1]] if (len(runs) - 1) % step else [])
            table = [
                [str(r["day"]), _s(r["seconds"]), f"{r['bytes'] / 2**20:,.0f}"] for r in picked
            ]
            lines += _table(["day", "run (s)", "warehouse (MiB)"], table)
        return lines

    def _size_section(self, rows: int) -> list[str]:
        data = self.by_size[rows]
        lines = ["", f"## {_rows_label(rows)} requests", ""]
        lines += self._figures(data)
        lines += self._breakdown(
            "Full pipeline (`citystat run --rebuild`)", data, "pipeline_runs", "pipeline"
        )
        lines += self._validation_cost(data)
        lines += self._comparison(data)
        lines += self._spark(data)
        lines += self._breakdown(
            f"Incremental run ({data.get('daily_rows', 0):,} changed rows merged into a copy "
            "of the warehouse)",
            data,
            "incremental_runs",
            "incremental",
        )
        lines += self._incremental_files(data)
        lines += self._pages(data)
        lines += browser_figures.section(data.get("browser", []))
        return lines

    def _figures(self, data: dict[str, Any]) -> list[str]:
        raw = data["raw_load"][0]["reported"].get("rows", {})
        rows = [
            [
                "raw DuckDB load (read_csv, typed), process",
                _fmt(_walls(data["raw_load"])),
                _fmt(_rss(data["raw_load"]), "GiB"),
            ],
            [
                "full pipeline `citystat run --rebuild`, process",
                _fmt(_walls(data["pipeline"])),
                _fmt(_rss(data["pipeline"]), "GiB"),
            ],
            [
                "metric computation `compute_metrics`",
                _fmt(_inner(data["compute"])),
                _fmt(_rss(data["compute"]), "GiB"),
            ],
            [
                "the same metrics on Spark, local mode (`metrics compute --engine spark`)",
                _fmt(_inner(data["spark"])) if data.get("spark") else "not measured",
                _fmt(_rss(data["spark"]), "GiB") if data.get("spark") else "",
            ],
            [
                "hand-written SQL, one query per metric",
                _fmt(_inner(data["handwritten"])),
                _fmt(_rss(data["handwritten"]), "GiB"),
            ],
            [
                "incremental `citystat run`, process",
                _fmt(_walls(data["incremental"])),
                _fmt(_rss(data["incremental"]), "GiB"),
            ],
            [
                "floor of a validating run: start-up, imports, GE context, process",
                _fmt(_walls(data["floor"])) if data.get("floor") else "not measured",
                _fmt(_rss(data["floor"]), "GiB") if data.get("floor") else "",
            ],
            [
                "dashboard, all pages (N rows), process",
                _fmt(_walls(data["pages"])),
                _fmt(_rss(data["pages"]), "GiB"),
            ],
            [
                "naive dashboard, one run",
                _fmt(_inner(data["naive"])),
                _fmt(_rss(data["naive"]), "GiB"),
            ],
        ]
        extracts = ", ".join(f"{t.removeprefix('raw_')} {n:,}" for t, n in raw.items())
        lines = [f"Rows in the extracts: {extracts}.", ""]
        return lines + _table(["figure", "time", "peak memory"], rows)

    def _breakdown(self, title: str, data: dict[str, Any], key: str, runs: str) -> list[str]:
        facts, walls = data.get(key, []), [r["wall_seconds"] for r in data[runs]]
        steps = _steps(facts)
        wall = summarize(walls).median
        table = [[step, _s(s.median), f"{s.median / wall:.0%}"] for step, s in steps.items()]
        published = _published_at(data["rows"], runs)
        step_sums = [sum(f.get("steps", {}).values()) for f in facts]
        if len(published) == len(step_sums) == len(walls):
            # Run by run, on the command's own clock: when it printed "published".
            outside = summarize([p - s for p, s in zip(published, step_sums, strict=True)])
            rest = summarize([w - p for w, p in zip(walls, published, strict=True)])
            table.append(
                [
                    "outside the steps, before publishing (closing the database: its final "
                    "checkpoint; file accounting, schema)",
                    _s(outside.median),
                    f"{outside.median / wall:.0%}",
                ]
            )
        else:
            rest = summarize([w - s for w, s in zip(walls, step_sums, strict=False)])
        table.append(
            [
                "interpreter start-up, imports, config, exit",
                _s(rest.median),
                f"{rest.median / wall:.0%}",
            ]
        )
        lines = ["", f"### Where the time goes: {title}", ""]
        lines += [
            "Median seconds per step over the runs, from `run_steps` of each run's published "
            "warehouse (a step's time summed over the three sources); the last rows split the "
            "rest of each run's time with the command's own progress clock. Medians are taken "
            "row by row, so the rows need not add up to the whole exactly.",
            "",
        ]
        return lines + _table(["step", "seconds", "share of the process"], table)

    def _validation_cost(self, data: dict[str, Any]) -> list[str]:
        steps = _steps(data.get("pipeline_runs", []))
        if "validate" not in steps:
            return []
        read = sum(f["rows_read"] for f in data["pipeline_runs"][0].get("files", []))
        validate = steps["validate"].median
        wall = _walls(data["pipeline"]).median
        return [
            "",
            "Validation (every row rule counted exactly in SQL, Great Expectations on a "
            "sample of at most 100,000 rows, the SQL quarantine) "
            f"took {_s(validate)} s of {_s(wall)} s ({validate / wall:.0%}): "
            f"{validate / (read / 1e6):.1f} s per million rows read ({read:,} rows).",
        ]

    def _comparison(self, data: dict[str, Any]) -> list[str]:
        c = data["comparison"]
        lines = ["", "### Metric values: citystat against the hand-written SQL", ""]
        lines += _kind_times(data["handwritten"])
        if not c["differences"]:
            return [*lines, f"All {c['rows']:,} values of {c['metrics']} metrics are equal."]
        lines.append(f"**{len(c['differences'])} differences** (first 50 shown):")
        lines.append("")
        header = ["metric", "grain", "period", "breakdown", "column", "citystat", "hand-written"]
        rows = [
            [
                d["metric_id"],
                d["grain"],
                d["period_start"],
                f"{d['dimension']}={d['dimension_value']}",
                d["column"],
                str(d["citystat"]),
                str(d["handwritten"]),
            ]
            for d in c["differences"]
        ]
        return lines + _table(header, rows)

    def _spark(self, data: dict[str, Any]) -> list[str]:
        """Spark beside DuckDB, and what a billion records would take on a cluster."""
        if not data.get("spark"):
            return []
        run = data["spark"][0]["reported"]
        duckdb_seconds = _inner(data["compute"]).median
        # The JVM's own CPU time where the op measured it: on a shared machine wall time x
        # cores counts other work's seconds as Spark's.
        core_seconds = run.get("cpu_seconds") or run["seconds"] * run["cores"]
        per_core = run["records"] / core_seconds
        hour_cores = BILLION / per_core / 3600
        return [
            "",
            "### Spark (local mode) beside DuckDB",
            "",
            f"All metrics of metrics.yml over {run['records']:,} records: Spark "
            f"{_s(run['seconds'])} s on {run['cores']} cores (export to Parquet "
            f"{_s(run['export_seconds'])} s before it), DuckDB `compute_metrics` "
            f"{_s(duckdb_seconds)} s: Spark takes {_s(run['seconds'] / duckdb_seconds)}x as "
            f"long on one machine. Its throughput, {per_core:,.0f} records per core-second "
            f"({_s(core_seconds)} core-seconds"
            f"{' of the JVM' if run.get('cpu_seconds') else ', wall time x cores'}), "
            f"puts 1 billion records at about {hour_cores:,.0f} executor cores for a one-hour "
            "job if throughput per core holds as the cluster grows (bench/analysis.md says "
            "what that assumes).",
        ]

    def _incremental_files(self, data: dict[str, Any]) -> list[str]:
        runs = data.get("incremental_runs", [])
        if not runs:
            return []
        files = [f for f in runs[0].get("files", []) if f["rows_read"]]
        text = "; ".join(
            f"{f['file']}: {f['rows_read']:,} read, {f['rows_updated']:,} updated, "
            f"{f['rows_inserted']:,} inserted, {f['rows_unchanged']:,} unchanged"
            for f in files
        )
        return ["", f"Files the incremental run merged: {text or 'none'}."]

    def _pages(self, data: dict[str, Any]) -> list[str]:
        big, small = _page_times(data["pages"], "cold"), _page_times(data["pages_small"], "cold")
        warm = _page_times(data["pages"], "warm")
        naive = _inner(data["naive"]).median
        rows = []
        for page, summary in big.items():
            ref = small.get(page)
            rows.append(
                [
                    page,
                    _fmt(summary),
                    _fmt(ref) if ref else "–",
                    f"{summary.median / ref.median:.2f}×" if ref else "–",
                    _s(warm[page].median),
                    f"{naive / summary.median:.0f}×",
                ]
            )
        lines = ["", "### Dashboard pages under AppTest", ""]
        lines.append(
            "First load of each page with empty caches (what a user meets after a publish), "
            "against the N-row warehouse and the 10,000-row one; a rerun with warm caches; and "
            f"the naive pandas page's {_s(naive)} s (median) divided by the page's first load."
        )
        lines.append("")
        header = ["page", "N rows", "10,000 rows", "ratio", "warm rerun (N)", "naive / page"]
        lines += _table(header, rows)
        errors = _page_errors(data["pages"]) + _page_errors(data["pages_small"])
        if errors:
            lines += ["", "Pages that raised: " + "; ".join(errors)]
        return lines

    def _scaling(self) -> list[str]:
        if len(self.sizes) < 2:
            return []
        small, large = self.sizes[0], self.sizes[-1]
        a, b, factor = self.by_size[small], self.by_size[large], large / small
        figures: list[tuple[str, str, Callable[[Runs], Summary]]] = [
            ("raw DuckDB load", "raw_load", _walls),
            ("full pipeline", "pipeline", _walls),
            ("metric computation", "compute", _inner),
            ("hand-written SQL", "handwritten", _inner),
            ("incremental run", "incremental", _walls),
            ("naive dashboard", "naive", _inner),
        ]
        rows = []
        for name, key, timing in figures:
            t = exponent(timing(a[key]).median, timing(b[key]).median, factor)
            m = exponent(_rss(a[key]).median, _rss(b[key]).median, factor)
            rows.append([name, f"{t:.2f}", f"{m:.2f}"])
        title = f"## Scaling from {_rows_label(small)} to {_rows_label(large)} requests"
        lines = ["", title, ""]
        lines.append(
            f"Exponent k in t({_rows_label(large)}) / t({_rows_label(small)}) = {factor:g}^k: "
            "1 is linear, below 1 is better than linear (fixed costs), above 1 worse."
        )
        lines.append("")
        return lines + _table(["figure", "time exponent", "peak memory exponent"], rows)


def write_report(results: dict[str, Any]) -> Path:
    """Render RESULTS.md from the results of a harness run."""
    RESULTS_FILE.write_text(Report(results).render())
    return RESULTS_FILE
