"""Real extracts are old snapshots, so their sources are late, and say so: Boston's 2025 311
extract against SQL written independently on the raw file (its newest open or close time, an
instant through Python's own time-zone database); its legacy archive is never late."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest

from dashboard.queries.freshness import late_sources
from tests.test_cities import Built, built_city

__all__ = ["built_city"]  # the session's real-city builds, shared with tests/test_cities.py

pytestmark = pytest.mark.slow

NEWEST_RAW = """
SELECT max(ts) FROM (
    SELECT unnest([try_strptime(open_dt, '%Y-%m-%d %H:%M:%S'),
                   try_strptime(closed_dt, '%Y-%m-%d %H:%M:%S')]) AS ts
    FROM read_csv($path, all_varchar = true)
)
"""


def test_boston_2025_extract_is_late_and_its_archive_is_not(
    built_city: Callable[[str], Built], real_data: Path
) -> None:
    now = datetime.now(UTC)
    with duckdb.connect(str(built_city("boston").warehouse), read_only=True) as con:
        late = late_sources(con, now)
    with duckdb.connect() as raw:
        (newest_local,) = raw.execute(
            NEWEST_RAW, {"path": str(real_data / "boston_311" / "311.csv")}
        ).fetchone() or (None,)
    assert newest_local is not None
    newest = newest_local.replace(tzinfo=ZoneInfo("America/New_York")).astimezone(UTC)
    assert late["source_id"].tolist() == ["boston_311_2025"]
    (row,) = late.to_dict("records")
    assert row["last_arrived"] == newest.replace(tzinfo=None)
    assert row["expected_every"] == "1 day"
    # Late by the time since its newest record, less a day expected and a day of grace.
    expected_days = (now - newest).total_seconds() / 86400 - 2
    assert row["days_late"] == pytest.approx(expected_days, abs=1e-6)
