"""A daily run on a real extract publishes exactly the values of a full recompute.

Los Angeles' MyLA311 API export (../shared/data/real/la_311/requests.csv) is loaded first as
it stood at noon on 2 January 2020 (the requests opened by then, those closed later still
open), then as published, eight months of closings later: the second run merges the changes
and updates the metrics incrementally, its median and 90th percentile days to close by one
query (a percentile family). A full recompute of the same warehouse at the same as-of must
give every metric_values row the daily run published, and each percentile its own query's
rows (the family's query is not the one it is checked against).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest

from pipelines.metrics import compute as compute_module
from pipelines.metrics import compute_metrics, load_metrics
from pipelines.metrics.compute import materialise_values
from pipelines.run.pipeline import run_pipeline
from tests.real_cities import CITIES_DIR

pytestmark = pytest.mark.slow
CUTOFF = "2020-01-02 12:00:00"  # the export's timestamps are ISO wall times, so text orders
METRICS_FILE = CITIES_DIR / "los_angeles" / "metrics.yml"

# The export as it stood at CUTOFF: requests opened by then, a later closing not yet made.
AT_CUTOFF_SQL = """
COPY (
    SELECT * REPLACE (
        CASE WHEN closeddate > $cutoff THEN NULL ELSE closeddate END AS closeddate,
        CASE WHEN closeddate > $cutoff THEN NULL ELSE _daystoclose END AS _daystoclose,
        CASE WHEN closeddate > $cutoff THEN createddate ELSE updateddate END AS updateddate,
        CASE WHEN closeddate > $cutoff THEN NULL ELSE servicedate END AS servicedate,
        CASE WHEN closeddate > $cutoff THEN 'Open' ELSE status END AS status
    )
    FROM read_csv($source, header = true, all_varchar = true)
    WHERE createddate <= $cutoff
) TO $target (FORMAT CSV, HEADER)
"""


def _metric_values(path: Path) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("SELECT * FROM metric_values ORDER BY ALL").fetchall()


def test_a_daily_run_on_real_closings_equals_a_full_recompute(
    real_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = tmp_path / "real" / "la_311"
    real.mkdir(parents=True)
    # Copies in the test's own folder (a symbolic link out of the data root is refused).
    other = "MyLA311_Service_Request_Data_2017_Subset.csv"
    shutil.copy(real_data / "la_311" / other, real / other)
    (tmp_path / "real" / "boundaries").mkdir()
    boundaries = "boundaries/los_angeles.geojson"
    shutil.copy(real_data / boundaries, tmp_path / "real" / boundaries)
    export = real_data / "la_311" / "requests.csv"
    with duckdb.connect() as con:
        con.execute(
            AT_CUTOFF_SQL,
            {"source": str(export), "target": str(real / "requests.csv"), "cutoff": CUTOFF},
        )
    monkeypatch.setenv("CITYSTAT_REAL_DATA", str(tmp_path / "real"))
    monkeypatch.setenv("CITYSTAT_DATA_DIR", str(tmp_path / "data"))
    for name in ("CITYSTAT_WAREHOUSE", "CITYSTAT_METRICS_FILE", "CITYSTAT_SOURCES_DIR"):
        monkeypatch.delenv(name, raising=False)
    warehouse = tmp_path / "data" / "citystat.duckdb"
    first = run_pipeline(METRICS_FILE, warehouse)
    assert first.published, first.message

    families: list[tuple[str, ...]] = []
    original = compute_module.compile_family

    def spy(config: Any, members: tuple[str, ...], *, incremental: bool) -> Any:
        if incremental:
            families.append(members)
        return original(config, members, incremental=incremental)

    monkeypatch.setattr(compute_module, "compile_family", spy)
    shutil.copy(export, real / "requests.csv")
    daily = run_pipeline(METRICS_FILE, warehouse)
    assert daily.published, daily.message
    updated = sum(s.merged.updated for s in daily.sources)
    assert updated > 1000, daily.message  # the closings since the cutoff
    assert ("median_days_to_close", "p90_days_to_close") in families

    published = warehouse.resolve()
    full = tmp_path / "full.duckdb"
    shutil.copy(published, full)
    config = load_metrics(METRICS_FILE)
    with duckdb.connect(str(full)) as con:
        row = con.execute("SELECT max(data_as_of) FROM runs WHERE run_id = ?", [daily.run_id])
        as_of = row.fetchone()
        assert as_of is not None and as_of[0] is not None
        compute_metrics(con, config, as_of[0])
        for metric_id in ("median_days_to_close", "p90_days_to_close"):
            materialise_values(con, config, metric_id, as_of[0], "alone")
            alone = con.execute("SELECT * FROM alone ORDER BY ALL").fetchall()
            written = con.execute(
                "SELECT * FROM metric_values WHERE metric_id = ? ORDER BY ALL", [metric_id]
            ).fetchall()
            assert len(alone) > 100 and written == alone, metric_id
    got, expected = _metric_values(published), _metric_values(full)
    assert len(got) > 1000
    # Compared first, then asserted: pytest's own diff of thousands of rows is slow.
    same = got == expected
    assert same, sorted(set(expected) ^ set(got))[:6]
