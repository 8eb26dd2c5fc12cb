"""Real 311 extracts from ../shared/data/real load end to end with every row accounted for."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from pipelines.run import run_pipeline
from pipelines.source_config import load_source

REAL_311 = ["boston_311_legacy", "boston_311_2025", "la_311_2017", "la_311_api", "nyc_311"]

pytestmark = [pytest.mark.realdata, pytest.mark.slow]


def _records_in(path: Path, encoding: str = "utf-8") -> int:
    """Data records as Python's csv module counts them: an answer independent of DuckDB."""
    with path.open(newline="", encoding=encoding) as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


def _metrics_file(tmp_path: Path, source: str, extra_metrics: str = "") -> Path:
    path = tmp_path / "metrics.yml"
    path.write_text(
        f"""city:
  name: Test
  fiscal_year_start_month: 7
  sources: [{source}]
metrics:
  - id: volume
    label: Requests
    description: Requests opened.
    methodology: Count of requests by opened date.
    department: All
    owner: Analyst
    cohort_service: All services
    unit: requests
    direction: higher_is_better
    kind: count
    grains: [month]
    dimensions: [council_district]
{extra_metrics}""",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("source", REAL_311)
def test_real_extract_loads_and_every_row_is_accounted_for(
    source: str, real_data: Path, tmp_path: Path
) -> None:
    mapping = load_source(source)
    extract = real_data / mapping.files.pattern
    result = run_pipeline(_metrics_file(tmp_path, source), tmp_path / "wh.duckdb")
    assert result.published, result.message
    (src,) = result.sources
    assert src.rows_read == _records_in(extract)
    assert src.rows_read == src.rows_staged + src.rows_quarantined + src.rows_rejected
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    (in_table,) = con.execute("SELECT count(*) FROM service_requests").fetchone()
    (quarantined,) = con.execute("SELECT count(*) FROM quarantine").fetchone()
    assert in_table == src.rows_staged and quarantined == src.rows_quarantined
    # Every quarantined row carries its rule and a reason someone can act on.
    (unexplained,) = con.execute(
        "SELECT count(*) FROM quarantine WHERE rule IS NULL OR reason IS NULL"
    ).fetchone()
    assert unexplained == 0
    # Metrics were computed from what was staged: monthly citywide counts add up to the table.
    (counted,) = con.execute(
        "SELECT sum(value) FROM metric_values WHERE metric_id = 'volume' AND grain = 'month' "
        "AND dimension = 'citywide'"
    ).fetchone()
    assert counted == in_table
