"""The folders a city's profile names: its mappings and the roots its extract files live under.

Every folder resolves inside the city's own folder unless the profile gives an absolute path
(a city keeps its extracts on another disk); a mapping's file pattern then stays inside that
root, so no configured path can reach a file the city did not name.
"""

from __future__ import annotations

import os
from pathlib import Path

from pipelines.city.loader import load_city
from pipelines.city.model import CityProfile
from pipelines.warehouse.layout import CITY_FILE, PROJECT_ROOT, city_dir, data_dir

SHARED_ROOT = "real"


def real_data_dir() -> Path:
    """Folder of the shared real extracts (../shared/data/real from the project root)."""
    default = PROJECT_ROOT.parent / "shared" / "data" / "real"
    return Path(os.environ.get("CITYSTAT_REAL_DATA", default))


def current_profile() -> CityProfile | None:
    """The current city's profile, or None for a folder without city.yml (a one-file setup)."""
    if not (city_dir() / CITY_FILE).exists():
        return None
    return load_city()


def sources_dir() -> Path:
    """The folder of the current city's source mappings ($CITYSTAT_SOURCES_DIR overrides)."""
    override = os.environ.get("CITYSTAT_SOURCES_DIR")
    if override:
        return Path(override)
    profile = current_profile()
    return _under_city(profile.mappings if profile is not None else "sources")


def file_root(name: str) -> Path:
    """The folder a mapping's ``files.root`` names: data, real, or one of the profile's folders."""
    if name == "data":
        return data_dir()
    if name == SHARED_ROOT:
        return real_data_dir()
    profile = current_profile()
    folders = profile.folders if profile is not None else {}
    if name not in folders:
        known = ", ".join(["data", SHARED_ROOT, *folders])
        raise ValueError(
            f"files.root {name!r} is not a folder of this city; use one of {known}, or add "
            f"it under 'folders:' in {city_dir() / CITY_FILE}"
        )
    return _under_city(folders[name])


def _under_city(path: str) -> Path:
    folder = Path(path)
    return folder if folder.is_absolute() else city_dir() / folder


def leaves_root(relative: str) -> bool:
    """True when a configured relative path is absolute, starts at a home folder or uses '..'."""
    return relative.startswith(("/", "~")) or ".." in Path(relative).parts


def confined(root: Path, relative: str) -> bool:
    """True when ``relative`` (a path or glob) stays inside ``root``."""
    if Path(relative).is_absolute():
        return False
    resolved_root = root.resolve()
    target = (resolved_root / relative).resolve()
    return target == resolved_root or resolved_root in target.parents
