"""Typed model of city.yml, the profile of one city; unknown keys are errors."""

from __future__ import annotations

import difflib
import re
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import BaseModel, ConfigDict, Field, StrictStr, field_validator

from pipelines.warehouse.words import department_hint

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
# "1 day", "7 days", "12 hours", "1 month": how often a source arrives, and its grace.
PERIOD_PATTERN = re.compile(r"^\s*([1-9][0-9]{0,3})\s+(hour|day|week|month)s?\s*$")
PERIOD_UNITS = ("hour", "day", "week", "month")
# Slack after the expected arrival before a source counts as late (a nightly export that
# lands at 03:00 instead of 01:00 is not late).
DEFAULT_GRACE = "1 day"


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


def period_problem(text: str) -> str | None:
    """Why ``text`` is not a period such as "1 day" or "7 days", with the fix (None if it is)."""
    if PERIOD_PATTERN.match(text):
        return None
    return (
        f"{text!r} is not a period; write a whole number and a unit, such as '1 day', "
        "'7 days', '12 hours' or '1 month'"
    )


def period_interval(text: str) -> str:
    """A checked period as DuckDB interval text ("7 days" -> "7 day")."""
    match = PERIOD_PATTERN.match(text)
    if match is None:
        raise ValueError(period_problem(text))
    return f"{match.group(1)} {match.group(2)}"


class Source(_Strict):
    """One source `citystat run` loads: its mapping's name and how often its data arrives."""

    name: StrictStr = Field(min_length=1)
    # How often new data should arrive ("1 day", "7 days", "1 month"); leave it out for an
    # archive no new file is expected for (it is never late).
    expected_every: StrictStr | None = None
    grace: StrictStr = DEFAULT_GRACE

    @field_validator("expected_every", "grace")
    @classmethod
    def _period(cls, value: str | None) -> str | None:
        problem = None if value is None else period_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value


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
    # Whether the districts are drawn to (near-)equal population, as council districts and
    # wards are by law and New York's community districts are not; None when not known. The
    # Equity page says it when there are no district populations to divide by.
    equal_population: bool | None = None


# ISO 639-1 codes: the languages the public site speaks, the first one the default.
LANGUAGE_PATTERN = r"^[a-z]{2}$"


class CityProfile(_Strict):
    """city.yml: what makes a city itself, everything a run and the dashboard take from it."""

    name: StrictStr = Field(min_length=1)
    timezone: StrictStr
    fiscal_year_start_month: int = Field(default=7, ge=1, le=12)
    # Source mappings `citystat run` loads, by name, from the `mappings` folder: a name alone
    # (an archive, never late), or {name, expected_every, grace}.
    sources: list[Source] = Field(default_factory=list)
    mappings: StrictStr = "sources"
    # Named folders a mapping's `files.root` may use (besides `data`, the city's data folder).
    folders: dict[str, StrictStr] = Field(default_factory=dict)
    departments: list[Department] = Field(min_length=1)
    districts: DistrictLayer | None = None
    population: CityPopulation | None = None
    # The public site's languages (ISO 639-1), the first its default; metrics.yml's public
    # texts are written in the first and translated into the others.
    languages: list[Annotated[StrictStr, Field(pattern=LANGUAGE_PATTERN)]] = Field(
        default_factory=lambda: ["en"], min_length=1
    )

    @field_validator("languages")
    @classmethod
    def _each_language_once(cls, value: list[str]) -> list[str]:
        repeated = sorted({code for code in value if value.count(code) > 1})
        if repeated:
            listed = ", ".join(repeated)
            raise ValueError(f"{listed} listed more than once; list each language once")
        return value

    @field_validator("sources", mode="before")
    @classmethod
    def _names_are_entries(cls, value: Any) -> Any:
        # A name alone is the short form of {name: ...}: an archive, no arrival expected.
        if isinstance(value, list):
            return [{"name": item} if isinstance(item, str) else item for item in value]
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        problem = zone_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value

    @property
    def source_names(self) -> list[str]:
        """The names of the source mappings `citystat run` loads, in city.yml's order."""
        return [s.name for s in self.sources]

    def department_hint(self, written: str) -> str:
        """How to fix a department that is not a registry id: its id, a close id, or the list."""
        return department_hint(written, {d.id: d.name for d in self.departments})

    def department_name(self, department_id: str) -> str:
        """The display name of a department id (the id itself when it is not registered)."""
        return next((d.name for d in self.departments if d.id == department_id), department_id)
