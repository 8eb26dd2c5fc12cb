"""What metrics need to know about each canonical table: default columns, breakdowns, statuses."""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.warehouse.schema import CANONICAL_TABLES

DEFAULT_TABLE = "service_requests"
AGE_DIMENSION = "age"  # added by a backlog's age_buckets, never listed under dimensions


@dataclass(frozen=True)
class MetricTable:
    """Defaults and vocabulary of one canonical table, as the metric compiler sees it."""

    name: str
    id_column: str
    start: str  # when a record enters: the default date, start and backlog entry
    end: str  # when it leaves: the default duration end and backlog exit
    due: str  # the due time an overdue backlog compares with
    closing: str  # the time a finished record was closed, when its `end` is empty
    open_statuses: tuple[str, ...]  # statuses of a record still being worked
    withdrawn_statuses: tuple[str, ...]  # never in a backlog: nobody owed the work
    dimensions: tuple[str, ...]
    # Narrower "still waiting" statuses for some ends: a permit that is issued is no longer
    # waiting for issue, though it is still open until completed.
    waiting_for: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def columns(self) -> dict[str, str]:
        """Canonical column name -> DuckDB type (the warehouse contract)."""
        return CANONICAL_TABLES[self.name].columns

    @property
    def timestamp_columns(self) -> tuple[str, ...]:
        """The TIMESTAMP columns, in table order."""
        return tuple(name for name, kind in self.columns.items() if kind == "TIMESTAMP")

    def waiting_statuses(self, end: str) -> tuple[str, ...]:
        """Statuses meaning the record has not reached ``end`` yet."""
        return dict(self.waiting_for).get(end, self.open_statuses)


_LOCATION = ("council_district", "zip")

METRIC_TABLES: dict[str, MetricTable] = {
    "service_requests": MetricTable(
        name="service_requests",
        id_column="request_id",
        start="opened_at",
        end="closed_at",
        due="due_at",
        closing="closed_at",
        open_statuses=("open",),
        withdrawn_statuses=("cancelled",),
        dimensions=(*_LOCATION, "department", "service_name", "channel"),
    ),
    "permits": MetricTable(
        name="permits",
        id_column="permit_id",
        start="applied_at",
        end="issued_at",
        due="review_due_at",
        closing="completed_at",
        open_statuses=("in_review", "issued"),
        # An expired permit is not withdrawn: it left review when issued, if it ever was.
        withdrawn_statuses=("cancelled",),
        dimensions=(*_LOCATION, "permit_type", "work_type", "use_class"),
        waiting_for=(("issued_at", ("in_review",)),),
    ),
    "inspections": MetricTable(
        name="inspections",
        id_column="case_id",
        start="received_at",
        end="closed_at",
        due="due_at",
        closing="closed_at",
        open_statuses=("open",),
        withdrawn_statuses=(),
        dimensions=(*_LOCATION, "priority", "inspection_type", "case_type"),
    ),
}

TABLE_NAMES = tuple(METRIC_TABLES)
ALL_DIMENSIONS = tuple(dict.fromkeys(d for t in METRIC_TABLES.values() for d in t.dimensions))


def metric_table(name: str | None) -> MetricTable:
    """The table a metric reads (service_requests when it names none)."""
    return METRIC_TABLES[name or DEFAULT_TABLE]
