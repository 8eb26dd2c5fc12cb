"""A year of daily runs, simulated: the extract moved into the past, then one file a day.

Every run rejects versions dated after its start (a future update would win every later
merge), so the simulation first writes the full extract with every timestamp moved back by
the simulated days plus a margin; day ``d`` of the simulation is then ``d`` days after the
moved extract's last update, and still in the past. The demo's permits and inspections move
back with it: a run's as-of is the latest record time of any table, and left where they were
they held it weeks after every simulated day, so no day moved it as a city's daily runs do,
and every close was judged against an as-of already past the request's due time (a request
closed before its due time then left the overdue backlogs it had been in, and four of them
fell back to a full recompute, 3 s of a day, on most days). Each day's file holds ``rows`` requests:
a fifth close open requests, the rest are new requests (copies of seeded template rows under
new ids past the extract's largest, opened that day), a quarter of which stay open. Day ``d``
closes those left open on day ``d - CLOSE_AFTER_DAYS``; the first days close requests open in
the full extract (picked by a seeded hash, a different slice each day). As many requests open
as close each day, so the open backlog stays as the extract left it, as a city's does in a
steady year. An earlier version closed only the extract's open requests and left two thirds
of the new ones open for good, so the backlog every daily run re-derives grew by 3,334 a day
while the extract's open requests lasted and by 5,334 once they were all closed (at 10M:
265,388 open, all closed by day 133, about 1.95 million open after 365 days), and the run
grew with it. Everything is SQL, deterministic by seed.
"""

from __future__ import annotations

from pathlib import Path

from .daily import publish_written

FULL_NAME = "public_cases_fc.csv"
MARGIN_DAYS = 3  # the last simulated day stays this far behind the run's clock
TEMPLATES_PER_ROW = 10  # new requests copy rows of a sample this many times a day's rows
# A day closes the requests the simulation opened this many days before (within their 7-day
# target); the first days close requests open in the extract.
CLOSE_AFTER_DAYS = 3
# The 311 extract's time columns (local wall time) and the demo's other extracts with theirs
# (instants, ISO 8601 in UTC), all moved back by the same days.
WALL_FORMAT = "%Y-%m-%d %H:%M:%S"
REQUEST_TIMES = ("requested_datetime", "updated_datetime", "expected_datetime", "closed_datetime")
INSTANT_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
OTHER_EXTRACTS = {
    "philadelphia_permits": (
        "permits.csv",
        ("permitapplicationdate", "permitissuedate", "permitcompleteddate"),
    ),
    "philadelphia_inspections": (
        "case_investigations.csv",
        ("complaintdate", "casecreateddate", "casecompleteddate", "investigationcompleted"),
    ),
}


def day_name(day: int) -> str:
    """File of simulated day ``day``; sorts after the full extract, in day order."""
    return f"public_cases_fc_day{day:04d}.csv"


def _moved_times_sql(columns: tuple[str, ...]) -> str:
    """COPY of a CSV with ``columns`` moved back by $shift days; a value not in $fmt (a
    defect the demo injected) stays as it was, to be quarantined as before."""
    moved = ",\n        ".join(
        f'coalesce(strftime(try_strptime("{c}", $fmt) - to_days($shift), $fmt), "{c}") AS "{c}"'
        for c in columns
    )
    return (  # the columns are this module's constants; every value is bound
        f"COPY (\n    SELECT * REPLACE (\n        {moved}\n    )\n"  # noqa: S608
        "    FROM read_csv($source, header = true, all_varchar = true)\n"
        ") TO $target (FORMAT CSV, HEADER, DELIMITER ',')"
    )


