"""The words messages and pages use for the records of each canonical table.

One place, keyed by canonical table, so no message says "requests" about permits or
inspections: a record of service_requests is a request, of permits a permit, of inspections
an inspection, and a count of inspections is in cases (the unit of their metrics). Pure
vocabulary, no I/O: part of the read API the dashboard may import (with ``published``).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class RecordWords:
    """How to name the records of one canonical table."""

    one: str  # a record: "permit"
    many: str  # records: "permits"
    unit: str  # the unit a count of them is in (metrics.yml's ``unit``): "permits", "cases"

    def count(self, n: int) -> str:
        """'1 permit', '12,034 requests'."""
        return f"{n:,} {self.one if n == 1 else self.many}"

    def counted(self, n: int) -> str:
        """A count in the unit metrics use: '12,034 cases' ('1 case')."""
        return f"{n:,} {self.unit.removesuffix('s') if n == 1 else self.unit}"


DEFAULT_TABLE = "service_requests"

RECORD_WORDS: dict[str, RecordWords] = {
    "service_requests": RecordWords("request", "requests", "requests"),
    "permits": RecordWords("permit", "permits", "permits"),
    "inspections": RecordWords("inspection", "inspections", "cases"),
}

# A table this module does not know yet (a newer warehouse read by an older dashboard).
_ANY = RecordWords("record", "records", "records")

# The units metrics.yml counts records in: a value in one of them is a volume.
COUNT_UNITS = frozenset(w.unit for w in RECORD_WORDS.values())


def record_words(table: str | None) -> RecordWords:
    """The words for a canonical table's records (service_requests when NULL: warehouses
    from before permits and inspections recorded no table)."""
    return RECORD_WORDS.get(table or DEFAULT_TABLE, _ANY)


def department_hint(written: str, names: Mapping[str, str]) -> str:
    """How to fix a department that is not an id of city.yml's registry (``names``: id ->
    name): its id when a name was written, a close id, or the list. city.yml's checks
    (metrics.yml, services.yml) and the dashboard's roles.yml check word it the same way."""
    by_name = {name.casefold(): department for department, name in names.items()}
    if written.casefold() in by_name:
        return f"write its id '{by_name[written.casefold()]}'"
    close = difflib.get_close_matches(written.casefold(), list(by_name), n=1, cutoff=0.8)
    if close:
        department = by_name[close[0]]
        return f"did you mean '{department}' ({names[department]})?"
    ids = list(names)
    near = difflib.get_close_matches(written, ids, n=1, cutoff=0.6)
    if near:
        return f"did you mean '{near[0]}'?"
    return f"use one of: {', '.join(ids)} (or add it under 'departments:' in city.yml)"
