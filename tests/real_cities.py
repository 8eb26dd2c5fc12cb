"""The real cities under cities/: where their mappings live, and building one."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from pipelines.run.outcome import RunResult
from pipelines.run.pipeline import run_pipeline
from pipelines.warehouse.layout import CITY_ENV, PROJECT_ROOT

CITIES_DIR = PROJECT_ROOT / "cities"


def city_of(source: str) -> Path:
    """The folder of the real city whose mappings (its sources/ folder) hold ``source``."""
    (mapping,) = CITIES_DIR.glob(f"*/sources/{source}.yml")
    return mapping.parent.parent


@dataclass(frozen=True)
class Built:
    """One city built into a temporary folder."""

    city: str
    folder: Path
    warehouse: Path
    result: RunResult


def files_under(folder: Path) -> dict[str, int]:
    """Every file under ``folder`` with its modification time, to show nothing was written."""
    return {str(p): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


def build_city(city: str, data: Path) -> Built:
    """Run the real city ``city`` with its data folder at ``data`` (nothing else of the
    environment), and check nothing was written into the repository's city folder."""
    folder = CITIES_DIR / city
    before = files_under(folder)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CITYSTAT_DATA_DIR", str(data))
        for name in (
            "CITYSTAT_WAREHOUSE",
            "CITYSTAT_SOURCES_DIR",
            "CITYSTAT_METRICS_FILE",
            "CITYSTAT_SERVICES_FILE",
            CITY_ENV,
        ):
            env.delenv(name, raising=False)
        result = run_pipeline(folder / "metrics.yml")
    assert result.published, result.message
    assert result.warehouse.parent == data
    assert files_under(folder) == before
    return Built(city, folder, result.warehouse, result)
