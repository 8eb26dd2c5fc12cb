"""What every demo generator shares: default arguments, the zip crosswalk, the day window,
daily volumes, whole-day chunks and the chunked CSV writer.

Each generator draws rows per chunk of whole days with numpy; DuckDB formats and writes each
chunk, the parts are appended to a temporary file in the target folder and that is renamed into
place, so memory stays bounded and a half-written extract is never left behind.
"""

from __future__ import annotations

import csv
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from pipelines.demo.catalog import DISTRICT_DELAY_FACTOR, ZIP_AREAS

DEFAULT_SEED = 2024
DEFAULT_START = date(2023, 7, 1)  # start of Philadelphia FY2024
DEFAULT_END = date(2026, 11, 15)  # fixed, so output is deterministic (not "today")

CROSSWALK_FILE = (
    Path(__file__).resolve().parents[1]
    / "sources"
    / "lookups"
    / "philadelphia_zip_council_district.csv"
)

DAY = 86_400
CHUNK_ROWS = 100_000
YEARLY_GROWTH = 0.03
JITTER_DEGREES = (0.007, 0.009)  # lat, lon standard deviation around a zip centroid
LOCAL_TIMEZONE = "America/New_York"
# Carto publishes L&I timestamps as UTC instants: 2024-03-05T14:21:06Z.
UTC_TEXT_MACRO = (
    "CREATE OR REPLACE MACRO utc_text(ts) AS "
    f"strftime(timezone('{LOCAL_TIMEZONE}', ts), '%Y-%m-%dT%H:%M:%SZ')"
)

Progress = Callable[[str], None]


def silent(_message: str) -> None:
    """Progress sink used when the caller passes none."""


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


def zip_area_districts() -> list[str]:
    """The council district of each catalog zip, in ZIP_AREAS order, from the crosswalk."""
    districts = load_zip_districts()
    missing = [area.zip for area in ZIP_AREAS if area.zip not in districts]
    if missing:
        raise ValueError(
            f"{CROSSWALK_FILE}: no council district for zip(s) {', '.join(missing)}; add them"
        )
    return [districts[area.zip] for area in ZIP_AREAS]


@dataclass(frozen=True)
class Window:
    """The generated period: first day and the last second of the end date, in epoch units."""

    start_day: int  # days since 1970-01-01
    days: int
    as_of: int  # seconds since 1970-01-01, local wall-clock time: when the extract is cut

    @classmethod
    def of(cls, start: date, end: date) -> Window:
        """The window from start to end inclusive; raises ValueError when end is before start."""
        if end < start:
            raise ValueError(f"end date {end} is before start date {start}; swap them")
        start_day = int(np.datetime64(start, "D").astype(np.int64))
        end_day = int(np.datetime64(end, "D").astype(np.int64))
        return cls(start_day=start_day, days=end_day - start_day + 1, as_of=(end_day + 1) * DAY - 1)


def day_kind_counts(
    rng: np.random.Generator,
    rows: int,
    window: Window,
    shares: np.ndarray,
    seasonality: np.ndarray,
    weekday_volume: Sequence[float],
) -> np.ndarray:
    """Records per (day, kind): seasonality x weekday x 3 % yearly growth, one multinomial draw."""
    day_numbers = window.start_day + np.arange(window.days)
    months = day_numbers.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12
    weekdays = (day_numbers + 3) % 7  # 1970-01-01 was a Thursday; 0 = Monday
    growth = 1 + YEARLY_GROWTH * np.arange(window.days) / 365.25
    weekday_factor = np.asarray(weekday_volume)[weekdays] * growth
    weight = seasonality[:, months].T * shares[None, :] * weekday_factor[:, None]
    counts = rng.multinomial(rows, (weight / weight.sum()).ravel())
    return counts.reshape(window.days, len(shares))


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


def write_chunked_csv(
    target: Path,
    chunks: Iterator[pd.DataFrame],
    format_sql: str,
    lookups: dict[str, pd.DataFrame],
    report: Progress,
    total: int | None = None,
) -> None:
    """Format each chunk with DuckDB, append it to a temporary file, rename that into place;
    ``total`` (the rows to come) makes each progress line say how far along it is."""
    folder = target.parent
    folder.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".tmp", dir=folder)
    written = 0
    try:
        with (
            os.fdopen(handle, "wb") as out,
            tempfile.TemporaryDirectory(prefix=".parts.", dir=folder) as scratch,
            duckdb.connect() as con,
        ):
            # Formatting local wall-clock times as UTC text needs the session zone to be UTC.
            con.execute("SET TimeZone = 'UTC'")
            con.execute(UTC_TEXT_MACRO)
            for name, frame in lookups.items():
                con.register(name, frame)
            for number, frame in enumerate(chunks):
                part = Path(scratch) / f"part{number}.csv"
                con.register("chunk", frame)
                con.sql(format_sql).write_csv(str(part), header=number == 0)
                con.unregister("chunk")
                with part.open("rb") as source:
                    shutil.copyfileobj(source, out)
                part.unlink()
                written += len(frame)
                report(f"Wrote {written:,}{'' if total is None else f' of {total:,}'} rows")
        os.chmod(temp_name, 0o644)  # mkstemp creates 0600; the extract is ordinary shared data
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
