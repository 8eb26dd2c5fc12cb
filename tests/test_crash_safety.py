"""Crash safety: `citystat run` killed (SIGKILL) at 23 step boundaries and 4 random moments.

The town (tests/test_publish.py) has day 1 published; day 2 brings two new files, one of which
closes a day-1 request (an update inside the merge transaction). Each scenario copies that
folder, starts `citystat run` in a separate process that pauses at one named step boundary
(CITYSTAT_TEST_PAUSE_AT, read by pipelines.warehouse.pause.pause_point) or is killed after a random
delay, SIGKILLs it, and checks:

1. the published warehouse opens read-only and holds exactly the tables and metric values of
   day 1 (or, once the symlink was swapped, exactly those of the uninterrupted run);
2. a clean re-run exits 0, removes the killed run's leftovers and publishes exactly what an
   uninterrupted run publishes (or, when the random kill came after the run had finished and
   recorded its inputs, says there is nothing new and leaves that run's version published).

The processes are forked from a server that has already imported citystat and Great
Expectations (multiprocessing's forkserver), so each costs milliseconds to start instead of
five seconds of imports; they run the real CLI entry point, in their own process, killed by
the kernel. They run side by side: the whole test takes two to three minutes on two cores
(119-182 s measured), the suite's second longest, so `make test` starts it first.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import duckdb
import pytest

from pipelines.cli.nothing_new import fingerprint_path
from pipelines.publish.versions import BUILDING_SUFFIX
from pipelines.validate.worker import PRELOAD
from pipelines.warehouse.pause import PAUSE_ENV, PAUSE_MARKER
from pipelines.warehouse.published import published_version
from tests.test_publish import HEADER, Town, make_town, sha256, use_town

pytestmark = pytest.mark.slow
# Only a guard against a hang. The 27 runs share two cores with each other and with the rest
# of the suite; a 120 s guard failed once under CI on a slow day, then passed twice alone.
HANG_SECONDS = 900

DAY2_FILE, DAY3_FILE = "town_2024-01-02.csv", "town_2024-01-03.csv"
# Step boundaries spread over load (both files), validation, merge, metrics and publish.
KILL_POINTS = [
    "run:locked",
    "build:copied",
    f"town/{DAY2_FILE}/read",
    f"town/{DAY2_FILE}/stage",
    f"town/{DAY2_FILE}/validate",
    f"town/{DAY2_FILE}/merge",
    "merge:deleted",  # inside the merge transaction of the first file
    f"town/{DAY2_FILE}/record",
    f"town/{DAY3_FILE}/read",
    f"town/{DAY3_FILE}/validate",
    f"town/{DAY3_FILE}/merge",
    f"town/{DAY3_FILE}/record",
    "metrics",
    "metric:opened",  # inside the metrics transaction, after the first metric
    "metric:backlog",
    "publish",
    "publish:checkpointed",
    "publish:closed",
    "publish:synced",
    "publish:renamed",
    "publish:linked",
    "publish:swapped",  # the new version is published from here on
    "publish:pruned",
]
AFTER_SWAP = {"publish:swapped", "publish:pruned"}
RANDOM_KILLS = 4


def _citystat_run(root: str, pause_at: str | None, log: str, env: dict[str, str]) -> None:
    """Child process: `citystat run` for the town in ``root``, output to ``log``, in the test's
    environment (``env``: a forked child would keep the server's, maybe an earlier test's)."""
    os.environ.clear()
    os.environ.update(env)
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    if pause_at is not None:
        os.environ[PAUSE_ENV] = pause_at
    from pipelines.cli.main import main

    town = make_town_paths(Path(root))
    os.environ["CITYSTAT_SOURCES_DIR"], os.environ["CITYSTAT_DATA_DIR"] = (
        str(town.sources),
        str(town.data),
    )
    args = ["run", "--metrics", str(town.metrics), "--warehouse", str(town.warehouse)]
    main(args)


def make_town_paths(root: Path) -> Town:
    """The town laid out in ``root`` (already written)."""
    return Town(root, root / "sources", root / "data", root / "metrics.yml")


@pytest.fixture(scope="module")
def forkserver() -> Any:
    """A multiprocessing context whose processes fork from a server with everything imported."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(
        [PRELOAD, "pipelines.cli.main", "pipelines.run", "tests.test_crash_safety"]
    )
    # Starts the server (unless an earlier test's GE worker did: then it imports GE alone and
    # each child imports citystat itself), before a GE worker of this module can start it.
    warm = context.Process(target=os.getpid)
    warm.start()
    warm.join(HANG_SECONDS)
    return context


