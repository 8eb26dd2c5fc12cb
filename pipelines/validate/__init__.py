"""Validation of staged batches of every canonical table: exact counts in SQL, Great
Expectations 1.x on a bounded sample as the independent check, then SQL quarantine. The suite
(expectations/<table>.json) says which table it checks.

- ``run``: ``validate_and_quarantine``, one staged batch checked, sampled and quarantined.
- ``suite``: reading a suite and its parameters (``ValidationConfigError``).
- ``sql_rules``: every row rule as one SQL condition; ``counts``: their exact counts.
- ``ge_batches``: Great Expectations on a reproducible sample, one context per process.
- ``report``: ``ValidationReport`` and ``ExpectationOutcome``.

Importing this package does not import Great Expectations; that happens when a validation runs
(or in the background after ``warm_up_great_expectations()``), once per process.
"""

from pipelines.validate.report import ExpectationOutcome, ValidationReport
from pipelines.validate.run import DEFAULT_SUITE, validate_and_quarantine
from pipelines.validate.suite import ValidationConfigError


def warm_up_great_expectations() -> None:
    """Start importing GE in the background, for a run that is about to validate files."""
    from pipelines.validate.ge_batches import warm_up

    warm_up()


__all__ = [
    "DEFAULT_SUITE",
    "ExpectationOutcome",
    "ValidationConfigError",
    "ValidationReport",
    "validate_and_quarantine",
    "warm_up_great_expectations",
]
