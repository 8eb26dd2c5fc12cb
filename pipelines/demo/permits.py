"""Seeded demo extract of Philadelphia L&I building permits in the Carto ``permits`` layout.

``generate_permits`` writes ``<out_dir>/philadelphia_permits/permits.csv``; the same arguments
give a byte-identical file. 60,000 permits by default: a fifth of the default 300,000 demo 311
requests, about what Philadelphia issues over the same three and a half years per 311 volume.

Confirmed against public code that queries the live Carto table ``permits`` (phl.carto.com):

- Column names permitnumber, addressobjectid, opa_account_num, address, zip, council_district,
  permittype, permitdescription, commercialorresidential, typeofwork, approvedscopeofwork,
  permitissuedate, permitcompleteddate, status, applicanttype, contractorname; coordinates come
  from ``the_geom`` and are selected as lat / lng (``ST_Y(the_geom) AS lat``).
- permittype values such as "RESIDENTIAL BUILDING", "BUILDING", "ELECTRICAL", "PLUMBING",
  "MECHANICAL", "ZONING", "DEMOLITION", "FIRE SUPPRESSION"; commercialorresidential is
  "Residential" or "Commercial"; typeofwork reads "New Construction", "Addition and/or
  Alteration"; approvedscopeofwork is upper-case free text.
- Dates are timestamps with time zone, published as UTC instants (queries convert them with
  ``AT TIME ZONE 'America/New_York'``); Carto writes them as ``2024-03-05T14:21:06Z``, and so
  does this file. Status words are upper case in L&I extracts ("COMPLETED", "EXPIRED",
  "ABANDONED" in the older permits API copy in ../shared/data/real).

Not in the real table, added because the issue needs them (the mapping documents both):

- ``permitapplicationdate``: the public table has only issue and completion dates. L&I's own
  reporting queries name the application date PERMITAPPLICATIONDATE, so the demo uses that.
- ``permitfee``: the fee charged, as text with two decimals.
- status "IN REVIEW" for applications not issued by the end date (the public table lists issued
  permits only) and "ABANDONED" for applications withdrawn before issue.

Not confirmed, modelling choices: the permitnumber format (type prefix, application year,
six-digit running number: "EP-2024-000123"), permitdescription texts, applicanttype values,
contractor names, the type mix and every time and fee below (see ``pipelines.demo.li_catalog``).

Review time (application to issue) is log-normal with a median set per permit type, times a
factor per council district, 1.3 for commercial work and 0.7 for applications from FY2025 on
(1 July 2024): the 30 % cut a Stat review would report. Electrical, plumbing and mechanical
permits are partly issued over the counter within hours. 1 % of applications stall in review
and 2 % are abandoned; issued permits complete after a type-specific log-normal time or expire
after a year. Applications come on weekdays mostly, more in spring and summer, growing 3 % a year.

Planted defects, each about 0.15-0.3 % of rows: exact duplicate rows (same permitnumber),
permitissuedate before permitapplicationdate, empty zip, lat/lng of 0,0. objectid runs 1..N in
file order (application time).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
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
    APPLICANT_TYPES,
    APPLICANT_WEIGHTS,
    COMMERCIAL_REVIEW_FACTOR,
    CONTRACTORS,
    IMPROVEMENT_START,
    PERMIT_DISTRICT_FACTOR,
    PERMIT_IMPROVEMENT,
    PERMIT_SEASONALITY,
    PERMIT_TYPES,
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

DEFAULT_PERMIT_ROWS = 60_000
EXTRACT_FOLDER = "philadelphia_permits"
EXTRACT_FILE = "permits.csv"
STREAM = 2  # random stream of this generator; the 311 generator uses the bare seed

COLUMNS: tuple[str, ...] = (
    "objectid",
    "permitnumber",
    "addressobjectid",
    "opa_account_num",
    "address",
    "zip",
    "council_district",
    "permittype",
    "permitdescription",
    "commercialorresidential",
    "typeofwork",
    "approvedscopeofwork",
    "permitapplicationdate",
    "permitissuedate",
    "permitcompleteddate",
    "status",
    "applicanttype",
    "contractorname",
    "permitfee",
    "lat",
    "lng",
)

STATUSES = ("IN REVIEW", "ISSUED", "COMPLETED", "EXPIRED", "ABANDONED")
IN_REVIEW, ISSUED, COMPLETED, EXPIRED, ABANDONED = range(5)
USE_CLASSES = ("Residential", "Commercial")
WEEKDAY_VOLUME = (1.2, 1.15, 1.1, 1.1, 1.0, 0.25, 0.2)  # applications are filed on weekdays
STALLED_SHARE = 0.01
ABANDONED_SHARE = 0.02
COMPLETED_SHARE = 0.85  # of permits whose work has had time to finish
EXPIRED_SHARE = 0.6  # of permits issued over a year ago and never completed
DEFECT_SHARES = {"duplicate": 0.0015, "missing_zip": 0.003, "zero_coordinates": 0.002}
ISSUED_BEFORE_APPLIED_SHARE = 0.002

_FORMAT_SQL = """
SELECT
    c.objectid AS objectid,
    t.prefix || '-' || CAST(c.year AS VARCHAR) || '-' || lpad(CAST(c.seq AS VARCHAR), 6, '0')
        AS permitnumber,
    c.addressobjectid AS addressobjectid,
    lpad(CAST(c.opa AS VARCHAR), 9, '0') AS opa_account_num,
    CAST(c.house AS VARCHAR) || ' ' || c.street AS address,
    c.zip AS zip,
    c.council_district AS council_district,
    t.permittype AS permittype,
    t.permitdescription AS permitdescription,
    c.use_class AS commercialorresidential,
    c.work AS typeofwork,
    c.scope AS approvedscopeofwork,
    utc_text(c.applied) AS permitapplicationdate,
    utc_text(c.issued) AS permitissuedate,
    utc_text(c.completed) AS permitcompleteddate,
    c.status AS status,
    c.applicanttype AS applicanttype,
    c.contractorname AS contractorname,
    printf('%.2f', c.fee) AS permitfee,
    round(c.lat, 6) AS lat,
    round(c.lon, 6) AS lng