def fingerprint(warehouse: Path) -> dict[str, object]:
    """Tables, row counts, loaded files and every metric value, read through a read-only open."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables ORDER BY 1, 2"
        ).fetchall()
        counts = con.execute(
            "SELECT (SELECT count(*) FROM service_requests), "
            "(SELECT count(*) FROM service_requests_versions)"
        ).fetchone()
        runs = con.execute("SELECT status, count(*) FROM runs GROUP BY 1").fetchall()
        files = con.execute(
            "SELECT file, rows_read, rows_staged, rows_inserted, rows_updated FROM load_files "
            "ORDER BY file"
        ).fetchall()
        closed = con.execute(
            "SELECT request_id FROM service_requests WHERE status = 'closed' ORDER BY 1"
        ).fetchall()
        values = con.execute(
            "SELECT metric_id, grain, period_label, dimension, dimension_value, value, count, "
            "status FROM metric_values ORDER BY ALL"
        ).fetchall()
    return {
        "tables": tables,
        "counts": counts,
        "runs": runs,
        "files": files,
        "closed": closed,
        "values": values,
    }


@dataclass(frozen=True)
class Baseline:
    """The town with day 1 published and day 2's files waiting, and both expected states."""

    folder: Path
    before: dict[str, object]
    before_hash: str
    after: dict[str, object]
    run_seconds: float


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory, forkserver: Any) -> Iterator[Baseline]:
    root = tmp_path_factory.mktemp("crash") / "base"
    town = make_town(root)
    with pytest.MonkeyPatch.context() as mp:
        use_town(town, mp)
        from pipelines.run.pipeline import run_pipeline

        town.write_day(1)  # D1-1, opened 1 January, open
        assert run_pipeline(town.metrics, town.warehouse).published
    # Day 2 closes D1-1 and opens D2-1; day 3 opens D3-1 and D3-2.
    (town.extracts / DAY2_FILE).write_text(
        HEADER + "D1-1,2024-01-01 08:00,2024-01-02 10:00,Closed\nD2-1,2024-01-02 09:00,,Open\n"
    )
    (town.extracts / DAY3_FILE).write_text(
        HEADER + "D3-1,2024-01-03 08:00,,Open\nD3-2,2024-01-03 09:00,,Open\n"
    )
    before = fingerprint(town.warehouse)
    # Worked out from the rows: day 1 alone has one open request and one file.
    assert before["counts"] == (1, 1) and before["closed"] == []
    assert before["runs"] == [("published", 1)]
    uninterrupted = _copy(root, root.parent / "uninterrupted")
    started = time.perf_counter()
    process = _start(forkserver, uninterrupted, None)
    process.join(HANG_SECONDS)
    seconds = time.perf_counter() - started
    assert process.exitcode == 0, (uninterrupted / "run.log").read_text()
    after = fingerprint(make_town_paths(uninterrupted).warehouse)
    # 4 requests (D1-1 updated, D2-1, D3-1, D3-2), 5 versions (D1-1 open and closed), two
    # published runs, three files.
    assert after["counts"] == (4, 5) and after["closed"] == [("D1-1",)]
    assert after["runs"] == [("published", 2)] and len(after["files"]) == 3
    yield Baseline(root, before, sha256(town.warehouse), after, seconds)


def _copy(base: Path, to: Path) -> Path:
    """A copy of the town folder; the published symlink is relative, so it stays valid."""
    shutil.copytree(base, to, symlinks=True)
    return to


