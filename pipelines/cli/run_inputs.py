"""After a run publishes: pin down the inputs it ran on, for the next run's nothing-new check.

The fingerprint is taken after the run, from the same configuration the run loaded, and kept
only when every file it names was last changed (ctime) at least a second before the run
began: then the run read exactly these bytes. A file changed during the run, or just before
it, leaves no fingerprint, so the next run does the full work (and pins the inputs then).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from pipelines.city.paths import file_root, sources_dir
from pipelines.cli.nothing_new import (
    environment,
    failed_build,
    file_digest,
    file_state,
    folder_listing,
    forget_fingerprint,
    glob_matches,
    write_fingerprint,
)
from pipelines.ingest.mapping_files import load_source
from pipelines.metrics import MetricsConfig, load_metrics
from pipelines.warehouse.layout import CITY_FILE, EXPECTATIONS_DIR, city_dir, in_city
from pipelines.warehouse.published import published_file
from pipelines.warehouse.schema import CANONICAL_TABLES, quote

# The kernel stamps ctime from a coarse clock; a second covers its lag behind time.time_ns().
SETTLED_NS = 1_000_000_000


def record_inputs(published: Path, metrics_file: Path, run_id: str, started_ns: int) -> bool:
    """Write the fingerprint of the run's inputs beside ``published``; False when it cannot."""
    forget_fingerprint(published)
    with in_city(metrics_file.parent):
        config = load_metrics(metrics_file)
        folders = [sources_dir(), EXPECTATIONS_DIR]
        config_files = [metrics_file, *_named_files(config, metrics_file)]
        config_files += [folder / name for folder in folders for name in folder_listing(folder)]
        globs = [
            (str(spec.base().absolute()), spec.pattern)
            for mapping in (load_source(source) for source in config.city.sources)
            for spec in [mapping.files, *(join.files for join in mapping.joins)]
        ]
    matched = [(base, pattern, glob_matches(base, pattern)) for base, pattern in globs]
    files = {path: file_state(Path(path)) for _, _, paths in matched for path in paths}
    config_states = [file_state(path) for path in config_files]
    if any(
        state is not None and state[2] > started_ns - SETTLED_NS
        for state in [*files.values(), *config_states]
    ):
        return False
    version = published_file(published)
    if version is None:
        return False
    zone, valid_until = _clock_limits(version)
    write_fingerprint(
        published,
        {
            "version": version.name,
            "run_id": run_id,
            "published_at": datetime.now(UTC).replace(tzinfo=None).isoformat(),
            "zone": zone,
            "sources": len(config.city.sources),
            "environment": environment(metrics_file),
            "config": {str(path): file_digest(path) for path in config_files},
            "config_folders": {str(folder): folder_listing(folder) for folder in folders},
            "globs": [list(entry) for entry in matched],
            "files": files,
            "failed": file_state(failed_build(published)),
            "valid_until": valid_until,
        },
    )
    return True


def _named_files(config: MetricsConfig, metrics_file: Path) -> list[Path]:
    """city.yml, services.yml and the district boundaries, whether they exist or not."""
    services = os.environ.get("CITYSTAT_SERVICES_FILE", metrics_file.with_name("services.yml"))
    named = [city_dir() / CITY_FILE, Path(services)]
    layer = config.profile.districts if config.profile is not None else None
    if layer is not None and layer.boundaries is not None:
        root = layer.boundaries.root
        folder = city_dir() if root == "city" else file_root(root)
        named.append(folder / layer.boundaries.path)
    return named


def _clock_limits(version: Path) -> tuple[str | None, float | None]:
    """The city's zone, and the instant (epoch seconds) the clock alone changes the values.

    A run ignores record times after its start: the data's as-of is the latest time at or
    before DuckDB's local time (pipelines.run.record), and a source's last arrival the latest
    instant, in the city's zone, at or before the run's start (pipelines.run.arrivals). So the
    earliest record time still ahead of the clock is when a run would publish other values.
    """
    with duckdb.connect(str(version), read_only=True) as con:
        row = con.execute("SELECT any_value(timezone) FROM city_profile").fetchone()
        zone = None if row is None else row[0]
        parts = []
        for table in CANONICAL_TABLES.values():
            for column in table.version_columns:
                c = quote(column)
                parts.append(
                    f"SELECT min(epoch(timezone(current_setting('TimeZone'), {c}))) "
                    f"FILTER ({c} > localtimestamp) AS ahead FROM {quote(table.name)}"
                )
                if zone is not None:
                    # A day's margin on the naive time first: no zone is a day from UTC.
                    parts.append(
                        f"SELECT min(epoch(timezone($zone, {c}))) FILTER ("
                        f"{c} > CAST(now() AT TIME ZONE 'UTC' AS TIMESTAMP) - INTERVAL 1 DAY "
                        f"AND timezone($zone, {c}) > now()) FROM {quote(table.name)}"
                    )
        parameters: dict[str, Any] = {"zone": zone} if zone is not None else {}
        (ahead,) = con.execute(
            f"SELECT min(ahead) FROM ({' UNION ALL '.join(parts)})", parameters
        ).fetchone() or (None,)
    return zone, None if ahead is None else float(ahead)
