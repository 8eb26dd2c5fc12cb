"""The generated Philadelphia L&I demo extracts: layout, determinism, realism, defects, mappings.

Expected values come from the catalog (``pipelines.demo.li_catalog``): each permit's review time
is log-normal with median = type median x district factor x 1.3 if commercial x 0.7 from FY2025,
so dividing a review time by everything but the district factor leaves a log-normal whose
median is the district factor; likewise for complaint response times. Tolerances allow for the
sampling error of a median over a few hundred rows (about 5 %) plus the censoring at the end.
"""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest
from ruamel.yaml import YAML

from pipelines.demo import inspections, permits
from pipelines.demo.inspections import generate_inspections
from pipelines.demo.li_catalog import (
    COMMERCIAL_REVIEW_FACTOR,
    INSPECTION_DISTRICT_FACTOR,
    INSPECTION_IMPROVEMENT,
    PERMIT_DISTRICT_FACTOR,
    PERMIT_IMPROVEMENT,
    PERMIT_TYPES,
    PRIORITIES,
)
from pipelines.demo.permits import generate_permits
from pipelines.ingest.mapping_files import load_mapping
from pipelines.warehouse.layout import PROJECT_ROOT

SOURCES_DIR = PROJECT_ROOT / "pipelines" / "sources"

ROWS = 20_000
UTC_TEXT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

EXPECTED_PERMIT_HEADER = [
    "objectid",
    "permitnumber",
    "addressobjectid",
    "opa_account_num",
    "address",
    "zip",
    "council_district",
    "permittype",
    "permitdescription",
    "commercialorresidential",
    "typeofwork",
    "approvedscopeofwork",
    "permitapplicationdate",
    "permitissuedate",
    "permitcompleteddate",
    "status",
    "applicanttype",
    "contractorname",
    "permitfee",
    "lat",
    "lng",
]
EXPECTED_CASE_HEADER = [
    "objectid",
    "complaintnumber",
    "complaintdate",
    "complaintcodename",
    "casenumber",
    "casecreateddate",
    "casepriority",
    "casestatus",
    "casecompleteddate",
    "investigationprocessid",
    "investigationtype",
    "investigationcompleted",
    "investigationstatus",
    "opa_account_num",
    "address",
    "zip",
    "council_district",
    "lat",
    "lng",
]


@pytest.fixture(scope="module")
def permits_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small permits extract shared by the read-only tests."""
    return generate_permits(tmp_path_factory.mktemp("li"), rows=ROWS)


@pytest.fixture(scope="module")
def cases_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small complaint-cases extract shared by the read-only tests."""
    return generate_inspections(tmp_path_factory.mktemp("li"), rows=ROWS)


@pytest.fixture(scope="module")
def con(permits_csv: Path, cases_csv: Path) -> duckdb.DuckDBPyConnection:
    """DuckDB with the raw text tables p and c, and typed views pt and ct (local wall time)."""
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'America/New_York'")
    for name, path in (("p", permits_csv), ("c", cases_csv)):
        connection.execute(
            f"CREATE TABLE {name} AS SELECT * FROM read_csv(?, header = true, all_varchar = true)",
            [str(path)],
        )
    # Carto text is a UTC instant; as TIMESTAMPTZ shown in New York time, then made naive.
    connection.execute(
        """
        CREATE TABLE pt AS SELECT *,
            CAST(CAST(permitapplicationdate AS TIMESTAMPTZ) AS TIMESTAMP) AS applied,
            CAST(CAST(permitissuedate AS TIMESTAMPTZ) AS TIMESTAMP) AS issued,
            CAST(CAST(permitcompleteddate AS TIMESTAMPTZ) AS TIMESTAMP) AS completed,
            date_diff('second', CAST(permitapplicationdate AS TIMESTAMPTZ),
                      CAST(permitissuedate AS TIMESTAMPTZ)) / 86400.0 AS review_days
        FROM p
        """
    )
    connection.execute(
        """
        CREATE TABLE ct AS SELECT *,
            CAST(CAST(complaintdate AS TIMESTAMPTZ) AS TIMESTAMP) AS received,
            CAST(CAST(investigationcompleted AS TIMESTAMPTZ) AS TIMESTAMP) AS inspected,
            CAST(CAST(casecompleteddate AS TIMESTAMPTZ) AS TIMESTAMP) AS closed,
            date_diff('second', CAST(complaintdate AS TIMESTAMPTZ),
                      CAST(investigationcompleted AS TIMESTAMPTZ)) / 86400.0 AS response_days
        FROM c
        """
    )
    return connection


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> Any:
    """First column of the first row of a query."""
    return con.execute(sql, params or []).fetchall()[0][0]


