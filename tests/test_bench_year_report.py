"""RESULTS.md's simulated-year goals and section, from a small hand-made result."""

from __future__ import annotations

from typing import Any

from bench.citystat_bench.report import Report, _year_facts

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
    facts = _year_facts(YEAR)
    # 8 days: a window of min(5, 8 // 4) = 2 days; first days 10, 12 -> median 11;
    # last days 12, 14 -> median 13; 13 / 11 - 1 = 0.1818...
    assert facts["window"] == 2
    assert abs(facts["growth"] - (13 / 11 - 1)) < 1e-12
    assert facts["size_ratio"] == 1.25  # 125 bytes after day 8 against 100 rebuilt
    assert facts["differing"] == 3  # 2 + 1 rows


def test_year_goals_and_section() -> None:
    report = Report({"by_size": {"1000000": {"year": YEAR}}})
    report._year_goals(1_000_000)
    verdicts = {row[0]: (row[2], row[4]) for row in report.goal_rows}
    assert verdicts["warehouse after 8 daily runs / fresh rebuild"] == ("1.25×", "**met**")
    assert verdicts["daily run, last 2 days / first 2 days"] == ("+18%", "**met**")
    name = "metric_values after 8 daily runs = a fresh rebuild's"
    assert verdicts[name] == ("3 rows differ", "**missed**: 3 rows differ")
    text = "\n".join(report._year())
    assert "## A year of daily runs at 1M requests" in text
    # 8 runs: every day listed (a step of max(8 // 10, 1) = 1), the last one 125 bytes = 0 MiB
    assert text.count("\n| ") == 9  # the header and 8 days
    assert text.rstrip().endswith("| 8 | 14.00 | 0 |")
