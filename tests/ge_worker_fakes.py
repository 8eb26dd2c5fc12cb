"""GE workers that misbehave on purpose, for the tests of a run's GE gate.

Each is a worker loop (``GeWorker(serve=...)``) forked from the forkserver, so it must be
importable by name in the child; each changes one thing about the real loop and then runs it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import sys
from multiprocessing.connection import Connection

from pipelines.validate import ge_batches, ge_jobs, worker


def _with_check(jobs: Connection, check: object) -> None:
    ge_jobs.check_load = check  # type: ignore[assignment]  # the worker looks it up per call
    worker.serve_jobs(jobs)


def serve_raising(jobs: Connection) -> None:
    """GE raises while checking a load."""

    def check(runner: ge_batches.GeRunner, job: ge_jobs.GeJob) -> ge_jobs.GeVerdict:
        raise ge_batches.GreatExpectationsError("expectation blew up on purpose")

    _with_check(jobs, check)


def serve_killed(jobs: Connection) -> None:
    """The worker is killed (SIGKILL) as soon as a load reaches it."""
    jobs.poll(None)
    os.kill(os.getpid(), signal.SIGKILL)


def serve_silent(jobs: Connection) -> None:
    """The worker takes every load and never answers, as a hung GE run would."""
    try:
        while jobs.recv() is not None:
            pass
    except EOFError:
        pass


def serve_failing_row_count(jobs: Connection) -> None:
    """GE fails the row-count expectation on purpose, where citystat's SQL passes it."""
    real = ge_jobs.check_load

    def check(runner: ge_batches.GeRunner, job: ge_jobs.GeJob) -> ge_jobs.GeVerdict:
        verdict = real(runner, job)
        failed = [
            dataclasses.replace(o, success=False)
            if o.expectation_type == "expect_table_row_count_to_be_between"
            else o
            for o in verdict.table_outcomes
        ]
        return dataclasses.replace(verdict, table_outcomes=failed)

    _with_check(jobs, check)


def serve_disagreeing(jobs: Connection) -> None:
    """GE counts one more failing value than SQL for the first row rule of the first batch."""
    real = ge_jobs.check_load

    def check(runner: ge_batches.GeRunner, job: ge_jobs.GeJob) -> ge_jobs.GeVerdict:
        verdict = real(runner, job)
        first = verdict.sample.batches[0]
        key = next(iter(first))
        counts = first[key].counts
        first[key] = dataclasses.replace(
            first[key],
            counts=dataclasses.replace(counts, unexpected_count=counts.unexpected_count + 1),
        )
        return verdict

    _with_check(jobs, check)


def serve_large_answers(jobs: Connection) -> None:
    """Answers every job at once with a large reply (200,000 characters), as fast as jobs
    come: replies pile up in the pipe while the run is still sending jobs."""
    worker.answer_jobs(jobs, lambda job: worker.WorkerFailure("x" * 200_000))


_served = False  # set by serve_describing in its own process only


def serve_describing(jobs: Connection) -> None:
    """Answer each job with what the worker started with: whether GE was imported before its
    loop ran, CITYSTAT_WORKER_MARK, whether an earlier worker's change is visible, its pid."""
    global _served
    state = {
        "ge_imported": "great_expectations" in sys.modules,
        "mark": os.environ.get("CITYSTAT_WORKER_MARK"),
        "earlier_worker_seen": _served,
        "pid": os.getpid(),
    }
    _served = True
    worker.answer_jobs(jobs, lambda job: worker.WorkerFailure(json.dumps(state)))
