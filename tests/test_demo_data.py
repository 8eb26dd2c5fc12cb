"""The generated Philadelphia-layout demo 311 extract: layout, determinism, realism, defects."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from pipelines.demo.catalog import ZIP_AREAS
from pipelines.demo.common import CROSSWALK_FILE, load_zip_districts
from pipelines.demo.service_requests import COLUMNS, generate_311

ROWS = 20_000

EXPECTED_HEADER = [
    "objectid",
    "service_request_id",
    "subject",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "closed_datetime",
    "address",
    "zipcode",
    "media_url",
    "lat",
    "lon",
]

# The names other engineers depend on (metrics.yml, dashboard).
EXPECTED_AGENCY = {
    "Street Defect": "Streets Department",
    "Illegal Dumping": "Streets Department",
    "Street Light Outage": "Streets Department",
    "Rubbish/Recyclable Material Collection": "Streets Department",
    "Abandoned Vehicle": "Police Department",
    "Graffiti Removal": "Community Life Improvement Program",
    "Maintenance Complaint": "License & Inspections",
    "Information Request": "Philly311 Contact Center",
}


@pytest.fixture(scope="module")
def extract(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small extract shared by the read-only tests."""
    return generate_311(tmp_path_factory.mktemp("demo"), rows=ROWS)


@pytest.fixture(scope="module")
def con(extract: Path) -> duckdb.DuckDBPyConnection:
    """DuckDB holding the extract as all-text table ``t``, typed view ``r`` and the crosswalk."""
    connection = duckdb.connect()
    connection.execute(
        "CREATE TABLE t AS SELECT * FROM read_csv(?, header = true, all_varchar = true)",
        [str(extract)],
    )
    connection.execute(
        "CREATE TABLE xwalk AS SELECT * FROM read_csv(?, header = true, all_varchar = true)",
        [str(CROSSWALK_FILE)],
    )
    connection.execute(
        """
        CREATE TABLE r AS SELECT *,
            CAST(requested_datetime AS TIMESTAMP) AS req,
            CAST(updated_datetime AS TIMESTAMP) AS upd,
            CAST(expected_datetime AS TIMESTAMP) AS exp,
            CAST(closed_datetime AS TIMESTAMP) AS clo
        FROM t
        """
    )
    return connection


