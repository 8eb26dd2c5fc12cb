"""Which canonical columns a mapping of each kind may fill, and the timestamp tokens it may use."""

from __future__ import annotations

from pipelines.warehouse.schema import CANONICAL_TABLES, SERVICE_REQUESTS_COLUMNS, CanonicalTable

# Columns the loader fills itself; a mapping cannot point them at raw columns.
DERIVED_COLUMNS = frozenset({"source", "status_raw", "source_file", "source_row"})


# Kept for callers of the 311-only API; kind-aware code uses mappable_columns(kind).
MAPPABLE_COLUMNS = tuple(c for c in SERVICE_REQUESTS_COLUMNS if c not in DERIVED_COLUMNS)


TIMESTAMP_COLUMNS = tuple(c for c, t in SERVICE_REQUESTS_COLUMNS.items() if t == "TIMESTAMP")


# Timestamp format tokens understood besides strptime formats.
ODATA_EPOCH_MS = "odata_epoch_ms"  # "/Date(1189506663000)/": epoch milliseconds, a UTC instant


ODATA_EPOCH_MS_LOCAL = "odata_epoch_ms_local"  # same text, but the clock reads local time


TIMESTAMP_TOKENS = frozenset({ODATA_EPOCH_MS, ODATA_EPOCH_MS_LOCAL})


def canonical_table(kind: str) -> CanonicalTable:
    """The canonical table a mapping of this kind feeds."""
    return CANONICAL_TABLES[kind]


def mappable_columns(kind: str) -> tuple[str, ...]:
    """Canonical columns of a kind that a mapping may fill (all but the loader's own)."""
    return tuple(c for c in canonical_table(kind).columns if c not in DERIVED_COLUMNS)


def timestamp_columns(kind: str) -> tuple[str, ...]:
    """Canonical TIMESTAMP columns of a kind."""
    return tuple(c for c, t in canonical_table(kind).columns.items() if t == "TIMESTAMP")


def match_key(word: str) -> str:
    """A mapping's key (status word, due-rule key) as staging matches it: case and surrounding
    spaces ignored."""
    return word.strip().lower()
