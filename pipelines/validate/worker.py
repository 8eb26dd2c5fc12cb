"""Great Expectations in a worker process, so its import never sits on a run's critical path.

A run starts the worker as soon as it knows it will validate a file; the worker imports GE
(seconds) while the run copies, reads and stages. Each load's ``GeJob`` (its sample as Parquet
files DuckDB wrote, never the build being written) goes down a pipe; the verdicts come back in
the same order, and a thread of the run takes each off the pipe as it arrives: a run that sends
many jobs before it reads a verdict (a rebuild of a hundred daily files) would otherwise fill
the pipe both ways, the worker blocked sending a verdict and the run blocked sending a job.
The run waits only before publishing. After the last verdict the worker is killed rather than
left to exit, because an interpreter holding GE takes most of a second to exit and the run has
no use for that.

The worker is forked from multiprocessing's forkserver, which imports GE once
(``pipelines.validate.ge_preload``) and then forks each worker with it already imported; a
child forked from the run itself would inherit its open DuckDB connection. A process makes
one run, and pays GE's import once, as a spawned worker would; a process that makes many
(the test suite, a scheduler) pays it once in all instead of once per run. Like a spawned
worker, a forked one gets the run's working folder and import path (multiprocessing sends
them); it would keep the server's environment, so it is sent the run's too.

Starting a forkserver worker waits for the server to fork it, and a new server forks nothing
before its preload has imported GE (seconds): a thread starts the worker, so the run goes on
at once. Jobs sent before the worker exists wait in the pipe.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import socket
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
# How long closing waits for the verdict reader to see the pipe's end (it takes microseconds).
READER_SECONDS = 5.0
# What the forkserver imports before it forks any worker.
PRELOAD = "pipelines.validate.ge_preload"


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


def _serve_as_the_run(
    serve: Callable[[Connection], None], env: dict[str, str], jobs: Connection
) -> None:
    """The worker: the run's environment, then its loop."""
    os.environ.clear()
    os.environ.update(env)
    serve(jobs)


def _start_without_main(process: BaseProcess) -> None:
    """Start ``process`` without handing it the parent's main script.

    A forked (like a spawned) child runs the parent's ``__main__`` file again. That may be any
    script: the ``citystat`` entry point, or a page script a Streamlit AppTest or a CLI test
    runner left as ``__main__`` in the same process, which fails when re-run alone. The
    worker's code is imported by module name, so the child needs no main script at all."""
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
        context = multiprocessing.get_context("forkserver")
        # Only read when the server starts: the first worker of the process starts it.
        context.set_forkserver_preload([PRELOAD])
        self._pipe, child = context.Pipe()
        arguments = (serve or serve_jobs, dict(os.environ), child)
        self._process: BaseProcess = context.Process(
            target=_serve_as_the_run, args=arguments, name="citystat-ge-worker", daemon=True
        )
        self._sent = 0
        self._timeout = timeout or float(
            os.environ.get("CITYSTAT_GE_TIMEOUT", DEFAULT_TIMEOUT_SECONDS)
        )
        self._dead: str | None = None
        # Whoever comes second of the starter (started) and close (closed) kills the worker.
        self._lock = threading.Lock()
        self._started_up = self._closed = False
        self._starter = threading.Thread(
            target=self._start, args=(child,), name="citystat-ge-start", daemon=True
        )
        self._starter.start()
        self._answers: queue.Queue[object] = queue.Queue()
        self._reader = threading.Thread(target=self._read, name="citystat-ge-verdicts", daemon=True)
        self._reader.start()

    def _start(self, child: Connection) -> None:
        """Start the process (the starter thread); a run closed meanwhile stops it at once."""
        try:
            _start_without_main(self._process)
        except Exception as exc:  # the verdicts say why
            self._dead = f"the Great Expectations worker could not start: {exc!r}"
        finally:
            child.close()  # the worker holds its own end now, or no one will
        with self._lock:
            self._started_up, closed = True, self._closed
        if closed:
            self._kill()

    def _started(self) -> bool:
        """Wait for the starter thread (at most the verdict timeout); False if it still runs."""
        self._starter.join(self._timeout)
        return not self._starter.is_alive()

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
        """The worker's process id (for tests that kill it), once it has started."""
        self._started()
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
        if self._dead is None and not self._started():
            self._dead = f"the Great Expectations worker did not start in {self._timeout:g} s"
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
        """Stop the worker now, without waiting for it to start or for its interpreter to exit."""
        with self._lock:
            self._closed, started = True, self._started_up
        if started:  # else the starter kills it once it exists
            self._kill()
        # The reader ends (end of file) before the pipe's descriptor is closed: a descriptor
        # closed under a reading thread is reused by the next pipe opened (the next run's
        # worker, milliseconds later), and that thread would read another worker's verdicts.
        with contextlib.suppress(OSError):
            family, kind = socket.AF_UNIX, socket.SOCK_STREAM  # a duplex Pipe is a socketpair
            with socket.fromfd(self._pipe.fileno(), family, kind) as end:
                end.shutdown(socket.SHUT_RDWR)
        self._reader.join(READER_SECONDS)
        if not self._reader.is_alive():
            self._pipe.close()

    def _kill(self) -> None:
        """Kill the worker process if it runs."""
        with contextlib.suppress(ValueError):  # never started: nothing to kill
            if self._process.is_alive():
                self._process.kill()
