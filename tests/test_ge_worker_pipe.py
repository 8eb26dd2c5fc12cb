"""A run may send the GE worker many loads before it reads a verdict (a rebuild of a hundred
daily files): the pipe between them must never block both ways."""

from __future__ import annotations

import threading
from typing import cast

from pipelines.validate.ge_jobs import GeJob
from pipelines.validate.worker import GeWorker, WorkerFailure
from tests import ge_worker_fakes

JOBS = 40  # 40 x 100 kB of jobs and 40 x 200 kB of replies: far more than a pipe buffers


def test_many_jobs_sent_before_any_verdict_is_read_all_get_their_verdict() -> None:
    worker = GeWorker(timeout=60, serve=ge_worker_fakes.serve_large_answers)
    answers: list[object] = []

    def run() -> None:
        for _ in range(JOBS):
            worker.submit(cast(GeJob, b"j" * 100_000))  # the fake worker reads no field
        answers.extend(worker.verdict() for _ in range(JOBS))

    # In a thread, so a deadlock fails the test instead of hanging it.
    sender = threading.Thread(target=run, daemon=True)
    sender.start()
    sender.join(30)
    worker.close()
    assert not sender.is_alive(), "the run and the worker blocked each other on the pipe"
    assert len(answers) == JOBS
    assert all(isinstance(a, WorkerFailure) and len(a.reason) == 200_000 for a in answers)
