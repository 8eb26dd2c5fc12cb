"""Golden SQL for every metric in metrics.yml (regenerate with CITYSTAT_UPDATE_SNAPSHOTS=1)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipelines.metrics import explain, load_metrics

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOTS = Path(__file__).resolve().parent / "snapshots" / "metrics"
CONFIG = load_metrics(ROOT / "metrics.yml")
UPDATE = os.environ.get("CITYSTAT_UPDATE_SNAPSHOTS") == "1"


@pytest.mark.parametrize("metric_id", [metric.id for metric in CONFIG.metrics])
def test_compiled_sql_matches_snapshot(metric_id: str) -> None:
    text = explain(CONFIG, metric_id)
    golden = SNAPSHOTS / f"{metric_id}.sql"
    if UPDATE:
        SNAPSHOTS.mkdir(parents=True, exist_ok=True)
        golden.write_text(text)
    assert golden.exists(), f"no snapshot for {metric_id}; run with CITYSTAT_UPDATE_SNAPSHOTS=1"
    assert text == golden.read_text(), (
        f"SQL of {metric_id} changed; review the diff and rerun with CITYSTAT_UPDATE_SNAPSHOTS=1"
    )


def test_no_stale_snapshots() -> None:
    expected = {f"{metric.id}.sql" for metric in CONFIG.metrics}
    stale = sorted(p.name for p in SNAPSHOTS.glob("*.sql") if p.name not in expected)
    if UPDATE:
        for name in stale:
            (SNAPSHOTS / name).unlink()
        stale = []
    assert stale == [], f"snapshots of metrics no longer in metrics.yml: {stale}"


def test_values_are_bound_not_inlined() -> None:
    # Service names and target values reach SQL as parameters only.
    text = explain(CONFIG, "street_defect_on_time")
    sql, _, params = text.partition("-- parameters:")
    assert "Street Defect" not in sql and "'Street Defect'" in params
    assert "0.85" not in sql and "0.85" in params
