"""Many rows into a table in one statement.

Outside a transaction, DuckDB commits each statement on its own and syncs its write-ahead
log to disk; ``executemany`` runs one statement per row, so 30 rows paid 30 syncs (about half
a second per source in a daily run at 10M requests, while the build copy was still being
written out). One INSERT with a VALUES list pays one, whatever the row count.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb


def insert_rows(
    con: duckdb.DuckDBPyConnection, into: str, rows: Sequence[Sequence[object]]
) -> None:
    """Insert ``rows`` with ``into`` ("INSERT INTO t (a, b)"), every value bound; none: no-op."""
    if not rows:
        return
    width = len(rows[0])
    if any(len(row) != width for row in rows):
        raise ValueError(f"{into}: every row needs {width} values")
    one = "(" + ", ".join("?" for _ in range(width)) + ")"
    # ``into`` is the caller's fixed text; the values are parameters.
    con.execute(f"{into} VALUES " + ", ".join(one for _ in rows), [v for row in rows for v in row])
