"""Seeded demo extract of Philadelphia L&I complaint cases with their first inspection.

``generate_inspections`` writes ``<out_dir>/philadelphia_inspections/case_investigations.csv``;
the same arguments give a byte-identical file. 40,000 cases by default, about 13 % of the
default 300,000 demo 311 requests.

Philadelphia publishes complaints (Carto ``complaints``) and the investigations of the cases
they open (Carto ``case_investigations``, one row per investigation) as two tables. The demo
writes ONE file, one row per complaint case: the complaint's columns, the case's, and those of
its first investigation (blank while none has been done), so a mapping can load it without a
join. Confirmed against public code that queries the live tables:

- complaints: complaintnumber, complaintdate, complaintcodename, casenumber, address, zip,
  opa_account_num, coordinates from ``the_geom`` selected as lat / lng. complaintcodename values
  such as "PROPERTY MAINTENANCE COMPLAINT INTERIOR", "RESIDENCE WITHOUT HEAT (OCTOBER 1 - APRIL
  15)", "WORK UNDERWAY WITHOUT PERMITS", "VACANT PROPERTY COMPLAINT", "UNLICENSED RENTALS".
- case_investigations: casenumber, casepriority, casestatus, investigationprocessid (the
  table's key: casenumber repeats), investigationtype, investigationcompleted,
  investigationstatus, council_district, zip. investigationtype values such as "HCEU INSP"
  (housing code enforcement), "CI INSP" (construction), "VAC INSP", "AIU INSP", "CSTF INSP".
- Case priorities as L&I writes them: "IMMINENTLY DANGEROUS", "UNSAFE", "HAZARDOUS",
  "STANDARD" (casepriority is populated from 2020 on).
- Dates are UTC instants, written ``2024-03-05T14:21:06Z`` (see ``pipelines.demo.permits``).

Not confirmed, modelling choices: casecreateddate and casecompleteddate (names taken from the
L&I violations table, which carries the same case), the complaintnumber and casenumber formats
("CP-2024-000123", "CF-2024-000123"), investigationstatus values for the first inspection's
result ("FAILED": violation found, "PASSED": no violation, "UNFOUNDED", "NO ACCESS"), the mix
of complaint types and priorities, and every time below (``pipelines.demo.li_catalog``).

The real tables have no inspection due time, so the file has none either: the demo mapping
derives ``due_at`` from the complaint date and the priority's target days with ``due_rules``.

Response time (complaint to first inspection) is log-normal with a median per priority, times
a factor per council district and 0.55 for complaints from FY2025 on. Some complaints are
never inspected in the normal course (more of them STANDARD, and far fewer from FY2025 on);
90 % of those received before FY2025 are inspected in a backlog drive during FY2025, the rest
stay open, so the uninspected backlog at the end date has a tail of old cases. FAILED cases close
when the violation is corrected (median 60 days), PASSED and UNFOUNDED ones within days, half of
the NO ACCESS ones after a month or more. Heat complaints come in winter, weeds in summer.

Planted defects, each about 0.15-0.3 % of rows: exact duplicate rows (same casenumber),
investigationcompleted before complaintdate, empty zip, lat/lng of 0,0. objectid runs 1..N in
file order (complaint time).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.demo.catalog import HOUR_VOLUME
from pipelines.demo.common import (
    DAY,
    DEFAULT_END,
    DEFAULT_SEED,
    DEFAULT_START,
    Progress,
    Window,
    chunk_days,
    day_kind_counts,
    silent,
    write_chunked_csv,
)
from pipelines.demo.li_catalog import (
    BLITZ_SHARE,
    COMPLAINT_CODES,
    IMPROVEMENT_START,
    INSPECTION_DISTRICT_FACTOR,
    INSPECTION_IMPROVEMENT,
    MEDIAN_DAYS_TO_COMPLY,
    OUTCOME_WEIGHTS,
    OUTCOMES,
    PRIORITIES,
    STUCK_AFTER_IMPROVEMENT,
)
from pipelines.demo.li_common import (
    Places,
    build_places,
    categorical,
    draw_places,
    epoch_seconds,
    expand_counts,
    lognormal_days,
    pick_weighted,
    place_columns,
    plant_common_defects,
    timestamps,
    waking_hours,
    year_sequence,
)

DEFAULT_CASE_ROWS = 40_000
EXTRACT_FOLDER = "philadelphia_inspections"
EXTRACT_FILE = "case_investigations.csv"
STREAM = 3  # random stream of this generator; permits use 2, the 311 generator the bare seed

COLUMNS: tuple[str, ...] = (
    "objectid",
    "complaintnumber",
    "complaintdate",
    "complaintcodename",
    "casenumber",
    "casecreateddate",
    "casepriority",
    "casestatus",
    "casecompleteddate",
    "investigationprocessid",
    "investigationtype",
    "investigationcompleted",
    "investigationstatus",
    "opa_account_num",
    "address",
    "zip",
    "council_district",
    "lat",
    "lng",
)

CASE_STATUSES = ("OPEN", "CLOSED")
FAILED, PASSED, UNFOUNDED, NO_ACCESS = range(4)
WEEKDAY_VOLUME = (1.15, 1.1, 1.05, 1.05, 1.0, 0.7, 0.6)
FIRST_INVESTIGATION_ID = 8_100_000
NO_ACCESS_CLOSED_SHARE = 0.5
DEFECT_SHARES = {"duplicate": 0.0015, "missing_zip": 0.003, "zero_coordinates": 0.002}
INSPECTED_BEFORE_COMPLAINT_SHARE = 0.002

_FORMAT_SQL = """
SELECT
    c.objectid AS objectid,
    'CP-' || CAST(c.year AS VARCHAR) || '-' || lpad(CAST(c.seq AS VARCHAR), 6, '0')
        AS complaintnumber,
    utc_text(c.received) AS complaintdate,
    k.complaintcodename AS complaintcodename,
    'CF-' || CAST(c.year AS VARCHAR) || '-' || lpad(CAST(c.seq AS VARCHAR), 6, '0')
        AS casenumber,
    utc_text(c.created) AS casecreateddate,
    c.priority AS casepriority,
    c.casestatus AS casestatus,
    utc_text(c.closed) AS casecompleteddate,
    c.investigation_id AS investigationprocessid,
    CASE WHEN c.inspected IS NOT NULL THEN k.investigationtype END AS investigationtype,
    utc_text(c.inspected) AS investigationcompleted,
    c.outcome AS investigationstatus,
    lpad(CAST(c.opa AS VARCHAR), 9, '0') AS opa_account_num,
    CAST(c.house AS VARCHAR) || ' ' || c.street AS address,
    c.zip AS zip,
    c.council_district AS council_district,
    round(c.lat, 6) AS lat,
    round(c.lon, 6) AS lng
