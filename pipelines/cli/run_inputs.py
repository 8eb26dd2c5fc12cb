"""After a run publishes: pin down the inputs it ran on, for the next run's nothing-new check.

The fingerprint is taken after the run, from the same configuration the run loaded, and kept
only when every file it names was last changed (ctime) at least 0.1 s before the run
began: then the run read exactly these bytes. A file changed during the run, or just before
it, leaves no fingerprint, so the next run does the full work (and pins the inputs then).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
from ruamel.yaml import YAML

from pipelines.city.model import CityProfile
from pipelines.city.paths import current_profile, file_root, sources_dir
from pipelines.cli.nothing_new import (
    FileState,
    environment,
    failed_build,
    file_digest,
    file_state,
    folder_listing,
    forget_fingerprint,
    glob_matches,
    write_fingerprint,
)
from pipelines.config.yaml_lines import read_config_text
from pipelines.ingest.mapping import SourceMapping
from pipelines.metrics import load_metrics
from pipelines.publish.versions import version_path
from pipelines.warehouse.layout import CITY_FILE, EXPECTATIONS_DIR, city_dir, in_city
from pipelines.warehouse.published import published_file
from pipelines.warehouse.schema import CANONICAL_TABLES, quote

# The kernel stamps ctime from a coarse clock, one tick (10 ms at most) behind time.time_ns().
SETTLED_NS = 100_000_000


def record_inputs(published: Path, metrics_file: Path, run_id: str, started_ns: int) -> bool:
    """Write the fingerprint of the run's inputs beside ``published``; False when it cannot."""
    forget_fingerprint(published)
    with in_city(metrics_file.parent):
        profile = current_profile()
        folders = [sources_dir(), EXPECTATIONS_DIR]
        config_files = [metrics_file, *_named_files(profile, metrics_file)]
        config_files += [folder / name for folder in folders for name in folder_listing(folder)]
        config_states = [file_state(path) for path in config_files]
        if not _settled(config_states, started_ns):
            return False
        sources = _sources(profile, metrics_file)
        globs = [
            (str(spec.base().absolute()), spec.pattern)
            for mapping in (_mapping(folders[0] / f"{source}.yml") for source in sources)
            for spec in [mapping.files, *(join.files for join in mapping.joins)]
        ]
    matched = [(base, pattern, glob_matches(base, pattern)) for base, pattern in globs]
    files = {path: file_state(Path(path)) for _, _, paths in matched for path in paths}
    # The version this run published, if it still is the published one (a later run's is
    # not this run's to vouch for).
    version = version_path(published, run_id)
    if published_file(published) != version or not _settled(list(files.values()), started_ns):
        return False
    zone, valid_until = _clock_limits(version)
    write_fingerprint(
        published,
        {
            "version": version.name,
            "run_id": run_id,
            "published_at": datetime.now(UTC).replace(tzinfo=None).isoformat(),
            "zone": zone,
            "sources": len(sources),
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


def _settled(states: list[FileState], started_ns: int) -> bool:
    """True when no file changed (ctime) since 0.1 s before the run began."""
    return all(state is None or state[2] <= started_ns - SETTLED_NS for state in states)


def _sources(profile: CityProfile | None, metrics_file: Path) -> list[str]:
    """The sources the run loaded: city.yml's, else the one-file metrics.yml's city section."""
    if profile is not None:
        return profile.source_names
    return load_metrics(metrics_file).city.sources


def _mapping(path: Path) -> SourceMapping:
    """A mapping the run has just loaded and checked, parsed again by the fast C loader.

    The run's own line-aware parse costs most of a second for three mappings; the files are
    the same bytes (their ctime is older than the run), so the model is the same.
    """
    return SourceMapping.model_validate(YAML(typ="safe", pure=False).load(read_config_text(path)))


def _named_files(profile: CityProfile | None, metrics_file: Path) -> list[Path]:
    """city.yml, services.yml and the district boundaries, whether they exist or not."""
    services = os.environ.get("CITYSTAT_SERVICES_FILE", metrics_file.with_name("services.yml"))
    named = [city_dir() / CITY_FILE, Path(services)]
    layer = profile.districts if profile is not None else None
    if layer is not None and layer.boundaries is not None:
        root = layer.boundaries.root
        folder = city_dir() if root == "city" else file_root(root)
        named.append(folder / layer.boundaries.path)
    return named


def _clock_limits(version: Path) -> tuple[str | None, float | None]:
    """The city's zone, and the instant (epoch seconds) the clock alone changes the values.

    A run ignores record times after its start on the city's clock (on DuckDB's session
    clock without a city.yml): the data's as-of is the latest record time at or before it,
    and a source's last arrival the latest instant (pipelines.run.arrivals). So the earliest
    record time still ahead of that clock is when a run would publish other values.
    """
    # No zone is a day from UTC: only record times after this naive moment can be ahead of
    # the clock, and a WHERE on it lets DuckDB skip whole row groups by their min/max.
    recent = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=1)
    with duckdb.connect(str(version), read_only=True) as con:
        row = con.execute("SELECT any_value(timezone) FROM city_profile").fetchone()
        zone = None if row is None else row[0]
        recent_times = " UNION ALL ".join(
            # Identifiers of the canonical tables only (constants); the values are bound.
            f"SELECT {quote(c)} AS t FROM {quote(table.name)} WHERE {quote(c)} > $recent"  # noqa: S608
            for table in CANONICAL_TABLES.values()
            for c in table.version_columns
        )
        instant = "timezone(coalesce($zone, current_setting('TimeZone')), t)"
        (ahead,) = con.execute(
            f"SELECT min(epoch({instant})) FILTER ({instant} > now()) FROM ({recent_times})",  # noqa: S608
            {"recent": recent, "zone": zone},
        ).fetchone() or (None,)
    return zone, None if ahead is None else float(ahead)