def _start(context: Any, root: Path, pause_at: str | None) -> BaseProcess:
    process: BaseProcess = context.Process(
        target=_citystat_run, args=(str(root), pause_at, str(root / "run.log"), dict(os.environ))
    )
    process.start()
    return process


def _wait_for_pause(root: Path, point: str, process: BaseProcess) -> None:
    """Block until the child reports it sleeps at ``point`` (fail if it ends first)."""
    log = root / "run.log"
    deadline = time.monotonic() + HANG_SECONDS
    while time.monotonic() < deadline:
        if log.exists() and f"{PAUSE_MARKER}{point}" in log.read_text(errors="replace"):
            return
        if not process.is_alive():
            pytest.fail(f"{point}: the run ended without pausing:\n{log.read_text()}")
        time.sleep(0.02)
    pytest.fail(f"{point}: no pause within {HANG_SECONDS} s")


def _leftovers(town: Town) -> list[str]:
    """Files a finished run must not leave: builds, WAL files, temporary links."""
    names = [p.name for p in (town.data / "versions").iterdir()]
    names += [p.name for p in town.data.iterdir() if p.name.startswith(".citystat.duckdb.link")]
    return [n for n in names if BUILDING_SUFFIX in n or n.endswith(".wal") or ".link-" in n]


def test_a_run_killed_at_any_moment_leaves_the_published_warehouse_whole(
    baseline: Baseline, forkserver: Any, tmp_path: Path
) -> None:
    scenarios: list[tuple[str, Path, BaseProcess]] = []
    for point in KILL_POINTS:
        root = _copy(baseline.folder, tmp_path / point.replace("/", "_").replace(":", "_"))
        scenarios.append((point, root, _start(forkserver, root, point)))
    for point, root, process in scenarios:
        _wait_for_pause(root, point, process)
        process.kill()  # SIGKILL: no cleanup handler of any kind runs
    # Random moments over the length of an uninterrupted run (seeded: reproducible).
    delays = random.Random(5).sample(range(5, 95), RANDOM_KILLS)
    for i, percent in enumerate(delays):
        root = _copy(baseline.folder, tmp_path / f"random_{i}")
        process = _start(forkserver, root, None)
        time.sleep(baseline.run_seconds * percent / 100)
        process.kill()
        scenarios.append((f"random {percent}% of a run", root, process))

    reruns = []
    for name, root, process in scenarios:
        process.join(30)
        town = make_town_paths(root)
        published = fingerprint(town.warehouse)
        if name in AFTER_SWAP:
            assert published == baseline.after, name
        elif name.startswith("random"):
            # Killed before or after the swap (or finished first): one state or the other.
            assert published in (baseline.before, baseline.after), name
        else:
            assert process.exitcode == -9, name
            # Not a byte of the published version changed.
            assert published == baseline.before, name
            assert sha256(town.warehouse) == baseline.before_hash, name
        # A run killed after it had also pinned its inputs (a random kill that came when the
        # run was already over) leaves nothing for the re-run to do: it says so, adds no run.
        had_published = published == baseline.after
        finished = fingerprint_path(town.warehouse).exists()
        assert had_published or not finished, name
        rerun = _start(forkserver, root, None)
        reruns.append((name, root, had_published, finished, rerun))

    for name, root, had_published, finished, process in reruns:
        process.join(HANG_SECONDS)
        town = make_town_paths(root)
        log = (root / "run.log").read_text()
        assert process.exitcode == 0, f"{name}: {log}"
        result = fingerprint(town.warehouse)
        assert ("nothing new since run" in log) == finished, f"{name}: {log}"
        # A re-run after a published run loads nothing (files skipped) but is a run too,
        # unless the killed run had finished and the re-run found nothing new.
        runs = 2 if finished or not had_published else 3
        assert result == {**baseline.after, "runs": [("published", runs)]}, name
        assert _leftovers(town) == [], name
        assert published_version(town.warehouse) is not None
