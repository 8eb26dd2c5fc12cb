"""Typed model of city.yml, the profile of one city; unknown keys are errors."""

from __future__ import annotations

import difflib
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import BaseModel, ConfigDict, Field, StrictStr, field_validator

from pipelines.warehouse.words import department_hint

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


def zone_problem(zone: str) -> str | None:
    """Why ``zone`` is not an IANA time zone name, with the fix (None when it is one)."""
    try:
        ZoneInfo(zone)
        return None
    except (ZoneInfoNotFoundError, ValueError):
        pass
    known = sorted(available_timezones())
    by_case = {name.casefold(): name for name in known}
    close = [by_case[zone.casefold()]] if zone.casefold() in by_case else []
    close = close or difflib.get_close_matches(zone, known, n=1, cutoff=0.8)
    hint = f"did you mean {close[0]}?" if close else "use an IANA name such as America/Chicago"
    return f"unknown time zone {zone!r}; {hint}"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Department(_Strict):
    """One department of the registry: metrics, services and meetings name it by ``id``."""

    id: StrictStr = Field(pattern=ID_PATTERN.pattern)
    name: StrictStr = Field(min_length=1)


class District(_Strict):
    """One district of the city's district layer; its id is text as the extracts write it."""

    id: StrictStr = Field(min_length=1)
    name: StrictStr | None = None
    population: int | None = Field(default=None, ge=0)


class Population(_Strict):
    """Where the district populations come from (shown wherever a rate per resident is)."""

    source: StrictStr = Field(min_length=1)
    year: int = Field(ge=1790, le=2100)


class Boundaries(_Strict):
    """The district boundaries: a GeoJSON file and the feature property holding the id."""

    root: str = "city"
    path: StrictStr
    id_property: StrictStr = "district"


class CityPopulation(_Strict):
    """The city's resident population, the base of every rate per 1,000 residents."""

    total: int = Field(gt=0)
    source: StrictStr = Field(min_length=1)
    year: int = Field(ge=1790, le=2100)


class DistrictLayer(_Strict):
    """The districts the city reports by: their column, names, populations and boundaries."""

    dimension: StrictStr = "council_district"
    label: StrictStr = "Council district"
    districts: list[District] = Field(min_length=1)
    population: Population | None = None
    boundaries: Boundaries | None = None


class CityProfile(_Strict):
    """city.yml: what makes a city itself, everything a run and the dashboard take from it."""

    name: StrictStr = Field(min_length=1)
    timezone: StrictStr
    fiscal_year_start_month: int = Field(default=7, ge=1, le=12)
    # Source mappings `citystat run` loads, by name, from the `mappings` folder.
    sources: list[StrictStr] = Field(default_factory=list)
    mappings: StrictStr = "sources"
    # Named folders a mapping's `files.root` may use (besides `data`, the city's data folder).
    folders: dict[str, StrictStr] = Field(default_factory=dict)
    departments: list[Department] = Field(min_length=1)
    districts: DistrictLayer | None = None
    population: CityPopulation | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        problem = zone_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value

    def department_hint(self, written: str) -> str:
        """How to fix a department that is not a registry id: its id, a close id, or the list."""
        return department_hint(written, {d.id: d.name for d in self.departments})

    def department_name(self, department_id: str) -> str:
        """The display name of a department id (the id itself when it is not registered)."""
        return next((d.name for d in self.departments if d.id == department_id), department_id)
