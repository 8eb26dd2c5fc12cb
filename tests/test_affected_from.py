"""The earliest period a daily run's percentiles regroup follows their period column alone."""

from __future__ import annotations

from datetime import datetime

import duckdb

from pipelines.metrics import load_metrics
from pipelines.metrics.incremental import (
    affected_from_sql,
    changed_table,
    recent_rows_statement,
    recent_rows_table,
)
from pipelines.metrics.sql_parts import Params, conditions_sql
from pipelines.metrics.tables import metric_table
from pipelines.warehouse.layout import PROJECT_ROOT
from pipelines.warehouse.schema import quote

CONFIG = load_metrics(PROJECT_ROOT / "metrics.yml")  # the demo city: fiscal years from July


def _bound(closed_now: str | None, closed_before: str | None) -> datetime:
    """affected_from for one request opened in March 2019, closed as given before and now."""
    con = duckdb.connect()
    table = metric_table("service_requests")
    for part, closed in (("old_rows", closed_before), ("new_rows", closed_now)):
        con.execute(
            f"CREATE TEMP TABLE {quote(changed_table(table.name, part))} AS SELECT "
            "TIMESTAMP '2019-03-04 10:00' AS opened_at, CAST($closed AS TIMESTAMP) AS closed_at",
            {"closed": closed},
        )
    sql = affected_from_sql(CONFIG, table, [], ["closed_at"])
    row = con.execute(sql, {"previous_as_of": datetime(2025, 6, 29, 20)}).fetchone()
    assert row is not None
    return row[0]


def test_a_request_open_for_years_and_closed_today_bounds_from_this_fiscal_year() -> None:
    # Its opening (2019) is no period of a percentile by close date: the earliest period
    # is the one of the previous as-of, 29 June 2025, at the widest grain: the fiscal year
    # from 1 July 2024 (it was from 1 July 2018, a scan of six years' rows, before).
    assert _bound("2025-06-30 09:00", None) == datetime(2024, 7, 1)


def test_a_close_corrected_into_the_past_bounds_from_the_old_close() -> None:
    # The close moved from 2025 back to 2021: both periods are regrouped.
    assert _bound("2021-02-01 09:00", "2025-06-30 09:00") == datetime(2020, 7, 1)


def test_the_recent_rows_are_those_a_percentile_keeps() -> None:
    # The rows materialised for the daily run's percentiles: closed on or after the bound,
    # of a service some percentile reads (its own filter), never the other services' rows.
    percentiles = [
        m
        for m in CONFIG.metrics
        if m.kind == "duration_percentile" and m.table == "service_requests"
    ]
    params = Params()
    filters = [conditions_sql(m.filter, params) for m in percentiles]
    table = metric_table("service_requests")
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE service_requests AS SELECT * FROM (VALUES\n"
        "    ('a', 'Street Defect', 'closed', TIMESTAMP '2025-08-01'),\n"
        "    ('a', 'Street Defect', 'closed', TIMESTAMP '2024-08-01'),\n"
        "    ('a', 'Street Defect', 'open', TIMESTAMP '2025-08-01'),\n"
        "    ('a', 'Information Request', 'closed', TIMESTAMP '2025-08-01'),\n"
        "    ('a', 'Maintenance Complaint', 'closed', TIMESTAMP '2025-09-01')\n"
        ") AS t(source, service_name, status, closed_at)"
    )
    sql = recent_rows_statement(table, ["service_name", "closed_at"], ["closed_at"], filters)
    con.execute(sql, {**params.values, "affected_from": datetime(2025, 7, 1)})
    rows = con.execute(f"SELECT service_name FROM {quote(recent_rows_table(table.name))}")
    assert sorted(r[0] for r in rows.fetchall()) == ["Maintenance Complaint", "Street Defect"]
    # A percentile without a filter reads every service: nothing is left out.
    sql = recent_rows_statement(table, ["service_name", "closed_at"], ["closed_at"], ["TRUE"])
    con.execute(sql, {"affected_from": datetime(2025, 7, 1)})
    (count,) = con.execute(
        f"SELECT count(*) FROM {quote(recent_rows_table(table.name))}"
    ).fetchone() or (0,)
    assert count == 4
