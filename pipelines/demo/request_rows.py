"""The 311 demo generator's rows: one chunk of whole days drawn with numpy (places, lifecycle,
texts), with the real extract's defects planted for validation to catch."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipelines.demo.catalog import (
    LAT_MAX,
    LAT_MIN,
    LON_MAX,
    LON_MIN,
    OPEN_NOTES,
    SERVICES,
    STREETS,
    ZIP_AREAS,
)
from pipelines.demo.common import DAY, JITTER_DEGREES
from pipelines.demo.request_model import Model, Texts

FIRST_REQUEST_ID = 15_100_000
MEDIA_SHARE = 0.06

# Share of rows per injected defect.
EXACT_DUPLICATE_SHARE = 0.0015
CHANGED_DUPLICATE_SHARE = 0.0015
CLOSED_BEFORE_OPENED_SHARE = 0.002
MISSING_ZIP_SHARE = 0.003
ZERO_COORDINATES_SHARE = 0.002


@dataclass
class Counters:
    """Running identifiers carried from one chunk to the next."""

    next_objectid: int
    next_request_id: int


def chunk_frame(
    rng: np.random.Generator, counts: np.ndarray, first_day: int, model: Model, ids: Counters
) -> pd.DataFrame:
    """Generate every column of one chunk of whole days, sorted by request time."""
    flat = counts.ravel()
    cells = np.flatnonzero(flat)
    svc = np.repeat(cells % len(SERVICES), flat[cells]).astype(np.int8)
    day = model.window.start_day + first_day + np.repeat(cells // len(SERVICES), flat[cells])
    n = svc.size
    hour = rng.choice(24, size=n, p=model.hour_p)
    requested = day * DAY + hour * 3600 + rng.integers(0, 3600, n)
    order = np.argsort(requested, kind="stable")
    svc, day, requested = svc[order], day[order], requested[order]

    cols: dict[str, np.ndarray] = {"svc": svc, "requested": requested}
    cols["objectid"] = ids.next_objectid + np.arange(n, dtype=np.int64)
    cols["request_id"] = ids.next_request_id + np.cumsum(rng.integers(1, 4, n))
    ids.next_objectid += n
    ids.next_request_id = int(cols["request_id"][-1]) if n else ids.next_request_id
    _add_places(rng, cols, model)
    _add_lifecycle(rng, cols, day, model)
    _add_texts(rng, cols, model.texts)
    _inject_defects(rng, cols, model.window.as_of)
    return _to_frame(cols)


def _add_places(rng: np.random.Generator, cols: dict[str, np.ndarray], model: Model) -> None:
    """Zip (by population), coordinates jittered around its centroid, and a street address."""
    n = cols["svc"].size
    zip_no = rng.choice(len(ZIP_AREAS), size=n, p=model.zip_weights).astype(np.int16)
    cols["zip_no"] = zip_no
    cols["lat"] = np.clip(
        model.zip_lat[zip_no] + rng.normal(0, JITTER_DEGREES[0], n), LAT_MIN, LAT_MAX
    )
    cols["lon"] = np.clip(
        model.zip_lon[zip_no] + rng.normal(0, JITTER_DEGREES[1], n), LON_MIN, LON_MAX
    )
    cols["house"] = rng.integers(1, 80, n) * 100 + rng.integers(0, 100, n)
    cols["street_key"] = model.texts.street_offset + rng.integers(0, len(STREETS), n)


def _add_lifecycle(
    rng: np.random.Generator, cols: dict[str, np.ndarray], day: np.ndarray, model: Model
) -> None:
    """Due time, closure delay (service x district x seasonal load), status and last update."""
    svc, requested = cols["svc"], cols["requested"]
    n = svc.size
    time_of_day = requested - day * DAY
    due_day = np.busday_offset(day.astype("datetime64[D]"), model.sla_days[svc], roll="forward")
    cols["expected"] = due_day.astype(np.int64) * DAY + time_of_day

    month = day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12
    # Busy months slow crews down (potholes in spring), by the square root of the volume bump.
    median = (
        model.median_days[svc]
        * model.zip_delay[cols["zip_no"]]
        * np.sqrt(model.seasonality[svc, month])
    )
    delay = (median * np.exp(model.sigma[svc] * rng.standard_normal(n)) * DAY).astype(np.int64)
    instant = rng.random(n) < model.instant_close[svc]
    delay = np.where(instant, rng.integers(30, 900, n), np.maximum(delay, 60))
    closed = requested + delay
    is_open = (rng.random(n) < model.never_closed[svc]) | (closed > model.window.as_of)

    touched = rng.random(n) < 0.7
    open_update = requested + (
        touched * rng.random(n) * 0.6 * (model.window.as_of - requested)
    ).astype(np.int64)
    close_lag = np.where(rng.random(n) < 0.6, 0, rng.integers(60, 6 * 3600, n))
    closed_update = np.minimum(closed + close_lag, model.window.as_of)
    cols["closed"] = closed
    cols["is_open"] = is_open
    cols["updated"] = np.where(is_open, open_update, closed_update)
    cols["has_media"] = (rng.random(n) < MEDIA_SHARE) & (svc != 0)


def _add_texts(rng: np.random.Generator, cols: dict[str, np.ndarray], texts: Texts) -> None:
    """Pick subject and status-note keys; about half of open requests carry a note."""
    svc, is_open = cols["svc"], cols["is_open"]
    n = svc.size
    cols["subject_key"] = texts.subject_offset[svc] + (
        rng.random(n) * texts.subject_count[svc]
    ).astype(np.int64)
    closed_note = texts.note_offset[svc] + (rng.random(n) * texts.note_count[svc]).astype(np.int64)
    open_note = np.where(
        rng.random(n) < 0.5, texts.open_offset + rng.integers(0, len(OPEN_NOTES), n), -1
    )
    cols["note_key"] = np.where(is_open, open_note, closed_note)


def _inject_defects(rng: np.random.Generator, cols: dict[str, np.ndarray], as_of: int) -> None:
    """Plant the real-extract defects validation must catch (see service_requests.py)."""
    n = cols["svc"].size
    if n < 2:
        return
    draw = rng.random(n)
    draw[0] = 1.0  # the first row has no predecessor to duplicate
    exact = np.flatnonzero(draw < EXACT_DUPLICATE_SHARE)
    changed = np.flatnonzero(
        (draw >= EXACT_DUPLICATE_SHARE) & (draw < EXACT_DUPLICATE_SHARE + CHANGED_DUPLICATE_SHARE)
    )
    for name, values in cols.items():
        if name != "objectid":
            values[exact] = values[exact - 1]
    # A re-exported copy of the previous request, touched again later.
    for name in ("svc", "request_id", "requested", "expected", "zip_no", "lat", "lon", "house"):
        cols[name][changed] = cols[name][changed - 1]
    cols["street_key"][changed] = cols["street_key"][changed - 1]
    cols["subject_key"][changed] = cols["subject_key"][changed - 1]
    cols["updated"][changed] = np.minimum(cols["updated"][changed] + 3600, as_of)

    clean = np.ones(n, dtype=bool)
    clean[exact] = False
    clean[changed] = False
    closed_rows = clean & ~cols["is_open"]
    backwards = closed_rows & (rng.random(n) < CLOSED_BEFORE_OPENED_SHARE)
    cols["closed"][backwards] = cols["requested"][backwards] - rng.integers(
        3600, 3 * DAY, int(backwards.sum())
    )
    cols["zip_no"][clean & (rng.random(n) < MISSING_ZIP_SHARE)] = -1
    zero = clean & (rng.random(n) < ZERO_COORDINATES_SHARE)
    cols["lat"][zero] = 0.0
    cols["lon"][zero] = 0.0


def _to_frame(cols: dict[str, np.ndarray]) -> pd.DataFrame:
    """Turn the chunk's arrays into the typed frame the formatting query reads."""
    closed = cols["closed"].astype("datetime64[s]")
    closed[cols["is_open"]] = np.datetime64("NaT")
    note_key = pd.array(cols["note_key"], dtype="Int64")
    note_key[cols["note_key"] < 0] = pd.NA
    zip_no = pd.array(cols["zip_no"], dtype="Int16")
    zip_no[cols["zip_no"] < 0] = pd.NA
    return pd.DataFrame(
        {
            "objectid": cols["objectid"],
            "request_id": cols["request_id"],
            "svc": cols["svc"],
            "subject_key": cols["subject_key"],
            "note_key": note_key,
            "is_open": cols["is_open"],
            "requested": cols["requested"].astype("datetime64[s]"),
            "updated": cols["updated"].astype("datetime64[s]"),
            "expected": cols["expected"].astype("datetime64[s]"),
            "closed": closed,
            "house": cols["house"],
            "street_key": cols["street_key"],
            "zip_no": zip_no,
            "has_media": cols["has_media"],
            "lat": cols["lat"],
            "lon": cols["lon"],
        }
    )
