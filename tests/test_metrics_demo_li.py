"""The L&I metrics of the real metrics.yml on a small generated demo, checked with pandas.

The demo permits and complaint cases are loaded by a whole run; pandas then recomputes a few
figures from the warehouse's canonical tables by a different route than the metric SQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.demo import service_requests
from pipelines.demo.inspections import generate_inspections
from pipelines.demo.permits import generate_permits
from pipelines.run.pipeline import run_pipeline
from pipelines.warehouse.layout import PROJECT_ROOT

pytestmark = pytest.mark.slow
METRICS_FILE = PROJECT_ROOT / "metrics.yml"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A warehouse built by a whole run of metrics.yml over small demo extracts."""
    data_dir = tmp_path_factory.mktemp("data")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CITYSTAT_DATA_DIR", str(data_dir))
        service_requests.generate_311(data_dir / "demo", rows=5_000, seed=3)
        generate_permits(data_dir / "demo", rows=8_000, seed=3)
        generate_inspections(data_dir / "demo", rows=6_000, seed=3)
        path = data_dir / "citystat.duckdb"
        result = run_pipeline(METRICS_FILE, path)
        assert result.published, result.message
        yield path


def _frame(path: Path, sql: str, **params: object) -> pd.DataFrame:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, params).df()


def _value(path: Path, metric_id: str, grain: str, label: str, dimension: str = "citywide",
           member: str = "Citywide") -> float:  # fmt: skip
    frame = _frame(
        path,
        "SELECT value FROM metric_values WHERE metric_id = $m AND grain = $g "
        "AND period_label = $p AND dimension = $d AND dimension_value = $v",
        m=metric_id, g=grain, p=label, d=dimension, v=member,
    )  # fmt: skip
    assert len(frame) == 1, f"{metric_id} {grain} {label} {dimension}={member}: {len(frame)} rows"
    return float(frame["value"].iloc[0])


def test_uninspected_backlog_and_age_profile_at_a_fiscal_year_end(warehouse: Path) -> None:
    cases = _frame(warehouse, "SELECT * FROM inspections")
    end = pd.Timestamp("2024-07-01")  # end of FY2024
    waiting = (cases["received_at"] < end) & (
        cases["first_inspected_at"].isna() | (cases["first_inspected_at"] >= end)
    )
    # A case closed without an inspection stopped waiting when it was closed.
    never_inspected_closed = cases["first_inspected_at"].isna() & (cases["status"] == "closed")
    waiting &= ~(never_inspected_closed & (cases["closed_at"] < end))
    assert _value(warehouse, "uninspected_complaints", "fiscal_year", "FY2024") == waiting.sum()
    age_days = (end - cases.loc[waiting, "received_at"]).dt.total_seconds() / 86400
    assert _value(warehouse, "uninspected_complaints", "month", "2024-06", "age", "90+ days") == (
        (age_days >= 90).sum()
    )
    assert _value(warehouse, "uninspected_complaints", "month", "2024-06", "age", "0-29 days") == (
        (age_days < 30).sum()
    )


def test_review_median_and_within_target_share_by_permit_type(warehouse: Path) -> None:
    permits = _frame(warehouse, "SELECT * FROM permits")
    fy2024 = (permits["issued_at"] >= "2023-07-01") & (permits["issued_at"] < "2024-07-01")
    electrical = permits[fy2024 & (permits["permit_type"] == "ELECTRICAL")]
    days = (electrical["issued_at"] - electrical["applied_at"]).dt.total_seconds() / 86400
    assert _value(
        warehouse, "permit_review_median_days", "fiscal_year", "FY2024", "permit_type",
        "ELECTRICAL",
    ) == pytest.approx(days.dropna().median())  # fmt: skip

    applied = permits[
        (permits["applied_at"] >= "2023-07-01") & (permits["applied_at"] < "2024-07-01")
    ]
    as_of = _frame(warehouse, "SELECT max(data_as_of) AS t FROM runs")["t"].iloc[0]
    decided = applied[
        applied["review_due_at"].notna()
        & (applied["status"] != "cancelled")
        & (applied["issued_at"].notna() | (applied["review_due_at"] < as_of))
    ]
    on_time = (decided["issued_at"] <= decided["review_due_at"]).sum()
    assert _value(
        warehouse, "permits_issued_within_target", "fiscal_year", "FY2024"
    ) == pytest.approx(on_time / len(decided))


def test_days_to_correct_is_not_available_for_the_philadelphia_demo(warehouse: Path) -> None:
    definition = _frame(
        warehouse,
        "SELECT canonical_table, availability FROM metric_definitions WHERE metric_id = $m",
        m="violation_correction_median_days",
    )
    assert definition.to_dict("records") == [
        {
            "canonical_table": "inspections",
            "availability": "not available for this source: philadelphia_inspections_demo has "
            "no corrected_at",
        }
    ]
    statuses = _frame(
        warehouse,
        "SELECT DISTINCT status FROM metric_values WHERE metric_id = $m",
        m="violation_correction_median_days",
    )
    assert list(statuses["status"]) == ["not_available"]
