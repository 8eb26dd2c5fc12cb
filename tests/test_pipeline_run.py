"""Whole runs: demo extract to published warehouse, checked against independent answers."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from click.testing import CliRunner

from pipelines.cli.main import main
from pipelines.demo import service_requests
from pipelines.publish.versions import failed_path
from pipelines.run.pipeline import recompute_metrics, run_pipeline
from pipelines.warehouse.layout import PROJECT_ROOT

METRICS_FILE = PROJECT_ROOT / "metrics.yml"

pytestmark = pytest.mark.slow

DEMO_ROWS = 20_000


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """The small demo extracts loaded with the real metrics.yml; yields (311 extract, warehouse)."""
    from pipelines.demo.inspections import generate_inspections
    from pipelines.demo.permits import generate_permits

    data_dir = tmp_path_factory.mktemp("data")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CITYSTAT_DATA_DIR", str(data_dir))
        extract = service_requests.generate_311(data_dir / "demo", rows=DEMO_ROWS, seed=7)
        # metrics.yml also lists the L&I demo sources; small extracts keep the run quick.
        generate_permits(data_dir / "demo", rows=3_000, seed=7)
        generate_inspections(data_dir / "demo", rows=3_000, seed=7)
        warehouse = data_dir / "citystat.duckdb"
        result = run_pipeline(METRICS_FILE, warehouse)
        assert result.published, result.message
        yield extract, warehouse


def _staged_frame(extract: Path, warehouse: Path) -> pd.DataFrame:
    """The extract read by pandas, less the rows the warehouse says it quarantined."""
    frame = pd.read_csv(extract, dtype=str, keep_default_na=False)
    frame["line"] = frame.index + 2  # header is line 1
    with duckdb.connect(str(warehouse), read_only=True) as con:
        dropped = {
            r
            for (r,) in con.execute(
                "SELECT source_row FROM quarantine WHERE source = 'philadelphia_311_demo'"
            ).fetchall()
        }
    frame = frame[~frame["line"].isin(dropped)].copy()
    for column in ("requested_datetime", "closed_datetime", "expected_datetime"):
        frame[column] = pd.to_datetime(frame[column].replace("", None))
    return frame


def _metric(warehouse: Path, metric_id: str, grain: str = "month") -> dict[str, float]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "SELECT period_label, value FROM metric_values WHERE metric_id = ? AND grain = ? "
            "AND dimension = 'citywide' AND is_complete",
            [metric_id, grain],
        ).fetchall()
    return {label: value for label, value in rows}


def test_every_row_of_the_demo_extract_is_accounted_for(demo_run: tuple[Path, Path]) -> None:
    extract, warehouse = demo_run
    with duckdb.connect(str(warehouse), read_only=True) as con:
        read, staged, quarantined, rejected = con.execute(
            "SELECT rows_read, rows_staged, rows_quarantined, rows_rejected FROM load_files "
            "WHERE source = 'philadelphia_311_demo'"
        ).fetchone()
        rules = dict(
            con.execute(
                "SELECT rule, count(*) FROM quarantine WHERE source = 'philadelphia_311_demo' "
                "GROUP BY rule"
            ).fetchall()
        )
        (is_demo,) = con.execute("SELECT is_demo FROM runs").fetchone()
    assert read == DEMO_ROWS == staged + quarantined + rejected
    assert is_demo
    frame = pd.read_csv(extract, dtype=str, keep_default_na=False)
    opened = pd.to_datetime(frame["requested_datetime"])
    closed = pd.to_datetime(frame["closed_datetime"].replace("", None))
    # The planted defects, counted by pandas from the file itself.
    assert rules["expect_column_pair_values_a_to_be_greater_than_b"] == int((closed < opened).sum())
    valid = frame[~(closed < opened)]
    extra_copies = len(valid) - valid["service_request_id"].nunique()
    assert rules["expect_column_values_to_be_unique"] == extra_copies > 0


def test_street_defect_metrics_match_pandas(demo_run: tuple[Path, Path]) -> None:
    extract, warehouse = demo_run
    frame = _staged_frame(extract, warehouse)
    defects = frame[frame["service_name"] == "Street Defect"]
    as_of = pd.Timestamp("2026-11-15 23:59:59")
    assert max(frame["requested_datetime"].max(), frame["closed_datetime"].max()) <= as_of

    volume = defects.groupby(defects["requested_datetime"].dt.strftime("%Y-%m")).size()
    got = _metric(warehouse, "street_defect_requests")
    assert got == {month: float(n) for month, n in volume.items() if month != "2026-11"}

    # On time: due and decided (closed, or open and already past due); open-overdue is late.
    decided = defects[
        defects["expected_datetime"].notna()
        & (defects["closed_datetime"].notna() | (defects["expected_datetime"] < as_of))
    ]
    on_time = decided["closed_datetime"] <= decided["expected_datetime"]
    share = on_time.groupby(decided["requested_datetime"].dt.strftime("%Y-%m")).mean()
    got = _metric(warehouse, "street_defect_on_time")
    assert set(got) == set(share.index) - {"2026-11"}
    for month, value in got.items():
        assert value == pytest.approx(share[month], abs=1e-12), month

    closed = defects[defects["status"] == "Closed"]
    days = (closed["closed_datetime"] - closed["requested_datetime"]).dt.total_seconds() / 86400
    median = days.groupby(closed["closed_datetime"].dt.strftime("%Y-%m")).median()
    got = _metric(warehouse, "street_defect_median_days")
    for month, value in got.items():
        assert value == pytest.approx(median[month], abs=1e-9), month


def test_backlog_and_fiscal_year_match_pandas(demo_run: tuple[Path, Path]) -> None:
    extract, warehouse = demo_run
    frame = _staged_frame(extract, warehouse)
    lights = frame[frame["service_name"] == "Street Light Outage"]
    end = pd.Timestamp("2025-07-01")  # end of June 2025 and of FY2025
    open_then = (lights["requested_datetime"] < end) & (
        lights["closed_datetime"].isna() | (lights["closed_datetime"] >= end)
    )
    assert _metric(warehouse, "street_light_backlog")["2025-06"] == open_then.sum()
    overdue = open_then & (lights["expected_datetime"] < end)
    assert _metric(warehouse, "street_light_overdue_backlog")["2025-06"] == overdue.sum()
    assert _metric(warehouse, "street_light_backlog", "fiscal_year")["FY2025"] == open_then.sum()

    in_fy = (lights["requested_datetime"] >= "2024-07-01") & (lights["requested_datetime"] < end)
    assert _metric(warehouse, "street_light_requests", "fiscal_year")["FY2025"] == in_fy.sum()


def _town(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str) -> Path:
    """A one-source city in tmp_path; returns its metrics.yml."""
    sources, data = tmp_path / "sources", tmp_path / "data"
    sources.mkdir(exist_ok=True)
    (data / "town").mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("CITYSTAT_SOURCES_DIR", str(sources))
    monkeypatch.setenv("CITYSTAT_DATA_DIR", str(data))
    (sources / "town.yml").write_text(
        """source: town
