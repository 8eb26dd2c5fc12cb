"""A daily extract for the incremental benchmark: 10,000 requests of the full extract again,
one day later, with newer updated times and changed statuses.

Open requests are the ones a day's extract changes: they are closed (status Closed, a close
time and status note of that day). When the extract has fewer open requests than asked for,
the rest are recently opened closed requests whose note and update time change. Every row
keeps its service_request_id, so the merge updates records and inserts none.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

DAILY_NAME = "public_cases_fc_daily.csv"  # sorts after public_cases_fc.csv: loaded after it

_DAILY_SQL = """
COPY (
    WITH extract AS (
        SELECT * FROM read_csv($source, header = true, all_varchar = true)
    ),
    single AS (  -- ids the extract holds once (it has injected duplicates)
        SELECT service_request_id FROM extract GROUP BY ALL HAVING count(*) = 1
    ),
    day AS (  -- the next day after the extract was cut, in its timestamp format
        SELECT max(CAST(updated_datetime AS TIMESTAMP)) AS cut FROM extract
    ),
    chosen AS (
        SELECT e.*, row_number() OVER (ORDER BY e.status = 'Open' DESC,
            e.requested_datetime DESC, e.service_request_id) AS n
        FROM extract AS e SEMI JOIN single USING (service_request_id)
        -- rows with the extract's injected defects would be quarantined again, not merged
        WHERE (e.closed_datetime IS NULL OR e.closed_datetime >= e.requested_datetime)
          AND e.zipcode IS NOT NULL AND CAST(e.lat AS DOUBLE) <> 0
        QUALIFY n <= $rows
    )
    SELECT * EXCLUDE (n, cut) REPLACE (
        'Closed' AS status,
        'Closed by the daily update' AS status_notes,
        strftime(date_trunc('day', day.cut) + INTERVAL 1 DAY
            + to_seconds(n % 86000), '%Y-%m-%d %H:%M:%S') AS updated_datetime,
        CASE WHEN status = 'Open'
            THEN strftime(date_trunc('day', day.cut) + INTERVAL 1 DAY
                + to_seconds(n % 86000), '%Y-%m-%d %H:%M:%S')
            ELSE closed_datetime END AS closed_datetime
    )
    FROM chosen CROSS JOIN day
    ORDER BY CAST(service_request_id AS BIGINT)
) TO $target (FORMAT CSV, HEADER, DELIMITER ',')
"""


def write_daily_extract(full_extract: Path, target: Path, rows: int = 10_000) -> int:
    """Write ``rows`` changed versions of requests in ``full_extract`` to ``target``."""
    import duckdb  # here, so the harness can name DAILY_NAME without loading DuckDB

    partial = target.with_name(target.name + ".part")
    with duckdb.connect() as con:
        con.execute(_DAILY_SQL, {"source": str(full_extract), "target": str(partial), "rows": rows})
        return publish_written(con, partial, target)


def publish_written(con: Any, partial: Path, target: Path) -> int:
    """Count the rows of the CSV just written to ``partial``, then move it to ``target``
    whole (the pipeline must never see half a file); the row count."""
    written = con.execute(
        "SELECT count(*) FROM read_csv($p, header = true, all_varchar = true)",
        {"p": str(partial)},
    ).fetchone()
    partial.rename(target)
    return int(written[0]) if written else 0
