"""What the L&I demo generators (permits, complaint cases) share: places with their council
district, timestamps in waking hours, weighted picks, yearly running numbers and common defects.

It builds on ``pipelines.demo.common`` (crosswalk, day window, volumes, chunked writer) and the
311 catalog's zip centroids and streets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from pipelines.demo.catalog import LAT_MAX, LAT_MIN, LON_MAX, LON_MIN, STREETS, ZIP_AREAS
from pipelines.demo.common import DAY, JITTER_DEGREES, zip_area_districts


@dataclass(frozen=True)
class Places:
    """Zip codes with their population weights, centroids and council-district factor."""

    zips: list[str]
    districts: list[str]  # "1".."10"
    zip_district: np.ndarray  # index into districts, per zip
    weights: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    district_factor: np.ndarray


def epoch_seconds(day: date) -> int:
    """Seconds since 1970-01-01 at local midnight starting ``day``."""
    return int(np.datetime64(day, "D").astype(np.int64)) * DAY


def build_places(district_factor: dict[str, float]) -> Places:
    """Zip weights and centroids from the 311 catalog, districts from the shared crosswalk."""
    weights = np.array([area.population_k for area in ZIP_AREAS], dtype=float)
    zip_districts = zip_area_districts()
    districts = sorted(set(zip_districts), key=int)
    return Places(
        zips=[area.zip for area in ZIP_AREAS],
        districts=districts,
        zip_district=np.array([districts.index(d) for d in zip_districts]),
        weights=weights / weights.sum(),
        lat=np.array([area.lat for area in ZIP_AREAS]),
        lon=np.array([area.lon for area in ZIP_AREAS]),
        district_factor=np.array([district_factor[d] for d in zip_districts]),
    )


def draw_places(rng: np.random.Generator, n: int, places: Places) -> dict[str, np.ndarray]:
    """Zip by population, coordinates jittered around its centroid, house number and street."""
    zip_no = rng.choice(len(places.zips), size=n, p=places.weights).astype(np.int16)
    return {
        "zip_no": zip_no,
        # Kept apart from the zip: a row whose zip is blanked still has its district.
        "district_no": places.zip_district[zip_no],
        "lat": np.clip(places.lat[zip_no] + rng.normal(0, JITTER_DEGREES[0], n), LAT_MIN, LAT_MAX),
        "lon": np.clip(places.lon[zip_no] + rng.normal(0, JITTER_DEGREES[1], n), LON_MIN, LON_MAX),
        "house": rng.integers(1, 80, n) * 100 + rng.integers(0, 100, n),
        "street": rng.integers(0, len(STREETS), n),
        "opa": rng.integers(11_000_000, 889_999_999, n),
    }


def expand_counts(
    rng: np.random.Generator, counts: np.ndarray, first_day: int, hour_p: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """One row per counted record of a chunk: its kind and local timestamp, sorted by time."""
    kinds = counts.shape[1]
    flat = counts.ravel()
    cells = np.flatnonzero(flat)
    kind = np.repeat(cells % kinds, flat[cells]).astype(np.int16)
    day = first_day + np.repeat(cells // kinds, flat[cells])
    n = kind.size
    hour = rng.choice(24, size=n, p=hour_p)
    at = day.astype(np.int64) * DAY + hour * 3600 + rng.integers(0, 3600, n)
    at = waking_hours(at)
    order = np.argsort(at, kind="stable")
    return kind[order], at[order]


def waking_hours(seconds: np.ndarray) -> np.ndarray:
    """Move times between midnight and 5am five hours later.

    Offices do not act at night, and this keeps every local time out of the daylight-saving
    gap and overlap (1-3am), so converting to UTC never reorders two events of one record.
    Applied to a later event of a record after the earlier one, it only moves it later.
    """
    time_of_day = seconds % DAY
    return np.where(time_of_day < 5 * 3600, seconds + 5 * 3600, seconds)


def lognormal_days(
    rng: np.random.Generator, median: np.ndarray, sigma: np.ndarray | float
) -> np.ndarray:
    """Seconds drawn from a log-normal with the given median days and spread."""
    n = median.size
    return (median * np.exp(sigma * rng.standard_normal(n)) * DAY).astype(np.int64)


def pick_weighted(
    rng: np.random.Generator, kind: np.ndarray, weights: Sequence[Sequence[float]]
) -> np.ndarray:
    """For each row, an index into its kind's weight list (lists may differ in length)."""
    width = max(len(w) for w in weights)
    cumulative = np.ones((len(weights), width))
    for number, row in enumerate(weights):
        cum = np.cumsum(np.asarray(row, dtype=float) / sum(row))
        cumulative[number, : len(row)] = cum
    draw = rng.random(kind.size)
    return (draw[:, None] > cumulative[kind]).sum(axis=1)


def year_sequence(at: np.ndarray, carried: dict[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Calendar year of each (time-sorted) record and its running number within that year."""
    years = at.astype("datetime64[s]").astype("datetime64[Y]").astype(np.int64) + 1970
    seq = np.empty(at.size, dtype=np.int64)
    for year in np.unique(years).tolist():  # at most a few years per chunk
        where = np.flatnonzero(years == year)
        first = carried.get(year, 0)
        seq[where] = first + np.arange(1, where.size + 1)
        carried[year] = first + where.size
    return years, seq


def categorical(codes: np.ndarray, labels: Sequence[str]) -> pd.Categorical[str]:
    """Integer codes as text DuckDB reads directly; code -1 becomes NULL."""
    return pd.Categorical.from_codes(codes.astype(np.int64), categories=pd.Index(list(labels)))


def timestamps(seconds: np.ndarray, present: np.ndarray | None = None) -> np.ndarray:
    """Epoch seconds as datetime64[s], NaT where ``present`` is false."""
    out = seconds.astype("datetime64[s]")
    if present is not None:
        out[~present] = np.datetime64("NaT")
    return out


def place_columns(cols: dict[str, np.ndarray], places: Places) -> dict[str, object]:
    """Address, zip, district and coordinates of a chunk as frame columns."""
    return {
        "house": cols["house"],
        "street": categorical(cols["street"], STREETS),
        "opa": cols["opa"],
        "zip": categorical(cols["zip_no"], places.zips),
        "council_district": categorical(cols["district_no"], places.districts),
        "lat": cols["lat"],
        "lon": cols["lon"],
    }


def plant_common_defects(
    rng: np.random.Generator, cols: dict[str, np.ndarray], shares: dict[str, float]
) -> np.ndarray:
    """Exact duplicate rows, missing zips and 0,0 coordinates; returns the untouched rows."""
    n = cols["zip_no"].size
    clean = np.ones(n, dtype=bool)
    if n < 2:
        return clean
    draw = rng.random(n)
    draw[0] = 1.0  # the first row has no predecessor to duplicate
    duplicate = np.flatnonzero(draw < shares["duplicate"])
    for name, values in cols.items():
        if name != "objectid":
            values[duplicate] = values[duplicate - 1]
    clean[duplicate] = False
    clean[duplicate - 1] = False
    cols["zip_no"][clean & (rng.random(n) < shares["missing_zip"])] = -1
    zero = clean & (rng.random(n) < shares["zero_coordinates"])
    cols["lat"][zero] = 0.0
    cols["lon"][zero] = 0.0
    return clean
