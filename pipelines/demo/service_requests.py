"""Deterministic, seeded demo 311 extract in the layout of Philadelphia's public 311 table.

No real Philadelphia 311 extract ships with citystat, so ``generate_311`` writes a synthetic one
to ``<out_dir>/philadelphia_311/public_cases_fc.csv``. Same arguments give a byte-identical file.

Confirmed against public material about the real extract (Carto table ``public_cases_fc``):

- The 18 columns and their order: objectid, service_request_id, subject, status, status_notes,
  service_name, service_code, agency_responsible, service_notice, requested_datetime,
  updated_datetime, expected_datetime, closed_datetime, address, zipcode, media_url, lat, lon
  (a pandas dtypes listing of a downloaded extract; objectid and service_request_id integers).
- Timestamps are text ``YYYY-MM-DD HH:MM:SS`` (a data dictionary written from the CSV); they are
  written here as naive local wall-clock time, which is how citystat stores them.
- status values "Open" and "Closed"; ``subject`` is upper-case text such as "ILLEGAL DUMPING",
  "ABANDONED AUTOMOBILE", "POTHOLE REPAIR", "MAINTENANCE COMPLAINT".
- Service codes SR-IR01 Information Request, SR-ST01 Street Defect, SR-ST02 Illegal Dumping,
  SR-ST03 Rubbish/Recyclable Material Collection, SR-ST04 Street Light Outage, SR-PD01 Abandoned
  Vehicle, SR-CL01 Graffiti Removal, SR-LI21 for L&I maintenance complaints (a published count of
  codes by service name); agency names as in the real ``agency_responsible`` column.
- ``service_notice`` reads like "3 Business Days"; L&I says inspections usually happen within
  20 business days, Streets aims at three business days for potholes.

Modelling choices (not city figures): the service mix, per-service service-level targets,
on-time shares (55-90 %), log-normal closure delays, per-district delay factors, seasonality,
weekday and hour-of-day patterns, 3 % yearly growth. Information Requests get a zip like every
other request although most real ones have none. Business days skip weekends but not holidays.

The zip to council district crosswalk (``sources/lookups/philadelphia_zip_council_district.csv``)
gives each of the 46 residential zips 19102-19154 the district believed to cover most of it
under the 2022 council map; zips split between districts are approximations, good enough for a
demo, not for official reporting. Zip centroids and population weights are rounded estimates.

Injected extract defects, each roughly 0.15-0.3 % of rows, for validation to catch: duplicate
service_request_id (exact copies, and copies with a later update), closed_datetime before
requested_datetime, empty zipcode, and lat/lon of 0,0. objectid runs 1..N in file order and
service_request_id increases with requested_datetime.

Rows are generated in chunks of whole days with numpy, formatted by DuckDB, appended to a
temporary file in the target folder and renamed into place, so memory stays bounded and a
half-written extract is never left behind.
"""

from __future__ import annotations

import csv
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from pipelines.demo.catalog import (
    DISTRICT_DELAY_FACTOR,
    HOUR_VOLUME,
    LAT_MAX,
    LAT_MIN,
    LON_MAX,
    LON_MIN,
    OPEN_NOTES,
    SERVICES,
    STREETS,
    WEEKDAY_VOLUME,
    ZIP_AREAS,
)

DEFAULT_ROWS = 300_000
DEFAULT_SEED = 2024
DEFAULT_START = date(2023, 7, 1)  # start of Philadelphia FY2024
DEFAULT_END = date(2026, 11, 15)  # fixed, so output is deterministic (not "today")

EXTRACT_FOLDER = "philadelphia_311"
EXTRACT_FILE = "public_cases_fc.csv"
CROSSWALK_FILE = (
    Path(__file__).resolve().parents[1]
    / "sources"
    / "lookups"
    / "philadelphia_zip_council_district.csv"
)

COLUMNS: tuple[str, ...] = (
    "objectid",
    "service_request_id",
    "subject",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "closed_datetime",
    "address",
    "zipcode",
    "media_url",
    "lat",
    "lon",
)

CHUNK_ROWS = 100_000
FIRST_REQUEST_ID = 15_100_000
DAY = 86_400
YEARLY_GROWTH = 0.03
MEDIA_SHARE = 0.06
JITTER_DEGREES = (0.007, 0.009)  # lat, lon standard deviation around a zip centroid

