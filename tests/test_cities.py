"""Every real city under cities/ builds, and its published numbers agree with the raw extracts.

Each city is built once per session, as `citystat --city cities/X run` builds it, into a
temporary folder (nothing is written into the repository). Its monthly citywide values are
then compared with independent DuckDB SQL written directly on the files in
../shared/data/real: the SQL re-derives everything the pipeline decides (status words, the
rows quarantined, date formats, the as-of time and the month boundaries in the city's local
time) and never reads the warehouse's tables. Every dashboard page renders for every city.

Durations are days between the local wall-clock times the extracts write, as the pipeline
and Los Angeles' own `_daystoclose` measure them (a request open across a daylight-saving
change counts the wall clock's hour too).
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.components import site
from dashboard.meetings import schema as meeting_schema
from dashboard.meetings import store
from dashboard.meetings.permissions import SYSTEM
from dashboard.queries import equity, packets, reader
from pipelines.city.loader import load_city
from pipelines.city.paths import file_root
from pipelines.warehouse.layout import CITY_ENV, PROJECT_ROOT, in_city
from tests.real_cities import Built
from tests.tables_support import shown_tables
from tests.test_public_view import rendered_output

pytestmark = [pytest.mark.realdata, pytest.mark.slow]

CITIES_DIR = PROJECT_ROOT / "cities"
CITIES = ["boston", "los_angeles", "new_york", "chicago", "san_francisco", "philadelphia"]
APP = PROJECT_ROOT / "dashboard" / "app.py"

# Each file's rows read, staged, quarantined and rejected (cities/README.md shows the same).
ACCOUNTING: dict[str, dict[tuple[str, str], tuple[int, int, int, int]]] = {
    "boston": {
        ("boston_311_legacy", "raw_sample.csv"): (4995, 4995, 0, 0),
        ("boston_311_2025", "311.csv"): (2424, 2424, 0, 0),
    },
    "los_angeles": {
        # 12 requests closed before they were created (SOURCES.md)
        ("la_311_2017", "MyLA311_Service_Request_Data_2017_Subset.csv"): (9999, 9987, 12, 0),
        ("la_311_api", "requests.csv"): (10000, 10000, 0, 0),
    },
    "new_york": {("nyc_311", "311_Service_Requests.csv"): (1000, 1000, 0, 0)},
    "chicago": {
        ("chicago_permits", "Building_Permits.csv"): (441, 441, 0, 0),
        ("chicago_food_inspections", "Food_Inspections.csv"): (342, 342, 0, 0),
    },
    # three (business_id, date) pairs are listed twice
    "san_francisco": {("sf_inspections", "inspections.csv"): (14233, 14230, 3, 0)},
    "philadelphia": {
        ("philadelphia_permits", f"permits.{page:03d}.json"): (1000, 1000, 0, 0)
        for page in range(1, 11)
    },
}

# District values the extracts write that are no district of the city's layer.
NOT_DISTRICTS: dict[str, set[str]] = {
    "boston": {"0"},
    "philadelphia": {"00"},  # written "00": an id of zeros stays as written
    "new_york": {
        "0 Unspecified",
        "Unspecified BRONX",
        "Unspecified BROOKLYN",
        "Unspecified QUEENS",
        "Unspecified STATEN ISLAND",
        # Joint Interest Areas (parks, airports): not community districts
        "56 BROOKLYN",
        "80 QUEENS",
        "81 QUEENS",
    },
}
# Cities whose extracts carry no district at all (coordinates only).
NO_DISTRICT_COLUMN = {"chicago", "san_francisco"}


def _warehouse(built: Built) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(built.warehouse), read_only=True)


def _published(built: Built, metric_id: str) -> dict[str, tuple[float | None, int]]:
    """The metric's citywide monthly (value, count) by period label."""
    with _warehouse(built) as con:
        rows = con.execute(
            "SELECT period_label, value, count FROM metric_values WHERE metric_id = ? "
            "AND grain = 'month' AND dimension = 'citywide'",
            [metric_id],
        ).fetchall()
    assert rows, f"{built.city}: no monthly values of {metric_id}"
    return {label: (value, int(count)) for label, value, count in rows}


def _raw(sql: str, **params: object) -> dict[str, tuple[float | None, int]]:
    """Independent SQL on the raw files: rows of (month label, value, count)."""
    con = duckdb.connect()
    rows = con.execute(sql, params).fetchall()
    return {label: (value, int(count)) for label, value, count in rows}