FROM chunk AS c
JOIN permit_types AS t ON t.type_no = c.type_no
ORDER BY c.objectid
"""


@dataclass(frozen=True)
class _Model:
    """Per-type arrays and places the vectorised generator indexes into."""

    window: Window
    improvement_at: int  # local epoch seconds when faster reviews start
    places: Places
    hour_p: np.ndarray
    works: list[str]  # distinct typeofwork texts
    work_map: np.ndarray  # type x choice -> index into works
    scopes: list[str]  # distinct approvedscopeofwork texts
    scope_map: np.ndarray  # type x choice -> index into scopes
    scope_count: np.ndarray


@dataclass
class _Counters:
    """Running numbers carried from one chunk to the next."""

    next_objectid: int
    per_year: dict[int, int]


def generate_permits(
    out_dir: Path,
    rows: int = DEFAULT_PERMIT_ROWS,
    seed: int = DEFAULT_SEED,
    start: date = DEFAULT_START,
    end: date = DEFAULT_END,
    progress: Progress | None = None,
) -> Path:
    """Write out_dir/philadelphia_permits/permits.csv and return its path."""
    if rows < 1:
        raise ValueError(f"rows must be at least 1, got {rows}")
    report = progress or silent
    model = _build_model(Window.of(start, end))
    target = Path(out_dir) / EXTRACT_FOLDER / EXTRACT_FILE
    report(f"Generating {rows:,} demo L&I permits from {start} to {end} (seed {seed})")
    counts = day_kind_counts(
        np.random.default_rng([seed, STREAM]),
        rows,
        model.window,
        np.array([t.share for t in PERMIT_TYPES]),
        np.array([PERMIT_SEASONALITY] * len(PERMIT_TYPES)),
        WEEKDAY_VOLUME,
    )
    write_chunked_csv(
        target, _chunks(seed, counts, model), _FORMAT_SQL, {"permit_types": _type_table()}, report
    )
    report(f"Demo permits extract ready: {target}")
    return target


def _build_model(window: Window) -> _Model:
    """Collect the catalog into arrays for vectorised lookups."""
    works, work_map = _text_table([t.works for t in PERMIT_TYPES])
    scopes, scope_map = _text_table([t.scopes for t in PERMIT_TYPES])
    return _Model(
        window=window,
        improvement_at=epoch_seconds(IMPROVEMENT_START),
        places=build_places(PERMIT_DISTRICT_FACTOR),
        hour_p=np.array(HOUR_VOLUME) / sum(HOUR_VOLUME),
        works=works,
        work_map=work_map,
        scopes=scopes,
        scope_map=scope_map,
        scope_count=np.array([len(t.scopes) for t in PERMIT_TYPES]),
    )


def _text_table(per_type: list[tuple[str, ...]]) -> tuple[list[str], np.ndarray]:
    """Distinct texts in first-seen order, and per type the index of each of its choices."""
    texts = list(dict.fromkeys(text for choices in per_type for text in choices))
    table = np.zeros((len(per_type), max(len(c) for c in per_type)), dtype=np.int64)
    for number, choices in enumerate(per_type):
        table[number, : len(choices)] = [texts.index(text) for text in choices]
    return texts, table


def _type_table() -> pd.DataFrame:
    """The per-type texts the formatting query joins to."""
    return pd.DataFrame(
        {
            "type_no": np.arange(len(PERMIT_TYPES), dtype=np.int16),
            "permittype": [t.permittype for t in PERMIT_TYPES],
            "permitdescription": [t.description for t in PERMIT_TYPES],
            "prefix": [t.prefix for t in PERMIT_TYPES],
        }
    )


def _chunks(seed: int, counts: np.ndarray, model: _Model) -> Iterator[pd.DataFrame]:
    """Frames of whole days, each from its own random stream so chunking never shifts draws."""
    counters = _Counters(next_objectid=1, per_year={})
    for number, (first, last) in enumerate(chunk_days(counts.sum(axis=1))):
        rng = np.random.default_rng([seed, STREAM, number + 1])
        yield _chunk_frame(rng, counts[first:last], model.window.start_day + first, model, counters)


def _chunk_frame(
    rng: np.random.Generator, counts: np.ndarray, first_day: int, model: _Model, ids: _Counters
) -> pd.DataFrame:
    """Generate every column of one chunk of whole days, sorted by application time."""
    type_no, applied = expand_counts(rng, counts, first_day, model.hour_p)
    n = type_no.size
    cols: dict[str, np.ndarray] = {"type_no": type_no, "applied": applied}
    cols["objectid"] = ids.next_objectid + np.arange(n, dtype=np.int64)
    ids.next_objectid += n
    cols["year"], cols["seq"] = year_sequence(applied, ids.per_year)
    cols["addressobjectid"] = rng.integers(15_000_000, 16_000_000, n)
    cols.update(draw_places(rng, n, model.places))
    _add_descriptions(rng, cols, model)
    _add_lifecycle(rng, cols, model)
    clean = plant_common_defects(rng, cols, DEFECT_SHARES)
    backwards = clean & (cols["status"] != IN_REVIEW) & (cols["status"] != ABANDONED)
    backwards &= rng.random(n) < ISSUED_BEFORE_APPLIED_SHARE
    # Whole days earlier, so the planted time stays in office hours like every other one.
    cols["issued"][backwards] = (
        cols["applied"][backwards] - rng.integers(1, 4, int(backwards.sum())) * DAY
    )
    return _to_frame(cols, model)


def _add_descriptions(rng: np.random.Generator, cols: dict[str, np.ndarray], model: _Model) -> None:
    """Use class, type of work, scope text, applicant and contractor."""
    type_no = cols["type_no"]
    n = type_no.size
    residential_share = np.array([t.residential_share for t in PERMIT_TYPES])
    cols["commercial"] = rng.random(n) >= residential_share[type_no]
    work = pick_weighted(rng, type_no, [t.work_weights for t in PERMIT_TYPES])
    cols["work"] = model.work_map[type_no, work]
    scope = (rng.random(n) * model.scope_count[type_no]).astype(np.int64)
    cols["scope"] = model.scope_map[type_no, scope]
    applicant = rng.choice(len(APPLICANT_TYPES), size=n, p=np.array(APPLICANT_WEIGHTS))
    cols["applicant"] = applicant
    owner = APPLICANT_TYPES.index("PROPERTY OWNER")
    cols["contractor"] = np.where(applicant == owner, -1, rng.integers(0, len(CONTRACTORS), n))


def _add_lifecycle(rng: np.random.Generator, cols: dict[str, np.ndarray], model: _Model) -> None:
    """Review time (type x district x use x era), issue, completion, expiry, status and fee."""
    type_no, applied = cols["type_no"], cols["applied"]
    n = type_no.size
    median = np.array([t.median_review_days for t in PERMIT_TYPES])[type_no]
    median = median * model.places.district_factor[cols["zip_no"]]
    median = median * np.where(cols["commercial"], COMMERCIAL_REVIEW_FACTOR, 1.0)
    median = median * np.where(applied >= model.improvement_at, PERMIT_IMPROVEMENT, 1.0)
    review = lognormal_days(rng, median, np.array([t.sigma for t in PERMIT_TYPES])[type_no])
    same_day = rng.random(n) < np.array([t.same_day_share for t in PERMIT_TYPES])[type_no]
    review = np.where(same_day, rng.integers(600, 6 * 3600, n), np.maximum(review, 3600))
    issued = waking_hours(applied + review)

    active = np.array([t.median_active_days for t in PERMIT_TYPES], dtype=float)[type_no]
    completed = waking_hours(issued + lognormal_days(rng, active, 0.8))
    as_of = model.window.as_of
    abandoned = rng.random(n) < ABANDONED_SHARE
    in_review = ~abandoned & ((rng.random(n) < STALLED_SHARE) | (issued > as_of))
    was_issued = ~abandoned & ~in_review
    is_completed = was_issued & (completed <= as_of) & (rng.random(n) < COMPLETED_SHARE)
    expired = (
        was_issued & ~is_completed & (as_of - issued > 365 * DAY) & (rng.random(n) < EXPIRED_SHARE)
    )
    status = np.full(n, ISSUED, dtype=np.int8)
    status[in_review] = IN_REVIEW
    status[abandoned] = ABANDONED
    status[is_completed] = COMPLETED
    status[expired] = EXPIRED
    cols["issued"], cols["completed"], cols["status"] = issued, completed, status

    fee = np.array([t.fee_base for t in PERMIT_TYPES])[type_no]
    fee = fee * np.where(cols["commercial"], 3.0, 1.0) * np.exp(0.5 * rng.standard_normal(n))
    cols["fee"] = np.round(fee, 2)


def _to_frame(cols: dict[str, np.ndarray], model: _Model) -> pd.DataFrame:
    """Turn the chunk's arrays into the typed frame the formatting query reads."""
    status = cols["status"]
    has_issue = (status != IN_REVIEW) & (status != ABANDONED)
    return pd.DataFrame(
        {
            "objectid": cols["objectid"],
            "type_no": cols["type_no"],
            "year": cols["year"],
            "seq": cols["seq"],
            "addressobjectid": cols["addressobjectid"],
            **place_columns(cols, model.places),
            "use_class": categorical(cols["commercial"].astype(np.int64), USE_CLASSES),
            "work": categorical(cols["work"], model.works),
            "scope": categorical(cols["scope"], model.scopes),
            "applied": timestamps(cols["applied"]),
            "issued": timestamps(cols["issued"], has_issue),
            "completed": timestamps(cols["completed"], status == COMPLETED),
            "status": categorical(status, STATUSES),
            "applicanttype": categorical(cols["applicant"], APPLICANT_TYPES),
            "contractorname": categorical(cols["contractor"], CONTRACTORS),
            "fee": cols["fee"],
        }
    )