# Share of rows per injected defect.
EXACT_DUPLICATE_SHARE = 0.0015
CHANGED_DUPLICATE_SHARE = 0.0015
CLOSED_BEFORE_OPENED_SHARE = 0.002
MISSING_ZIP_SHARE = 0.003
ZERO_COORDINATES_SHARE = 0.002

_FORMAT_SQL = """
SELECT
    c.objectid AS objectid,
    c.request_id AS service_request_id,
    subj.text AS subject,
    CASE WHEN c.is_open THEN 'Open' ELSE 'Closed' END AS status,
    note.text AS status_notes,
    s.service_name AS service_name,
    s.service_code AS service_code,
    s.agency_responsible AS agency_responsible,
    s.service_notice AS service_notice,
    strftime(c.requested, '%Y-%m-%d %H:%M:%S') AS requested_datetime,
    strftime(c.updated, '%Y-%m-%d %H:%M:%S') AS updated_datetime,
    strftime(c.expected, '%Y-%m-%d %H:%M:%S') AS expected_datetime,
    strftime(c.closed, '%Y-%m-%d %H:%M:%S') AS closed_datetime,
    CAST(c.house AS VARCHAR) || ' ' || st.text AS address,
    z.zip AS zipcode,
    CASE WHEN c.has_media
        THEN 'https://media.philly311.demo.invalid/' || CAST(c.request_id AS VARCHAR) || '.jpg'
    END AS media_url,
    round(c.lat, 6) AS lat,
    round(c.lon, 6) AS lon
FROM chunk AS c
JOIN demo_services AS s ON s.svc = c.svc
JOIN demo_texts AS subj ON subj.key = c.subject_key
LEFT JOIN demo_texts AS note ON note.key = c.note_key
JOIN demo_texts AS st ON st.key = c.street_key
LEFT JOIN demo_zips AS z ON z.zip_no = c.zip_no
ORDER BY c.objectid
"""


@dataclass
class _Counters:
    """Running identifiers carried from one chunk to the next."""

    next_objectid: int
    next_request_id: int


@dataclass(frozen=True)
class _Texts:
    """Flat numbering of every short text, so rows carry integer keys until DuckDB formats them."""

    texts: list[str]
    subject_offset: np.ndarray
    subject_count: np.ndarray
    note_offset: np.ndarray
    note_count: np.ndarray
    open_offset: int
    street_offset: int


@dataclass(frozen=True)
class _Model:
    """Per-service and per-zip arrays the vectorised generator indexes into."""

    start_day: int  # days since 1970-01-01
    as_of: int  # seconds since 1970-01-01: last second of the end date, when the extract is cut
    sla_days: np.ndarray
    median_days: np.ndarray
    sigma: np.ndarray
    never_closed: np.ndarray
    instant_close: np.ndarray
    seasonality: np.ndarray  # services x 12
    zip_weights: np.ndarray
    zip_lat: np.ndarray
    zip_lon: np.ndarray
    zip_delay: np.ndarray
    hour_p: np.ndarray
    texts: _Texts


