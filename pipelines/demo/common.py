"""What every demo generator shares: the demo's dates and seed, the zip crosswalk, day chunks."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np

from pipelines.demo.catalog import DISTRICT_DELAY_FACTOR

DEFAULT_SEED = 2024
DEFAULT_START = date(2023, 7, 1)  # start of Philadelphia FY2024
DEFAULT_END = date(2026, 11, 15)  # fixed, so output is deterministic (not "today")


CROSSWALK_FILE = (
    Path(__file__).resolve().parents[1]
    / "sources"
    / "lookups"
    / "philadelphia_zip_council_district.csv"
)


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


def silent(_message: str) -> None:
    """Progress sink used when the caller passes none."""


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


CHUNK_ROWS = 100_000