def scalar(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    """First column of the first row of a query."""
    row = con.execute(sql).fetchall()[0]
    return row[0]


def test_header_is_the_public_cases_fc_layout_in_order(extract: Path) -> None:
    with extract.open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    assert header == EXPECTED_HEADER
    assert list(COLUMNS) == EXPECTED_HEADER


def test_same_arguments_give_identical_bytes_and_another_seed_differs(
    extract: Path, tmp_path: Path
) -> None:
    again = generate_311(tmp_path / "again", rows=ROWS)
    other = generate_311(tmp_path / "other", rows=ROWS, seed=7)
    assert again.read_bytes() == extract.read_bytes()
    assert other.read_bytes() != extract.read_bytes()
    assert again == tmp_path / "again" / "philadelphia_311" / "public_cases_fc.csv"


def test_row_count_and_objectid_runs_one_to_n(con: duckdb.DuckDBPyConnection) -> None:
    row = con.execute(
        "SELECT count(*), min(CAST(objectid AS BIGINT)), max(CAST(objectid AS BIGINT)), "
        "count(DISTINCT objectid) FROM t"
    ).fetchall()[0]
    assert row == (ROWS, 1, ROWS, ROWS)


def test_request_ids_never_decrease_with_time(con: duckdb.DuckDBPyConnection) -> None:
    decreasing = scalar(
        con,
        """
        SELECT count(*) FROM (
            SELECT CAST(service_request_id AS BIGINT) AS id, req,
                   lag(CAST(service_request_id AS BIGINT)) OVER (ORDER BY CAST(objectid AS BIGINT))
                       AS prev_id,
                   lag(req) OVER (ORDER BY CAST(objectid AS BIGINT)) AS prev_req
            FROM r)
        WHERE id < prev_id OR req < prev_req
        """,
    )
    assert decreasing == 0


def test_every_service_present_with_its_fixed_agency_code_and_notice(
    con: duckdb.DuckDBPyConnection,
) -> None:
    rows = con.execute(
        "SELECT service_name, agency_responsible, count(DISTINCT service_code), "
        "count(DISTINCT service_notice), count(*) FROM t GROUP BY ALL"
    ).fetchall()
    assert {name: agency for name, agency, *_ in rows} == EXPECTED_AGENCY
    for name, _agency, codes, notices, count in rows:
        assert codes == 1 and notices == 1, name
        assert count >= 150, f"{name} has only {count} of {ROWS} rows"
    notice = dict(con.execute("SELECT DISTINCT service_name, service_notice FROM t").fetchall())
    assert notice["Street Defect"] == "3 Business Days"
    assert notice["Abandoned Vehicle"] == "30 Business Days"


def test_status_values_and_timestamp_text_format(con: duckdb.DuckDBPyConnection) -> None:
    assert {s for (s,) in con.execute("SELECT DISTINCT status FROM t").fetchall()} == {
        "Open",
        "Closed",
    }
    pattern = r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$"
    bad = scalar(
        con,
        f"""
        SELECT count(*) FROM t
        WHERE NOT regexp_full_match(requested_datetime, '{pattern}')
           OR NOT regexp_full_match(updated_datetime, '{pattern}')
           OR NOT regexp_full_match(expected_datetime, '{pattern}')
           OR (closed_datetime IS NOT NULL
               AND NOT regexp_full_match(closed_datetime, '{pattern}'))
        """,
    )
    assert bad == 0


def test_requests_span_the_window_and_nothing_happens_after_the_end_date(
    con: duckdb.DuckDBPyConnection,
) -> None:
    first, last, latest_update, latest_close = con.execute(
        "SELECT min(req), max(req), max(upd), max(clo) FROM r"
    ).fetchall()[0]
    assert first.date() == date(2023, 7, 1)
    assert last.date() == date(2026, 11, 15)
    assert latest_update.date() == date(2026, 11, 15)
    assert latest_close.date() <= date(2026, 11, 15)


def test_weekdays_busier_than_weekends(con: duckdb.DuckDBPyConnection) -> None:
    weekday_mean, weekend_mean = con.execute(
        """
        WITH days AS (
            SELECT CAST(d AS DATE) AS d
            FROM generate_series(DATE '2023-07-01', DATE '2026-11-15', INTERVAL 1 DAY) g(d)),
        per_day AS (
            SELECT days.d, count(r.req) AS n
            FROM days LEFT JOIN r ON CAST(r.req AS DATE) = days.d GROUP BY days.d)
        SELECT avg(n) FILTER (WHERE isodow(d) <= 5), avg(n) FILTER (WHERE isodow(d) >= 6)
        FROM per_day
        """
    ).fetchall()[0]
    assert weekday_mean > 1.4 * weekend_mean


def test_business_hours_busier_than_night(con: duckdb.DuckDBPyConnection) -> None:
    day_hours, night_hours = con.execute(
        "SELECT count(*) FILTER (WHERE hour(req) BETWEEN 9 AND 16), "
        "count(*) FILTER (WHERE hour(req) BETWEEN 0 AND 5 OR hour(req) = 23) FROM r"
    ).fetchall()[0]
    assert day_hours > 5 * night_hours


def test_potholes_peak_in_late_winter_and_graffiti_in_summer(
    con: duckdb.DuckDBPyConnection,
) -> None:
    defects_spring, defects_autumn, graffiti_summer, graffiti_winter = con.execute(
        """
        SELECT
            count(*) FILTER (WHERE service_name = 'Street Defect' AND month(req) IN (2, 3, 4)),
            count(*) FILTER (WHERE service_name = 'Street Defect' AND month(req) IN (8, 9, 10)),
            count(*) FILTER (WHERE service_name = 'Graffiti Removal' AND month(req) IN (6, 7, 8)),
            count(*) FILTER (WHERE service_name = 'Graffiti Removal' AND month(req) IN (12, 1, 2))
        FROM r
        """
    ).fetchall()[0]
    assert defects_spring > 1.5 * defects_autumn
    assert graffiti_summer > 1.4 * graffiti_winter


def test_closure_delays_differ_by_council_district(con: duckdb.DuckDBPyConnection) -> None:
    # Each delay is divided by its service's citywide median so the service mix cannot
    # create or hide a gap; with equal district speeds these medians all sit near 1.0.
    medians = dict(
        con.execute(
            """
            WITH closed AS (
                SELECT r.service_name, x.council_district,
                       date_diff('second', r.req, r.clo) AS delay
                FROM r JOIN xwalk AS x ON x.zip = r.zipcode
                WHERE r.clo >= r.req AND r.service_name <> 'Information Request'),
            service_median AS (
                SELECT service_name, median(delay) AS typical FROM closed GROUP BY 1)
            SELECT council_district, median(delay / typical)
            FROM closed JOIN service_median USING (service_name)
            GROUP BY 1
            """
        ).fetchall()
    )
    assert sorted(medians) == sorted(str(d) for d in range(1, 11))
    assert max(medians.values()) >= 1.3 * min(medians.values())
    # District 7 is modelled as the slowest and district 10 as the fastest.
    assert medians["7"] >= 1.5 * medians["10"]


def test_on_time_shares_are_plausible_per_service(con: duckdb.DuckDBPyConnection) -> None:
    shares = dict(
        con.execute(
            "SELECT service_name, avg(CASE WHEN clo IS NOT NULL AND clo <= exp THEN 1 ELSE 0 END) "
            "FROM r GROUP BY 1"
        ).fetchall()
    )
    for name, share in shares.items():
        assert 0.45 <= share <= 0.95, f"{name} on-time share {share:.2f}"
    assert shares["Graffiti Removal"] > shares["Abandoned Vehicle"]


def test_open_backlog_recent_and_old(con: duckdb.DuckDBPyConnection) -> None:
    open_rows, open_with_close, recent, old = con.execute(
        """
        SELECT count(*) FILTER (WHERE status = 'Open'),
               count(*) FILTER (WHERE status = 'Open' AND closed_datetime IS NOT NULL),
               count(*) FILTER (WHERE status = 'Open' AND req >= TIMESTAMP '2026-10-15'),
               count(*) FILTER (WHERE status = 'Open' AND req < TIMESTAMP '2025-11-15')
        FROM r
        """
    ).fetchall()[0]
    assert open_rows > 0 and open_with_close == 0
    assert recent > 0 and old > 0
    # A month's requests are far more likely to be open than a year-old request.
    recent_share, old_share = con.execute(
        """
        SELECT avg(CASE WHEN status = 'Open' THEN 1 ELSE 0 END)
                   FILTER (WHERE req >= TIMESTAMP '2026-10-15'),
               avg(CASE WHEN status = 'Open' THEN 1 ELSE 0 END)
                   FILTER (WHERE req < TIMESTAMP '2025-11-15')
        FROM r
        """
    ).fetchall()[0]
    assert recent_share > 3 * old_share
    assert scalar(con, "SELECT count(*) FROM r WHERE status = 'Closed' AND clo IS NULL") == 0


def test_updated_and_expected_times_follow_the_request(con: duckdb.DuckDBPyConnection) -> None:
    assert scalar(con, "SELECT count(*) FROM r WHERE upd < req") == 0
    assert scalar(con, "SELECT count(*) FROM r WHERE exp <= req") == 0


def test_due_time_counts_business_days_skipping_weekends(con: duckdb.DuckDBPyConnection) -> None:
    # Street Defect target is 3 business days: Monday -> Thursday (3 days later),
    # Friday -> Wednesday (5), Saturday rolls to Monday then -> Thursday (5); time of day kept.
    gaps = con.execute(
        """
        SELECT isodow(req) AS dow,
               list(DISTINCT date_diff('day', CAST(req AS DATE), CAST(exp AS DATE))) AS gaps,
               count(*) FILTER (WHERE CAST(exp AS TIME) <> CAST(req AS TIME)) AS moved_times
        FROM r WHERE service_name = 'Street Defect' AND isodow(req) IN (1, 5, 6)
        GROUP BY 1 ORDER BY 1
        """
    ).fetchall()
    assert gaps == [(1, [3], 0), (5, [5], 0), (6, [5], 0)]


def test_each_defect_kind_present_in_small_numbers(con: duckdb.DuckDBPyConnection) -> None:
    exact_copies, changed_copies, backwards, no_zip, zero_point = con.execute(
        """
        WITH dup AS (
            SELECT service_request_id, count(*) AS n,
                   count(DISTINCT (status, status_notes, updated_datetime, closed_datetime)) AS v
            FROM t GROUP BY 1 HAVING count(*) > 1)
        SELECT
            (SELECT count(*) FROM dup WHERE v = 1),
            (SELECT count(*) FROM dup WHERE v > 1),
            (SELECT count(*) FROM r WHERE clo < req),
            (SELECT count(*) FROM t WHERE zipcode IS NULL),
            (SELECT count(*) FROM t WHERE CAST(lat AS DOUBLE) = 0 AND CAST(lon AS DOUBLE) = 0)
        """
    ).fetchall()[0]
    for kind, count in {
        "exact duplicate": exact_copies,
        "changed duplicate": changed_copies,
        "closed before requested": backwards,
        "missing zip": no_zip,
        "zero coordinates": zero_point,
    }.items():
        assert 1 <= count <= ROWS * 0.01, f"{kind}: {count}"


def test_zips_come_from_the_crosswalk_and_points_from_the_city(
    con: duckdb.DuckDBPyConnection,
) -> None:
    assert scalar(con, "SELECT count(*) FROM t WHERE zipcode NOT IN (SELECT zip FROM xwalk)") == 0
    assert scalar(con, "SELECT count(DISTINCT zipcode) FROM t") == 46
    outside = scalar(
        con,
        """
        SELECT count(*) FROM t
        WHERE NOT (CAST(lat AS DOUBLE) = 0 AND CAST(lon AS DOUBLE) = 0)
          AND NOT (CAST(lat AS DOUBLE) BETWEEN 39.867 AND 40.138
                   AND CAST(lon AS DOUBLE) BETWEEN -75.280 AND -74.956)
        """,
    )
    assert outside == 0


def test_text_fields_look_like_the_real_extract(con: duckdb.DuckDBPyConnection) -> None:
    assert scalar(con, "SELECT count(*) FROM t WHERE subject <> upper(subject)") == 0
    bad_address = scalar(
        con, "SELECT count(*) FROM t WHERE NOT regexp_full_match(address, '\\d{3,4} [A-Z0-9 ]+')"
    )
    assert bad_address == 0
    media_share = scalar(con, "SELECT avg(CASE WHEN media_url IS NULL THEN 0 ELSE 1 END) FROM t")
    assert isinstance(media_share, float) and 0 < media_share < 0.1
    instant = scalar(
        con,
        "SELECT count(*) FROM r WHERE service_name = 'Information Request' "
        "AND date_diff('minute', req, clo) BETWEEN 0 AND 15",
    )
    assert isinstance(instant, int) and instant > 100


def test_crosswalk_covers_the_46_residential_zips_in_ten_districts() -> None:
    districts = load_zip_districts()
    assert len(districts) == 46
    assert set(districts) == {area.zip for area in ZIP_AREAS}
    assert all("19102" <= zip_code <= "19154" for zip_code in districts)
    assert set(districts.values()) == {str(d) for d in range(1, 11)}
    assert CROSSWALK_FILE.read_text(encoding="utf-8").splitlines()[0] == "zip,council_district"


def test_bad_crosswalk_line_is_reported_with_its_line_number(tmp_path: Path) -> None:
    bad = tmp_path / "xwalk.csv"
    bad.write_text("zip,council_district\n19102,5\n1910,11\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"xwalk\.csv: line 3: .*zip='1910'.*'11'"):
        load_zip_districts(bad)


def test_invalid_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="rows must be at least 1, got 0"):
        generate_311(tmp_path, rows=0)
    with pytest.raises(ValueError, match="end date 2024-01-01 is before start date 2024-02-01"):
        generate_311(tmp_path, rows=10, start=date(2024, 2, 1), end=date(2024, 1, 1))


def test_a_one_day_extract_reports_progress(tmp_path: Path) -> None:
    messages: list[str] = []
    path = generate_311(
        tmp_path, rows=50, start=date(2024, 3, 4), end=date(2024, 3, 4), progress=messages.append
    )
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 51
    assert all(",2024-03-04 " in line for line in lines[1:])
    assert messages[0].startswith("Generating 50 demo 311 requests")
    assert messages[-1] == f"Demo extract ready: {path}"


def test_an_interrupted_run_leaves_no_file_behind(tmp_path: Path) -> None:
    def fail_after_first_chunk(message: str) -> None:
        if message.startswith("Wrote"):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        generate_311(tmp_path, rows=500, progress=fail_after_first_chunk)
    assert list((tmp_path / "philadelphia_311").iterdir()) == []