def header(path: Path) -> list[str]:
    """The first line of a CSV file, split."""
    with path.open(newline="", encoding="utf-8") as handle:
        return next(csv.reader(handle))


# ---------------------------------------------------------------- layout and determinism


def test_headers_are_the_documented_layouts_in_order(permits_csv: Path, cases_csv: Path) -> None:
    assert header(permits_csv) == EXPECTED_PERMIT_HEADER
    assert list(permits.COLUMNS) == EXPECTED_PERMIT_HEADER
    assert header(cases_csv) == EXPECTED_CASE_HEADER
    assert list(inspections.COLUMNS) == EXPECTED_CASE_HEADER
    assert permits_csv.parent.name == "philadelphia_permits"
    assert cases_csv.name == "case_investigations.csv"


def test_same_arguments_give_identical_bytes_and_another_seed_differs(
    permits_csv: Path, cases_csv: Path, tmp_path: Path
) -> None:
    assert generate_permits(tmp_path / "a", rows=ROWS).read_bytes() == permits_csv.read_bytes()
    assert generate_inspections(tmp_path / "a", rows=ROWS).read_bytes() == cases_csv.read_bytes()
    assert generate_permits(tmp_path / "b", rows=ROWS, seed=7).read_bytes() != (
        permits_csv.read_bytes()
    )
    assert generate_inspections(tmp_path / "b", rows=ROWS, seed=7).read_bytes() != (
        cases_csv.read_bytes()
    )


def test_row_counts_and_objectid_runs_one_to_n(con: duckdb.DuckDBPyConnection) -> None:
    for table in ("p", "c"):
        row = con.execute(
            f"SELECT count(*), min(CAST(objectid AS BIGINT)), max(CAST(objectid AS BIGINT)), "
            f"count(DISTINCT objectid) FROM {table}"
        ).fetchall()[0]
        assert row == (ROWS, 1, ROWS, ROWS), table


def test_timestamps_are_utc_instants_of_daytime_philadelphia_events(
    con: duckdb.DuckDBPyConnection,
) -> None:
    texts = con.execute(
        "SELECT permitapplicationdate, permitissuedate FROM p WHERE permitissuedate IS NOT NULL "
        "UNION ALL SELECT complaintdate, investigationcompleted FROM c "
        "WHERE investigationcompleted IS NOT NULL"
    ).fetchall()
    assert all(UTC_TEXT.match(a) and UTC_TEXT.match(b) for a, b in texts)
    # The generator never places an event between midnight and 5am local time. Read back in
    # New York time none is there; read as UTC text, evening events show as 00-03h, which a
    # file of local times mislabelled as UTC would not have.
    local_night = scalar(
        con,
        "SELECT count(*) FROM pt WHERE hour(applied) < 5 OR hour(issued) < 5",
    ) + scalar(con, "SELECT count(*) FROM ct WHERE hour(received) < 5 OR hour(inspected) < 5")
    utc_small_hours = scalar(
        con, "SELECT count(*) FROM p WHERE substr(permitapplicationdate, 12, 2) < '04'"
    )
    assert local_night == 0
    assert utc_small_hours > 0


def test_records_span_the_window_and_nothing_happens_after_the_end_date(
    con: duckdb.DuckDBPyConnection,
) -> None:
    first, last = con.execute(
        "SELECT min(CAST(applied AS DATE)), max(greatest(applied, issued, completed)) FROM pt"
    ).fetchall()[0]
    assert first == date(2023, 7, 1)
    assert str(last) < "2026-11-16"
    last_case = scalar(con, "SELECT max(greatest(received, inspected, closed)) FROM ct")
    assert str(last_case) < "2026-11-16"


