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

The model (``request_model``) and the rows of each chunk of whole days (``request_rows``) live
apart; ``pipelines.demo.common.write_chunked_csv`` writes them, so memory stays bounded and a
half-written extract is never left behind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.demo.catalog import SERVICES, WEEKDAY_VOLUME
from pipelines.demo.common import (
    DEFAULT_END,
    DEFAULT_SEED,
    DEFAULT_START,
    Window,
    chunk_days,
    day_kind_counts,
    silent,
    write_chunked_csv,
)
from pipelines.demo.request_model import Model, build_model, lookup_frames
from pipelines.demo.request_rows import FIRST_REQUEST_ID, Counters, chunk_frame

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
    report = progress or silent
    target = Path(out_dir) / EXTRACT_FOLDER / EXTRACT_FILE
    model = build_model(Window.of(start, end))
    counts = day_kind_counts(
        np.random.default_rng(seed),
        rows,
        model.window,
        np.array([s.share for s in SERVICES]),
        model.seasonality,
        WEEKDAY_VOLUME,
    )
    report(f"Generating {rows:,} demo 311 requests from {start} to {end} (seed {seed})")
    frames = _chunks(seed, counts, model)
    write_chunked_csv(target, frames, _FORMAT_SQL, lookup_frames(model.texts), report, rows)
    report(f"Demo extract ready: {target}")
    return target


def _chunks(seed: int, counts: np.ndarray, model: Model) -> Iterator[pd.DataFrame]:
    """Frames of whole days, each from its own random stream so chunking never shifts draws."""
    counters = Counters(next_objectid=1, next_request_id=FIRST_REQUEST_ID)
    for number, (first, last) in enumerate(chunk_days(counts.sum(axis=1))):
        rng = np.random.default_rng([seed, number + 1])
        yield chunk_frame(rng, counts[first:last], first, model, counters)