FROM chunk AS c
JOIN complaint_codes AS k ON k.code_no = c.code_no
ORDER BY c.objectid
"""


@dataclass(frozen=True)
class _Model:
    """Per-code and per-priority arrays and places the vectorised generator indexes into."""

    window: Window
    improvement_at: int  # local epoch seconds when faster responses start
    blitz_end: int  # the FY2025 backlog drive ends a year later
    places: Places
    hour_p: np.ndarray


@dataclass
class _Counters:
    """Running numbers carried from one chunk to the next."""

    next_objectid: int
    next_investigation_id: int
    per_year: dict[int, int]


def generate_inspections(
    out_dir: Path,
    rows: int = DEFAULT_CASE_ROWS,
    seed: int = DEFAULT_SEED,
    start: date = DEFAULT_START,
    end: date = DEFAULT_END,
    progress: Progress | None = None,
) -> Path:
    """Write out_dir/philadelphia_inspections/case_investigations.csv and return its path."""
    if rows < 1:
        raise ValueError(f"rows must be at least 1, got {rows}")
    report = progress or silent
    improvement_at = epoch_seconds(IMPROVEMENT_START)
    model = _Model(
        window=Window.of(start, end),
        improvement_at=improvement_at,
        blitz_end=epoch_seconds(IMPROVEMENT_START + timedelta(days=365)),
        places=build_places(INSPECTION_DISTRICT_FACTOR),
        hour_p=np.array(HOUR_VOLUME) / sum(HOUR_VOLUME),
    )
    target = Path(out_dir) / EXTRACT_FOLDER / EXTRACT_FILE
    report(f"Generating {rows:,} demo L&I complaint cases from {start} to {end} (seed {seed})")
    counts = day_kind_counts(
        np.random.default_rng([seed, STREAM]),
        rows,
        model.window,
        np.array([code.share for code in COMPLAINT_CODES]),
        np.array([code.seasonality for code in COMPLAINT_CODES], dtype=float),
        WEEKDAY_VOLUME,
    )
    write_chunked_csv(
        target,
        _chunks(seed, counts, model),
        _FORMAT_SQL,
        {"complaint_codes": _code_table()},
        report,
    )
    report(f"Demo complaint cases extract ready: {target}")
    return target


def _code_table() -> pd.DataFrame:
    """The per-code texts the formatting query joins to."""
    return pd.DataFrame(
        {
            "code_no": np.arange(len(COMPLAINT_CODES), dtype=np.int16),
            "complaintcodename": [code.name for code in COMPLAINT_CODES],
            "investigationtype": [code.investigation_type for code in COMPLAINT_CODES],
        }
    )


def _chunks(seed: int, counts: np.ndarray, model: _Model) -> Iterator[pd.DataFrame]:
    """Frames of whole days, each from its own random stream so chunking never shifts draws."""
    counters = _Counters(next_objectid=1, next_investigation_id=FIRST_INVESTIGATION_ID, per_year={})
    for number, (first, last) in enumerate(chunk_days(counts.sum(axis=1))):
        rng = np.random.default_rng([seed, STREAM, number + 1])
        yield _chunk_frame(rng, counts[first:last], model.window.start_day + first, model, counters)


def _chunk_frame(
    rng: np.random.Generator, counts: np.ndarray, first_day: int, model: _Model, ids: _Counters
) -> pd.DataFrame:
    """Generate every column of one chunk of whole days, sorted by complaint time."""
    code_no, received = expand_counts(rng, counts, first_day, model.hour_p)
    n = code_no.size
    cols: dict[str, np.ndarray] = {"code_no": code_no, "received": received}
    cols["objectid"] = ids.next_objectid + np.arange(n, dtype=np.int64)
    ids.next_objectid += n
    cols["year"], cols["seq"] = year_sequence(received, ids.per_year)
    cols["investigation_id"] = ids.next_investigation_id + np.cumsum(rng.integers(1, 4, n))
    ids.next_investigation_id = (
        int(cols["investigation_id"][-1]) if n else ids.next_investigation_id
    )
    cols["created"] = waking_hours(received + rng.integers(600, 2 * DAY, n))
    cols["priority"] = pick_weighted(rng, code_no, [c.priority_weights for c in COMPLAINT_CODES])
    cols.update(draw_places(rng, n, model.places))
    _add_first_inspection(rng, cols, model)
    _add_outcome(rng, cols, model.window.as_of)
    clean = plant_common_defects(rng, cols, DEFECT_SHARES)
    backwards = clean & cols["is_inspected"] & (rng.random(n) < INSPECTED_BEFORE_COMPLAINT_SHARE)
    # Whole days earlier, so the planted time stays in daytime like every other one.
    cols["inspected"][backwards] = (
        cols["received"][backwards] - rng.integers(1, 4, int(backwards.sum())) * DAY
    )
    return _to_frame(cols, model)


def _add_first_inspection(
    rng: np.random.Generator, cols: dict[str, np.ndarray], model: _Model
) -> None:
    """Response time (priority x district x era), the never-inspected share and the FY2025 drive."""
    priority, received = cols["priority"], cols["received"]
    n = priority.size
    improved = received >= model.improvement_at
    median = np.array([p.median_response_days for p in PRIORITIES])[priority]
    median = median * model.places.district_factor[cols["zip_no"]]
    median = median * np.where(improved, INSPECTION_IMPROVEMENT, 1.0)
    sigma = np.array([p.sigma for p in PRIORITIES])[priority]
    inspected = waking_hours(received + np.maximum(lognormal_days(rng, median, sigma), 1800))

    stuck_share = np.array([p.stuck_share for p in PRIORITIES])[priority]
    stuck = rng.random(n) < stuck_share * np.where(improved, STUCK_AFTER_IMPROVEMENT, 1.0)
    # The drive works through old stuck complaints at a random time during FY2025.
    blitz = stuck & ~improved & (rng.random(n) < BLITZ_SHARE)
    drive_start = np.maximum(received, model.improvement_at)
    drive_at = drive_start + (rng.random(n) * (model.blitz_end - drive_start)).astype(np.int64)
    inspected = np.where(blitz, waking_hours(drive_at), inspected)
    never = stuck & ~blitz
    cols["inspected"] = inspected
    cols["is_inspected"] = ~never & (inspected <= model.window.as_of)


def _add_outcome(rng: np.random.Generator, cols: dict[str, np.ndarray], as_of: int) -> None:
    """First inspection result, case closure time and case status."""
    inspected, is_inspected = cols["inspected"], cols["is_inspected"]
    n = inspected.size
    outcome = rng.choice(len(OUTCOMES), size=n, p=np.array(OUTCOME_WEIGHTS) / sum(OUTCOME_WEIGHTS))
    to_comply = lognormal_days(rng, np.full(n, MEDIAN_DAYS_TO_COMPLY), 0.9)
    quick = rng.integers(600, 3 * DAY, n)
    after_no_access = rng.integers(30 * DAY, 120 * DAY, n)
    lag = np.select(
        [outcome == FAILED, outcome == NO_ACCESS], [to_comply, after_no_access], default=quick
    )
    closed = waking_hours(inspected + lag)
    can_close = (outcome != NO_ACCESS) | (rng.random(n) < NO_ACCESS_CLOSED_SHARE)
    cols["outcome"] = np.where(is_inspected, outcome, -1)
    cols["closed"] = closed
    cols["is_closed"] = is_inspected & can_close & (closed <= as_of)


def _to_frame(cols: dict[str, np.ndarray], model: _Model) -> pd.DataFrame:
    """Turn the chunk's arrays into the typed frame the formatting query reads."""
    is_inspected = cols["is_inspected"]
    investigation_id = pd.array(cols["investigation_id"], dtype="Int64")
    investigation_id[~is_inspected] = pd.NA
    return pd.DataFrame(
        {
            "objectid": cols["objectid"],
            "code_no": cols["code_no"],
            "year": cols["year"],
            "seq": cols["seq"],
            "received": timestamps(cols["received"]),
            "created": timestamps(cols["created"]),
            "priority": categorical(cols["priority"], [p.name for p in PRIORITIES]),
            "casestatus": categorical(cols["is_closed"].astype(np.int64), CASE_STATUSES),
            "closed": timestamps(cols["closed"], cols["is_closed"]),
            "investigation_id": investigation_id,
            "inspected": timestamps(cols["inspected"], is_inspected),
            "outcome": categorical(cols["outcome"], OUTCOMES),
            **place_columns(cols, model.places),
        }
    )
