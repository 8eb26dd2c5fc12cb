"""GE workers are forked from a server that imported GE once, and each starts as the run is."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import cast

import pytest

from pipelines.validate.ge_jobs import GeJob
from pipelines.validate.worker import GeWorker, WorkerFailure
from tests import ge_worker_fakes

ROOT = Path(__file__).resolve().parents[1]


def _describe() -> dict[str, object]:
    """What a fresh worker reports about itself (ge_worker_fakes.serve_describing)."""
    worker = GeWorker(timeout=300, serve=ge_worker_fakes.serve_describing)
    try:
        worker.submit(cast(GeJob, b"job"))  # the fake worker reads no field
        answer = worker.verdict()
    finally:
        worker.close()  # right after the verdict, as a run closes it
    assert isinstance(answer, WorkerFailure) and answer.reason.startswith("{"), answer
    state = cast(dict[str, object], json.loads(answer.reason))
    assert state["pid"] == worker.pid, "a verdict of another worker"
    return state


def test_each_worker_has_ge_imported_already_and_the_runs_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CITYSTAT_WORKER_MARK", "first run")
    first = _describe()
    # Set after the server started: a worker keeping the server's environment would miss it.
    monkeypatch.setenv("CITYSTAT_WORKER_MARK", "second run")
    second = _describe()
    monkeypatch.delenv("CITYSTAT_WORKER_MARK")
    third = _describe()
    # Imported before the worker's loop ran: by the server, once (a spawned worker has not).
    assert first["ge_imported"] and second["ge_imported"] and third["ge_imported"]
    assert (first["mark"], second["mark"], third["mark"]) == ("first run", "second run", None)
    # Each is a fresh fork of the server, not of the run or of the worker before it.
    assert not any(w["earlier_worker_seen"] for w in (first, second, third))
    pids = {first["pid"], second["pid"], third["pid"]}
    assert len(pids) == 3 and os.getpid() not in pids


def test_workers_started_one_after_another_each_get_their_own_verdicts() -> None:
    # A closed worker's verdict reader once read on after its pipe's descriptor was closed;
    # the next worker's pipe, opened milliseconds later, reused the number, and its verdict
    # went to the old reader (the new worker "died" or gave none in time).
    for _ in range(20):
        _describe()


_BEHIND_A_SLOW_PRELOAD = """
from pipelines.validate import worker
from tests import ge_worker_fakes

worker.PRELOAD = "tests.preload_waiting_for_flag"
started = worker.GeWorker(timeout=300, serve=ge_worker_fakes.serve_describing)
started.submit(b"job")  # waits in the pipe until the worker exists
abandoned = worker.GeWorker(timeout=300, serve=ge_worker_fakes.serve_describing)
abandoned.close()  # a run that failed before its first load: the worker must not outlive it
print("constructed and submitted", flush=True)
print(started.verdict().reason, flush=True)
started.close()
assert abandoned.pid is not None  # known once the server forked it
abandoned._process.join(60)
print(abandoned._process.exitcode, flush=True)
"""


def test_a_run_goes_on_while_the_server_still_imports(tmp_path: Path) -> None:
    # A new forkserver forks nothing before its preload (GE's import, seconds) is done; when
    # the run's main thread waited for that fork, every daily run paid GE's import again.
    flag = tmp_path / "preload may finish"
    env = {**os.environ, "CITYSTAT_TEST_PRELOAD_FLAG": str(flag)}
    script = subprocess.Popen(
        [sys.executable, "-c", _BEHIND_A_SLOW_PRELOAD],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [lines.put(line) for line in script.stdout or []]).start()
        # The preload cannot have finished: the flag it waits for does not exist yet.
        assert lines.get(timeout=300) == "constructed and submitted\n"
        assert not flag.exists()
        flag.touch()
        state = json.loads(lines.get(timeout=300))
        assert state["pid"] != script.pid
        assert lines.get(timeout=300) == f"{-signal.SIGKILL}\n"  # killed once it existed
    finally:
        flag.touch()
        _, errors = script.communicate(timeout=300)
    assert script.returncode == 0, errors
