"""The lake folder's layout: one folder per table, Hive-partitioned by city and month.

    LAKE/service_requests/city=boston/month=2024-01/data_0.parquet
    LAKE/service_requests_versions/city=boston/month=2024-01/…
    LAKE/source_columns/city=boston/month=all/…
    LAKE/metric_values/city=boston/month=2024-01/…      (the warehouse's, DuckDB; Spark's
                                                          replace them: city=boston/metric=…/)
    LAKE/_cities/boston.json                               (the city's manifest)

Spark (and DuckDB's read_parquet with hive_partitioning) read ``city`` and ``month`` back as
columns. A city id is lower-case letters, digits and underscores, so it is safe in a path.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from pipelines.warehouse.schema import CANONICAL_TABLES

MANIFESTS = "_cities"
METRIC_VALUES = "metric_values"
SOURCE_COLUMNS = "source_columns"
# Every table a metric reads, by the name the metric SQL gives it.
METRIC_INPUTS = (
    *CANONICAL_TABLES,
    *(f"{name}_versions" for name in CANONICAL_TABLES),
    SOURCE_COLUMNS,
)
# What the Compare page reads beside the values: each city's profile, definitions and runs.
CITY_CONTEXT = ("city_profile", "metric_definitions", "runs")
NO_MONTH = "all"
_CITY_ID = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


class LakeError(ValueError):
    """A lake folder or a city id that cannot be used, with what to do."""


def city_id_of(name: str) -> str:
    """A city id from a city's name: 'San Francisco' -> 'san_francisco'."""
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    return check_city_id(slug if slug and slug[0].isalpha() else f"city_{slug}")


def check_city_id(city_id: str) -> str:
    """The id itself when it is safe as a partition value and a path; else LakeError."""
    if not _CITY_ID.fullmatch(city_id):
        raise LakeError(
            f"city id {city_id!r}: use lower-case letters, digits and underscores, starting "
            "with a letter (at most 63 characters), e.g. --city-id san_francisco"
        )
    return city_id


def table_dir(lake: Path, table: str) -> Path:
    """The folder of one table, every city's partitions under it."""
    return lake / table


def city_partition(lake: Path, table: str, city_id: str) -> Path:
    """The folder of one city's rows of one table."""
    return table_dir(lake, table) / f"city={check_city_id(city_id)}"


@dataclass(frozen=True)
class Manifest:
    """What a lake knows of one exported city: its configuration and its data's as-of."""

    city_id: str
    name: str
    as_of: datetime
    exported_at: datetime
    city_yml: str
    metrics_yml: str

    def write(self, lake: Path) -> Path:
        """Write the manifest as ``_cities/<city_id>.json``; its path."""
        path = lake / MANIFESTS / f"{self.city_id}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        record = asdict(self) | {
            "as_of": self.as_of.isoformat(),
            "exported_at": self.exported_at.isoformat(),
        }
        path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n")
        return path


def read_manifest(lake: Path, city_id: str) -> Manifest:
    """One city's manifest; LakeError naming the file when it is missing or unreadable."""
    path = lake / MANIFESTS / f"{check_city_id(city_id)}.json"
    try:
        record = json.loads(path.read_text())
        return Manifest(
            city_id=record["city_id"],
            name=record["name"],
            as_of=datetime.fromisoformat(record["as_of"]),
            exported_at=datetime.fromisoformat(record["exported_at"]),
            city_yml=record["city_yml"],
            metrics_yml=record["metrics_yml"],
        )
    except FileNotFoundError:
        raise LakeError(
            f"{path}: no such city in the lake; export it first with "
            f"`citystat --city <folder> export --parquet {lake} --city-id {city_id}`"
        ) from None
    except (ValueError, KeyError, TypeError) as exc:
        raise LakeError(f"{path}: not a citystat manifest ({exc}); export the city again") from None


def lake_cities(lake: Path) -> list[str]:
    """The ids of every city exported into the lake, sorted."""
    folder = lake / MANIFESTS
    if not folder.is_dir():
        raise LakeError(
            f"{lake}: no exported city (no {MANIFESTS}/ folder); write one with "
            f"`citystat export --parquet {lake}`"
        )
    return sorted(path.stem for path in folder.glob("*.json") if _CITY_ID.fullmatch(path.stem))
