"""Metric definitions as published: the catalog, departments, grains, scopes and tables present.

Metrics, services and meetings name a department by its registry id (city.yml); pages show
its name from the warehouse's ``departments`` table. Every query here that returns a
``department`` id adds ``department_name`` beside it, the id itself when the warehouse has no
such table (one published before the city profile) or does not know the id.
"""

from __future__ import annotations

import logging
from typing import Any

import duckdb
import pandas as pd

from dashboard.queries.reader import Warehouse, resolve_warehouse, run_query

_LOG = logging.getLogger("citystat.dashboard")

_CATALOG_SQL = """
SELECT metric_id, label, description, methodology, department, owner, cohort_service,
       unit, direction, kind, grains, dimensions, min_count, canonical_table,
       coalesce(availability, '') AS availability  -- '' when computable: NULL reads as NaN
FROM metric_definitions
ORDER BY rowid
"""


def metric_catalog(wh: Warehouse, public_only: bool = False) -> pd.DataFrame:
    """Every metric definition (without its SQL), in the order metrics.yml lists them, with
    whether it is public and its department's name; ``public_only`` keeps the public ones."""
    frame = with_department_names(wh, run_query(wh, _CATALOG_SQL))
    frame["public"] = frame["metric_id"].isin(public_metric_ids(wh))
    return frame[frame["public"]] if public_only else frame


_HAS_COLUMN_SQL = """
SELECT count(*) AS n FROM information_schema.columns
WHERE table_name = $table AND column_name = $column
"""


def has_column(wh: Warehouse, table: str, column: str) -> bool:
    """Whether a warehouse table has a column (older warehouses lack the newer ones)."""
    return bool(run_query(wh, _HAS_COLUMN_SQL, table=table, column=column)["n"].iloc[0])


_PUBLIC_IDS_SQL = "SELECT metric_id FROM metric_definitions WHERE public ORDER BY rowid"


def public_metric_ids(wh: Warehouse) -> list[str]:
    """Metrics marked ``public: true`` in metrics.yml (none in a warehouse that predates it)."""
    if not has_column(wh, "metric_definitions", "public"):
        return []
    return [str(m) for m in run_query(wh, _PUBLIC_IDS_SQL)["metric_id"]]


def metric_definition(
    wh: Warehouse, metric_id: str, public_only: bool = False
) -> dict[str, Any] | None:
    """One metric's definition (label, methodology, owner, unit, direction, ...) or None."""
    catalog = metric_catalog(wh, public_only)
    match = catalog[catalog["metric_id"] == metric_id]
    if match.empty:
        return None
    return {str(column): value for column, value in match.iloc[0].items()}


_DEPARTMENTS_SQL = """
SELECT DISTINCT department FROM metric_definitions
WHERE department IS NOT NULL AND (NOT $public_only OR list_contains($public_ids, metric_id))
ORDER BY 1
"""


def departments(wh: Warehouse, public_only: bool = False) -> list[str]:
    """Ids of the departments that own at least one metric (one public metric), by name."""
    frame = run_query(
        wh, _DEPARTMENTS_SQL, public_only=public_only, public_ids=public_metric_ids(wh)
    )
    return _by_name(wh, [str(department) for department in frame["department"]])


_DEPARTMENT_NAMES_SQL = "SELECT id, name FROM departments ORDER BY position"


def department_names(wh: Warehouse) -> dict[str, str]:
    """Department id -> name from the city's registry (empty for an older warehouse)."""
    if missing_tables(wh, ["departments"]):
        return {}
    frame = run_query(wh, _DEPARTMENT_NAMES_SQL)
    return dict(zip(frame["id"].astype(str), frame["name"].astype(str), strict=True))


def published_department_names() -> dict[str, str]:
    """The registry of the warehouse published now (sign-in checks roles.yml against it, before
    a page pins a version); empty when there is none or it cannot be read."""
    warehouse = resolve_warehouse()
    if warehouse is None:
        return {}
    try:
        return department_names(warehouse)
    except duckdb.Error:
        _LOG.exception("could not read the department registry of %s", warehouse.path)
        return {}


def department_name(wh: Warehouse, department: str) -> str:
    """The name pages show for a department id (the id when the registry lacks it)."""
    return department_names(wh).get(department, department)


def with_department_names(
    wh: Warehouse, frame: pd.DataFrame, column: str = "department", into: str = "department_name"
) -> pd.DataFrame:
    """``frame`` with ``into``: the name of the department id in ``column`` (None stays None)."""
    names = department_names(wh)
    frame[into] = [
        names.get(department, department) if isinstance(department, str) else None
        for department in frame[column]
    ]
    return frame


