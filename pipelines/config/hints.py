"""Locating an issue in a configuration file and suggesting the nearest valid word."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pipelines.config.issues import Issue
from pipelines.config.yaml_lines import Loc, line_of


def did_you_mean(word: str, choices: Iterable[str], *, when_none: str | None = None) -> str:
    """A 'did you mean ...?' hint, or the list of valid choices when nothing is close; with
    no choice at all, ``when_none`` (what to add instead), never an empty 'use one of'."""
    options = list(choices)
    if not options:
        return when_none or f"nothing to choose from yet: add an entry before using '{word}'"
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    return one_of(options, when_none="")


def one_of(choices: Iterable[str], *, when_none: str, lead: str = "use one of: ") -> str:
    """'use one of: a, b' (``lead`` and the choices), or ``when_none`` when there are none:
    a hint never lists nothing."""
    options = list(choices)
    return lead + ", ".join(options) if options else when_none


@dataclass(frozen=True)
class Locator:
    """Turns a key path in the YAML tree into an Issue with the right line."""

    file_label: str
    root: Any

    def issue(self, loc: Loc, message: str, hint: str) -> Issue:
        """An issue located at ``loc`` (or the nearest existing parent)."""
        return Issue(self.file_label, line_of(self.root, loc), message, hint)
