"""The rows a volume leaves out, said beside it: quarantined and rejected rows per table.

A count of requests (permits, cases) is only as good as the rows behind it; every page that
shows a volume says how many rows of that table's files were set aside. Internal pages name
the quarantine and point to the Data quality page; the public site says it in one plain
sentence, with no file, path, hash or id.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from dashboard.components.formats import COUNT_UNITS, format_count, is_missing, table_words


def is_volume(unit: object) -> bool:
    """True for a metric whose value counts records (a count or a backlog)."""
    return not is_missing(unit) and str(unit) in COUNT_UNITS


def volume_tables(board: pd.DataFrame) -> list[str]:
    """The canonical tables whose records the volume metrics of ``board`` count, in order."""
    tables = [
        "service_requests" if is_missing(table) else str(table)
        for unit, table in zip(board["unit"], board["canonical_table"], strict=True)
        if is_volume(unit)
    ]
    return list(dict.fromkeys(tables))


def set_aside_note(totals: pd.DataFrame, table: str, *, public: bool) -> str | None:
    """One sentence on the rows of ``table``'s files set aside; None when none were loaded."""
    rows = totals[totals["canonical_table"] == table]
    if rows.empty:
        return None
    row = rows.iloc[0]
    words = table_words(table)
    read, files = int(row["rows_read"]), int(row["files"])
    quarantined, rejected = int(row["rows_quarantined"]), int(row["rows_rejected"])
    if public:
        if not quarantined and not rejected:
            return (
                f"None of the {format_count(read)} rows in the city's {words.one} files was set "
                "aside for data problems."
            )
        parts = [f"{format_count(quarantined)} {'was' if quarantined == 1 else 'were'} set aside"]
        parts[0] += " for data problems"
        if rejected:
            parts.append(f"{format_count(rejected)} could not be read")
        return (
            f"Of the {format_count(read)} rows in the city's {words.one} files, "
            f"{' and '.join(parts)}; they are not counted."
        )
    plural = "s" if files != 1 else ""
    return (
        f"{format_count(quarantined)} row{'s' if quarantined != 1 else ''} quarantined and "
        f"{format_count(rejected)} rejected of {format_count(read)} read from the {files} "
        f"{words.one} file{plural} behind these counts — see Data quality"
    )


def set_aside_notes(totals: pd.DataFrame, tables: Iterable[str], *, public: bool) -> list[str]:
    """``set_aside_note`` for each table that has loaded files, prefixed by its records."""
    notes = []
    for table in tables:
        note = set_aside_note(totals, table, public=public)
        if note is not None:
            notes.append(note if public else f"{table_words(table).many.capitalize()}: {note}")
    return notes
