"""Write the service catalog, priorities, cohorts, leadership index and equity tables."""

from __future__ import annotations

from datetime import datetime

import duckdb

from pipelines.catalog.calendar import compute_cohort_calendar
from pipelines.catalog.evidence import gather_evidence
from pipelines.catalog.leadership import (
    compute_district_centroids,
    compute_district_gaps,
    compute_leadership_index,
    compute_metric_scores,
)
from pipelines.catalog.model import FACTOR_LABELS, FACTORS, ServicesConfig
from pipelines.catalog.prioritize import RankedService, rank_services, score_service
from pipelines.catalog.tables import CLEAR_SERVICE_TABLES_SQL, create_service_tables
from pipelines.warehouse.rows import insert_rows


def compute_service_tables(
    con: duckdb.DuckDBPyConnection,
    services: ServicesConfig,
    as_of: datetime,
    *,
    fiscal_year_start_month: int,
    own_transaction: bool = True,
) -> None:
    """Replace every service table from service_requests, metric_values and services.yml.

    ``as_of`` is the data's current date: it dates the current quarterly cohort, a fiscal
    quarter of the city's (``fiscal_year_start_month``, city.yml).

    Run after the metrics are computed (it reads metric_values and metric_definitions). The
    replacement is one transaction so readers never see half of it; pass
    ``own_transaction=False`` when the caller already holds a transaction on ``con``.
    """
    create_service_tables(con)
    if own_transaction:
        con.execute("BEGIN TRANSACTION")
    try:
        con.execute(CLEAR_SERVICE_TABLES_SQL)
        _write_catalog(con, services)
        compute_metric_scores(con, services)
        compute_district_gaps(con, services)
        compute_district_centroids(con)
        evidence = gather_evidence(con, services, as_of)
        scored = [score_service(s, evidence[s.name], services) for s in services.services]
        ranked = rank_services(scored)
        _write_priorities(con, ranked)
        compute_cohort_calendar(con, services.cohorts, as_of, fiscal_year_start_month)
        compute_leadership_index(con)
        if own_transaction:
            con.execute("COMMIT")
    except BaseException:
        if own_transaction:
            con.execute("ROLLBACK")
        raise


def _write_catalog(con: duckdb.DuckDBPyConnection, config: ServicesConfig) -> None:
    insert_rows(
        con,
        "INSERT INTO services",
        [
            [
                s.name,
                position,
                s.department,
                s.description,
                s.channels,
                [config.channels[c] for c in s.channels],
                s.mechanism,
                s.fees,
                s.costs,
                s.resident_must,
                s.application,
                s.documents,
                s.cohort_service,
                s.service_names,
            ]
            for position, s in enumerate(config.services, start=1)
        ],
    )


def _write_priorities(con: duckdb.DuckDBPyConnection, ranked: list[RankedService]) -> None:
    insert_rows(
        con,
        "INSERT INTO service_priority_factors",
        [
            [
                r.service.name,
                f.factor,
                FACTOR_LABELS[f.factor],
                FACTORS.index(f.factor) + 1,
                f.weight,
                f.score,
                f.contribution,
                f.basis,
                f.detail,
            ]
            for r in ranked
            for f in r.factors
        ],
    )
    # The cohort columns are filled by the calendar (pipelines/catalog/calendar.py).
    insert_rows(
        con,
        "INSERT INTO service_priorities (service, department, rank, score, people_served, "
        "people_served_basis, reason)",
        [
            [
                r.service.name,
                r.service.department,
                r.rank,
                r.score,
                r.people_served,
                r.people_served_basis,
                r.reason,
            ]
            for r in ranked
        ],
    )