def _by_name(wh: Warehouse, ids: list[str]) -> list[str]:
    names = department_names(wh)

    def shown(department: str) -> tuple[str, str]:
        return (names.get(department, department).casefold(), department)

    return sorted(ids, key=shown)


_GRAINS_SQL = """
SELECT DISTINCT grain FROM metric_values
WHERE ($metric_id IS NULL OR metric_id = $metric_id) AND grain IS NOT NULL
"""


def available_grains(wh: Warehouse, metric_id: str | None = None) -> list[str]:
    """Grains with computed values (for one metric, or for any), unordered."""
    return [str(grain) for grain in run_query(wh, _GRAINS_SQL, metric_id=metric_id)["grain"]]


_TABLES_SQL = """
SELECT table_name FROM information_schema.tables WHERE list_contains($names, table_name)
"""


def missing_tables(wh: Warehouse, names: list[str]) -> list[str]:
    """Which of these tables the warehouse lacks (a warehouse from an older run)."""
    present = set(run_query(wh, _TABLES_SQL, names=names)["table_name"].astype(str))
    return [name for name in names if name not in present]


_ALL_DEPARTMENTS_SQL = """
SELECT department FROM metric_definitions WHERE department IS NOT NULL
UNION
SELECT department FROM services WHERE department IS NOT NULL
ORDER BY 1
"""


def all_departments(wh: Warehouse) -> list[str]:
    """Ids of the departments that own a metric or deliver a catalogued service, by name."""
    if missing_tables(wh, ["services"]):
        return departments(wh)
    frame = run_query(wh, _ALL_DEPARTMENTS_SQL)
    return _by_name(wh, [str(department) for department in frame["department"]])


_COHORT_LABELS_SQL = "SELECT cohort_label FROM service_cohorts ORDER BY cohort"


def cohort_labels(wh: Warehouse) -> list[str]:
    """The quarterly cohorts' labels, first first (none in a warehouse without services)."""
    if missing_tables(wh, ["service_cohorts"]):
        return []
    return [str(label) for label in run_query(wh, _COHORT_LABELS_SQL)["cohort_label"]]


# A cohort holds services; a service's metrics are those naming its cohort_service.
_SCOPE_METRICS_SQL = """
SELECT d.metric_id FROM metric_definitions d
WHERE ($kind = 'department' AND d.department = $name)
   OR ($kind = 'cohort' AND d.cohort_service IN (
        SELECT s.cohort_service FROM services s JOIN service_priorities p USING (service)
        WHERE p.cohort_label = $name))
ORDER BY d.rowid
"""


SCOPE_KINDS = ("department", "cohort")


def scope_metric_ids(wh: Warehouse, kind: str, name: str) -> list[str]:
    """Metrics under review for a department or a quarterly cohort, in metrics.yml order."""
    if kind not in SCOPE_KINDS:
        raise ValueError(f"unknown scope '{kind}'; use one of: {', '.join(SCOPE_KINDS)}")
    if kind == "cohort" and missing_tables(wh, ["services", "service_priorities"]):
        return []
    frame = run_query(wh, _SCOPE_METRICS_SQL, kind=kind, name=name)
    return [str(m) for m in frame["metric_id"]]


_EXPLANATION_SQL = "SELECT explanation FROM metric_definitions WHERE metric_id = $metric_id"


def metric_explanation(wh: Warehouse, metric_id: str) -> list[str]:
    """The metric in plain words as the run compiled it, one paragraph each (none from a
    warehouse that predates the explanation column)."""
    if not has_column(wh, "metric_definitions", "explanation"):
        return []
    frame = run_query(wh, _EXPLANATION_SQL, metric_id=metric_id)
    if frame.empty or not isinstance(frame["explanation"].iloc[0], str):
        return []
    return [line for line in str(frame["explanation"].iloc[0]).splitlines() if line.strip()]


# The metric's two latest definition versions, newest first (one for a metric never changed).
_DEFINITION_VERSIONS_SQL = """
SELECT version, effective_from, definition
FROM metric_definition_versions
WHERE metric_id = $metric_id
ORDER BY version DESC
LIMIT 2
"""


def latest_definition_versions(wh: Warehouse, metric_id: str) -> pd.DataFrame:
    """The metric's latest definition version and the one before it (none in a warehouse
    published before definitions had a history): version, effective_from (UTC), definition."""
    if not has_column(wh, "metric_definition_versions", "definition"):
        return pd.DataFrame(columns=["version", "effective_from", "definition"])
    return run_query(wh, _DEFINITION_VERSIONS_SQL, metric_id=metric_id)
