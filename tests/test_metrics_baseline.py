"""Baselines: the period a stat program measures change against is in metric_values."""

from __future__ import annotations

from datetime import datetime

from pipelines.metrics import compute_metrics
from tests.metrics_support import config, metric_yaml, warehouse

T = datetime.fromisoformat
WITH_BASELINE = metric_yaml("opened", "unit: requests\nkind: count\nbaseline: {period: FY2024}\n")
# FY2024 = July 2023 to June 2024: four requests; FY2025: three.
ROWS = [{"opened_at": T(day)} for day in (
    "2023-07-01", "2023-12-31", "2024-03-01", "2024-06-30 23:59",
    "2024-07-01", "2024-11-11", "2025-02-02",
)]  # fmt: skip

# What the dashboard can run: the latest complete period of the baseline's grain against the
# baseline period's row, for the same breakdown.
CHANGE_SINCE_BASELINE = """
SELECT latest.period_label, latest.value, base.value AS baseline,
       latest.value / base.value - 1 AS change
FROM metric_values AS latest
JOIN metric_values AS base
  ON base.metric_id = latest.metric_id AND base.grain = latest.grain
 AND base.dimension = latest.dimension AND base.dimension_value = latest.dimension_value
 AND base.period_label = $baseline
WHERE latest.metric_id = $metric_id AND latest.grain = 'fiscal_year'
  AND latest.dimension = 'citywide' AND latest.is_complete
ORDER BY latest.period_start DESC LIMIT 1
"""


def test_change_since_baseline_reads_the_baseline_row() -> None:
    con = warehouse(ROWS)
    compute_metrics(con, config(WITH_BASELINE), T("2025-07-15"))
    row = con.execute(
        CHANGE_SINCE_BASELINE, {"baseline": "FY2024", "metric_id": "opened"}
    ).fetchone()
    # FY2025 (complete on 15 July 2025): 3 against 4 in FY2024, a 25% cut.
    assert row == ("FY2025", 3.0, 4.0, -0.25)


def test_baseline_period_is_recorded_with_the_definition() -> None:
    con = warehouse(ROWS)
    compute_metrics(con, config(WITH_BASELINE), T("2025-07-15"))
    assert con.execute("SELECT baseline_period FROM metric_definitions").fetchall() == [("FY2024",)]
