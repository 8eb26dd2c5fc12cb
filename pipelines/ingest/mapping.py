"""Source mappings: typed models for the YAML files that describe one city extract each.

A mapping says which canonical table it feeds (``kind``), where the extract's files are, how
to read them (CSV or JSON), which raw field feeds each canonical column, how to parse its
timestamps, how its status words map to the kind's status vocabulary, which related files are
joined in, and how due times are derived. Adding a city means writing one of these files, not
Python.

Raw column references, in ``columns`` and elsewhere:
- a CSV column name, after trimming the spaces some exports pad headers with (the loader
  always trims raw column names, so "         ISSUE_DATE" is referred to as ISSUE_DATE);
- for JSON, a dotted path inside each record (``locations.zip``);
- ``<join>.<column>`` for a column of a joined file or an aggregate of one (``joins:``); a
  join's name takes precedence over a JSON field of the same name.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from pipelines.city.paths import confined, file_root, leaves_root, sources_dir
from pipelines.ingest.columns import (
    canonical_table,
)
from pipelines.ingest.mapping_rules import mapping_problems
from pipelines.warehouse.schema import CanonicalTable

Kind = Literal["service_requests", "permits", "inspections"]

# How far past the run's start an updated_at may lie (clock skew, a source a zone ahead);
# later ones are quarantined, since no later version could ever replace them in the merge.
UPDATE_TOLERANCE = timedelta(days=1)


class MappingProblems(ValueError):
    """Several problems of one mapping, each with the location (YAML keys) it is about."""

    def __init__(self, problems: list[tuple[tuple[str | int, ...], str]]) -> None:
        super().__init__("; ".join(message for _, message in problems))
        self.problems = problems


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FileSpec(_Strict):
    """Where the extract's files are: a glob under one of the city's folders.

    ``root`` is ``data`` (the city's data folder), ``real`` (the shared real extracts) or a
    folder the city's profile names under ``folders:``; the pattern stays inside it.
    """

    root: str = Field(default="data", pattern=r"^[a-z][a-z0-9_]*$")
    pattern: str

    @field_validator("pattern")
    @classmethod
    def _stays_inside(cls, pattern: str) -> str:
        if leaves_root(pattern):
            raise ValueError(
                f"pattern {pattern!r} leaves its root folder; write it relative to the root, "
                "without '..', and name another folder under 'folders:' in city.yml instead"
            )
        return pattern

    def base(self) -> Path:
        """The folder the pattern is relative to."""
        return file_root(self.root)

    def inside(self, path: Path) -> bool:
        """True when a matched file (after symlinks) is inside the root folder."""
        base = self.base()
        return confined(base, str(path.relative_to(base))) if path.is_relative_to(base) else False


class CsvOptions(_Strict):
    """How DuckDB's CSV reader must read the files (line ends, CRLF or LF, are detected)."""

    delimiter: str = ","
    quote: str = '"'
    escape: str = '"'
    encoding: Literal["utf-8", "latin-1", "utf-16"] = "utf-8"
    null_strings: list[str] = Field(default_factory=list)


class JsonOptions(_Strict):
    """Where the records are in each JSON file: a dotted path to an array ('' = the file)."""

    records: str = Field(default="", pattern=r"^([A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*)?$")


class TimestampSpec(_Strict):
    """Timestamp text formats (strptime or a token such as odata_epoch_ms), tried in order.

    ``kind`` says what a timestamp without an offset means: ``local`` wall-clock time of the
    mapping's ``timezone``, or an ``instant`` in UTC. Text with an offset (``%z``) is an exact
    instant either way. ``utc: true`` is the older spelling of ``kind: instant``.
    """

    formats: list[str] = Field(min_length=1)
    kind: Literal["local", "instant"] = "local"

    @model_validator(mode="before")
    @classmethod
    def _utc_synonym(cls, data: object) -> object:
        if not isinstance(data, dict) or "utc" not in data:
            return data
        data = dict(data)
        utc = data.pop("utc")
        if not isinstance(utc, bool):
            raise ValueError("utc must be true or false; prefer kind: instant or kind: local")
        kind = "instant" if utc else "local"
        if data.setdefault("kind", kind) != kind:
            raise ValueError(f"utc: {str(utc).lower()} contradicts kind: {data['kind']}; keep kind")
        return data

    @property
    def utc(self) -> bool:
        """True for instant sources (the older name of kind: instant)."""
        return self.kind == "instant"


class Bounds(_Strict):
    """The city's coordinate box, used to catch coordinates at 0,0 or in another city.

    Optional for an extract without coordinates; a mapping that maps latitude or longitude
    must give it (``mapping_rules``), so no point reaches a map unchecked.
    """

    lat_min: float
    lat_max: float
    lon_min: float
    lon_max: float


class RowBounds(_Strict):
    """How many rows a healthy extract has; outside the bounds publication stops."""

    min: int = 1
    max: int = 50_000_000


class DistrictLookup(_Strict):
    """Council district derived from the zip code through a crosswalk CSV (zip,council_district)."""

    file: str

    @field_validator("file")
    @classmethod
    def _stays_in_mappings(cls, file: str) -> str:
        if leaves_root(file):
            raise ValueError(
                f"file {file!r} leaves the mappings folder; write it relative to that folder "
                "(e.g. lookups/zip_district.csv), without '..'"
            )
        return file

    def path(self) -> Path:
        """The crosswalk file, relative to the city's mappings folder."""
        return sources_dir() / self.file


class Aggregate(_Strict):
    """One value per main record from the joined rows: a count, or the max/min of a column.

    ``extract`` (a regex with one group) takes part of the text first; ``format`` (strptime)
    then makes it a timestamp, so max/min compare dates, not text.
    """

    count: bool = False
    max_of: str | None = None
    min_of: str | None = None
    extract: str | None = None
    format: str | None = None

    @model_validator(mode="after")
    def _one_function(self) -> Aggregate:
        chosen = [self.count, self.max_of is not None, self.min_of is not None]
        if sum(chosen) != 1:
            raise ValueError("give exactly one of count: true, max_of: COLUMN, min_of: COLUMN")
        if self.count and (self.extract or self.format):
            raise ValueError("extract and format apply to max_of/min_of, not to count")
        if self.extract is not None:
            try:
                groups = re.compile(self.extract).groups
            except re.error as exc:
                raise ValueError(f"extract is not a valid regex ({exc})") from None
            if groups != 1:
                raise ValueError("extract needs exactly one (group) around the part to keep")
        return self

    @property
    def column(self) -> str | None:
        """The joined file's column the aggregate reads (None for a count)."""
        return self.max_of or self.min_of

    @property
    def is_timestamp(self) -> bool:
        """True when the aggregate yields a timestamp (a format is given)."""
        return self.format is not None


class JoinSpec(_Strict):
    """A related file joined to the main records on key columns (main column: joined column).

    Without ``aggregate`` the file must describe each key once (like a business register);
    the first line per key is used and repeats are reported. With ``aggregate`` its rows are
    summarised to one row per key. Joined rows that match no main record are not input rows
    of the canonical table; their count is reported with the run's validation results.
    """

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    files: FileSpec
    csv: CsvOptions = CsvOptions()
    on: dict[str, str] = Field(min_length=1)
    aggregate: dict[str, Aggregate] | None = None


class DueRule(_Strict):
    """A due time derived as start + target days looked up by a key column (the city's SLA)."""

    target: str
    start: str
    key: str
    days: dict[str, int] = Field(min_length=1)
    business_days: bool = False

    @field_validator("days")
    @classmethod
    def _days_not_negative(cls, days: dict[str, int]) -> dict[str, int]:
        negative = [k for k, v in days.items() if v < 0]
        if negative:
            raise ValueError(f"days for {', '.join(negative)} must be 0 or more")
        return days


class StatusFrom(_Strict):
    """Status derived from which timestamps are filled, for extracts without a status column."""

    status: str
    when: str | None = None  # a canonical timestamp column; None = otherwise


class SourceMapping(_Strict):
    """One city extract: files, reader options, column mapping and vocabularies."""

    source: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    kind: Kind = "service_requests"
    demo: bool = False
    city: str
    files: FileSpec
    format: Literal["csv", "json"] = "csv"
    csv: CsvOptions = CsvOptions()
    json_options: JsonOptions = Field(default=JsonOptions(), alias="json")
    # The city's zone (city.yml) unless the mapping names one; they must agree.
    timezone: str = ""
    timestamps: TimestampSpec
    columns: dict[str, str]
    id_from: list[str] | None = None
    constants: dict[str, str] = Field(default_factory=dict)
    statuses: dict[str, str] = Field(default_factory=dict)
    status_from: list[StatusFrom] | None = None
    joins: list[JoinSpec] = Field(default_factory=list)
    due_rules: list[DueRule] = Field(default_factory=list)
    district_from_zip: DistrictLookup | None = None
    bounds: Bounds | None = None  # required when latitude or longitude is mapped
    expected_rows: RowBounds = RowBounds()

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, name: str) -> str:
        if not name:
            return name
        try:
            ZoneInfo(name)
        except (ValueError, ZoneInfoNotFoundError):
            raise ValueError(
                f"'{name}' is not a time zone name; use an IANA name such as America/Chicago"
            ) from None
        return name

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> SourceMapping:
        # context {"unknown": keys}: keys left out because their own value was invalid, so
        # rules about their absence must not speak (mapping_files reports the rest at once).
        unknown = frozenset((info.context or {}).get("unknown", ()))
        problems = mapping_problems(self, unknown)
        if problems:
            raise MappingProblems(problems)
        return self

    @property
    def table(self) -> CanonicalTable:
        """The canonical table this mapping feeds."""
        return canonical_table(self.kind)

    @property
    def row_word(self) -> str:
        """How messages count input rows: 'line' of a CSV file, 'record' of a JSON array."""
        return "record" if self.format == "json" else "line"

    def join(self, name: str) -> JoinSpec | None:
        """The join of that name, if any."""
        return next((j for j in self.joins if j.name == name), None)

    def split_reference(self, raw: str) -> tuple[JoinSpec | None, str]:
        """(join, column) for 'join.column' references, (None, raw) for main-file fields."""
        head, dot, rest = raw.partition(".")
        join = self.join(head) if dot else None
        return (join, rest) if join is not None else (None, raw)

    def main_references(self) -> list[str]:
        """Raw fields of the main files the mapping reads (columns, id parts, join keys)."""
        refs = [r for r in self.columns.values() if self.split_reference(r)[0] is None]
        refs += self.id_from or []
        refs += [main for join in self.joins for main in join.on]
        return list(dict.fromkeys(refs))

    def unmapped_columns(self) -> tuple[str, ...]:
        """Canonical columns the source never fills: validation does not judge rules on them."""
        return tuple(column for column, filled in column_coverage(self).items() if not filled)

    def validation_parameters(self) -> dict[str, float | int | datetime]:
        """Suite parameters: the city's box (when it has one), row-count bounds and the latest
        plausible times."""
        now = datetime.now(ZoneInfo(self.timezone)).replace(tzinfo=None)
        return {
            **(self.bounds.model_dump() if self.bounds is not None else {}),
            "min_rows": self.expected_rows.min,
            "max_rows": self.expected_rows.max,
            # Now on the city's wall clock, as staged timestamps are: nothing opened after it.
            "latest_timestamp": now,
            # A version dated after this would win every later merge (see UPDATE_TOLERANCE).
            "latest_update": now + UPDATE_TOLERANCE,
        }


def column_coverage(mapping: SourceMapping) -> dict[str, bool]:
    """Every canonical column of the mapping's kind: True when the source fills it."""
    filled = set(mapping.columns) | set(mapping.constants) | {"source", "source_file", "source_row"}
    filled |= {rule.target for rule in mapping.due_rules}
    if mapping.id_from:
        filled.add(mapping.table.id_column)
    if mapping.status_from is not None:
        filled.add("status")
    if "status" in mapping.columns:
        filled.add("status_raw")
    if mapping.district_from_zip is not None and "zip" in filled:
        filled.add("council_district")
    return {column: column in filled for column in mapping.table.columns}
