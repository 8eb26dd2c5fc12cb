"""The dashboard reads while the pipeline publishes: no errors, and one version per page.

A tiny city publishes ten daily extracts (after a first one) with `citystat run` in a separate
process while this process renders the scorecard over and over. Day k adds k requests opened
in February and one request on 2 March + k hours, so the version published after day k shows
February's total 1 + 2 + ... + k = k(k+1)/2 next to "Data as of 2024-03-02 <k>:00". A page
that mixed two versions would show a total that does not belong to its as-of time.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.tables_support import shown_tables

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
DAYS = 10

MAPPING = """source: town
title: Town 311 daily extracts
city: Town
files: {pattern: town/day_*.csv}
timezone: America/Chicago
timestamps: {formats: ["%Y-%m-%d %H:%M"]}
columns: {request_id: id, opened_at: opened, updated_at: opened, status: state}
statuses: {Open: open}
bounds: {lat_min: 1, lat_max: 2, lon_min: 3, lon_max: 4}
expected_rows: {min: 1, max: 100}
"""

METRICS = """city: {name: Town, sources: [town]}
metrics:
  - id: opened
    label: Requests opened
    description: Requests opened in the period.
    methodology: Count of requests by the date they were opened.
    department: Public Works
    owner: Director
    cohort_service: Everything
    unit: requests
    kind: count
    grains: [month]
    dimensions: []
"""

# Run in a separate process: the pipeline publishes while this process reads. Every day's
# `citystat run` is the CLI's entry point in that one process, so the imports (and the Great
# Expectations worker's server) are paid once, not ten times while the pages compete for the
# same cores.
WRITER = """
import sys
from pathlib import Path
from pipelines.cli.main import main
from tests.test_concurrent_readers import DAYS, _day_file
folder, metrics, warehouse = map(Path, sys.argv[1:4])
for day in range(2, DAYS + 2):
    _day_file(folder, day)
    code = main(["run", "--metrics", str(metrics), "--warehouse", str(warehouse)],
                standalone_mode=False)
    assert not code, code  # a failed run exits (sys.exit) or returns its code: the test fails
"""


def _day_file(folder: Path, day: int) -> None:
    rows = [f"F{day}-{i},2024-02-{i + 1:02d} 09:00,Open" for i in range(day)]
    rows.append(f"M{day},2024-03-02 {day:02d}:00,Open")
    (folder / f"day_{day:02d}.csv").write_text("id,opened,state\n" + "\n".join(rows) + "\n")


def test_pages_show_exactly_one_version_while_ten_versions_are_published(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sources, data_dir = tmp_path / "sources", tmp_path / "data"
    sources.mkdir()
    (data_dir / "town").mkdir(parents=True)
    (sources / "town.yml").write_text(MAPPING, encoding="utf-8")
    metrics, warehouse = tmp_path / "metrics.yml", data_dir / "citystat.duckdb"
    metrics.write_text(METRICS, encoding="utf-8")
    env = {**os.environ, "CITYSTAT_SOURCES_DIR": str(sources), "CITYSTAT_DATA_DIR": str(data_dir)}
    citystat = Path(sys.executable).parent / "citystat"
    _day_file(data_dir / "town", 1)
    subprocess.run(
        [str(citystat), "run", "--metrics", str(metrics), "--warehouse", str(warehouse)],
        check=True,
        env=env,
        capture_output=True,
    )
    monkeypatch.setenv("CITYSTAT_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("CITYSTAT_MEETINGS_DB", str(tmp_path / "meetings.sqlite"))

    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            WRITER,
            str(data_dir / "town"),
            str(metrics),
            str(warehouse),
        ],
        env=env,
        cwd=ROOT,
    )
    seen: set[int] = set()
    renders = 0
    deadline = time.monotonic() + 300
    while True:
        finished = writer.poll() is not None
        at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=60).run()
        renders += 1
        assert not at.exception, at.exception
        captions = "\n".join(str(c.value) for c in at.caption)
        hour = int(re.search(r"Data as of 2024-03-02 (\d\d):00", captions).group(1))
        (row,) = [r for f in shown_tables(at) for r in f.value.to_dict("records")]
        assert row["Period"] == "2024-02"
        assert int(str(row["Value"]).replace(",", "")) == hour * (hour + 1) // 2, (hour, row)
        seen.add(hour)
        if finished or time.monotonic() > deadline:
            break
    assert writer.wait(timeout=60) == 0
    # The last render came after the last publish, and reads kept going throughout.
    assert DAYS + 1 in seen and renders >= DAYS
    assert len(seen) >= 3, seen  # the pages really did switch versions between reruns
    versions = sorted((data_dir / "versions").glob("citystat-*.duckdb"))
    assert 1 <= len(versions) <= 3  # older versions were pruned while pages were reading