# ---------------------------------------------------------------- permits realism


def test_permit_vocabularies(con: duckdb.DuckDBPyConnection) -> None:
    types = {row[0] for row in con.execute("SELECT DISTINCT permittype FROM p").fetchall()}
    assert types == {t.permittype for t in PERMIT_TYPES}
    assert {row[0] for row in con.execute("SELECT DISTINCT status FROM p").fetchall()} == {
        "IN REVIEW",
        "ISSUED",
        "COMPLETED",
        "EXPIRED",
        "ABANDONED",
    }
    assert {row[0] for row in con.execute("SELECT DISTINCT commercialorresidential FROM p")
            .fetchall()} == {"Residential", "Commercial"}  # fmt: skip
    bad_numbers = scalar(
        con,
        "SELECT count(*) FROM p WHERE NOT regexp_matches(permitnumber, '^[A-Z]P-20\\d\\d-\\d{6}$')",
    )
    assert bad_numbers == 0
    # Every residential building permit is residential; most commercial building ones are not.
    assert (
        scalar(
            con,
            "SELECT count(*) FROM p WHERE permittype = 'RESIDENTIAL BUILDING' "
            "AND commercialorresidential = 'Commercial'",
        )
        == 0
    )


def test_status_agrees_with_the_dates(con: duckdb.DuckDBPyConnection) -> None:
    rows = dict(
        con.execute(
            """
            SELECT status, count(*) FILTER (WHERE
                CASE status
                    WHEN 'IN REVIEW' THEN issued IS NULL AND completed IS NULL
                    WHEN 'ABANDONED' THEN issued IS NULL AND completed IS NULL
                    WHEN 'COMPLETED' THEN issued IS NOT NULL AND completed >= issued
                    ELSE issued IS NOT NULL AND completed IS NULL
                END) / count(*)
            FROM pt GROUP BY status
            """
        ).fetchall()
    )
    assert rows == {s: 1.0 for s in rows}
    in_review_share = scalar(con, "SELECT avg((status = 'IN REVIEW')::INT) FROM p")
    assert 0.01 < in_review_share < 0.06  # 1 % stalled plus applications still under review
    # Expired permits were issued more than 365 days before the end of 2026-11-15.
    assert (
        scalar(con, "SELECT count(*) FROM pt WHERE status = 'EXPIRED' AND issued > '2025-11-16'")
        == 0
    )


def test_review_times_differ_by_permit_type_in_the_catalog_order(
    con: duckdb.DuckDBPyConnection,
) -> None:
    medians = dict(
        con.execute(
            "SELECT permittype, median(review_days) FROM pt WHERE review_days > 0 GROUP BY 1"
        ).fetchall()
    )
    assert medians["ELECTRICAL"] < medians["MECHANICAL"] < medians["RESIDENTIAL BUILDING"]
    assert medians["RESIDENTIAL BUILDING"] < medians["BUILDING"] < medians["ZONING"]
    assert medians["PLUMBING"] < 5  # over-the-counter permits pull the median under the target


def test_review_times_differ_by_district_by_the_catalog_factor(
    con: duckdb.DuckDBPyConnection,
) -> None:
    # Types issued only after plan review (no same-day share): dividing by the type median,
    # the commercial and the FY2025 factors leaves a log-normal with median = district factor.
    reviewed = [t for t in PERMIT_TYPES if t.same_day_share == 0]
    con.execute(
        "CREATE OR REPLACE TEMP TABLE type_median AS "
        "SELECT unnest($types) AS permittype, unnest($medians) AS median_days",
        {
            "types": [t.permittype for t in reviewed],
            "medians": [t.median_review_days for t in reviewed],
        },
    )
    factors = dict(
        con.execute(
            """
            SELECT council_district, median(review_days / (m.median_days
                * CASE WHEN commercialorresidential = 'Commercial' THEN $commercial ELSE 1 END
                * CASE WHEN applied >= '2024-07-01' THEN $improvement ELSE 1 END))
            FROM pt JOIN type_median m USING (permittype)
            WHERE review_days > 0
            GROUP BY 1
            """,
            {"commercial": COMMERCIAL_REVIEW_FACTOR, "improvement": PERMIT_IMPROVEMENT},
        ).fetchall()
    )
    assert set(factors) == set(PERMIT_DISTRICT_FACTOR)
    for district, expected in PERMIT_DISTRICT_FACTOR.items():
        assert factors[district] == pytest.approx(expected, rel=0.12), district
    assert factors["5"] > 1.4 * factors["10"]


