"""The published-warehouse read API: which version file is published now, and its identity.

This is what the dashboard may import from the pipeline: it names files, it never opens them.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.warehouse.layout import warehouse_path


def published_file(published: Path | None = None) -> Path | None:
    """The version file the published warehouse currently is, resolved; None if none.

    Open this path (not the symlink) to read exactly one version even if a run publishes a
    new one meanwhile. A warehouse published as a plain file is its own version.
    """
    path = published or warehouse_path()
    try:
        resolved = path.resolve(strict=True)
    except (FileNotFoundError, RuntimeError):  # missing, dangling or a symlink loop
        return None
    return resolved if resolved.is_file() else None


def published_version(published: Path | None = None) -> str | None:
    """Cheap identity of the published version (its file name); None when nothing is published.

    Changes exactly when a run publishes or a rollback restores a version; a dashboard keys
    its cache on it. A plain-file warehouse (tests, older citystat) adds its mtime in ns.
    """
    path = published or warehouse_path()
    current = published_file(path)
    if current is None:
        return None
    if path.is_symlink():
        return current.name
    return f"{current.name}@{current.stat().st_mtime_ns}"
