"""The Issue record every check of a configuration file returns, and the errors that carry them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Issue:
    """One problem in a configuration file: where it is, what is wrong and what to change."""

    file: str
    line: int
    message: str
    hint: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}; {self.hint}"


class ConfigFileError(Exception):
    """A configuration file could not be loaded; ``issues`` lists every problem found."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = sorted(issues)
        super().__init__("\n".join(str(issue) for issue in self.issues))


class MetricsFileError(ConfigFileError):
    """metrics.yml could not be loaded; ``issues`` lists every problem found."""


class ServicesFileError(ConfigFileError):
    """services.yml could not be loaded; ``issues`` lists every problem found."""


class CityFileError(ConfigFileError):
    """city.yml could not be loaded; ``issues`` lists every problem found."""
