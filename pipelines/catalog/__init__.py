"""services.yml: the service catalog, Executive Order 2-24 prioritization, quarterly cohorts,
and the CityScore-style leadership index and district equity tables computed from metrics.

- ``model``: ``ServicesConfig`` and ``Service``, the typed services.yml.
- ``loader``: ``load_services``, ``check_services_file``, ``check_services_against_metrics``.
- ``rules``: the semantic rules of services.yml, each issue at its line.
- ``evidence``: what the warehouse says of each service (volume, district gaps).
- ``prioritize``: the six-factor score and the ranking.
- ``calendar``: the cohort calendar in SQL: fiscal quarters from the data's current date.
- ``leadership``: the leadership index per department and cohort.
- ``drafts``: how a draft metric would move the index, and the file the dashboard shows it from.
- ``tables``: the DDL of the service tables.
- ``compute``: ``compute_service_tables``, everything above written into the warehouse.
"""

from pipelines.catalog.compute import compute_service_tables
from pipelines.catalog.loader import (
    check_services_against_metrics,
    check_services_file,
    load_services,
    load_services_text,
)
from pipelines.catalog.model import FACTOR_LABELS, FACTORS, Service, ServicesConfig
from pipelines.catalog.tables import SERVICE_TABLES, create_service_tables
from pipelines.config.issues import ServicesFileError

__all__ = [
    "FACTORS",
    "FACTOR_LABELS",
    "SERVICE_TABLES",
    "Service",
    "ServicesConfig",
    "ServicesFileError",
    "check_services_against_metrics",
    "check_services_file",
    "compute_service_tables",
    "create_service_tables",
    "load_services",
    "load_services_text",
]
