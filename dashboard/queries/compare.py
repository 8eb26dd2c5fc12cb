"""Cities side by side: one measure from several cities' published warehouses.

A measure is matched across cities by the ``common_id`` each city's metrics.yml gives it,
never by its label. Each city's warehouse is ``<city folder>/data/citystat.duckdb``, read
read-only through ``reader`` like the city's own. Counts become rates per 1,000 residents
(the value over city.yml's ``population.total``); medians and shares are compared as they
are. Every city is shown in the latest period at the grain that all the cities measuring
the measure have complete, with records behind it (the same start and end), and each value
keeps its city, its warehouse, its period and how fresh its data is. A city without the
measure is "not measured", never zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dashboard.queries.freshness import published_run
from dashboard.queries.metric_info import has_column, missing_tables
from dashboard.queries.reader import Warehouse, lake_cities_at, run_query, warehouse_at

CITY_WAREHOUSE = Path("data") / "citystat.duckdb"
PER_RESIDENTS = 1_000
# Units that count things (metrics.yml): compared per 1,000 residents.
COUNT_UNITS = ("requests", "permits", "cases")

# The comparison's columns, one row per configured city (see ``compare``).
COLUMNS = (
    "city",  # name from the warehouse's city_profile (the folder's name without one)
    "folder",
    "warehouse",  # the version file read; None when the folder has no published warehouse
    "population",
    "population_source",
    "population_year",
    "data_as_of",  # the city's last published run
    "last_run",
    "is_demo",  # generated demo data, not the city's records
    "metric_id",  # None: the city does not measure this common_id
    "label",
    "unit",
    "availability",  # why the city's sources cannot give it ('' when they can)
    "has_values",  # whether the city has any complete period at the grain
    "period_label",  # the period shown (None: none to show)
    "latest_label",  # the city's own latest complete period
    "value",  # as the city reports it
    "per_residents",  # a count, compared per 1,000 residents
    "compared",  # the value compared: per 1,000 residents for a count, else the value
)


@dataclass(frozen=True)
class City:
    """One configured city: its folder, published warehouse (if any) and profile facts."""

    folder: Path
    warehouse: Warehouse | None
    name: str
    population: int | None = None
    population_source: str | None = None
    population_year: int | None = None
    data_as_of: datetime | None = None
    last_run: datetime | None = None
    is_demo: bool = False  # its last run published generated demo data


@dataclass(frozen=True)
class Measure:
    """A city's metric carrying a common_id."""

    metric_id: str
    label: str
    unit: str | None
    grains: tuple[str, ...]
    availability: str = ""


def city_folders_warehouse(folder: Path) -> Path:
    """Where a city folder's published warehouse is."""
    return folder / CITY_WAREHOUSE


_PROFILE_SQL = """
SELECT name, population_total, population_source, population_year FROM city_profile LIMIT 1
"""


def load_cities(folders: list[Path]) -> list[City]:
    """The configured cities in order: a city folder is one city, a lake folder (written by
    `citystat export --parquet`, values from `metrics compute --engine spark`) is each of its
    cities."""
    cities = []
    for folder in folders:
        lake = lake_cities_at(folder)
        if lake:
            cities += [_city_from(folder / (wh.lake_city or ""), wh) for wh in lake]
        else:
            cities.append(load_city(folder))
    return cities


def load_city(folder: Path) -> City:
    """A configured city: its published warehouse and what its profile and last run say."""
    warehouse = warehouse_at(city_folders_warehouse(folder))
    if warehouse is None:
        return City(folder, None, folder.name)
    return _city_from(folder, warehouse)


def _city_from(folder: Path, warehouse: Warehouse) -> City:
    """A city read from its warehouse (or its lake tables): profile facts and last run."""
    run = published_run(warehouse)
    facts: dict[str, Any] = {}
    if not missing_tables(warehouse, ["city_profile"]):
        profile = run_query(warehouse, _PROFILE_SQL)
        if not profile.empty:
            facts = {str(k): v for k, v in profile.iloc[0].items()}
    return City(
        folder=folder,
        warehouse=warehouse,
        name=_text(facts.get("name")) or folder.name,
        population=None
        if is_missing(facts.get("population_total"))
        else int(facts["population_total"]),
        population_source=_text(facts.get("population_source")),
        population_year=None
        if is_missing(facts.get("population_year"))
        else int(facts["population_year"]),
        data_as_of=None if run is None else run["data_as_of"],
        last_run=None if run is None else run["finished_at"],
        is_demo=run is not None and bool(run["is_demo"]),
    )


def _text(value: object) -> str | None:
    return None if is_missing(value) or value == "" else str(value)


def is_missing(value: object) -> bool:
    """None, NaN, NaT or pd.NA: what pandas hands over for a SQL NULL."""
    if value is None:
        return True
    scalar: Any = value  # pd.isna's stubs only accept known scalar types
    missing = pd.isna(scalar)
    return bool(missing) if isinstance(missing, bool | np.bool_) else False