def load_zip_districts(path: Path = CROSSWALK_FILE) -> dict[str, str]:
    """Read the zip → council district crosswalk CSV into a dict of 5-digit zip to "1".."10"."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames != ["zip", "council_district"]:
            raise ValueError(
                f"{path}: line 1: header must be 'zip,council_district', got {reader.fieldnames}; "
                "restore the file from the repository"
            )
        districts: dict[str, str] = {}
        for line, row in enumerate(reader, start=2):
            zip_code, district = row["zip"], row["council_district"]
            if not (len(zip_code) == 5 and zip_code.isdigit()) or district not in (
                DISTRICT_DELAY_FACTOR
            ):
                raise ValueError(
                    f"{path}: line {line}: expected a 5-digit zip and a district 1-10, got "
                    f"zip={zip_code!r} council_district={district!r}; correct that line"
                )
            districts[zip_code] = district
    return districts


def generate_311(
    out_dir: Path,
    rows: int = DEFAULT_ROWS,
    seed: int = DEFAULT_SEED,
    start: date = DEFAULT_START,
    end: date = DEFAULT_END,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Write out_dir/philadelphia_311/public_cases_fc.csv and return its path."""
    if rows < 1:
        raise ValueError(f"rows must be at least 1, got {rows}")
    if end < start:
        raise ValueError(f"end date {end} is before start date {start}; swap them")
    report = progress or silent
    folder = Path(out_dir) / EXTRACT_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / EXTRACT_FILE
    model = _build_model(start, end)
    counts = _day_service_counts(np.random.default_rng(seed), rows, model, (end - start).days + 1)
    report(f"Generating {rows:,} demo 311 requests from {start} to {end} (seed {seed})")
    handle, temp_name = tempfile.mkstemp(prefix=".public_cases_fc.", suffix=".tmp", dir=folder)
    try:
        with (
            os.fdopen(handle, "wb") as out,
            tempfile.TemporaryDirectory(prefix=".parts.", dir=folder) as scratch,
            duckdb.connect() as con,
        ):
            _register_lookups(con, model.texts)
            counters = _Counters(next_objectid=1, next_request_id=FIRST_REQUEST_ID)
            for number, (first, last) in enumerate(chunk_days(counts.sum(axis=1))):
                chunk_rng = np.random.default_rng([seed, number + 1])
                frame = _chunk_frame(chunk_rng, counts[first:last], first, model, counters)
                part = Path(scratch) / f"part{number}.csv"
                con.register("chunk", frame)
                con.sql(_FORMAT_SQL).write_csv(str(part), header=number == 0)
                con.unregister("chunk")
                with part.open("rb") as source:
                    shutil.copyfileobj(source, out)
                part.unlink()
                report(f"Wrote {counters.next_objectid - 1:,} of {rows:,} rows")
        os.chmod(temp_name, 0o644)  # mkstemp creates 0600; the extract is ordinary shared data
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    report(f"Demo extract ready: {target}")
    return target


def silent(_message: str) -> None:
    """Progress sink used when the caller passes none."""


def _build_model(start: date, end: date) -> _Model:
    """Collect the catalog into arrays (per service, per zip) for vectorised lookups."""
    districts = load_zip_districts()
    missing = [area.zip for area in ZIP_AREAS if area.zip not in districts]
    if missing:
        raise ValueError(
            f"{CROSSWALK_FILE}: no council district for zip(s) {', '.join(missing)}; add them"
        )
    weights = np.array([area.population_k for area in ZIP_AREAS], dtype=float)
    start_day = int(np.datetime64(start, "D").astype(np.int64))
    end_day = int(np.datetime64(end, "D").astype(np.int64))
    return _Model(
        start_day=start_day,
        as_of=(end_day + 1) * DAY - 1,
        sla_days=np.array([s.sla_business_days for s in SERVICES]),
        median_days=np.array([s.median_delay_days() for s in SERVICES]),
        sigma=np.array([s.sigma for s in SERVICES]),
        never_closed=np.array([s.never_closed for s in SERVICES]),
        instant_close=np.array([s.instant_close for s in SERVICES]),
        seasonality=np.array([s.seasonality for s in SERVICES], dtype=float),
        zip_weights=weights / weights.sum(),
        zip_lat=np.array([area.lat for area in ZIP_AREAS]),
        zip_lon=np.array([area.lon for area in ZIP_AREAS]),
        zip_delay=np.array([DISTRICT_DELAY_FACTOR[districts[area.zip]] for area in ZIP_AREAS]),
        hour_p=np.array(HOUR_VOLUME) / sum(HOUR_VOLUME),
        texts=_number_texts(),
    )


def _number_texts() -> _Texts:
    """Give every subject, note and street a global integer key."""
    texts: list[str] = []
    subject_offset, subject_count, note_offset, note_count = [], [], [], []
    for service in SERVICES:
        subject_offset.append(len(texts))
        subject_count.append(len(service.subjects))
        texts.extend(service.subjects)
    for service in SERVICES:
        note_offset.append(len(texts))
        note_count.append(len(service.closed_notes))
        texts.extend(service.closed_notes)
    open_offset = len(texts)
    texts.extend(OPEN_NOTES)
    street_offset = len(texts)
    texts.extend(STREETS)
    return _Texts(
        texts=texts,
        subject_offset=np.array(subject_offset),
        subject_count=np.array(subject_count),
        note_offset=np.array(note_offset),
        note_count=np.array(note_count),
        open_offset=open_offset,
        street_offset=street_offset,
    )


