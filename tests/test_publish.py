"""Versioned publishing: symlink swap, kept versions, rollback, the lock, disk and folder faults.

A one-source town (the mapping and daily extracts below) is published a few times; each day's
expected request count is worked out from the rows written (day N adds N requests).
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from pipelines.cli.main import main
from pipelines.publish.versions import (
    PublishError,
    clean_leftovers,
    failed_path,
    list_versions,
    publish_lock,
    rolled_back_path,
)
from pipelines.run.pipeline import run_pipeline
from pipelines.warehouse.published import published_file, published_version

TOWN_MAPPING = """source: town
title: Town 311 daily extracts
city: Town
files: {pattern: town/town_*.csv}
timezone: America/Chicago
timestamps: {formats: ["%Y-%m-%d %H:%M"]}
columns: {request_id: id, opened_at: opened, closed_at: closed, status: state}
statuses: {Open: open, Closed: closed}
bounds: {lat_min: 1, lat_max: 2, lon_min: 3, lon_max: 4}
"""
TOWN_METRICS = """city: {name: Town, sources: [town]}
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
  - id: backlog
    label: Open requests
    description: Requests open at the end of the period.
    methodology: Open at each period end, from each request's version history.
    department: Public Works
    owner: Director
    unit: requests
    kind: backlog
    grains: [month]
    dimensions: []
"""
HEADER = "id,opened,closed,state\n"


@dataclass(frozen=True)
class Town:
    """A one-source city in a temporary folder."""

    root: Path
    sources: Path
    data: Path
    metrics: Path

    @property
    def extracts(self) -> Path:
        """Folder of the daily extracts."""
        return self.data / "town"

    @property
    def warehouse(self) -> Path:
        """The published warehouse path (a symlink once published)."""
        return self.data / "citystat.duckdb"

    def write_day(self, day: int, rows: int | None = None) -> Path:
        """Day N's extract: N requests D<day>-1.. opened on 2024-01-<day> (open)."""
        count = day if rows is None else rows
        body = "".join(f"D{day}-{i},2024-01-{day:02d} 08:00,,Open\n" for i in range(1, count + 1))
        path = self.extracts / f"town_2024-01-{day:02d}.csv"
        path.write_text(HEADER + body, encoding="utf-8")
        return path


def make_town(root: Path) -> Town:
    """Write the town's mapping, metrics.yml and an empty extract folder under ``root``."""
    town = Town(root, root / "sources", root / "data", root / "metrics.yml")
    town.sources.mkdir(parents=True, exist_ok=True)
    town.extracts.mkdir(parents=True, exist_ok=True)
    (town.sources / "town.yml").write_text(TOWN_MAPPING, encoding="utf-8")
    town.metrics.write_text(TOWN_METRICS, encoding="utf-8")
    return town


