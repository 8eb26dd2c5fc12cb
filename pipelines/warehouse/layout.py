"""Where a city's files live: its folder, data folder, metrics file, services file, warehouse.

The city is a folder (``citystat --city DIR`` or ``$CITYSTAT_CITY``; the repository root is the
demo city). Every path is looked up when it is needed, so a command's ``--city`` reaches every
stage. ``$CITYSTAT_DATA_DIR``, ``$CITYSTAT_METRICS_FILE``, ``$CITYSTAT_SERVICES_FILE`` and
``$CITYSTAT_WAREHOUSE`` override single paths (benchmarks and tests use them).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
CITY_ENV = "CITYSTAT_CITY"
CITY_FILE = "city.yml"
_RUN_CITY: ContextVar[Path | None] = ContextVar("citystat_city", default=None)


def city_dir() -> Path:
    """The city's folder: the run's (``in_city``), $CITYSTAT_CITY, else the repository root."""
    return _RUN_CITY.get() or Path(os.environ.get(CITY_ENV) or PROJECT_ROOT).resolve()


@contextmanager
def in_city(folder: Path) -> Iterator[None]:
    """Within the block, the city is ``folder`` (a run is the city of its metrics.yml)."""
    token = _RUN_CITY.set(Path(folder).resolve())
    try:
        yield
    finally:
        _RUN_CITY.reset(token)


def use_city(folder: Path) -> None:
    """Make ``folder`` the city of this process (what ``--city DIR`` does)."""
    os.environ[CITY_ENV] = str(Path(folder).resolve())


def data_dir() -> Path:
    """The city's data folder (extracts it generates, warehouse, meetings): <city>/data."""
    return Path(os.environ.get("CITYSTAT_DATA_DIR") or city_dir() / "data")


def demo_dir() -> Path:
    """Where the demo generator writes its extracts."""
    return data_dir() / "demo"


def metrics_file() -> Path:
    """The city's metrics.yml."""
    return Path(os.environ.get("CITYSTAT_METRICS_FILE") or city_dir() / "metrics.yml")


def services_file() -> Path:
    """The city's services.yml (the service catalog)."""
    return Path(os.environ.get("CITYSTAT_SERVICES_FILE") or city_dir() / "services.yml")


def warehouse_path() -> Path:
    """Path of the published warehouse the dashboard reads (a symlink to the current version)."""
    return Path(os.environ.get("CITYSTAT_WAREHOUSE") or data_dir() / "citystat.duckdb")


def drafts_dir() -> Path:
    """Where `citystat metrics preview --draft ... --save` leaves drafts for the dashboard."""
    return data_dir() / "drafts"


def versions_dir(published: Path | None = None) -> Path:
    """Folder holding the published versions of a warehouse (pipelines/publish/)."""
    # Resolved, so version paths compare equal to published_file() whatever the cwd.
    return (published or warehouse_path()).parent.resolve() / "versions"