def _same_counts(published: dict, expected: dict, what: str) -> None:
    """Counts: every month the raw files have, and zero in every other published month."""
    assert expected, what
    for month, (value, count) in expected.items():
        assert published.get(month) == (float(value), count), (what, month)
    others = {m: v for m, v in published.items() if m not in expected}
    assert all(value == 0 for value, _ in others.values()), (what, others)


def _same_values(published: dict, expected: dict, what: str, *, tolerance: float = 1e-9) -> None:
    """Medians and shares: the months with observations, each value and its count."""
    assert expected, what
    with_data = {m: v for m, v in published.items() if v[1] > 0}
    assert set(with_data) == set(expected), what
    for month, (value, count) in expected.items():
        got_value, got_count = with_data[month]
        assert got_count == count, (what, month)
        assert got_value is not None and math.isclose(got_value, value, abs_tol=tolerance), (
            what,
            month,
            got_value,
            value,
        )


def _csv_records(path: Path, encoding: str = "utf-8") -> int:
    """Records as Python's csv module counts them: an answer independent of DuckDB."""
    with path.open(newline="", encoding=encoding) as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


# --------------------------------------------------------------------- independent SQL

# 311 requests of each city as the raw files hold them: id, opened, closed, status (mapped
# here from the status words), service. Rows closed before they were opened are left out:
# the pipeline quarantines them (la_311_2017 has 12).
REQUESTS_SQL = {
    "boston": """
        SELECT CASE_ENQUIRY_ID AS id, strptime(OPEN_DT, '%Y-%m-%d %H:%M:%S') AS opened,
            strptime(CLOSED_DT, '%Y-%m-%d %H:%M:%S') AS closed,
            strptime(TARGET_DT, '%Y-%m-%d %H:%M:%S') AS due, NULL::TIMESTAMP AS updated,
            CASE_STATUS AS status_word, "TYPE" AS service
        FROM read_csv($root || '/boston_311/raw_sample.csv', all_varchar = true)
        UNION ALL
        SELECT case_enquiry_id, strptime(open_dt, '%Y-%m-%d %H:%M:%S'),
            strptime(closed_dt, '%Y-%m-%d %H:%M:%S'),
            strptime(sla_target_dt, '%Y-%m-%d %H:%M:%S'), NULL, case_status, type
        FROM read_csv($root || '/boston_311/311.csv', all_varchar = true)
    """,
    "los_angeles": """
        SELECT SRNumber AS id, strptime(CreatedDate, '%m/%d/%Y %I:%M:%S %p') AS opened,
            strptime(ClosedDate, '%m/%d/%Y %I:%M:%S %p') AS closed, NULL::TIMESTAMP AS due,
            strptime(UpdatedDate, '%m/%d/%Y %I:%M:%S %p') AS updated, Status AS status_word,
            RequestType AS service
        FROM read_csv($root || '/la_311/MyLA311_Service_Request_Data_2017_Subset.csv',
            all_varchar = true)
        UNION ALL
        SELECT srnumber, strptime(createddate, '%Y-%m-%d %H:%M:%S'),
            strptime(closeddate, '%Y-%m-%d %H:%M:%S'), NULL,
            strptime(updateddate, '%Y-%m-%d %H:%M:%S'), status, requesttype
        FROM read_csv($root || '/la_311/requests.csv', all_varchar = true)
    """,
    "new_york": """
        SELECT unique_key AS id, CAST(created_date AS TIMESTAMP) AS opened,
            CAST(closed_date AS TIMESTAMP) AS closed, CAST(due_date AS TIMESTAMP) AS due,
            CAST(resolution_action_updated_date AS TIMESTAMP) AS updated,
            status AS status_word, complaint_type AS service
        FROM read_csv($root || '/nyc_311/311_Service_Requests.csv', all_varchar = true)
    """,
}
STATUS_WORDS = {
    "boston": {"Open": "open", "Closed": "closed"},
    "los_angeles": {
        "Open": "open",
        "Pending": "open",
        "Closed": "closed",
        "Cancelled": "cancelled",  # not completions
        "Referred Out": "cancelled",
    },
    "new_york": {
        **dict.fromkeys(["Open", "Assigned", "In Progress", "Pending", "Started"], "open"),
        "Closed": "closed",
    },
}


