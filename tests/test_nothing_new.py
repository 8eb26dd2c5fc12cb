"""`citystat run` with nothing new says so in one line and publishes nothing; any change runs.

One small demo city (its own copy of city.yml, metrics.yml, services.yml and mappings, so the
tests may edit them) is run once; each test then changes one thing and asks the check, or
runs the command, and puts the thing back. Nothing here is timed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest
from click.testing import CliRunner

from pipelines.cli.main import main
from pipelines.cli.nothing_new import failed_build, fingerprint_path, nothing_new_since
from pipelines.cli.run_inputs import _clock_limits, record_inputs
from pipelines.warehouse.layout import PROJECT_ROOT, in_city
from pipelines.warehouse.published import published_file

pytestmark = pytest.mark.slow

# Runs the real command in a fresh interpreter, then says which heavy modules it loaded.
PROBE = """
import sys
from pipelines.cli.main import main
try:
    main(sys.argv[1:], prog_name="citystat")
except SystemExit as exc:
    code = exc.code
print("loaded:", code, "great_expectations" in sys.modules, "pandas" in sys.modules,
      "duckdb" in sys.modules, file=sys.stderr)
"""


@dataclass(frozen=True)
class City:
    folder: Path

    @property
    def published(self) -> Path:
        return self.folder / "data" / "citystat.duckdb"

    @property
    def metrics(self) -> Path:
        return self.folder / "metrics.yml"

    @property
    def extract(self) -> Path:
        return self.folder / "data" / "demo" / "philadelphia_311" / "public_cases_fc.csv"

    def unchanged(self) -> str | None:
        """What the check says, as `citystat --city FOLDER run` asks it."""
        with in_city(self.folder):
            return nothing_new_since(self.published, self.metrics)

    def versions(self) -> list[str]:
        return sorted(p.name for p in (self.folder / "data" / "versions").iterdir())

    def run(self, *arguments: str) -> str:
        """`citystat --city FOLDER run ...` in this process; its output."""
        said = CliRunner().invoke(main, ["--city", str(self.folder), "run", *arguments])
        assert said.exit_code == 0, said.output
        return said.output


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[City]:
    """The demo city at 4,000 requests, run once (so its inputs are pinned)."""
    from pipelines.demo.inspections import generate_inspections
    from pipelines.demo.permits import generate_permits
    from pipelines.demo.service_requests import generate_311

    folder = tmp_path_factory.mktemp("city")
    for name in ("city.yml", "metrics.yml", "services.yml"):
        shutil.copy(PROJECT_ROOT / name, folder / name)
    shutil.copytree(PROJECT_ROOT / "pipelines" / "sources", folder / "pipelines" / "sources")
    demo = folder / "data" / "demo"
    generate_311(demo, rows=4_000, seed=3)
    generate_permits(demo, rows=1_000, seed=3)
    generate_inspections(demo, rows=1_000, seed=3)
    time.sleep(0.2)  # a file changed within 0.1 s of a run's start is not pinned
    with pytest.MonkeyPatch.context() as mp:
        for name in ("CITYSTAT_DATA_DIR", "CITYSTAT_WAREHOUSE", "CITYSTAT_METRICS_FILE"):
            mp.delenv(name, raising=False)
        mp.delenv("CITYSTAT_SERVICES_FILE", raising=False)
        built = City(folder)
        built.run()
        assert fingerprint_path(built.published).exists()
        yield built


def test_nothing_new_is_one_line_publishes_nothing_and_imports_nothing_heavy(city: City) -> None:
    version, versions = published_file(city.published), city.versions()
    probe = subprocess.run(
        [sys.executable, "-c", PROBE, "--city", str(city.folder), "run"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "COLUMNS": "400"},
    )
    lines = probe.stderr.strip().splitlines()
    run_id = json.loads(fingerprint_path(city.published).read_text())["run_id"]
    assert len(lines) == 2, probe.stderr
    assert lines[0].startswith(f"nothing new since run {run_id} (published "), lines[0]
    assert "3 sources unchanged, configuration unchanged" in lines[0]
    # Exit 0, and neither Great Expectations, pandas nor even DuckDB was imported.
    assert lines[1] == "loaded: 0 False False False", probe.stderr
    assert published_file(city.published) == version
    assert city.versions() == versions


@pytest.mark.parametrize("name", ["metrics.yml", "city.yml", "services.yml"])
def test_a_changed_configuration_file_means_a_full_run(city: City, name: str) -> None:
    path = city.folder / name
    text = path.read_bytes()
    try:
        path.write_bytes(text + b"\n# a comment changes nothing a run computes, but the bytes\n")
        assert city.unchanged() is None
    finally:
        path.write_bytes(text)
    # The same bytes again: the configuration is what the published version was built from.
    assert city.unchanged() is not None


def test_a_changed_or_new_mapping_means_a_full_run(city: City) -> None:
    mapping = city.folder / "pipelines" / "sources" / "philadelphia_permits_demo.yml"
    text = mapping.read_bytes()
    try:
        mapping.write_bytes(text.replace(b"title:", b"title: ", 1))
        assert city.unchanged() is None
    finally:
        mapping.write_bytes(text)
    assert city.unchanged() is not None
    spare = mapping.with_name("spare.yml")
    spare.write_bytes(text)
    try:
        assert city.unchanged() is None
    finally:
        spare.unlink()
    assert city.unchanged() is not None


def test_a_new_extract_file_means_a_full_run(city: City) -> None:
    new = city.extract.with_name("public_cases_fc_2.csv")
    new.write_text(city.extract.read_text().splitlines()[0] + "\n")
    try:
        assert city.unchanged() is None
    finally:
        new.unlink()
    # A file the patterns do not match is not an input.
    other = city.extract.with_name("notes.txt")
    other.write_text("not an extract")
    try:
        assert city.unchanged() is not None
    finally:
        other.unlink()


def test_a_previous_failed_run_means_a_full_run(city: City) -> None:
    failed = failed_build(city.published)
    failed.write_bytes(b"the build a failed run keeps for inspection")
    try:
        assert city.unchanged() is None
    finally:
        failed.unlink()
    assert city.unchanged() is not None


def test_a_record_time_reached_by_the_clock_means_a_full_run(city: City) -> None:
    path = fingerprint_path(city.published)
    text = path.read_text()
    recorded = json.loads(text)
    try:
        path.write_text(json.dumps({**recorded, "valid_until": time.time() - 1}))
        assert city.unchanged() is None
        path.write_text(json.dumps({**recorded, "valid_until": time.time() + 3600}))
        assert city.unchanged() is not None
    finally:
        path.write_text(text)


def test_an_unreadable_fingerprint_means_a_full_run(city: City) -> None:
    path = fingerprint_path(city.published)
    text = path.read_text()
    try:
        for broken in ("", "{", "[]", json.dumps({"format": 1})):
            path.write_text(broken)
            assert city.unchanged() is None, broken
    finally:
        path.write_text(text)
    assert city.unchanged() is not None


def test_the_clock_limit_is_the_first_record_time_still_ahead(city: City, tmp_path: Path) -> None:
    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(published_file(city.published) or city.published, copy)
    assert _clock_limits(copy) == ("America/New_York", None)  # no demo record is ahead
    ahead = (datetime.now(UTC) + timedelta(hours=3)).replace(tzinfo=None, microsecond=0)
    with duckdb.connect(str(copy)) as con:
        con.execute(
            "UPDATE permits SET updated_at = $t WHERE permit_id = (SELECT min(permit_id) "
            "FROM permits)",
            {"t": ahead},
        )
    # The naive 3 h-ahead time is "not in the future" for the run's as-of and the permits
    # source's arrival when New York's clock reaches it: 5 hours after UTC's (4 in summer),
    # whatever the server's zone.
    expected = ahead.replace(tzinfo=ZoneInfo("America/New_York")).timestamp()
    zone, valid_until = _clock_limits(copy)
    assert zone == "America/New_York"
    assert valid_until == pytest.approx(expected)


def test_touched_changed_and_rebuild_run_in_full_then_nothing_is_new_again(city: City) -> None:
    before = published_file(city.published)
    stat = city.extract.stat()
    # Touched: the same bytes, a new time; the check cannot know the bytes are the same.
    os.utime(city.extract, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert city.unchanged() is None
    # Changed: one more request, the same id as the first, updated (a newer version of it).
    lines = city.extract.read_text().splitlines()
    city.extract.write_text("\n".join([*lines, lines[1]]) + "\n")
    time.sleep(0.2)
    said = city.run()
    assert "nothing new" not in said
    after = published_file(city.published)
    assert after is not None and after != before
    assert city.unchanged() is not None
    # --rebuild always builds, even with nothing new.
    said = city.run("--rebuild")
    assert "nothing new" not in said
    assert published_file(city.published) not in (before, after)
    assert city.unchanged() is not None


def test_inputs_changed_during_the_run_or_another_version_leave_no_fingerprint(
    city: City,
) -> None:
    path = fingerprint_path(city.published)
    text = path.read_text()
    run_id = json.loads(text)["run_id"]
    try:
        with in_city(city.folder):
            # Every input settled before "now": the run that began now read these files.
            assert record_inputs(city.published, city.metrics, run_id, time.time_ns())
            # metrics.yml changed (touched) just as a run began: it may have read either.
            city.metrics.touch()
            assert not record_inputs(city.published, city.metrics, run_id, time.time_ns())
            assert not path.exists()
            # A run id whose version is not the published one vouches for nothing.
            began = time.time_ns() + 10_000_000_000  # every file settled by then
            assert not record_inputs(city.published, city.metrics, "20990101T000000Z-x", began)
            assert not path.exists()
    finally:
        path.write_text(text)
    # The bytes are the same, so the check still finds nothing new.
    assert city.unchanged() is not None