def test_review_days_fall_by_about_30_percent_from_fy2025(con: duckdb.DuckDBPyConnection) -> None:
    before, after = con.execute(
        """
        SELECT median(review_days) FILTER (WHERE applied < '2024-07-01'),
               median(review_days) FILTER (WHERE applied >= '2024-07-01')
        FROM pt WHERE permittype = 'RESIDENTIAL BUILDING' AND review_days > 0
        """
    ).fetchall()[0]
    assert after / before == pytest.approx(PERMIT_IMPROVEMENT, abs=0.1)


def test_fees_are_money_text_and_commercial_pays_more(con: duckdb.DuckDBPyConnection) -> None:
    assert scalar(con, "SELECT count(*) FROM p WHERE NOT regexp_matches(permitfee, "
                  "'^\\d+\\.\\d\\d$')") == 0  # fmt: skip
    residential, commercial = con.execute(
        "SELECT median(CAST(permitfee AS DOUBLE)) FILTER (WHERE commercialorresidential = "
        "'Residential'), median(CAST(permitfee AS DOUBLE)) FILTER (WHERE "
        "commercialorresidential = 'Commercial') FROM p WHERE permittype = 'ELECTRICAL'"
    ).fetchall()[0]
    assert commercial == pytest.approx(3 * residential, rel=0.2)


# ---------------------------------------------------------------- complaint cases realism


def test_case_vocabularies_and_uninspected_rows(con: duckdb.DuckDBPyConnection) -> None:
    priorities = {row[0] for row in con.execute("SELECT DISTINCT casepriority FROM c").fetchall()}
    assert priorities == {p.name for p in PRIORITIES}
    outcomes = {row[0] for row in con.execute("SELECT DISTINCT investigationstatus FROM c")
                .fetchall()}  # fmt: skip
    assert outcomes == {"FAILED", "PASSED", "UNFOUNDED", "NO ACCESS", None}
    # Investigation columns are filled together, and an uninspected case is still open.
    assert (
        scalar(
            con,
            """
        SELECT count(*) FROM c WHERE
            (investigationcompleted IS NULL) <> (investigationstatus IS NULL)
            OR (investigationcompleted IS NULL) <> (investigationtype IS NULL)
            OR (investigationcompleted IS NULL) <> (investigationprocessid IS NULL)
            OR (investigationcompleted IS NULL AND casestatus <> 'OPEN')
            OR (casestatus = 'CLOSED') <> (casecompleteddate IS NOT NULL)
        """,
        )
        == 0
    )
    assert scalar(con, "SELECT count(*) FROM c WHERE complaintnumber[4:] <> casenumber[4:]") == 0


def test_response_times_ordered_by_priority(con: duckdb.DuckDBPyConnection) -> None:
    medians = dict(
        con.execute(
            "SELECT casepriority, median(response_days) FROM ct WHERE response_days > 0 GROUP BY 1"
        ).fetchall()
    )
    order = [p.name for p in PRIORITIES]
    assert [medians[name] for name in order] == sorted(medians[name] for name in order)
    assert medians["IMMINENTLY DANGEROUS"] < 1
    assert medians["STANDARD"] > 10


