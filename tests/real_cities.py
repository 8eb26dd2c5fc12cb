"""Where the real extracts' mappings live: each real city's folder under cities/."""

from __future__ import annotations

from pathlib import Path

from pipelines.warehouse.layout import PROJECT_ROOT

CITIES_DIR = PROJECT_ROOT / "cities"


def city_of(source: str) -> Path:
    """The folder of the real city whose mappings (its sources/ folder) hold ``source``."""
    (mapping,) = CITIES_DIR.glob(f"*/sources/{source}.yml")
    return mapping.parent.parent
