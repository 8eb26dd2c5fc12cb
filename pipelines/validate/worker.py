"""Great Expectations in a worker process, so its import never sits on a run's critical path.

A run starts the worker as soon as it knows it will validate a file; the worker imports GE
(seconds) while the run copies, reads and stages. Each load's ``GeJob`` (its sample as Parquet
files DuckDB wrote, never the build being written) goes down a pipe; the verdicts come back in
the same order, and a thread of the run takes each off the pipe as it arrives: a run that sends
many jobs before it reads a verdict (a rebuild of a hundred daily files) would otherwise fill
the pipe both ways, the worker blocked sending a verdict and the run blocked sending a job.
The run waits only before publishing. The worker is started with ``spawn``: a
forked child would inherit the run's open DuckDB connection. After the last verdict the worker
is killed rather than left to exit, because an interpreter holding GE takes most of a second
to exit and the run has no use for that.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import sys
import threading
import types
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from pipelines.validate.ge_jobs import GeJob, GeVerdict

# How long a run waits for one verdict once it needs it; CITYSTAT_GE_TIMEOUT overrides.
DEFAULT_TIMEOUT_SECONDS = 900.0


@dataclass(frozen=True)
class WorkerFailure:
    """Why no verdict came: GE raised, the worker died or it did not answer in time."""

    reason: str


def answer_jobs(jobs: Connection, answer: Callable[[GeJob], GeVerdict | WorkerFailure]) -> None:
    """Send back ``answer(job)`` for each job, in order, until the run sends None or closes."""
    while True:
        try:
            job = jobs.recv()
        except EOFError:
            return
        if job is None:
            return
        jobs.send(answer(job))


def serve_jobs(jobs: Connection) -> None:
    """The worker's loop: build GE's runner, then answer each job with a verdict or an error."""
    from tqdm import tqdm

    from pipelines.validate import ge_jobs
    from pipelines.validate.ge_batches import shared_runner

    # GE's progress bars (tqdm, though turned off) would create a multiprocessing lock, a named
    # semaphore the run's resource tracker warns about when this worker is killed: a thread
    # lock serves a process that runs one job at a time.
    tqdm.set_lock(threading.RLock())

    try:
        runner = shared_runner()
    except Exception as exc:  # every job gets the reason instead
        broken = WorkerFailure(f"Great Expectations could not start: {exc!r}")
        answer_jobs(jobs, lambda job: broken)
        return

    def check(job: GeJob) -> GeVerdict | WorkerFailure:
        try:
            # Looked up on each call: tests replace ge_jobs.check_load in the worker.
            return ge_jobs.check_load(runner, job)
        except Exception as exc:  # sent to the run, which names the load
            return WorkerFailure(f"Great Expectations raised {type(exc).__name__}: {exc}")

    answer_jobs(jobs, check)


def _start_without_main(process: BaseProcess) -> None:
    """Start ``process`` without handing it the parent's main script.

    ``spawn`` runs the parent's ``__main__`` file again in the child. That may be any script:
    the ``citystat`` entry point, or a page script a Streamlit AppTest or a CLI test runner left
    as ``__main__`` in the same process, which fails when re-run alone. The worker's code is
    imported by module name, so the child needs no main script at all."""
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        process.start()
    finally:
        sys.modules["__main__"] = main


_ENDED = object()  # the reader thread's last item: the pipe closed (the worker is gone)


class GeWorker:
    """A process running GE on the jobs it is sent, answering in order."""

    def __init__(
        self, timeout: float | None = None, serve: Callable[[Connection], None] | None = None
    ) -> None:
        """Start the worker; ``serve`` replaces its loop (tests use a worker that misbehaves)."""
        context = multiprocessing.get_context("spawn")
        self._pipe, child = context.Pipe()
        self._process: BaseProcess = context.Process(
            target=serve or serve_jobs, args=(child,), name="citystat-ge-worker", daemon=True
        )
        _start_without_main(self._process)
        child.close()
        self._sent = 0
        self._timeout = timeout or float(
            os.environ.get("CITYSTAT_GE_TIMEOUT", DEFAULT_TIMEOUT_SECONDS)
        )
        self._dead: str | None = None
        self._answers: queue.Queue[object] = queue.Queue()
        threading.Thread(target=self._read, name="citystat-ge-verdicts", daemon=True).start()

    def _read(self) -> None:
        """Take every answer off the pipe as it comes, so the worker never blocks sending."""
        while True:
            try:
                answer = self._pipe.recv()
            except (EOFError, OSError):
                self._answers.put(_ENDED)
                return
            self._answers.put(answer)

    @property
    def pid(self) -> int | None:
        """The worker's process id (for tests that kill it)."""
        return self._process.pid

    def submit(self, job: GeJob) -> None:
        """Send one load's job; its verdict comes back from ``verdict`` in submission order."""
        if self._dead is None:
            try:
                self._pipe.send(job)
            except OSError as exc:  # the worker died: the verdict says so
                self._dead = f"the Great Expectations worker stopped ({exc})"
        self._sent += 1

    def verdict(self) -> GeVerdict | WorkerFailure:
        """The next job's verdict, or why there is none."""
        if self._dead is not None:
            return WorkerFailure(self._dead)
        try:
            answer = self._answers.get(timeout=self._timeout)
        except queue.Empty:
            self._dead = f"the Great Expectations worker gave no verdict in {self._timeout:g} s"
            self.close()
            return WorkerFailure(self._dead)
        if answer is _ENDED:
            code = self._process.exitcode
            self._process.join(5)
            code = self._process.exitcode if code is None else code
            self._dead = f"the Great Expectations worker died (exit code {code})"
            return WorkerFailure(self._dead)
        assert isinstance(answer, GeVerdict | WorkerFailure)
        return answer

    def close(self) -> None:
        """Stop the worker now, without waiting for its interpreter to exit."""
        if self._process.is_alive():
            self._process.kill()
        self._pipe.close()