def _requests(city: str, real_data: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory database with the city's raw requests as view `requests` and `as_of`."""
    con = duckdb.connect()
    words = STATUS_WORDS[city]
    con.execute("CREATE TABLE words (word VARCHAR, status VARCHAR)")
    con.executemany("INSERT INTO words VALUES (?, ?)", list(words.items()))
    con.execute(
        "CREATE TABLE raw AS SELECT r.*, w.status FROM ("
        + REQUESTS_SQL[city].replace("$root", "?")
        + ") r LEFT JOIN words w ON r.status_word = w.word",
        [str(real_data)] * REQUESTS_SQL[city].count("$root"),
    )
    (unmapped,) = con.execute("SELECT count(*) FROM raw WHERE status IS NULL").fetchone() or (0,)
    assert unmapped == 0
    (ids, rows) = con.execute("SELECT count(DISTINCT id), count(*) FROM raw").fetchone() or (0, 0)
    assert ids == rows, "ids repeat: the independent SQL would need the merge's rule"
    con.execute(
        "CREATE VIEW requests AS SELECT * FROM raw WHERE closed IS NULL OR closed >= opened"
    )
    # The data's as-of: the latest moment the extracts speak of (none is in the future).
    con.execute(
        "CREATE TABLE as_of AS SELECT greatest(max(opened), max(closed), max(updated)) AS t "
        "FROM requests"
    )
    return con


def _query(con: duckdb.DuckDBPyConnection, sql: str) -> dict[str, tuple[float | None, int]]:
    return {label: (value, int(count)) for label, value, count in con.execute(sql).fetchall()}


VOLUME_SQL = """
SELECT strftime(opened, '%Y-%m'), count(*), count(*) FROM requests {where} GROUP BY 1
"""
MEDIAN_DAYS_SQL = """
SELECT strftime(closed, '%Y-%m'),
    quantile_cont(date_diff('microsecond', opened, closed) / 86400e6, 0.5), count(*)
FROM requests WHERE status = 'closed' AND closed IS NOT NULL {also} GROUP BY 1
"""
# Open at a month's end E: opened before E, not cancelled, and still open (no closing) or
# closed on or after E; a request closed with no closing time cannot be placed and is left
# out. The month holding the as-of is counted at the as-of.
BACKLOG_SQL = """
WITH months AS (
    SELECT m AS month_start, least(m + INTERVAL 1 MONTH, (SELECT t FROM as_of)) AS edge,
        m + INTERVAL 1 MONTH > (SELECT t FROM as_of) AS is_current
    FROM range(date_trunc('month', (SELECT min(opened) FROM requests)),
        (SELECT t FROM as_of), INTERVAL 1 MONTH) AS r(m)
), open_at_edge AS (
    SELECT month_start, r.id
    FROM months JOIN (SELECT * FROM requests WHERE status <> 'cancelled' {also}) AS r
        ON (r.opened < edge OR (is_current AND r.opened = edge))
        AND (r.status = 'open' OR r.closed > edge OR (NOT is_current AND r.closed = edge))
)
SELECT strftime(month_start, '%Y-%m'), count(id), count(id)
FROM months LEFT JOIN open_at_edge USING (month_start)
GROUP BY 1
"""


def _service(names: list[str]) -> str:
    quoted = ", ".join("'" + name.replace("'", "''") + "'" for name in names)
    return f"AND service IN ({quoted})"


# metric id, extra condition (a service filter) for each 311 city's checked metrics
REQUEST_METRICS: dict[str, list[tuple[str, str, str]]] = {
    "boston": [
        ("volume", "requests_received", ""),
        ("median", "median_days_to_close", ""),
        ("backlog", "open_backlog", ""),
        ("volume", "street_light_requests", _service(["Street Light Outages"])),
        ("median", "street_light_median_days", _service(["Street Light Outages"])),
        ("backlog", "street_light_backlog", _service(["Street Light Outages"])),
    ],
    "los_angeles": [
        ("volume", "requests_received", ""),
        ("median", "median_days_to_close", ""),
        ("backlog", "open_backlog", ""),
        ("volume", "bulky_item_requests", _service(["Bulky Items"])),
        ("median", "bulky_item_median_days", _service(["Bulky Items"])),
        ("median", "graffiti_median_days", _service(["Graffiti Removal"])),
    ],
    "new_york": [
        ("volume", "requests_received", ""),
        ("median", "median_days_to_close", ""),
        ("backlog", "open_backlog", ""),
        ("volume", "noise_requests", "AND service LIKE 'Noise - %'"),
        ("median", "noise_median_days", "AND service LIKE 'Noise - %'"),
        ("backlog", "noise_backlog", "AND service LIKE 'Noise - %'"),
    ],
}


# --------------------------------------------------------------------- build and accounting


@pytest.mark.parametrize("city", CITIES)
def test_every_file_is_accounted_for(
    city: str, built_city: Callable[[str], Built], real_data: Path
) -> None:
    built = built_city(city)
    with _warehouse(built) as con:
        files = con.execute(
            "SELECT source, file, rows_read, rows_staged, rows_quarantined, rows_rejected "
            "FROM load_files"
        ).fetchall()
        quarantined = dict(
            con.execute("SELECT source, count(*) FROM quarantine GROUP BY source").fetchall()
        )
        (unexplained,) = con.execute(
            "SELECT count(*) FROM quarantine WHERE rule IS NULL OR reason IS NULL"
        ).fetchone() or (0,)
    accounting = {(s, f): (r, st, q, rj) for s, f, r, st, q, rj in files}
    assert accounting == ACCOUNTING[city]
    for read, staged, held, rejected in accounting.values():
        assert read == staged + held + rejected
    for source in {s for s, _ in accounting}:
        held = sum(q for (s, _), (_, _, q, _) in accounting.items() if s == source)
        assert quarantined.get(source, 0) == held
    assert unexplained == 0
    # Rows read, counted without DuckDB.
    for (_, name), (read, *_) in accounting.items():
        (path,) = list(real_data.rglob(name))
        if path.suffix == ".json":
            records = len(json.loads(path.read_text(encoding="utf-8"))["d"]["results"])
        else:
            records = _csv_records(path)
        assert read == records, name


def test_the_readme_table_shows_this_accounting() -> None:
    """cities/README.md's table of rows loaded is the accounting the builds assert."""
    text = (CITIES_DIR / "README.md").read_text(encoding="utf-8")
    shown: dict[tuple[str, str], tuple[int, ...]] = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 7 and cells[3].replace(",", "").isdigit():
            shown[(cells[1], cells[2])] = tuple(int(c.replace(",", "")) for c in cells[3:])
    expected = {key: value for files in ACCOUNTING.values() for key, value in files.items()}
    pages = {k: v for k, v in expected.items() if k[0] == "philadelphia_permits"}
    for key in pages:
        del expected[key]
    expected[("philadelphia_permits", "permits.001.json … permits.010.json (each)")] = (
        1000, 1000, 0, 0
    )  # fmt: skip
    read, staged, held, rejected = (sum(v[i] for v in pages.values()) for i in range(4))
    expected[("philadelphia_permits", "all ten pages")] = (read, staged, held, rejected)
    assert shown == expected


@pytest.mark.parametrize("city", CITIES)
def test_district_ids_are_the_boundary_files_and_the_staged_values(
    city: str, built_city: Callable[[str], Built]
) -> None:
    built = built_city(city)
    profile = load_city(built.folder)
    assert profile.districts is not None and profile.districts.boundaries is not None
    layer = {d.id for d in profile.districts.districts}
    boundaries = profile.districts.boundaries
    with in_city(built.folder):
        geojson = file_root(boundaries.root) / boundaries.path
    features = json.loads(geojson.read_text(encoding="utf-8"))["features"]
    assert layer == {str(f["properties"][boundaries.id_property]) for f in features}
    with _warehouse(built) as con:
        staged = con.execute(
            "SELECT council_district, count(*) FROM ("
            + " UNION ALL ".join(
                f"SELECT council_district FROM {t}"
                for t in ("service_requests", "permits", "inspections")
            )
            + ") WHERE council_district IS NOT NULL GROUP BY 1"
        ).fetchall()
    values = dict(staged)
    if city in NO_DISTRICT_COLUMN:
        assert values == {}
        return
    assert set(values) - layer == NOT_DISTRICTS.get(city, set())
    # Nearly every record with a district is in one of the layer's.
    in_layer = sum(n for v, n in values.items() if v in layer)
    assert in_layer / sum(values.values()) > 0.97


# --------------------------------------------------------------------- 311 cities


@pytest.mark.parametrize(
    ("city", "check", "metric_id", "also"),
    [(city, *metric) for city, metrics in REQUEST_METRICS.items() for metric in metrics],
)
def test_311_metrics_agree_with_sql_on_the_raw_files(
    city: str,
    check: str,
    metric_id: str,
    also: str,
    built_city: Callable[[str], Built],
    real_data: Path,
) -> None:
    published = _published(built_city(city), metric_id)
    con = _requests(city, real_data)
    if check == "volume":
        _same_counts(published, _query(con, VOLUME_SQL.format(where="WHERE true " + also)), city)
    elif check == "median":
        _same_values(published, _query(con, MEDIAN_DAYS_SQL.format(also=also)), city)
    else:
        expected = _query(con, BACKLOG_SQL.format(also=also))
        assert expected == {m: v for m, v in published.items() if m in expected}, metric_id
        assert all(v == (0.0, 0) for m, v in published.items() if m not in expected)


def test_boston_backlog_is_the_open_extract_at_its_as_of(
    built_city: Callable[[str], Built], real_data: Path
) -> None:
    # The 2025 extract lists the cases open when it was taken: at the as-of (the latest case
    # opened, 19 May 2025) every one of them is open, and no case of the closed sample.
    published = _published(built_city("boston"), "open_backlog")
    assert published["2025-05"] == (2424.0, 2424)
    assert _csv_records(real_data / "boston_311" / "311.csv") == 2424


# --------------------------------------------------------------------- permits and inspections

CHICAGO_INSPECTIONS = """
SELECT strftime(strptime(Date, '%m/%d/%Y'), '%Y-%m'), {value}, {count}
FROM read_csv($root || '/chicago_inspections/Food_Inspections.csv', all_varchar = true)
GROUP BY 1
"""


def test_chicago_metrics_agree_with_sql_on_the_raw_files(
    built_city: Callable[[str], Built], real_data: Path
) -> None:
    built = built_city("chicago")
    root = str(real_data)
    permits = _raw(
        "SELECT strftime(strptime(ISSUE_DATE, '%m/%d/%Y'), '%Y-%m'), count(*), count(*) "
        "FROM read_csv($root || '/chicago_permits/Building_Permits.csv', all_varchar = true) "
        "WHERE ISSUE_DATE IS NOT NULL GROUP BY 1",
        root=root,
    )
    _same_counts(_published(built, "permits_issued"), permits, "permits_issued")
    done = "Results IN ('Pass', 'Pass w/ Conditions', 'Fail', 'Out of Business')"
    completed = f"count(*) FILTER (WHERE {done})"
    _same_counts(
        _published(built, "inspections_completed"),
        _raw(CHICAGO_INSPECTIONS.format(value=completed, count=completed), root=root),
        "inspections_completed",
    )
    no_entry = "count(*) FILTER (WHERE Results IN ('No Entry', 'Not Ready'))"
    _same_counts(
        _published(built, "inspections_not_completed"),
        _raw(CHICAGO_INSPECTIONS.format(value=no_entry, count=no_entry), root=root),
        "inspections_not_completed",
    )
    graded = "count(*) FILTER (WHERE Results IN ('Pass', 'Pass w/ Conditions', 'Fail'))"
    failed = f"count(*) FILTER (WHERE Results = 'Fail') / {graded}"
    _same_values(
        _published(built, "inspections_failed"),
        _raw(CHICAGO_INSPECTIONS.format(value=failed, count=graded), root=root),
        "inspections_failed",
    )


# San Francisco's inspections keyed by business and date; of a pair listed twice the pipeline
# keeps the later row of the file (no update time tells them apart).
SF_INSPECTIONS = """
WITH lines AS (
    SELECT *, row_number() OVER () AS line
    FROM read_csv($root || '/sf_inspections/inspections.csv', all_varchar = true)
), inspections AS (
    SELECT business_id, date, strptime(date, '%Y%m%d') AS inspected, CAST(score AS INTEGER) AS score
    FROM lines QUALIFY row_number() OVER (PARTITION BY business_id, date ORDER BY line DESC) = 1
), corrections AS (
    SELECT business_id, date, max(strptime(corrected, '%m/%d/%Y')) AS corrected
    FROM (
        SELECT business_id, date,
            regexp_extract(description, 'date violation corrected: (\\d{2}/\\d{2}/\\d{4})', 1)
                AS corrected
        FROM read_csv($root || '/sf_inspections/violations.csv', all_varchar = true)
    ) WHERE corrected <> '' GROUP BY ALL
), corrected AS (
    -- A correction dated before the inspection is cleared by validation (the inspection
    -- still counts): it would give a negative days-to-correct.
    SELECT * FROM inspections JOIN corrections USING (business_id, date)
    WHERE corrected >= inspected
)
"""


def test_san_francisco_metrics_agree_with_sql_on_the_raw_files(
    built_city: Callable[[str], Built], real_data: Path
) -> None:
    built = built_city("san_francisco")
    root = str(real_data)
    _same_counts(
        _published(built, "inspections_completed"),
        _raw(
            SF_INSPECTIONS + "SELECT strftime(inspected, '%Y-%m'), count(*), count(*) "
            "FROM inspections GROUP BY 1",
            root=root,
        ),
        "inspections_completed",
    )
    _same_values(
        _published(built, "inspections_scoring_90"),
        _raw(
            SF_INSPECTIONS + "SELECT strftime(inspected, '%Y-%m'), "
            "count(*) FILTER (WHERE score >= 90) / count(*), count(*) "
            "FROM inspections WHERE score IS NOT NULL GROUP BY 1",
            root=root,
        ),
        "inspections_scoring_90",
    )
    _same_values(
        _published(built, "median_days_to_correct"),
        _raw(
            SF_INSPECTIONS + "SELECT strftime(corrected, '%Y-%m'), "
            "quantile_cont(date_diff('microsecond', inspected, corrected) / 86400e6, 0.5), "
            "count(*) FROM corrected GROUP BY 1",
            root=root,
        ),
        "median_days_to_correct",
    )


# Philadelphia's /Date(ms)/ holds the city's wall-clock time (see the mapping), so the
# milliseconds are read as a naive local timestamp; districts "01" are district "1".
PHILADELPHIA_PERMITS = """
WITH permits AS (
    SELECT p.permit_number AS id,
        make_timestamp(CAST(regexp_extract(p.issued_datetime, '/Date\\((-?\\d+)\\)/', 1)
            AS BIGINT) * 1000) AS issued,
        p.locations.council_district AS written
    FROM (
        SELECT unnest(d.results) AS p
        FROM read_json($root || '/philadelphia_permits/permits.*.json',
            maximum_object_size = 67108864)
    )
)
"""


def test_philadelphia_permits_agree_with_sql_on_the_raw_files(
    built_city: Callable[[str], Built], real_data: Path
) -> None:
    built = built_city("philadelphia")
    expected = _raw(
        PHILADELPHIA_PERMITS + "SELECT strftime(issued, '%Y-%m'), count(DISTINCT id), count(*) "
        "FROM permits GROUP BY 1",
        root=str(real_data),
    )
    _same_counts(_published(built, "permits_issued"), expected, "permits_issued")
    demolitions = _raw(
        PHILADELPHIA_PERMITS.replace("AS written", "AS written, p.application_description AS kind")
        + "SELECT strftime(issued, '%Y-%m'), count(*), count(*) FROM permits "
        "WHERE kind = 'DEMOLITION PERMIT' GROUP BY 1",
        root=str(real_data),
    )
    _same_counts(_published(built, "demolition_permits_issued"), demolitions, "demolitions")
    # And by district, each month of 2007 (the year nine in ten permits were issued); the
    # breakdown shows a permit without a district as 'Unknown'.
    district = (
        "CASE WHEN written IS NULL THEN 'Unknown' WHEN regexp_matches(written, '^0+$') "
        "THEN written ELSE ltrim(written, '0') END"
    )
    by_district = (
        duckdb.connect()
        .execute(
            PHILADELPHIA_PERMITS + f"SELECT strftime(issued, '%Y-%m'), {district}, count(*) "
            "FROM permits WHERE year(issued) = 2007 GROUP BY ALL",
            {"root": str(real_data)},
        )
        .fetchall()
    )
    with _warehouse(built) as con:
        published = con.execute(
            "SELECT period_label, dimension_value, count FROM metric_values "
            "WHERE metric_id = 'permits_issued' AND grain = 'month' "
            "AND dimension = 'council_district' AND period_label LIKE '2007-%' AND count > 0"
        ).fetchall()
    assert sorted(published) == sorted(by_district)


# --------------------------------------------------------------------- the dashboard


def _open_page(page: str, **params: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(f"views/{page}.py").run()
    assert not at.exception, (page, params, [e.value for e in at.exception])
    # A page swallows a query error into st.error: any error shown is a failure here.
    assert not at.error, (page, params, [e.value for e in at.error])
    return at


def _pages(metric_ids: list[str], departments: list[str]) -> Iterator[AppTest]:
    for page in ("scorecard", "leadership", "services", "data_quality", "freshness"):
        at = _open_page(page)
        if page == "scorecard" and at.radio:
            for grain in ("week", "quarter", "fiscal_year"):
                at.radio(key="scorecard_grain").set_value(grain).run()
                assert not at.exception and not at.error, grain
        yield at
    yield _open_page("meetings", meeting="1")
    for department in departments:
        yield _open_page("department", department=department)
    for metric in metric_ids:
        for page in ("metric", "equity"):
            yield _open_page(page, metric=metric, grain="month")


@pytest.mark.parametrize("city", CITIES)
def test_every_dashboard_page_renders_for_the_city(
    city: str,
    built_city: Callable[[str], Built],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built = built_city(city)
    monkeypatch.setenv(CITY_ENV, str(built.folder))
    monkeypatch.setenv("CITYSTAT_WAREHOUSE", str(built.warehouse))
    monkeypatch.setenv("CITYSTAT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv(meeting_schema.MEETINGS_ENV, str(tmp_path / "meetings.sqlite"))
    monkeypatch.delenv(site.PUBLIC_ENV, raising=False)
    with _warehouse(built) as con:
        definitions = con.execute(
            "SELECT metric_id, department, public FROM metric_definitions ORDER BY rowid"
        ).fetchall()
    metric_ids = [m for m, _, _ in definitions]
    departments = list(dict.fromkeys(d for _, d, _ in definitions))
    # One meeting whose packet is frozen from the city's own values, for the meetings page.
    wh = reader.Warehouse(str(built.warehouse), f"{city}@{built.warehouse.stat().st_mtime_ns}")
    first = [m for m, d, _ in definitions if d == departments[0]]
    packet = packets.packet_source(wh, first, "month")
    meetings = meeting_schema.connect(tmp_path / "meetings.sqlite")
    spec = store.MeetingSpec(date(2025, 6, 1), "department", departments[0], "month", city)
    provenance = store.Provenance("run", datetime(2025, 5, 1), "wh")
    store.create_meeting(meetings, SYSTEM, spec, *packet, provenance)
    meetings.close()

    output = "\n".join(rendered_output(at) for at in _pages(metric_ids, departments))
    assert not re.search(r"\bnan\b", output, re.IGNORECASE), "a missing value shows as nan"

    monkeypatch.setenv(site.PUBLIC_ENV, "1")
    public = [m for m, _, is_public in definitions if is_public]
    for page in ("public_scorecard", "open_data", "public_glossary"):
        _open_page(page)
    for metric in public:
        _open_page("public_metric", metric=metric, grain="month")


# ------------------------------------------------------------------------ the equity page


def _equity_page(built: Built, monkeypatch: pytest.MonkeyPatch, **params: str) -> AppTest:
    monkeypatch.setenv(CITY_ENV, str(built.folder))
    monkeypatch.setenv("CITYSTAT_WAREHOUSE", str(built.warehouse))
    monkeypatch.delenv(site.PUBLIC_ENV, raising=False)
    return _open_page("equity", **params)


def _wilson(successes: float, n: float, z: float = 1.959963984540054) -> tuple[float, float]:
    """The Wilson score interval written out in Python, independent of the page's SQL."""
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def test_equity_of_a_city_with_district_populations(
    built_city: Callable[[str], Built], monkeypatch: pytest.MonkeyPatch
) -> None:
    """San Francisco's city.yml gives its supervisorial districts' 2010 populations (805,235
    in all, boundaries README); its inspections carry no district, so the page shows the
    districts themselves: their residents in a table and on the map of the real boundaries."""
    at = _equity_page(built_city("san_francisco"), monkeypatch)
    assert [i.value for i in at.info] == ["No metric is broken down by supervisorial district."]
    (note,) = [m.value for m in at.markdown if "District populations" in m.value]
    assert note.startswith("District populations (805,235 residents in all): Probably U.S.")
    assert note.endswith(", 2010.")
    (table,) = shown_tables(at)
    rows = table.value.to_dict("records")
    assert len(rows) == 11
    assert re.sub(r"\\(.)", r"\1", str(rows[0]["Residents"])) == "69,548 residents"
    (district_map,) = (json.loads(c.proto.spec) for c in at.get("plotly_chart"))
    *districts, colour_bar = district_map["data"]
    assert len(districts) == 11 and {t["fill"] for t in districts} == {"toself"}
    # Shaded from the fewest residents (District 1, 69,548) to the most (11, 76,818).
    assert colour_bar["marker"]["color"] == [69_548, 76_818]
    assert "69,548 residents" in districts[0]["text"]
    # Every district is on the map with its residents: together the city's 805,235.
    shown = [re.search(r"<br>([\d,]+) residents", t["text"]) for t in districts]
    assert sum(int(m.group(1).replace(",", "")) for m in shown if m) == 805_235


def test_equity_of_a_city_without_populations_reads_shares_by_their_interval(
    built_city: Callable[[str], Built], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Boston gives no district populations; its council districts are drawn to near-equal
    population. Every district's interval is the Wilson interval of its published numerator
    and denominator, and no district is flagged below min_count or against the direction."""
    built = built_city("boston")
    at = _equity_page(built, monkeypatch, metric="requests_on_time", grain="month")
    texts = "\n".join(str(e.value) for e in [*at.markdown, *at.caption])
    assert "fewer than 30 requests in a period is shown but not compared" in texts
    district_map = json.loads(at.get("plotly_chart")[1].proto.spec)
    districts = [t for t in district_map["data"] if t.get("fill") == "toself"]
    assert len(districts) == 9
    wh = reader.Warehouse(str(built.warehouse), f"boston@{built.warehouse.stat().st_mtime_ns}")
    rows = equity.district_comparison(wh, "requests_on_time", "month")
    shares = rows[rows["denominator"] > 0]
    assert not shares.empty
    for successes, n, low, high in zip(
        shares["numerator"], shares["denominator"], shares["ci_low"], shares["ci_high"], strict=True
    ):
        assert (low, high) == pytest.approx(_wilson(successes, n))
    # Hundreds of district-months hold a handful of closed cases, all on time: "100%" on
    # fewer than 30 requests. None of them is compared, let alone flagged.
    few = rows[rows["observations"] < 30]
    assert ((few["value"] == 1.0).sum()) > 100
    assert set(few["not_compared"]) == {"too_few"} and not few["flagged"].any()
    flagged = rows[rows["flagged"]]
    assert (flagged["ci_high"] < flagged["reference_value"]).all()  # higher is better
    at = _equity_page(built, monkeypatch, metric="requests_received", grain="month")
    texts = "\n".join(str(e.value) for e in [*at.markdown, *at.caption])
    assert "The council districts are drawn to near-equal population" in texts
    new_york = built_city("new_york")
    at = _equity_page(new_york, monkeypatch)
    texts = "\n".join(str(e.value) for e in [*at.markdown, *at.caption])
    assert "community districts are not drawn to equal population" in texts
    # No complete month has district values yet: the districts are still drawn, all 59.
    (district_map,) = (json.loads(c.proto.spec) for c in at.get("plotly_chart"))
    districts = [t for t in district_map["data"] if t.get("fill") == "toself"]
    assert len(districts) == 59


def test_san_francisco_district_populations_are_the_boundary_folders(real_data: Path) -> None:
    """city.yml's populations are san_francisco_population.csv's `total` column, read here
    with Python's csv module; every other real city has none, and says how it is drawn."""
    with (real_data / "boundaries" / "san_francisco_population.csv").open(newline="") as f:
        expected = {row["district"]: int(row["total"]) for row in csv.DictReader(f)}
    assert sum(expected.values()) == 805_235  # San Francisco's 2010 Census count
    for city in CITIES:
        layer = load_city(CITIES_DIR / city).districts
        assert layer is not None and layer.boundaries is not None, city
        populations = {d.id: d.population for d in layer.districts}
        if city == "san_francisco":
            assert populations == expected
            assert layer.population is not None and layer.population.year == 2010
        else:
            assert set(populations.values()) == {None}, city
        # Council districts, wards and supervisorial districts are drawn to equal population;
        # New York's community districts are not (boundaries README).
        assert layer.equal_population is (city != "new_york"), city