def use_town(town: Town, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the source mappings and the data folder at the town."""
    monkeypatch.setenv("CITYSTAT_SOURCES_DIR", str(town.sources))
    monkeypatch.setenv("CITYSTAT_DATA_DIR", str(town.data))


@pytest.fixture
def town(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Town:
    """The town, wired in for this test."""
    built = make_town(tmp_path)
    use_town(built, monkeypatch)
    return built


def requests_opened(warehouse: Path) -> float:
    """The published January 2024 'opened' value (the run's as-of is in January, incomplete)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        row = con.execute(
            "SELECT value FROM metric_values WHERE metric_id = 'opened' AND grain = 'month' "
            "AND period_label = '2024-01' AND dimension = 'citywide'"
        ).fetchone()
    assert row is not None
    return float(row[0])


def sha256(path: Path) -> str:
    """Hash of a file's bytes (through a symlink)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_run_publishes_a_version_file_behind_an_atomic_symlink(town: Town) -> None:
    town.write_day(1)
    first = run_pipeline(town.metrics, town.warehouse)
    town.write_day(2)
    second = run_pipeline(town.metrics, town.warehouse)
    assert first.published and second.published
    versions = town.data / "versions"
    assert [v.name for v in list_versions(town.warehouse)] == [
        f"citystat-{first.run_id}.duckdb",
        f"citystat-{second.run_id}.duckdb",
    ]
    # The symlink is relative, so the data folder can be moved with its versions.
    assert os.readlink(town.warehouse) == f"versions/citystat-{second.run_id}.duckdb"
    assert published_file(town.warehouse) == (versions / f"citystat-{second.run_id}.duckdb")
    assert published_version(town.warehouse) == f"citystat-{second.run_id}.duckdb"
    # Day 1 has 1 request, day 2 adds 2: 3 opened in January.
    assert requests_opened(town.warehouse) == 3
    assert requests_opened(versions / f"citystat-{first.run_id}.duckdb") == 1
    # Nothing of the builds is left: no .building file, no WAL, no temporary link.
    assert sorted(p.name for p in town.data.iterdir()) == [
        ".citystat.duckdb.lock",
        "citystat.duckdb",
        "town",
        "versions",
    ]


def test_the_published_version_is_never_written_and_readers_keep_their_version(
    town: Town,
) -> None:
    town.write_day(1)
    run_pipeline(town.metrics, town.warehouse)
    version = published_file(town.warehouse)
    assert version is not None
    before = (sha256(version), version.stat().st_mtime_ns)
    # A dashboard-like reader holds the published version open while the next run publishes.
    reader = duckdb.connect(str(version), read_only=True)
    try:
        town.write_day(2)
        assert run_pipeline(town.metrics, town.warehouse).published
        (count,) = reader.execute("SELECT count(*) FROM service_requests").fetchone() or (0,)
        assert count == 1  # still the version it opened
    finally:
        reader.close()
    assert (sha256(version), version.stat().st_mtime_ns) == before
    assert published_file(town.warehouse) != version and requests_opened(town.warehouse) == 3


def test_keep_prunes_the_oldest_versions_but_never_the_published_one(
    town: Town, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = []
    for day in (1, 2, 3, 4):
        town.write_day(day)
        ids.append(run_pipeline(town.metrics, town.warehouse, keep=2).run_id)
    assert [v.name for v in list_versions(town.warehouse)] == [
        f"citystat-{ids[2]}.duckdb",
        f"citystat-{ids[3]}.duckdb",
    ]
    # The variable sets the default; the CLI's --keep overrides it.
    monkeypatch.setenv("CITYSTAT_KEEP_VERSIONS", "1")
    town.write_day(5)
    run_pipeline(town.metrics, town.warehouse)
    assert len(list_versions(town.warehouse)) == 1
    town.write_day(6)
    args = ["run", "--metrics", str(town.metrics), "--warehouse", str(town.warehouse)]
    result = CliRunner().invoke(main, [*args, "--keep", "3"])
    assert result.exit_code == 0, result.output
    assert len(list_versions(town.warehouse)) == 2  # day 5's and day 6's
    monkeypatch.setenv("CITYSTAT_KEEP_VERSIONS", "none")
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert "CITYSTAT_KEEP_VERSIONS='none' is not a whole number; set it to 1 or more" in (
        result.output
    )


def test_a_relative_warehouse_path_never_prunes_the_published_version(
    town: Town, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Versions listed relative to the working folder once compared unequal to the resolved
    # published file, so pruning deleted the version just published.
    monkeypatch.chdir(town.root)
    relative = town.warehouse.relative_to(town.root)
    for day in (1, 2, 3):
        town.write_day(day)
        run_pipeline(town.metrics, relative, keep=1)
        assert requests_opened(relative) > 0  # the symlink still points at a file
    assert len(list_versions(relative)) == 1


def test_rollback_restores_the_previous_version_and_says_when_there_is_none(
    town: Town,
) -> None:
    runner = CliRunner()
    rollback = ["rollback", "--warehouse", str(town.warehouse)]
    result = runner.invoke(main, rollback)
    assert result.exit_code == 1
    assert "nothing is published, so there is nothing to undo" in result.output

    town.write_day(1)
    first = run_pipeline(town.metrics, town.warehouse)
    result = runner.invoke(main, rollback)
    assert result.exit_code == 1
    assert f"no previous version to roll back to ({town.data / 'versions'} holds none older" in (
        result.output
    )
    assert "Traceback" not in result.output

    town.write_day(2)
    second = run_pipeline(town.metrics, town.warehouse)
    assert requests_opened(town.warehouse) == 3
    result = runner.invoke(main, rollback)
    assert result.exit_code == 0, result.output
    assert f"now shows citystat-{first.run_id}.duckdb again" in result.output
    assert published_version(town.warehouse) == f"citystat-{first.run_id}.duckdb"
    assert requests_opened(town.warehouse) == 1
    # The version taken down is kept for inspection, outside the sequence of versions.
    assert requests_opened(rolled_back_path(town.warehouse)) == 3
    assert [v.name for v in list_versions(town.warehouse)] == [f"citystat-{first.run_id}.duckdb"]
    # The next run merges day 2 again into the restored version: the same 3 requests.
    third = run_pipeline(town.metrics, town.warehouse)
    assert third.sources[0].skipped == ["town_2024-01-01.csv"]
    assert requests_opened(town.warehouse) == 3 and second.run_id < third.run_id


def test_a_plain_file_warehouse_from_before_versions_is_adopted_and_can_be_restored(
    town: Town,
) -> None:
    town.write_day(1)
    run_pipeline(town.metrics, town.warehouse)
    # Make it what an older citystat published: a plain file, no versions folder.
    plain = town.data / "plain.duckdb"
    shutil.copyfile(town.warehouse, plain)
    town.warehouse.unlink()
    shutil.rmtree(town.data / "versions")
    os.replace(plain, town.warehouse)
    assert published_version(town.warehouse).startswith("citystat.duckdb@")  # type: ignore[union-attr]
    town.write_day(2)
    assert run_pipeline(town.metrics, town.warehouse).published
    names = [v.name for v in list_versions(town.warehouse)]
    assert len(names) == 2 and names[0].endswith("-adopted.duckdb")
    assert town.warehouse.is_symlink() and requests_opened(town.warehouse) == 3
    result = CliRunner().invoke(main, ["rollback", "--warehouse", str(town.warehouse)])
    assert result.exit_code == 0, result.output
    assert requests_opened(town.warehouse) == 1


def test_one_run_at_a_time(town: Town) -> None:
    town.write_day(1)
    with publish_lock(town.warehouse), pytest.raises(PublishError) as caught:
        run_pipeline(town.metrics, town.warehouse)
    assert str(caught.value) == (
        f"{town.warehouse}: another citystat run or rollback is publishing it; wait for it to "
        "finish and run again"
    )
    assert published_file(town.warehouse) is None


def test_leftovers_of_a_killed_run_are_removed_and_versions_are_not(town: Town) -> None:
    town.write_day(1)
    first = run_pipeline(town.metrics, town.warehouse)
    versions = town.data / "versions"
    # What kills at different moments leave: a build and its WAL, a finished version that was
    # never swapped in (newer than the published one), a temporary link, the old .tmp build.
    leftovers = [
        versions / "citystat-29990101T000000.000000Z-aaaaaa.duckdb.building",
        versions / "citystat-29990101T000000.000000Z-aaaaaa.duckdb.building.wal",
        versions / "citystat-29990101T000000.000000Z-bbbbbb.duckdb",
        town.data / "citystat.duckdb.tmp",
    ]
    for path in leftovers:
        path.write_bytes(b"half")
    (town.data / ".citystat.duckdb.link-4242").symlink_to("versions/nothing")
    # A build killed while a large sort spilled past the memory limit leaves its spill folder.
    spill = versions / "citystat-29990101T000000.000000Z-aaaaaa.duckdb.building.tmp"
    spill.mkdir()
    (spill / "duckdb_temp_storage-0.tmp").write_bytes(b"spilled")
    removed = clean_leftovers(town.warehouse)
    assert sorted(p.name for p in removed) == sorted(
        [*(p.name for p in leftovers), ".citystat.duckdb.link-4242", spill.name]
    )
    assert not spill.exists()
    assert [v.name for v in list_versions(town.warehouse)] == [f"citystat-{first.run_id}.duckdb"]


def _published_state(town: Town) -> tuple[str, str | None]:
    return sha256(town.warehouse), published_version(town.warehouse)


def test_disk_full_while_copying_publishes_nothing_and_loses_nothing(
    town: Town, monkeypatch: pytest.MonkeyPatch
) -> None:
    town.write_day(1)
    run_pipeline(town.metrics, town.warehouse)
    before = _published_state(town)

    def full(*_: object, **__: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("pipelines.publish.versions.shutil.copyfile", full)
    town.write_day(2)
    result = CliRunner().invoke(
        main, ["run", "--metrics", str(town.metrics), "--warehouse", str(town.warehouse)]
    )
    assert result.exit_code == 1
    versions = town.data / "versions"
    assert result.output.strip().replace("\n", " ") == (
        f"Error: {versions}: the disk is full ([Errno 28] No space left on device); nothing was "
        f"published and {town.warehouse} is unchanged; free disk space on the volume holding "
        f"{versions}, then run again"
    )
    assert _published_state(town) == before
    assert len(list(versions.iterdir())) == 1  # no build left behind


def test_disk_full_inside_duckdb_publishes_nothing(
    town: Town, monkeypatch: pytest.MonkeyPatch
) -> None:
    town.write_day(1)
    run_pipeline(town.metrics, town.warehouse)
    before = _published_state(town)
    real_merge = __import__("pipelines.run.sources", fromlist=["merge_staged"]).merge_staged

    def merge_on_a_full_disk(*args: object, **kwargs: object) -> object:
        real_merge(*args, **kwargs)
        # What DuckDB raises when a write of the database file fails for lack of space.
        raise duckdb.IOException(
            'IO Error: Could not write file "citystat.duckdb.building": No space left on device'
        )

    monkeypatch.setattr("pipelines.run.sources.merge_staged", merge_on_a_full_disk)
    town.write_day(2)
    with pytest.raises(PublishError, match=r": the disk is full \(IO Error: Could not write"):
        run_pipeline(town.metrics, town.warehouse)
    assert _published_state(town) == before
    assert [p.suffix for p in (town.data / "versions").iterdir()] == [".duckdb"]


def test_a_read_only_data_folder_fails_the_swap_cleanly(
    town: Town, monkeypatch: pytest.MonkeyPatch
) -> None:
    town.write_day(1)
    run_pipeline(town.metrics, town.warehouse)
    before = _published_state(town)

    def read_only(*_: object) -> None:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr("pipelines.publish.versions.os.rename", read_only)
    town.write_day(2)
    with pytest.raises(PublishError) as caught:
        run_pipeline(town.metrics, town.warehouse)
    assert str(caught.value) == (
        f"{town.data}: the folder is not writable ([Errno 30] Read-only file system); nothing "
        f"was published and {town.warehouse} is unchanged; make {town.data} writable by this "
        "user, then run again"
    )
    assert _published_state(town) == before
    assert len(list((town.data / "versions").iterdir())) == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores folder permissions (CI runs as root)")
def test_a_data_folder_without_write_permission_publishes_nothing(town: Town) -> None:
    town.write_day(1)
    run_pipeline(town.metrics, town.warehouse)
    before = _published_state(town)
    town.write_day(2)
    for folder in (town.data, town.data / "versions"):
        folder.chmod(0o555)
    try:
        with pytest.raises(PublishError, match="is not writable"):
            run_pipeline(town.metrics, town.warehouse)
    finally:
        for folder in (town.data, town.data / "versions"):
            folder.chmod(0o755)
    assert _published_state(town) == before


_SUBPROCESS_RUN = (
    "import os, resource, signal, sys\n"
    "os.environ['CITYSTAT_SOURCES_DIR'], os.environ['CITYSTAT_DATA_DIR'] = sys.argv[1:3]\n"
    "from pipelines.cli.main import main\n"
    # The limit applies to writes from here on (imports may write bytecode caches).
    "resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[3]), resource.RLIM_INFINITY))\n"
    "main(sys.argv[4:])\n"
)


def run_with_file_size_limit(
    town: Town, limit: int, *args: str
) -> subprocess.CompletedProcess[str]:
    """`citystat run ARGS` in a subprocess whose writes fail past ``limit`` bytes per file."""
    command = [sys.executable, "-c", _SUBPROCESS_RUN, str(town.sources), str(town.data)]
    where = ["--metrics", str(town.metrics), "--warehouse", str(town.warehouse)]
    return subprocess.run(
        [*command, str(limit), "run", *args, *where],
        capture_output=True,
        text=True,
        timeout=120,
        # A write past the limit raises SIGXFSZ, which kills by default; ignored, it fails
        # with EFBIG instead, like ENOSPC on a full disk.
        preexec_fn=lambda: signal.signal(signal.SIGXFSZ, signal.SIG_IGN),
    )


@pytest.mark.slow
def test_a_real_write_failure_of_the_operating_system_publishes_nothing(town: Town) -> None:
    """No mocks: the OS refuses writes past a file size limit (as a full disk would)."""
    town.write_day(1)
    run_pipeline(town.metrics, town.warehouse)
    before = _published_state(town)
    town.write_day(2)
    size = town.warehouse.stat().st_size
    # The copy of the published version is the first large write: it hits the limit.
    result = run_with_file_size_limit(town, size // 2)
    assert result.returncode == 1, result.stderr
    message = " ".join(result.stderr.split())  # the console wraps long lines
    assert f"Error: {town.data / 'versions'}: a file size limit was reached ([Errno 27] " in message
    assert f"nothing was published and {town.warehouse} is unchanged" in message
    assert "Traceback" not in message
    assert _published_state(town) == before
    assert len(list((town.data / "versions").iterdir())) == 1


@pytest.mark.slow
def test_duckdb_failing_to_write_its_checkpoint_publishes_nothing(town: Town) -> None:
    """No mocks: DuckDB's own write of the build hits the limit (it raises a FatalException)."""
    town.write_day(1)
    run_pipeline(town.metrics, town.warehouse)
    before = _published_state(town)
    town.write_day(2)
    # --rebuild copies nothing; DuckDB's checkpoint of the new build is what hits 100 kB.
    result = run_with_file_size_limit(town, 100_000, "--rebuild")
    assert result.returncode == 1, result.stderr
    message = " ".join(result.stderr.split())
    assert f"Error: {town.data / 'versions'}: a file size limit was reached (FATAL Error: " in (
        message
    )
    assert "File too large" in message and "Traceback" not in message
    assert _published_state(town) == before
    assert len(list((town.data / "versions").iterdir())) == 1


def test_a_failed_validation_keeps_its_build_beside_the_versions(town: Town) -> None:
    town.write_day(1)
    run_pipeline(town.metrics, town.warehouse)
    before = _published_state(town)
    # Every request of day 2 lacks its opened date: the critical not-null rule fails.
    (town.extracts / "town_2024-01-02.csv").write_text(HEADER + "X1,,,Open\nX2,,,Open\n")
    result = run_pipeline(town.metrics, town.warehouse)
    assert not result.published
    assert _published_state(town) == before and failed_path(town.warehouse).is_file()
    assert len(list_versions(town.warehouse)) == 1
