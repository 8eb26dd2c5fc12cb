"""Figures shared by the report's sections: summaries of runs, ratios, verdicts, tables."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .measure import Summary, summarize

GIB = 1024**3
NOT_MEASURED = "not measured in this run"

Runs = list[dict[str, Any]]


def walls(runs: Runs) -> Summary:
    return summarize([r["wall_seconds"] for r in runs])


def inner(runs: Runs, key: str = "seconds") -> Summary:
    return summarize([r["reported"][key] for r in runs if key in r.get("reported", {})])


def rss(runs: Runs) -> Summary:
    return summarize([r["peak_rss_bytes"] / GIB for r in runs])


def s(value: float) -> str:
    if math.isnan(value):
        return "–"
    return f"{value:,.2f}" if value < 100 else f"{value:,.0f}"


def fmt(summary: Summary, unit: str = "s") -> str:
    return f"{s(summary.median)} {unit} ({s(summary.low)}–{s(summary.high)})"


def rows_label(rows: int) -> str:
    return f"{rows // 1_000_000}M" if rows % 1_000_000 == 0 else f"{rows:,}"


def verdict(measured: float, limit: float, *, at_most: bool = True) -> str:
    """'met', or by how many times a figure missed its goal."""
    if math.isnan(measured):
        return NOT_MEASURED
    ok = measured <= limit if at_most else measured >= limit
    if ok:
        return "**met**"
    if at_most:
        return f"**missed**: {measured / limit:.1f}× the limit"
    return f"**missed**: {limit / measured:.1f}× short of it"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


@dataclass(frozen=True)
class Ratio:
    """A ratio of medians, with the range of the ratios of runs made one after the other."""

    value: float
    low: float
    high: float

    def shown(self, unit: str, digits: int) -> str:
        """'14.3× (paired 12.0–15.1×)', or in percent."""
        if unit == "%":
            return f"{self.value:.{digits}%} (paired {self.low:.{digits}%}–{self.high:.{digits}%})"
        return f"{self.value:.{digits}f}× (paired {self.low:.{digits}f}–{self.high:.{digits}f}×)"


def ratio(figure: Sequence[float], baseline: Sequence[float]) -> Ratio:
    """median(figure) / median(baseline), and the range of run-by-run ratios (run i of the
    figure and of its baseline ran back to back, so they shared the machine's load)."""
    paired = [f / b for f, b in zip(figure, baseline, strict=False) if b]
    value = summarize(figure).median / summarize(baseline).median
    return Ratio(value, min(paired, default=math.nan), max(paired, default=math.nan))


def year_facts(year: dict[str, Any]) -> dict[str, Any]:
    """Size ratio, run-time growth (median of the first days against the last) and the
    metric_values rows that differ, from the simulated year's results."""
    runs = year["runs"]
    window = max(min(5, len(runs) // 4), 1)  # single days are noisy on a shared machine
    first = summarize([r["seconds"] for r in runs[:window]]).median
    last = summarize([r["seconds"] for r in runs[-window:]]).median
    values = year["values"]
    return {
        "window": window,
        "size_ratio": runs[-1]["bytes"] / year["rebuilt_bytes"],
        "growth": last / first - 1,
        "differing": values["only_incremental"] + values["only_rebuild"],
    }