def test_response_times_differ_by_district_by_the_catalog_factor(
    con: duckdb.DuckDBPyConnection,
) -> None:
    con.execute(
        "CREATE OR REPLACE TEMP TABLE priority_median AS "
        "SELECT unnest($names) AS casepriority, unnest($medians) AS median_days",
        {
            "names": [p.name for p in PRIORITIES],
            "medians": [p.median_response_days for p in PRIORITIES],
        },
    )
    factors = dict(
        con.execute(
            """
            SELECT council_district, median(response_days / (m.median_days
                * CASE WHEN received >= '2024-07-01' THEN $improvement ELSE 1 END))
            FROM ct JOIN priority_median m USING (casepriority)
            WHERE response_days > 0
            GROUP BY 1
            """,
            {"improvement": INSPECTION_IMPROVEMENT},
        ).fetchall()
    )
    # The FY2025 backlog drive inspects a few old complaints late, nudging medians up.
    for district, expected in INSPECTION_DISTRICT_FACTOR.items():
        assert factors[district] == pytest.approx(expected, rel=0.12), district
    assert factors["7"] > 1.5 * factors["10"]


def test_share_inspected_within_target_rises_from_fy2025(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "CREATE OR REPLACE TEMP TABLE priority_target AS "
        "SELECT unnest($names) AS casepriority, unnest($days) AS target_days",
        {
            "names": [p.name for p in PRIORITIES],
            "days": [p.target_business_days for p in PRIORITIES],
        },
    )
    before, after = con.execute(
        """
        SELECT avg((response_days <= target_days * 7 / 5.0)::INT)
                   FILTER (WHERE received BETWEEN '2023-07-01' AND '2024-06-30'),
               avg((response_days <= target_days * 7 / 5.0)::INT)
                   FILTER (WHERE received BETWEEN '2025-07-01' AND '2026-06-30')
        FROM ct JOIN priority_target USING (casepriority)
        """
    ).fetchall()[0]
    assert after > before + 0.15


def test_uninspected_backlog_exists_has_an_age_tail_and_shrinks_after_the_drive(
    con: duckdb.DuckDBPyConnection,
) -> None:
    def old_backlog(on: str) -> int:
        # Complaints over 30 days old on that date and not inspected by then.
        return int(
            scalar(
                con,
                "SELECT count(*) FROM ct WHERE received < CAST(? AS TIMESTAMP) - INTERVAL 30 DAY "
                "AND (inspected IS NULL OR inspected > CAST(? AS TIMESTAMP))",
                [on, on],
            )
        )

    at_end = scalar(con, "SELECT count(*) FROM ct WHERE inspected IS NULL")
    over_a_year = scalar(
        con, "SELECT count(*) FROM ct WHERE inspected IS NULL AND received < '2025-11-15'"
    )
    assert at_end > 0.01 * ROWS
    assert over_a_year > 0.1 * at_end
    assert old_backlog("2025-06-30") < 0.6 * old_backlog("2024-06-30")


def test_heat_complaints_come_in_winter(con: duckdb.DuckDBPyConnection) -> None:
    summer, winter = con.execute(
        """
        SELECT count(*) FILTER (WHERE month(received) IN (6, 7, 8)),
               count(*) FILTER (WHERE month(received) IN (12, 1, 2))
        FROM ct WHERE complaintcodename LIKE 'RESIDENCE WITHOUT HEAT%'
        """
    ).fetchall()[0]
    assert winter > 20 * max(summer, 1)


# ---------------------------------------------------------------- planted defects


def test_each_defect_kind_present_in_small_numbers(con: duckdb.DuckDBPyConnection) -> None:
    checks = {
        "duplicate permitnumber": "SELECT count(*) - count(DISTINCT permitnumber) FROM p",
        "issued before applied": "SELECT count(*) FROM pt WHERE issued < applied",
        "permit without zip": "SELECT count(*) FROM p WHERE zip IS NULL",
        "permit at 0,0": "SELECT count(*) FROM p WHERE lat = '0.0' AND lng = '0.0'",
        "duplicate casenumber": "SELECT count(*) - count(DISTINCT casenumber) FROM c",
        "inspected before complaint": "SELECT count(*) FROM ct WHERE inspected < received",
        "case without zip": "SELECT count(*) FROM c WHERE zip IS NULL",
        "case at 0,0": "SELECT count(*) FROM c WHERE lat = '0.0' AND lng = '0.0'",
    }
    for name, sql in checks.items():
        count = scalar(con, sql)
        # Planted at 0.15-0.3 % of 20,000 rows: 30-60 expected, never the bulk.
        assert 5 <= count <= 0.006 * ROWS, f"{name}: {count}"


