"""Where the project's files live: data folder, metrics file, expectations, mappings, warehouse."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = Path(os.environ.get("CITYSTAT_DATA_DIR", PROJECT_ROOT / "data"))
DEMO_DIR = DATA_DIR / "demo"
METRICS_FILE = Path(os.environ.get("CITYSTAT_METRICS_FILE", PROJECT_ROOT / "metrics.yml"))
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
# Mappings ship in the package; a city may keep its own elsewhere (CITYSTAT_SOURCES_DIR).
SOURCES_DIR = Path(
    os.environ.get("CITYSTAT_SOURCES_DIR", Path(__file__).resolve().parents[1] / "sources")
)


def warehouse_path() -> Path:
    """Path of the published warehouse the dashboard reads (a symlink to the current version)."""
    return Path(os.environ.get("CITYSTAT_WAREHOUSE", DATA_DIR / "citystat.duckdb"))


def versions_dir(published: Path | None = None) -> Path:
    """Folder holding the published versions of a warehouse (pipelines/publish/)."""
    # Resolved, so version paths compare equal to published_file() whatever the cwd.
    return (published or warehouse_path()).parent.resolve() / "versions"
