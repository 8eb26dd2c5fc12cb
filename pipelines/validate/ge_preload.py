"""Imported for its effect: Great Expectations, as citystat imports it, in the GE worker's
forkserver (``pipelines.validate.worker``) before it forks any worker.

Through ``ge_batches.import_great_expectations``, not a plain ``import great_expectations``:
that pulls pyspark in where it is installed, whose connect module ends an interpreter started
with ``python -c`` (as the forkserver is) when grpc is missing.
"""

import contextlib

from pipelines.validate.ge_batches import import_great_expectations

# The server must start all the same: each worker then imports GE itself, fails the same
# way, and answers every job with the reason (worker.serve_jobs).
with contextlib.suppress(Exception):
    import_great_expectations()