# The pool a day is drawn from, written once: the extract's open requests and a seeded sample
# of template rows, only rows without its injected defects (they would be quarantined, not
# merged), with the extract's last update and largest id; a day then reads this small file.
_POOL_SQL = """
COPY (
    WITH extract AS (
        SELECT * FROM read_csv($source, header = true, all_varchar = true)
    ),
    single AS (
        SELECT service_request_id FROM extract GROUP BY ALL HAVING count(*) = 1
    ),
    clean AS (
        SELECT e.* FROM extract AS e SEMI JOIN single USING (service_request_id)
        WHERE (e.closed_datetime IS NULL OR e.closed_datetime >= e.requested_datetime)
          AND e.zipcode IS NOT NULL AND CAST(e.lat AS DOUBLE) <> 0
    ),
    facts AS (
        SELECT date_trunc('day', max(CAST(updated_datetime AS TIMESTAMP))) AS last_day,
               max(CAST(service_request_id AS BIGINT)) AS top_id
        FROM extract
    ),
    chosen AS (
        SELECT *, status = 'Open' AS is_open FROM clean WHERE status = 'Open'
        UNION ALL
        (SELECT *, false FROM clean ORDER BY hash($seed, service_request_id) LIMIT $templates)
    )
    SELECT c.*, f.last_day, f.top_id FROM chosen AS c CROSS JOIN facts AS f
) TO $target (FORMAT PARQUET)
"""

# ``hash`` of seed, day and id orders each choice: stable, and seeded. ``created`` is every
# new request of day $day and of day $day - $lag, exactly as that day's own file wrote them: a
# quarter of them open, the rest closed within the day; day $day closes the open ones of day
# $day - $lag. The first $lag days close requests open in the extract instead.
_DAY_SQL = """
COPY (
    WITH facts AS (
        SELECT any_value(last_day) AS last_day, any_value(top_id) AS top_id,
               any_value(last_day) + to_days($day) AS today
        FROM read_parquet($pool)
    ),
    open_ranked AS (  -- the open requests in a seeded order; day d closes slice d
        SELECT * EXCLUDE (is_open, last_day, top_id),
               row_number() OVER (ORDER BY hash($seed, service_request_id)) - 1 AS k,
               count(*) OVER () AS pool
        FROM read_parquet($pool) WHERE is_open
    ),
    extract_closes AS (
        SELECT o.* EXCLUDE (k, pool) REPLACE (
            'Closed' AS status,
            'Closed by the simulated day' AS status_notes,
            strftime(f.today + to_seconds(o.k % 80000), '%Y-%m-%d %H:%M:%S')
                AS updated_datetime,
            strftime(f.today + to_seconds(o.k % 80000), '%Y-%m-%d %H:%M:%S')
                AS closed_datetime
        )
        FROM open_ranked AS o CROSS JOIN facts AS f
        -- whole slices of the pool, in turn: after the last one, day d starts again at 0
        WHERE $day <= $lag
          AND o.k - ($day - 1) * $updates % (greatest(o.pool // $updates, 1) * $updates)
            BETWEEN 0 AND $updates - 1
    ),
    templates AS (
        SELECT t.* EXCLUDE (is_open, last_day, top_id), d.dd,
               row_number() OVER (
                   PARTITION BY d.dd ORDER BY hash($seed, d.dd, t.service_request_id)
               ) AS n
        FROM read_parquet($pool) AS t
        CROSS JOIN (SELECT unnest([$day, $day - $lag]) AS dd) AS d
        WHERE NOT t.is_open AND d.dd >= 1
        QUALIFY n <= $rows - $updates
    ),
    opened AS (
        SELECT t.*, f.top_id + (t.dd - 1) * $rows + t.n AS new_id,
               f.last_day + to_days(t.dd) + to_seconds(t.n * 8 % 80000) AS opened_at
        FROM templates AS t CROSS JOIN facts AS f
    ),
    created AS (
        SELECT o.* EXCLUDE (dd, n, new_id, opened_at) REPLACE (
            CAST(o.new_id AS VARCHAR) AS service_request_id,
            CASE WHEN o.n % 4 = 0 THEN 'Open' ELSE 'Closed' END AS status,
            strftime(o.opened_at, '%Y-%m-%d %H:%M:%S') AS requested_datetime,
            strftime(o.opened_at + INTERVAL 60 SECOND, '%Y-%m-%d %H:%M:%S') AS updated_datetime,
            strftime(o.opened_at + INTERVAL 7 DAY, '%Y-%m-%d %H:%M:%S') AS expected_datetime,
            CASE WHEN o.n % 4 <> 0
                THEN strftime(o.opened_at + INTERVAL 60 SECOND, '%Y-%m-%d %H:%M:%S')
                END AS closed_datetime
        ), o.dd, o.n
        FROM opened AS o
    ),
    own_closes AS (
        SELECT c.* EXCLUDE (dd, n) REPLACE (
            'Closed' AS status,
            'Closed by the simulated day' AS status_notes,
            strftime(f.today + to_seconds(c.n * 8 % 80000 + 120), '%Y-%m-%d %H:%M:%S')
                AS updated_datetime,
            strftime(f.today + to_seconds(c.n * 8 % 80000 + 120), '%Y-%m-%d %H:%M:%S')
                AS closed_datetime
        )
        FROM created AS c CROSS JOIN facts AS f
        WHERE c.dd = $day - $lag AND c.status = 'Open'
    )
    SELECT * FROM extract_closes
    UNION ALL
    SELECT * FROM own_closes
    UNION ALL
    SELECT * EXCLUDE (dd, n) FROM created WHERE dd = $day
    ORDER BY CAST(service_request_id AS BIGINT)
) TO $target (FORMAT CSV, HEADER, DELIMITER ',')
"""