def _register_lookups(con: duckdb.DuckDBPyConnection, texts: _Texts) -> None:
    """Expose the small lookup tables the formatting query joins to."""
    services = pd.DataFrame(
        {
            "svc": np.arange(len(SERVICES), dtype=np.int8),
            "service_name": [s.name for s in SERVICES],
            "service_code": [s.code for s in SERVICES],
            "agency_responsible": [s.agency for s in SERVICES],
            "service_notice": [s.notice for s in SERVICES],
        }
    )
    zips = pd.DataFrame(
        {
            "zip_no": np.arange(len(ZIP_AREAS), dtype=np.int16),
            "zip": [area.zip for area in ZIP_AREAS],
        }
    )
    con.register("demo_services", services)
    con.register("demo_zips", zips)
    text_table = pd.DataFrame({"key": np.arange(len(texts.texts)), "text": texts.texts})
    con.register("demo_texts", text_table)


def _day_service_counts(
    rng: np.random.Generator, rows: int, model: _Model, days: int
) -> np.ndarray:
    """Requests per (day, service): seasonality x weekday x growth, drawn as one multinomial."""
    day_numbers = model.start_day + np.arange(days)
    months = day_numbers.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12
    weekdays = (day_numbers + 3) % 7  # 1970-01-01 was a Thursday; 0 = Monday
    shares = np.array([s.share for s in SERVICES])
    growth = 1 + YEARLY_GROWTH * np.arange(days) / 365.25
    weekday_factor = np.array(WEEKDAY_VOLUME)[weekdays] * growth
    weight = model.seasonality[:, months].T * shares[None, :] * weekday_factor[:, None]
    counts = rng.multinomial(rows, (weight / weight.sum()).ravel())
    return counts.reshape(days, len(SERVICES))


def chunk_days(rows_per_day: np.ndarray) -> Iterator[tuple[int, int]]:
    """Split the day range into runs of whole days holding about CHUNK_ROWS rows each."""
    first = 0
    total = 0
    for day, count in enumerate(rows_per_day.tolist()):
        total += count
        if total >= CHUNK_ROWS:
            yield first, day + 1
            first, total = day + 1, 0
    if first < len(rows_per_day):
        yield first, len(rows_per_day)


def _chunk_frame(
    rng: np.random.Generator, counts: np.ndarray, first_day: int, model: _Model, ids: _Counters
) -> pd.DataFrame:
    """Generate every column of one chunk of whole days, sorted by request time."""
    flat = counts.ravel()
    cells = np.flatnonzero(flat)
    svc = np.repeat(cells % len(SERVICES), flat[cells]).astype(np.int8)
    day = model.start_day + first_day + np.repeat(cells // len(SERVICES), flat[cells])
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
    _inject_defects(rng, cols, model.as_of)
    return _to_frame(cols)


def _add_places(rng: np.random.Generator, cols: dict[str, np.ndarray], model: _Model) -> None:
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
    rng: np.random.Generator, cols: dict[str, np.ndarray], day: np.ndarray, model: _Model
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
    is_open = (rng.random(n) < model.never_closed[svc]) | (closed > model.as_of)

    touched = rng.random(n) < 0.7
    open_update = requested + (touched * rng.random(n) * 0.6 * (model.as_of - requested)).astype(
        np.int64
    )
    close_lag = np.where(rng.random(n) < 0.6, 0, rng.integers(60, 6 * 3600, n))
    closed_update = np.minimum(closed + close_lag, model.as_of)
    cols["closed"] = closed
    cols["is_open"] = is_open
    cols["updated"] = np.where(is_open, open_update, closed_update)
    cols["has_media"] = (rng.random(n) < MEDIA_SHARE) & (svc != 0)


def _add_texts(rng: np.random.Generator, cols: dict[str, np.ndarray], texts: _Texts) -> None:
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
    """Plant the real-extract defects validation must catch (see the module docstring)."""
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