title: Town 311
city: Town
files: {pattern: town/*.csv}
timezone: America/Chicago
timestamps: {formats: ["%Y-%m-%d %H:%M"]}
columns: {request_id: id, opened_at: opened, closed_at: closed, status: state}
statuses: {Open: open, Closed: closed}
bounds: {lat_min: 1, lat_max: 2, lon_min: 3, lon_max: 4}
""",
        encoding="utf-8",
    )
    (data / "town" / "extract.csv").write_text("id,opened,closed,state\n" + body, "utf-8")
    metrics = tmp_path / "metrics.yml"
    metrics.write_text(
        """city: {name: Town, sources: [town]}
metrics:
  - id: opened
    label: Requests opened
    description: Requests opened.
    methodology: Count by opened date.
    department: Public Works
    owner: Director
    unit: requests
    kind: count
    grains: [month]
    dimensions: []
""",
        encoding="utf-8",
    )
    return metrics


GOOD_ROWS = "".join(f"T{i},2024-01-{i:02d} 08:00,,Open\n" for i in range(1, 21))


def test_a_failed_critical_expectation_keeps_the_last_good_warehouse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    metrics = _town(tmp_path, monkeypatch, GOOD_ROWS)
    warehouse = tmp_path / "data" / "citystat.duckdb"
    assert run_pipeline(metrics, warehouse).published
    before = hashlib.sha256(warehouse.read_bytes()).hexdigest()

    # Half the requests lose their opened date: far past the 1 % a critical rule tolerates.
    broken = GOOD_ROWS + "".join(f"X{i},,,Open\n" for i in range(20))
    (tmp_path / "data" / "town" / "extract.csv").write_text("id,opened,closed,state\n" + broken)
    result = CliRunner().invoke(
        main, ["run", "--metrics", str(metrics), "--warehouse", str(warehouse)]
    )
    assert result.exit_code == 1
    assert "validation failed; nothing published" in result.output
    assert "opened_at" in result.output
    assert "The last good warehouse is unchanged" in result.output
    assert hashlib.sha256(warehouse.read_bytes()).hexdigest() == before
    with duckdb.connect(str(failed_path(warehouse)), read_only=True) as con:
        # The failed build started from a copy of the published one, so it holds both runs.
        statuses = con.execute("SELECT status FROM runs ORDER BY finished_at").fetchall()
        (quarantined,) = con.execute("SELECT count(*) FROM quarantine").fetchone()
        # The failing file was staged but not merged: its 20 good rows are not counted as
        # merged and the published 20 requests are all the failed build holds.
        merged = con.execute(
            "SELECT rows_staged, rows_quarantined, rows_inserted FROM load_files "
            "WHERE run_id = (SELECT run_id FROM runs WHERE status = 'failed')"
        ).fetchone()
        (requests,) = con.execute("SELECT count(*) FROM service_requests").fetchone()
        # Its staged rows (a temp table while the run lasts) are kept for the analyst.
        kept = con.execute(
            "SELECT table_schema, count(*) FROM information_schema.tables "
            "WHERE table_name = 'stg_town' GROUP BY ALL"
        ).fetchall()
        (staged_ids,) = con.execute(
            "SELECT list(request_id ORDER BY source_row) FROM stg_town"
        ).fetchone()
    assert statuses == [("published",), ("failed",)] and quarantined == 20
    assert merged == (20, 20, None) and requests == 20
    assert kept == [("main", 1)] and staged_ids == [f"T{i}" for i in range(1, 21)]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        # A merged file's staged rows never reach the published warehouse.
        assert not con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'stg%'"
        ).fetchall()


def test_metrics_only_recomputes_without_reading_the_extracts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    metrics = _town(tmp_path, monkeypatch, GOOD_ROWS)
    warehouse = tmp_path / "data" / "citystat.duckdb"
    assert run_pipeline(metrics, warehouse).published
    (tmp_path / "data" / "town" / "extract.csv").unlink()  # proves nothing is reloaded
    metrics.write_text(
        metrics.read_text().replace("grains: [month]", "grains: [month, quarter]"), "utf-8"
    )
    result = recompute_metrics(metrics, warehouse)
    assert result.published
    with duckdb.connect(str(warehouse), read_only=True) as con:
        quarters = con.execute(
            "SELECT period_label, value FROM metric_values WHERE grain = 'quarter'"
        ).fetchall()
        runs = con.execute("SELECT status, message FROM runs ORDER BY finished_at").fetchall()
    assert quarters == [("FY2024 Q3", 20.0)]  # Jan-Mar 2024 in a July fiscal year
    assert [r[0] for r in runs] == ["published", "published"]
    assert "not reloaded" in runs[1][1]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        # A one-file metrics.yml (no city.yml): the profile tables are there, empty.
        for table in ("city_profile", "departments", "districts"):
            assert con.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,)


def test_the_run_publishes_the_city_profile(demo_run: tuple[Path, Path]) -> None:
    _, warehouse = demo_run
    with duckdb.connect(str(warehouse), read_only=True) as con:
        city = con.execute("SELECT name, population_total FROM city_profile").fetchall()
        streets = con.execute("SELECT name FROM departments WHERE id = 'streets'").fetchall()
        districts = con.execute(
            "SELECT count(*), count(geometry), min(label) FROM districts "
            "WHERE dimension = 'council_district'"
        ).fetchone()
        unregistered = con.execute(
            "SELECT count(*) FROM metric_definitions "
            "WHERE department NOT IN (SELECT id FROM departments)"
        ).fetchone()
    assert city == [("Philadelphia", 1603797)]
    assert streets == [("Streets Department",)]
    assert districts == (10, 10, "Council district")
    assert unregistered == (0,)  # every metric names a registered department by id


def _metric_page(warehouse: Path, metric_id: str, grain: str, monkeypatch: pytest.MonkeyPatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("CITYSTAT_WAREHOUSE", str(warehouse))
    at = AppTest.from_file(
        str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py"), default_timeout=60
    )
    at.switch_page("views/metric.py")
    at.query_params["metric"] = metric_id
    at.query_params["grain"] = grain
    at.run()
    assert not at.exception, at.exception
    return at


def test_the_permit_review_page_reports_change_since_the_baseline(
    demo_run: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, warehouse = demo_run
    fiscal = _metric(warehouse, "permit_review_median_days", "fiscal_year")
    at = _metric_page(warehouse, "permit_review_median_days", "fiscal_year", monkeypatch)
    assert [w.value for w in at.warning] == []  # computable: no "not available" (nor "nan")
    latest = max(fiscal)  # the latest complete fiscal year
    markdown = "\n".join(str(m.value) for m in at.markdown)
    assert f"**Since the baseline, FY2024 → {latest}:** {fiscal['FY2024']:.1f} days → " in markdown


def test_a_metric_the_source_cannot_give_says_so(
    demo_run: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, warehouse = demo_run
    at = _metric_page(warehouse, "violation_correction_median_days", "month", monkeypatch)
    assert [w.value for w in at.warning] == [
        "not available for this source: philadelphia_inspections_demo has no corrected_at"
    ]