def extract_moves(source: Path, folder: Path) -> list[tuple[Path, Path, tuple[str, ...], str]]:
    """(from, to, time columns, their format) of every extract the simulation moves back: the
    311 extract ``source`` into ``folder``, the demo's others beside it."""
    moves = [(source, folder / FULL_NAME, REQUEST_TIMES, WALL_FORMAT)]
    for name, (file, columns) in OTHER_EXTRACTS.items():
        moved = (source.parent.parent / name / file, folder.parent / name / file)
        moves.append((*moved, columns, INSTANT_FORMAT))
    return moves


def write_start(source: Path, folder: Path, days: int, seed: int, rows: int) -> Path:
    """Write the moved full extract into ``folder``, the demo's other extracts moved with it
    beside ``folder``, and the pool the days are drawn from (returned, beside ``folder``: the
    pipeline must not see it)."""
    import duckdb  # here, so the harness can import this module without loading DuckDB

    target, pool = folder / FULL_NAME, folder.parent / f"{folder.name}_pool.parquet"
    shift = days + MARGIN_DAYS
    for name in OTHER_EXTRACTS:
        (folder.parent / name).mkdir(exist_ok=True)
    with duckdb.connect() as con:
        for moved_from, moved_to, columns, fmt in extract_moves(source, folder):
            paths = {"source": str(moved_from), "target": str(moved_to)}
            con.execute(_moved_times_sql(columns), {**paths, "shift": shift, "fmt": fmt})
        params = {"source": str(target), "target": str(pool), "seed": seed}
        con.execute(_POOL_SQL, {**params, "templates": TEMPLATES_PER_ROW * rows})
    return pool


def write_day_extract(pool: Path, target: Path, day: int, rows: int, seed: int) -> int:
    """Write simulated day ``day`` (from 1): a fifth of ``rows`` closes open requests, the
    rest are new requests, a quarter of them left open; returns the rows written."""
    import duckdb

    partial = target.with_name(target.name + ".part")
    params = {
        "pool": str(pool),
        "target": str(partial),
        "day": day,
        "rows": rows,
        "updates": rows // 5,
        "seed": seed,
        "lag": CLOSE_AFTER_DAYS,
    }
    with duckdb.connect() as con:
        con.execute(_DAY_SQL, params)
        return publish_written(con, partial, target)


def compare_published(incremental: Path, rebuilt: Path) -> dict[str, int]:
    """Rows of metric_values in one warehouse and not the other (each way), and the total."""
    import duckdb

    with duckdb.connect() as con:
        con.execute("ATTACH $p AS inc (READ_ONLY)", {"p": str(incremental)})
        con.execute("ATTACH $p AS rebuilt (READ_ONLY)", {"p": str(rebuilt)})
        only_inc = con.execute(
            "SELECT count(*) FROM (FROM inc.metric_values EXCEPT ALL FROM rebuilt.metric_values)"
        ).fetchone()
        only_full = con.execute(
            "SELECT count(*) FROM (FROM rebuilt.metric_values EXCEPT ALL FROM inc.metric_values)"
        ).fetchone()
        total = con.execute("SELECT count(*) FROM rebuilt.metric_values").fetchone()
    return {
        "only_incremental": int(only_inc[0]) if only_inc else -1,
        "only_rebuild": int(only_full[0]) if only_full else -1,
        "rows": int(total[0]) if total else 0,
    }
