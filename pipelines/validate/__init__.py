"""Validation of staged batches of every canonical table: exact counts in SQL, Great
Expectations 1.x on a bounded sample as the independent check, then SQL quarantine. The suite
(expectations/<table>.json) says which table it checks.

- ``run``: ``validate_and_quarantine``, one staged batch checked, sampled and quarantined.
- ``suite``: reading a suite and its parameters (``ValidationConfigError``).
- ``sql_rules``: every row rule as one SQL condition; ``counts``: their exact counts.
- ``ge_batches``: Great Expectations on a reproducible sample, one context per process.
- ``report``: ``ValidationReport`` and ``ExpectationOutcome``.

- ``ge_jobs``: a load's GE check as a picklable job (sample as Parquet) and its verdict.
- ``worker``: GE in a worker process, so a run's own process never imports it;
  ``ge_preload``: GE imported once in the forkserver the workers are forked from.

Importing this package does not import Great Expectations; that happens when a validation runs
in this process (``validate_and_quarantine``), once per process, or in a run's GE worker.
"""

from pipelines.validate.report import ExpectationOutcome, ValidationReport
from pipelines.validate.run import DEFAULT_SUITE, validate_and_quarantine
from pipelines.validate.suite import ValidationConfigError

__all__ = [
    "DEFAULT_SUITE",
    "ExpectationOutcome",
    "ValidationConfigError",
    "ValidationReport",
    "validate_and_quarantine",
]
