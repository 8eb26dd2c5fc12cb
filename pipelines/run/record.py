"""What a run writes besides records: metric values, service tables, the runs row and step times."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipelines.catalog import (
    ServicesConfig,
    ServicesFileError,
    check_services_against_metrics,
    compute_service_tables,
    load_services,
)
from pipelines.city.tables import ProfileRows, write_profile_tables
from pipelines.ingest.merge import MergeCounts
from pipelines.ingest.provenance import (
    StepClock,
)
from pipelines.metrics import MetricsConfig, compute_metrics
from pipelines.metrics.definition_history import record_definition_versions
from pipelines.run.arrivals import newest_record_times, record_arrivals
from pipelines.run.outcome import Progress, RunError, SourceResult
from pipelines.warehouse.pause import pause_point


def new_run_id() -> str:
    """A unique id for a run that sorts by start time (to the microsecond)."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ-") + uuid.uuid4().hex[:6]


def run_record(
    con: duckdb.DuckDBPyConnection,
    ids: tuple[str, datetime],
    is_demo: bool,
    results: list[SourceResult],
    zone: str | None,
    held: set[str] | None = None,
) -> RunRecord:
    """What the runs table will say about this run: validated and summarised, or why not.

    ``zone``: the city's time zone (city.yml), whose clock decides which record times are
    past at the run's start (``started``, naive UTC). ``held``: the sources with a record
    now, or more (newest_record_times)."""
    run_id, started = ids
    times = newest_record_times(con, zone, started.replace(tzinfo=UTC), held)
    if not all(r.passed for r in results):
        message = "validation failed; nothing published:\n" + "\n".join(
            line for r in results for line in r.failures()
        )
        return RunRecord(run_id, started, is_demo, times.as_of, False, message, times.arrivals)
    if times.as_of is None:
        raise RunError("no record with a usable timestamp was loaded; nothing to publish")
    return RunRecord(run_id, started, is_demo, times.as_of, True, _summary(results), times.arrivals)


def _summary(results: list[SourceResult]) -> str:
    """One line for the runs table: what the run merged into which table."""
    per_table: dict[str, MergeCounts] = {}
    for r in results:
        per_table[r.canonical_table] = per_table.get(r.canonical_table, MergeCounts()) + r.merged
    loaded = sum(len(r.files) for r in results)
    skipped = sum(len(r.skipped) for r in results)
    parts = [
        f"{name} {c.inserted:,} new, {c.updated:,} updated, {c.unchanged:,} unchanged"
        for name, c in per_table.items()
    ]
    return (
        f"merged {loaded} file(s) ({skipped} already loaded, skipped): " + "; ".join(parts)
        if parts
        else "no sources"
    )


@dataclass(frozen=True)
class RunRecord:
    """What the runs table records about a run besides its outcome."""

    run_id: str
    started: datetime
    is_demo: bool
    as_of: datetime | None
    validated: bool
    message: str
    # Each source's last arrival (pipelines.run.arrivals), written to city_sources.
    arrivals: dict[str, datetime]


def services_beside(metrics_file: Path, config: MetricsConfig) -> ServicesConfig | None:
    """The service catalog that goes with a metrics file (services.yml beside it), if any."""
    path = Path(os.environ.get("CITYSTAT_SERVICES_FILE", metrics_file.with_name("services.yml")))
    if not path.exists():
        return None
    services = load_services(path)
    issues = check_services_against_metrics(services, config)
    if issues:
        raise ServicesFileError(issues)
    return services


def compute_and_record(
    con: duckdb.DuckDBPyConnection,
    config: MetricsConfig,
    services: ServicesConfig | None,
    run: RunRecord,
    clock: StepClock,
    progress: Progress,
    *,
    changed_run_id: str | None = None,
    profile: ProfileRows | None = None,
    before_publish: Callable[[], None] | None = None,
) -> int:
    """Compute every metric (and the service tables), record the run and its steps.

    ``profile``: the city profile's tables (pipelines/city/tables.py), published with the
    metrics; empty tables when it is None (a metrics.yml without city.yml).

    ``changed_run_id``: the run merged into a copy of the published warehouse; metrics are
    then updated from its values and that run's new versions (pipelines/metrics/incremental.py).

    ``before_publish``: called before the run is recorded as published (the run waits there
    for Great Expectations' verdicts); it raises to stop the publication.
    """
    assert run.as_of is not None
    progress("computing metrics")
    pause_point("metrics")

    def each_metric(message: str) -> None:
        # compute_metrics reports "<metric id>: N rows" after each metric's insert.
        pause_point("metric:" + message.partition(":")[0])
        progress(message)

    with clock.step(None, "metrics"):
        profile = profile or ProfileRows()
        write_profile_tables(con, profile)
        if profile.city:
            record_arrivals(con, run.arrivals)
        rows = compute_metrics(
            con, config, run.as_of, progress=each_metric, changed_run_id=changed_run_id
        )
        record_definition_versions(con, config, run.run_id, run.started)
    if services is not None:
        progress("ranking services, leadership index and district gaps")
        with clock.step(None, "services"):
            compute_service_tables(
                con,
                services,
                run.as_of,
                fiscal_year_start_month=config.city.fiscal_year_start_month,
            )
    if before_publish is not None:
        before_publish()
    pause_point("publish")
    with clock.step(None, "publish"):
        record_run(con, run, "published")
        con.execute("CHECKPOINT")
    pause_point("publish:checkpointed")
    # Written after the timed publish step so it is included; the close checkpoints them.
    clock.write(con, run.run_id)
    return rows


def record_run(con: duckdb.DuckDBPyConnection, run: RunRecord, status: str) -> None:
    con.execute(
        "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            run.run_id,
            run.started,
            utc_now(),
            status,
            run.is_demo,
            run.as_of,
            run.validated,
            run.message,
        ],
    )


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
