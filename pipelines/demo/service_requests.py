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

import os
import shutil
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from pipelines.demo.catalog import (
    DISTRICT_DELAY_FACTOR,
    HOUR_VOLUME,
    OPEN_NOTES,
    SERVICES,
    STREETS,
    WEEKDAY_VOLUME,
    ZIP_AREAS,
)
from pipelines.demo.common import (
    CROSSWALK_FILE,
    DEFAULT_END,
    DEFAULT_SEED,
    DEFAULT_START,
    chunk_days,
    load_zip_districts,
    silent,
)
from pipelines.demo.request_rows import DAY, _chunk_frame, _Counters, _Model, _Texts

DEFAULT_ROWS = 300_000

EXTRACT_FOLDER = "philadelphia_311"
EXTRACT_FILE = "public_cases_fc.csv"

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

FIRST_REQUEST_ID = 15_100_000
YEARLY_GROWTH = 0.03


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
