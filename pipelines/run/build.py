"""The build a run writes into: checked, started, discarded on failure, published when done."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from pipelines.ingest.provenance import (
    StepClock,
)
from pipelines.publish.versions import (
    PublishError,
    clean_leftovers,
    discard_build,
    is_write_failure,
    publish_build,
    start_build,
    storage_message,
)
from pipelines.run.arrivals import record_sources
from pipelines.run.outcome import Progress, RunError
from pipelines.warehouse.pause import pause_point
from pipelines.warehouse.published import published_file
from pipelines.warehouse.schema import (
    CANONICAL_TABLES,
    has_column,
    is_instant_column,
    table_columns,
)


def remove_leftovers(published: Path, progress: Progress) -> None:
    """Delete what a killed run left behind (the caller holds the publish lock)."""
    for path in clean_leftovers(published):
        progress(f"removed {path.name}, left behind by an interrupted run")


def begin_build(
    published: Path, run_id: str, empty: bool, clock: StepClock, progress: Progress
) -> Path:
    """The build file: a copy of the published version, or nothing yet when ``empty``."""
    if empty:
        progress("building from every file into an empty warehouse")
        return start_build(published, run_id, empty=True)
    with clock.step(None, "copy"):
        target = start_build(published, run_id, empty=False)
    progress(f"merging new files into a copy of {published_file(published)}")
    pause_point("build:copied")
    return target


@contextmanager
def building(published: Path, target: Path) -> Iterator[None]:
    """Discard the build when the run stops; turn disk and permission failures into one line."""
    try:
        yield
    except (OSError, duckdb.IOException, duckdb.FatalException) as exc:
        discard_build(target)
        if isinstance(exc, duckdb.FatalException) and not is_write_failure(exc):
            raise
        raise PublishError(storage_message(exc, target.parent, published)) from exc
    except BaseException:
        discard_build(target)
        raise


def publish_version(target: Path, published: Path, keep: int, progress: Progress) -> None:
    """Swap the closed build in as the published version and prune old versions."""
    pause_point("publish:closed")
    version = publish_build(target, published, keep)
    progress(f"published {published} -> {version.name}")


def check_published(
    con: duckdb.DuckDBPyConnection, published: Path, sources: list[str]
) -> set[str]:
    """Refuse to merge into a warehouse whose layout or sources this run cannot continue;
    returns the sources it holds records of."""
    rebuild = "; run `citystat run --rebuild` once to build it afresh from the extracts"
    for table in CANONICAL_TABLES.values():
        columns = table_columns(con, table.name)
        # _utc_version is not canonical; a warehouse from before it gets it (create_schema).
        if columns and [c for c in columns if not is_instant_column(c)] != list(table.columns):
            raise RunError(f"{published}: table {table.name} has an older layout{rebuild}")
    if not has_column(con, "load_files", "file_sha256"):
        raise RunError(f"{published}: was built before incremental loads (no file hashes){rebuild}")
    held = record_sources(con)
    stale = sorted(s for s in held if s not in sources)
    if stale:
        raise RunError(
            f"{published}: holds records of {', '.join(stale)}, which city.sources in "
            f"metrics.yml no longer lists{rebuild} without them"
        )
    return held