def test_application_precedes_issue_except_the_planted_defects(
    con: duckdb.DuckDBPyConnection,
) -> None:
    issued, backwards = con.execute(
        "SELECT count(issued), count(*) FILTER (WHERE issued < applied) FROM pt"
    ).fetchall()[0]
    # 0.2 % of clean issued permits are planted backwards; nothing else is.
    assert backwards / issued == pytest.approx(0.002, abs=0.0015)


def test_duplicates_are_exact_copies(con: duckdb.DuckDBPyConnection) -> None:
    # Rows sharing an id differ in nothing but objectid: one distinct row per id.
    for table, id_column in (("p", "permitnumber"), ("c", "casenumber")):
        distinct_rows = scalar(
            con, f"SELECT count(*) FROM (SELECT DISTINCT * EXCLUDE (objectid) FROM {table})"
        )
        assert distinct_rows == scalar(con, f"SELECT count(DISTINCT {id_column}) FROM {table}")


# ---------------------------------------------------------------- mappings


def _yaml(name: str) -> Any:
    return YAML(typ="safe").load((SOURCES_DIR / name).read_text(encoding="utf-8"))


def test_mapping_due_days_are_the_catalog_targets() -> None:
    permit_days = _yaml("philadelphia_permits_demo.yml")["due_rules"][0]["days"]
    case_days = _yaml("philadelphia_inspections_demo.yml")["due_rules"][0]["days"]
    assert {k: v for k, v in permit_days.items() if k != "default"} == {
        t.permittype: t.target_business_days for t in PERMIT_TYPES
    }
    assert {k: v for k, v in case_days.items() if k != "default"} == {
        p.name: p.target_business_days for p in PRIORITIES
    }


def test_mappings_read_only_columns_the_extracts_have_and_know_every_status(
    con: duckdb.DuckDBPyConnection,
) -> None:
    for name, columns, table in (
        ("philadelphia_permits_demo.yml", permits.COLUMNS, "p"),
        ("philadelphia_inspections_demo.yml", inspections.COLUMNS, "c"),
    ):
        mapping = _yaml(name)
        assert set(mapping["columns"].values()) <= set(columns), name
        raw_column = mapping["columns"]["status"]
        present = {row[0] for row in con.execute(f"SELECT DISTINCT {raw_column} FROM {table}")
                   .fetchall()}  # fmt: skip
        assert present == set(mapping["statuses"]), name


def test_mappings_validate() -> None:
    permits_mapping = load_mapping(SOURCES_DIR / "philadelphia_permits_demo.yml")
    cases_mapping = load_mapping(SOURCES_DIR / "philadelphia_inspections_demo.yml")
    assert (permits_mapping.kind, permits_mapping.demo) == ("permits", True)
    assert (cases_mapping.kind, cases_mapping.demo) == ("inspections", True)
    assert permits_mapping.timestamps.utc and cases_mapping.timestamps.utc


# ---------------------------------------------------------------- arguments and progress


def test_invalid_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        generate_permits(tmp_path, rows=0)
    with pytest.raises(ValueError, match="before start"):
        generate_inspections(tmp_path, start=date(2025, 1, 2), end=date(2025, 1, 1))


def test_a_one_day_extract_reports_progress(tmp_path: Path) -> None:
    messages: list[str] = []
    path = generate_permits(
        tmp_path, rows=50, start=date(2025, 3, 3), end=date(2025, 3, 3), progress=messages.append
    )
    rows = path.read_text(encoding="utf-8").splitlines()
    assert len(rows) == 51
    assert messages[0].startswith("Generating 50 demo L&I permits")
    assert "Wrote 50 rows" in messages
    assert messages[-1].startswith("Demo permits extract ready")
    assert [p.name for p in path.parent.iterdir()] == ["permits.csv"]  # no temporary left
