"""A new city's folder, written from the commented templates in templates/ (`citystat init`).

The templates are package data; ``{{key}}`` marks what is filled in: the city's name (as
text in comments, as a quoted YAML scalar where it is a value), its time zone, the month its
fiscal year starts, the folder as commands name it, and the first cohort's quarter.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pipelines.city.loader import load_city_text
from pipelines.city.model import zone_problem
from pipelines.warehouse.layout import CITY_FILE

TEMPLATES = Path(__file__).with_name("templates")
# Template file: where it goes in the city's folder.
FILES = {
    "city.yml": CITY_FILE,
    "metrics.yml": "metrics.yml",
    "services.yml": "services.yml",
    "sources/example_311.yml": "sources/example_311.yml",
    "README.md": "README.md",
    "data.gitignore": "data/.gitignore",
}
# The folder the example mapping's files.pattern looks in.
EXTRACT_FOLDER = "data/311"
# Written when no zone is given; `metrics check` then says the zone is unknown, at its line.
ZONE_PLACEHOLDER = "Area/City"
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


class InitError(ValueError):
    """The folder cannot be written as asked; the message says why and what to do."""


@dataclass(frozen=True)
class NewCity:
    """What `citystat init` was told about the city."""

    folder: Path
    name: str | None = None
    timezone: str | None = None
    fiscal_year_start_month: int = 7

    @property
    def display_name(self) -> str:
        """The name given, else the folder's ("new_springfield" -> "New Springfield")."""
        return self.name or re.sub(r"[_-]+", " ", self.folder.resolve().name).strip().title()


# Written only where there is none yet (or with force): a city may keep its own.
KEPT_IF_PRESENT = "data/.gitignore"


def _fiscal_quarter_start(day: date, fiscal_year_start_month: int) -> date:
    # Back to the latest month that starts a fiscal quarter (they fall 3 months apart).
    months = day.year * 12 + day.month - 1
    start = months - (day.month - fiscal_year_start_month) % 3
    return date(start // 12, start % 12 + 1, 1)


def existing_files(folder: Path) -> list[Path]:
    """The configuration files `init` would overwrite in ``folder`` (city.yml first)."""
    return [
        folder / target
        for target in FILES.values()
        if target != KEPT_IF_PRESENT and (folder / target).exists()
    ]


def write_city(city: NewCity, *, force: bool = False, today: date | None = None) -> list[Path]:
    """Write the city's folder; the files written. InitError when it would overwrite files
    (without ``force``) or when the name or zone cannot be used."""
    texts = render_city(city, today or date.today())
    existing = existing_files(city.folder)
    if existing and not force:
        names = ", ".join(str(p.relative_to(city.folder)) for p in existing)
        raise InitError(
            f"{city.folder} is a city already ({names} exist); nothing was written. Work on it "
            "with --city, or pass --force to overwrite these files with the templates "
            "(the extracts and warehouse in data/ are never touched)"
        )
    written = []
    for target, text in texts.items():
        path = city.folder / target
        if target == KEPT_IF_PRESENT and path.exists() and not force:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    (city.folder / EXTRACT_FOLDER).mkdir(parents=True, exist_ok=True)
    return written


def render_city(city: NewCity, today: date) -> dict[str, str]:
    """Every template filled in for ``city``, by where it goes in the folder."""
    name = city.display_name
    if not name or any(ord(ch) < 32 for ch in name):
        raise InitError(f"the name {name!r} cannot be used; give --name as one line of text")
    if city.timezone is not None:
        problem = zone_problem(city.timezone)
        if problem is not None:
            raise InitError(f"--timezone: {problem}")
    if not 1 <= city.fiscal_year_start_month <= 12:
        raise InitError("--fiscal-year-start is a month, 1 to 12")
    values = {
        "name": name,
        "name_yaml": json.dumps(name, ensure_ascii=False),
        "title_yaml": json.dumps(f"{name} 311 service requests", ensure_ascii=False),
        "timezone": city.timezone or ZONE_PLACEHOLDER,
        "timezone_note": "" if city.timezone else "    # fill in: the city's zone",
        "fiscal_year_start_month": str(city.fiscal_year_start_month),
        "folder": shlex.quote(str(city.folder)),
        # Cohorts are fiscal quarters: the first starts on the first day of the one today is in.
        "cohort_start": _fiscal_quarter_start(today, city.fiscal_year_start_month).isoformat(),
    }
    texts = {target: _fill(TEMPLATES / source, values) for source, target in FILES.items()}
    if city.timezone is not None:
        load_city_text(texts[CITY_FILE])  # the templates and the name make a valid profile
    return texts


def zone_line(text: str) -> int:
    """The line of ``timezone:`` in a rendered city.yml (where the placeholder is)."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if line.startswith("timezone:"))


def _fill(template: Path, values: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template.read_text(encoding="utf-8"))