_MEASURES_SQL = """
SELECT common_id, metric_id, label, unit, grains, coalesce(availability, '') AS availability
FROM metric_definitions
WHERE common_id IS NOT NULL
ORDER BY rowid
"""


def measures(city: City) -> dict[str, Measure]:
    """The city's metrics by common_id (the first one when two share an id)."""
    if city.warehouse is None or not has_column(city.warehouse, "metric_definitions", "common_id"):
        return {}
    found: dict[str, Measure] = {}
    for row in run_query(city.warehouse, _MEASURES_SQL).to_dict("records"):
        listed: Any = row["grains"]
        grains = tuple(str(g) for g in listed) if listed is not None else ()
        found.setdefault(
            str(row["common_id"]),
            Measure(
                str(row["metric_id"]),
                str(row["label"]),
                _text(row["unit"]),
                grains,
                str(row["availability"]),
            ),
        )
    return found


# A period the city's data covers has at least one record behind its value: a count of 0
# from no record at all (its extract stops before the period ends, its as-of time after)
# says nothing about the city, so such a period is not one to compare.
_VALUES_SQL = """
SELECT period_label, period_start, period_end, value
FROM metric_values
WHERE metric_id = $metric_id AND grain = $grain AND dimension = 'citywide' AND is_complete
  AND coalesce(count, 1) > 0
ORDER BY period_start
"""


def citywide_values(city: City, metric_id: str, grain: str) -> pd.DataFrame:
    """The city's complete citywide values of one metric at one grain that have records
    behind them, oldest first."""
    assert city.warehouse is not None
    return run_query(city.warehouse, _VALUES_SQL, metric_id=metric_id, grain=grain)


def comparison(cities: list[City], common_id: str, grain: str) -> tuple[pd.DataFrame, bool]:
    """The measure ``common_id`` at ``grain`` in every city, read from the warehouses: the
    rows of ``compare`` and whether they share one period."""
    found = {index: measures(city).get(common_id) for index, city in enumerate(cities)}
    values = {
        index: citywide_values(cities[index], measure.metric_id, grain)
        for index, measure in found.items()
        if measure is not None and not measure.availability
    }
    return compare(cities, found, values)


def compare(
    cities: list[City], found: dict[int, Measure | None], values: dict[int, pd.DataFrame]
) -> tuple[pd.DataFrame, bool]:
    """Each city's value side by side (pure; ``found`` and ``values`` by city index), and
    whether every city with values shows the same period.

    The period shown is the latest one (same start and end) that every city with values
    has complete; when they share none, each city shows its own latest.
    """
    spans = [
        set(zip(frame["period_start"], frame["period_end"], strict=True))
        for frame in values.values()
        if not frame.empty
    ]
    shared = set.intersection(*spans) if spans else set()
    target = max(shared) if shared else None
    rows = [
        _row(city, found.get(index), values.get(index), target) for index, city in enumerate(cities)
    ]
    return pd.DataFrame(rows, columns=list(COLUMNS)), target is not None


def _row(
    city: City, measure: Measure | None, frame: pd.DataFrame | None, target: tuple[Any, Any] | None
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "city": city.name,
        "folder": str(city.folder),
        "warehouse": None if city.warehouse is None else city.warehouse.path,
        "population": city.population,
        "population_source": city.population_source,
        "population_year": city.population_year,
        "data_as_of": city.data_as_of,
        "last_run": city.last_run,
        "is_demo": city.is_demo,
        "has_values": frame is not None and not frame.empty,
    }
    if measure is None:
        return row
    row |= {
        "metric_id": measure.metric_id,
        "label": measure.label,
        "unit": measure.unit,
        "availability": measure.availability,
        "per_residents": measure.unit in COUNT_UNITS,
    }
    if frame is None or frame.empty:
        return row
    row["latest_label"] = str(frame["period_label"].iloc[-1])
    if target is not None:
        frame = frame[(frame["period_start"] == target[0]) & (frame["period_end"] == target[1])]
    chosen = frame.iloc[-1]
    value = None if is_missing(chosen["value"]) else float(chosen["value"])
    row |= {
        "period_label": str(chosen["period_label"]),
        "value": value,
        "compared": _compared(value, measure, city),
    }
    return row


def _compared(value: float | None, measure: Measure, city: City) -> float | None:
    """A count per 1,000 residents (None without a population); anything else as it is."""
    if value is None or measure.unit not in COUNT_UNITS:
        return value
    if not city.population:
        return None
    return value / city.population * PER_RESIDENTS


def common_ids(cities: list[City]) -> dict[str, int]:
    """Every common_id any city measures, with how many cities measure it: most first, then
    in the order the cities' metrics.yml list them."""
    counts: dict[str, int] = {}
    for city in cities:
        for common_id in measures(city):
            counts[common_id] = counts.get(common_id, 0) + 1
    return dict(sorted(counts.items(), key=lambda item: -item[1]))


def grains_of(cities: list[City], common_id: str) -> list[str]:
    """The grains any city computes the measure at."""
    return list(
        dict.fromkeys(
            grain
            for city in cities
            if (measure := measures(city).get(common_id)) is not None
            for grain in measure.grains
        )
    )
