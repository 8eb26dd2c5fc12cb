"""Whether `citystat run` has anything new to do, decided from plain files before heavy imports.

A run that publishes leaves a fingerprint of its inputs beside the published warehouse
(``.<name>.inputs.json``, written by pipelines/cli/run_inputs.py): the version it published,
every extract file its mappings' patterns matched (path, size, mtime, ctime, inode), the
sha256 of every configuration file (metrics.yml, city.yml, services.yml, the mappings folder,
the expectation suites, the district boundaries), the citystat and DuckDB versions, the
pipeline code's file times, the CITYSTAT_* variables, and the instant the published values
would change by the clock alone (a record time still in the future then becomes the data's
as-of). The next run compares all of it with what is on disk now, using only the standard
library, and skips when nothing differs. Anything unreadable, missing or doubtful means "run".
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from pipelines.warehouse.layout import PROJECT_ROOT
from pipelines.warehouse.published import published_file

FORMAT = 1
# Variables that change nothing a run reads, computes or checks (memory, debug, the
# dashboard's); any other CITYSTAT_* variable that differs means a full run.
IGNORED_VARIABLES = frozenset(
    {
        "CITYSTAT_DEBUG",
        "CITYSTAT_MEMORY_LIMIT",
        "CITYSTAT_ROLES_FILE",
        "CITYSTAT_MEETINGS_URL",
    }
)

FileState = list[int] | None


def fingerprint_path(published: Path) -> Path:
    """Where the fingerprint of the published version's inputs is kept (beside it)."""
    return published.with_name(f".{published.name}.inputs.json")


def failed_build(published: Path) -> Path:
    """The build a failed run leaves (pipelines.publish.versions.failed_path, without duckdb)."""
    return published.with_name(published.stem + ".failed" + published.suffix)


def file_state(path: Path) -> FileState:
    """Size, mtime, ctime and inode of a file (symbolic links followed); None when missing.

    ctime cannot be set back by a copy that keeps times, so a file replaced by another of the
    same size and mtime still differs.
    """
    try:
        info = os.stat(path)
    except OSError:
        return None
    return [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino]


def file_digest(path: Path) -> str | None:
    """Hex sha256 of a configuration file's bytes; None when it does not exist."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def folder_listing(folder: Path) -> list[str]:
    """Every file under a folder (relative paths, sorted): a new or removed file shows."""
    if not folder.is_dir():
        return []
    return sorted(
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if "__pycache__" not in p.parts and not p.is_dir()
    )


def glob_matches(base: str, pattern: str) -> list[str]:
    """What a mapping's pattern matches under its root now, as sorted path strings."""
    return sorted(str(p) for p in Path(base).glob(pattern))


def environment(metrics_file: Path) -> dict[str, Any]:
    """What a run's result depends on besides its files: versions, code, variables, folders."""
    code = hashlib.sha256()
    for path in sorted((PROJECT_ROOT / "pipelines").rglob("*.py")):
        state = file_state(path)
        code.update(f"{path.relative_to(PROJECT_ROOT)}:{state}\n".encode())
    variables = {
        name: value
        for name, value in os.environ.items()
        if (name.startswith("CITYSTAT_") and name not in IGNORED_VARIABLES) or name == "TZ"
    }
    return {
        "citystat": metadata.version("citystat"),
        "duckdb": metadata.version("duckdb"),
        "python": sys.version,
        "code": code.hexdigest(),
        "variables": dict(sorted(variables.items())),
        "cwd": os.getcwd(),
        "metrics_file": str(metrics_file.absolute()),
    }


def nothing_new_since(published: Path, metrics_file: Path) -> str | None:
    """One line saying nothing changed since the published run, or None: do the full run."""
    try:
        recorded = json.loads(fingerprint_path(published).read_text(encoding="utf-8"))
        return _unchanged(recorded, published, metrics_file)
    except Exception:
        return None  # no fingerprint, one this citystat cannot read, or anything doubtful: run


def _unchanged(recorded: dict[str, Any], published: Path, metrics_file: Path) -> str | None:
    current = published_file(published)
    if recorded["format"] != FORMAT or current is None or current.name != recorded["version"]:
        return None  # another run, a rollback or a metrics-only run published since
    if file_state(failed_build(published)) != recorded["failed"]:
        return None  # a run failed since: let the full run say why again
    valid_until = recorded["valid_until"]
    if valid_until is not None and time.time() >= valid_until:
        return None  # a record time that was in the future is not any more
    if environment(metrics_file) != recorded["environment"] or not _same_inputs(recorded):
        return None
    return _said(recorded)


def _same_inputs(recorded: dict[str, Any]) -> bool:
    """True when every configuration file, folder, pattern match and extract is as recorded."""
    return (
        all(file_digest(Path(p)) == digest for p, digest in recorded["config"].items())
        and all(folder_listing(Path(f)) == seen for f, seen in recorded["config_folders"].items())
        and all(glob_matches(base, pattern) == seen for base, pattern, seen in recorded["globs"])
        and all(file_state(Path(p)) == state for p, state in recorded["files"].items())
    )


def _said(recorded: dict[str, Any]) -> str:
    """The one line: since which run, when it published, and what was compared."""
    when = datetime.fromisoformat(recorded["published_at"]).replace(tzinfo=UTC)
    zone = recorded.get("zone")
    if zone:
        from zoneinfo import ZoneInfo

        when = when.astimezone(ZoneInfo(zone))
    sources = recorded["sources"]
    return (
        f"nothing new since run {recorded['run_id']} (published {when:%Y-%m-%d %H:%M %Z}): "
        f"{sources} source{'s' if sources != 1 else ''} unchanged, configuration unchanged; "
        "nothing published (`citystat run --rebuild` builds afresh)"
    )


def write_fingerprint(published: Path, recorded: dict[str, Any]) -> None:
    """Write the fingerprint atomically: a reader sees the old one or the new one, whole."""
    target = fingerprint_path(published)
    temporary = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps({"format": FORMAT, **recorded}, indent=1), encoding="utf-8")
    os.replace(temporary, target)


def forget_fingerprint(published: Path) -> None:
    """Remove the fingerprint (a run published but its inputs could not be pinned down)."""
    fingerprint_path(published).unlink(missing_ok=True)
