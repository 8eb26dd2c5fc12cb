"""Load city.yml: line-aware YAML, the typed profile, then the rules across its entries."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import ValidationError

from pipelines.city.model import CityProfile
from pipelines.config.entries import pydantic_issues, read_config_file
from pipelines.config.hints import Locator
from pipelines.config.issues import CityFileError, Issue
from pipelines.config.yaml_lines import YamlSyntaxError, line_of, parse_yaml, to_plain
from pipelines.warehouse.layout import CITY_FILE, city_dir


def load_city(folder: Path | None = None) -> CityProfile:
    """The profile of the city in ``folder`` (default: the current city); CityFileError if bad."""
    profile, issues = _load(city_file(folder))
    if issues or profile is None:
        raise CityFileError(issues)
    return profile


def city_file(folder: Path | None = None) -> Path:
    """The city.yml of a city folder (default: the current city's)."""
    return (folder if folder is not None else city_dir()) / CITY_FILE


def check_city_file(path: Path) -> list[Issue]:
    """Every issue in a city.yml (an empty list when it is clean)."""
    return sorted(_load(path)[1])


def load_city_text(text: str, file_label: str = CITY_FILE) -> CityProfile:
    """Load city.yml content from a string (tests and `citystat init`)."""
    profile, issues = _load_text(text, file_label)
    if issues or profile is None:
        raise CityFileError(issues)
    return profile


def _load(path: Path) -> tuple[CityProfile | None, list[Issue]]:
    text, unreadable = read_config_file(path)
    if text is None and path.exists():
        return None, unreadable
    if text is None:
        hint = "write one with `citystat init DIR`, or pass the city's folder with --city DIR"
        return None, [Issue(path.name, 0, f"no city profile at {path}", hint)]
    return _load_text(text, path.name)


def _load_text(text: str, file_label: str) -> tuple[CityProfile | None, list[Issue]]:
    profile, issues = _parsed(text, file_label)
    return profile, list(issues)


# A run reads city.yml some twenty times (each mapping's folder, each source's zone): the
# file is read each time, so an edit is seen, but the same text is parsed and checked once.
@lru_cache(maxsize=16)
def _parsed(text: str, file_label: str) -> tuple[CityProfile | None, tuple[Issue, ...]]:
    profile, issues = _checked(text, file_label)
    return profile, tuple(issues)


def _checked(text: str, file_label: str) -> tuple[CityProfile | None, list[Issue]]:
    try:
        root = parse_yaml(text, file_label)
    except YamlSyntaxError as exc:
        return None, [exc.issue]
    at = Locator(file_label, root)
    if not isinstance(root, dict):
        return None, [
            Issue(file_label, 1, "city.yml must be a mapping", "start with 'name:' and 'timezone:'")
        ]
    try:
        profile = CityProfile.model_validate(to_plain(root))
    except ValidationError as exc:
        return None, pydantic_issues(exc, CityProfile, (), at, "city.yml")
    issues = _registry_issues(profile, at) + _folder_issues(profile, at)
    return (None, issues) if issues else (profile, [])


def _registry_issues(profile: CityProfile, at: Locator) -> list[Issue]:
    """A department id or name, or a district id, written twice."""
    issues: list[Issue] = []
    for field in ("id", "name"):
        seen: dict[str, int] = {}
        for index, dept in enumerate(profile.departments):
            value = getattr(dept, field)
            key = value.casefold() if field == "name" else value
            if key in seen:
                first = line_of(at.root, ("departments", seen[key], field))
                issues.append(
                    at.issue(
                        ("departments", index, field),
                        f"department {field} {value!r} is also on line {first}",
                        "keep one entry per department and name it by one id everywhere",
                    )
                )
            seen.setdefault(key, index)
    if profile.districts is not None:
        seen_ids: set[str] = set()
        for index, district in enumerate(profile.districts.districts):
            if district.id in seen_ids:
                issues.append(
                    at.issue(
                        ("districts", "districts", index, "id"),
                        f"district id {district.id!r} is listed twice",
                        "list each district once",
                    )
                )
            seen_ids.add(district.id)
    return issues


def _folder_issues(profile: CityProfile, at: Locator) -> list[Issue]:
    """Folder names a mapping's ``files.root`` cannot use, or that shadow the built-in roots."""
    return [
        at.issue(
            ("folders", name),
            f"folder name {name!r} is reserved",
            "pick another name; 'data' is the city's data folder and 'real' the shared extracts",
        )
        for name in profile.folders
        if name in ("data", "real")
    ]
