"""The benchmark's hand-written SQL (bench/citystat_bench/handwritten.py) gives exactly
citystat's metric_values on a small demo warehouse, before and after a daily extract.

The hand-written queries are an independent route to every metric of metrics.yml (one plain
template per kind, none of the compiler's code), so equality checks both: the benchmark's
baseline computes the same values, and the compiler agrees with SQL written from the
definitions. The second run merges a daily extract that closes open requests, so backlogs on
past dates must come from version history in both.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from bench.citystat_bench.daily import DAILY_NAME, write_daily_extract
from bench.citystat_bench.handwritten import (
    RESULT_TABLE,
    compare_values,
    compared_rows,
    computable_metrics,
    run_handwritten,
)
from pipelines.demo import service_requests
from pipelines.demo.inspections import generate_inspections
from pipelines.demo.permits import generate_permits
from pipelines.metrics import data_as_of, load_metrics
from pipelines.run.pipeline import run_pipeline
from pipelines.warehouse.layout import PROJECT_ROOT

pytestmark = pytest.mark.slow
METRICS_FILE = PROJECT_ROOT / "metrics.yml"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """(data folder, warehouse) after a whole run of metrics.yml over small demo extracts."""
    data_dir = tmp_path_factory.mktemp("data")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CITYSTAT_DATA_DIR", str(data_dir))
        service_requests.generate_311(data_dir / "demo", rows=4_000, seed=11)
        generate_permits(data_dir / "demo", rows=3_000, seed=11)
        generate_inspections(data_dir / "demo", rows=3_000, seed=11)
        warehouse = data_dir / "citystat.duckdb"
        result = run_pipeline(METRICS_FILE, warehouse)
        assert result.published, result.message
        yield data_dir, warehouse


def _handwritten_copy(warehouse: Path, target: Path) -> duckdb.DuckDBPyConnection:
    """A writable copy of the published warehouse with handwritten_values filled in."""
    shutil.copyfile(warehouse.resolve(), target)
    con = duckdb.connect(str(target))
    as_of = data_as_of(con)
    assert as_of is not None
    run_handwritten(con, load_metrics(METRICS_FILE), as_of)
    return con


def test_every_computable_metric_has_the_same_values(demo: tuple[Path, Path], tmp_path: Path):
    _, warehouse = demo
    con = _handwritten_copy(warehouse, tmp_path / "copy.duckdb")
    try:
        config = load_metrics(METRICS_FILE)
        computable = computable_metrics(con, config)
        # Every metric but the violation correction time, which the demo extract cannot give
        # (Philadelphia's case table records no correction date).
        assert {m.id for m in config.metrics} - {m.id for m in computable} == {
            "violation_correction_median_days"
        }
        rows, metrics = compared_rows(con)
        citystat_rows = con.execute(
            "SELECT count(*) FROM metric_values WHERE status <> 'not_available'"
        ).fetchone()
        assert metrics == len(computable)
        assert citystat_rows is not None and rows == citystat_rows[0]
        assert compare_values(con) == []
    finally:
        con.close()


def test_the_comparison_reports_a_changed_value(demo: tuple[Path, Path], tmp_path: Path):
    # The cross-check must be able to fail: change one hand-written value and drop one row.
    _, warehouse = demo
    con = _handwritten_copy(warehouse, tmp_path / "copy.duckdb")
    try:
        con.execute(
            f"UPDATE {RESULT_TABLE} SET value = value + 1 "
            "WHERE metric_id = 'street_defect_backlog' AND grain = 'month' "
            "AND dimension = 'citywide' AND period_start = "
            f"(SELECT min(period_start) FROM {RESULT_TABLE} WHERE grain = 'month')"
        )
        con.execute(
            f"DELETE FROM {RESULT_TABLE} WHERE metric_id = 'permits_issued' AND grain = 'week' "
            f"AND dimension = 'citywide' AND period_start = "
            f"(SELECT max(period_start) FROM {RESULT_TABLE} WHERE grain = 'week')"
        )
        found = {(d.metric_id, d.grain, d.column) for d in compare_values(con)}
        assert found == {
            ("street_defect_backlog", "month", "value"),
            ("permits_issued", "week", "missing_in_handwritten"),
        }
    finally:
        con.close()


def test_backlogs_from_history_match_after_a_daily_extract(demo: tuple[Path, Path], tmp_path: Path):
    data_dir, warehouse = demo
    folder = data_dir / "demo" / "philadelphia_311"
    # 1,000 requests again a day later (the mapping's smallest healthy file): open ones closed,
    # the rest with a newer update time. Runs last: it merges into the module's warehouse.
    written = write_daily_extract(folder / "public_cases_fc.csv", folder / DAILY_NAME, rows=1_000)
    assert written == 1_000
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CITYSTAT_DATA_DIR", str(data_dir))
        result = run_pipeline(METRICS_FILE, warehouse)
    assert result.published, result.message
    con = _handwritten_copy(warehouse, tmp_path / "after.duckdb")
    try:
        updated = con.execute(
            "SELECT rows_updated, rows_inserted FROM load_files WHERE file = ?", [DAILY_NAME]
        ).fetchone()
        assert updated == (1_000, 0)
        versions = con.execute(
            "SELECT count(*) FROM service_requests_versions WHERE status_raw = 'Closed' "
            "AND request_id IN (SELECT request_id FROM service_requests_versions "
            "GROUP BY request_id HAVING count(*) > 1)"
        ).fetchone()
        assert versions is not None and versions[0] > 0  # history holds the changed requests
        assert compare_values(con) == []
    finally:
        con.close()
