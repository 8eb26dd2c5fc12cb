"""Validation of staged batches of every canonical table: GE 1.x in bounded batches, then SQL
quarantine. The suite (expectations/<table>.json) says which table it checks.

Importing this package does not import Great Expectations; that happens when a validation runs.
"""

from pipelines.validation.report import ExpectationOutcome, ValidationReport
from pipelines.validation.run import DEFAULT_SUITE, validate_and_quarantine
from pipelines.validation.suite import ValidationConfigError

__all__ = [
    "DEFAULT_SUITE",
    "ExpectationOutcome",
    "ValidationConfigError",
    "ValidationReport",
    "validate_and_quarantine",
]
