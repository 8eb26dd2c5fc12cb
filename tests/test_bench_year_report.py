"""RESULTS.md's simulated-year goals and section, from a small hand-made result."""

from __future__ import annotations

from typing import Any

from bench.citystat_bench import goals19
from bench.citystat_bench.figures import year_facts
from bench.citystat_bench.report import Report

SECONDS = [10.0, 12.0, 11.0, 30.0, 10.0, 13.0, 12.0, 14.0]
YEAR: dict[str, Any] = {
    "days": 8,
    "runs": [
        {"day": d, "seconds": s, "bytes": 100 + 25 * (d == 8)} for d, s in enumerate(SECONDS, 1)
    ],
    "rebuilt_bytes": 100,
    "values": {"only_incremental": 2, "only_rebuild": 1, "rows": 50},
}


def test_year_facts_worked_by_hand() -> None:
    facts = year_facts(YEAR)
    # 8 days: a window of min(5, 8 // 4) = 2 days; first days 10, 12 -> median 11;
    # last days 12, 14 -> median 13; 13 / 11 - 1 = 0.1818...
    assert facts["window"] == 2
    assert abs(facts["growth"] - (13 / 11 - 1)) < 1e-12
    assert facts["size_ratio"] == 1.25  # 125 bytes after day 8 against 100 rebuilt
    assert facts["differing"] == 3  # 2 + 1 rows


def test_year_goals_and_section() -> None:
    report = Report({"by_size": {"1000000": {"year": YEAR}}})
    rows = {row[0]: (row[2], row[4]) for row in goals19._goal5({"year": YEAR}, "1M")}
    assert rows["5. warehouse after a year of daily runs / fresh rebuild"] == ("1.25×", "**met**")
    # 13 / 11 = 1.18× the first days' median, within 1.20×
    growth = "5. daily run time, median of the last days / of the first days"
    assert rows[growth] == ("1.18×", "**met**")
    name = "5. published values equal a full rebuild's"
    assert rows[name] == ("3 rows differ", "**missed**: 3 rows differ")
    text = "\n".join(report._year())
    assert "## A year of daily runs at 1M requests" in text
    # 8 runs: every day listed (a step of max(8 // 10, 1) = 1), the last one 125 bytes = 0 MiB
    assert text.count("\n| ") == 9  # the header and 8 days
    assert text.rstrip().endswith("| 8 | 14.00 | 0 |")
