"""Source mappings: typed models for the YAML files that describe one city extract each.

A mapping says where the extract's files are, how to read them, which raw column feeds each
canonical column, how to parse its timestamps and how its status words map to open, closed
and cancelled. Adding a city means writing one of these files, not Python.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from pipelines.warehouse import DATA_DIR, PROJECT_ROOT, SERVICE_REQUESTS_COLUMNS, SOURCES_DIR

CanonicalStatus = Literal["open", "closed", "cancelled"]

# Columns the loader fills itself; a mapping cannot point them at raw columns.
_DERIVED_COLUMNS = {"source", "status_raw", "source_file", "source_row"}
MAPPABLE_COLUMNS = tuple(c for c in SERVICE_REQUESTS_COLUMNS if c not in _DERIVED_COLUMNS)
TIMESTAMP_COLUMNS = tuple(c for c, t in SERVICE_REQUESTS_COLUMNS.items() if t == "TIMESTAMP")


def real_data_dir() -> Path:
    """Folder of the shared real extracts (../shared/data/real from the project root)."""
    default = PROJECT_ROOT.parent / "shared" / "data" / "real"
    return Path(os.environ.get("CITYSTAT_REAL_DATA", default))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FileSpec(_Strict):
    """Where the extract's files are: a glob under the data folder or the shared real data."""

    root: Literal["data", "real"] = "data"
    pattern: str

    def base(self) -> Path:
        """The folder the pattern is relative to."""
        return DATA_DIR if self.root == "data" else real_data_dir()


class CsvOptions(_Strict):
    """How DuckDB's CSV reader must read the files."""

    delimiter: str = ","
    quote: str = '"'
    escape: str = '"'
    encoding: Literal["utf-8", "latin-1", "utf-16"] = "utf-8"
    null_strings: list[str] = Field(default_factory=list)


class TimestampSpec(_Strict):
    """Timestamp text formats (strptime), tried in order, and the zone they are written in."""

    formats: list[str] = Field(min_length=1)
    utc: bool = False


class Bounds(_Strict):
    """The city's coordinate box, used to catch coordinates at 0,0 or in another city."""

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

    def path(self) -> Path:
        """The crosswalk file, relative to pipelines/sources/."""
        return SOURCES_DIR / self.file


class SourceMapping(_Strict):
    """One city extract: files, reader options, column mapping and vocabularies."""

    source: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    kind: Literal["service_requests"] = "service_requests"
    demo: bool = False
    city: str
    files: FileSpec
    format: Literal["csv"] = "csv"
    csv: CsvOptions = CsvOptions()
    timezone: str
    timestamps: TimestampSpec
    columns: dict[str, str]
    constants: dict[str, str] = Field(default_factory=dict)
    statuses: dict[str, CanonicalStatus]
    district_from_zip: DistrictLookup | None = None
    bounds: Bounds
    expected_rows: RowBounds = RowBounds()

    @model_validator(mode="after")
    def _known_canonical_columns(self) -> SourceMapping:
        for name in [*self.columns, *self.constants]:
            if name not in MAPPABLE_COLUMNS:
                raise ValueError(
                    f"'{name}' is not a canonical column; use one of {', '.join(MAPPABLE_COLUMNS)}"
                )
        for required in ("request_id", "opened_at", "status"):
            if required not in self.columns:
                raise ValueError(f"columns must map '{required}' (it is required)")
        return self

    def validation_parameters(self) -> dict[str, float | int]:
        """Suite parameters for Great Expectations: the city's box and row-count bounds."""
        return {
            **self.bounds.model_dump(),
            "min_rows": self.expected_rows.min,
            "max_rows": self.expected_rows.max,
        }


class MappingError(Exception):
    """A mapping file that cannot be used; the message names the file and what to fix."""


def mapping_path(source: str) -> Path:
    """Path of the mapping file for a source name."""
    return SOURCES_DIR / f"{source}.yml"


def load_mapping(path: Path) -> SourceMapping:
    """Read and validate one mapping file; raise MappingError with file and line on problems."""
    yaml = YAML(typ="rt")
    try:
        data = yaml.load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise MappingError(f"{path}: no such mapping file") from exc
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise MappingError(f"{path}{line}: invalid YAML: {exc}") from exc
    try:
        return SourceMapping.model_validate(data)
    except ValidationError as exc:
        lines = [f"{path}{_line_of(data, err['loc'])}: {_describe(err)}" for err in exc.errors()]
        raise MappingError("\n".join(lines)) from exc


def load_source(source: str) -> SourceMapping:
    """Load the mapping of a named source from pipelines/sources/."""
    return load_mapping(mapping_path(source))


def available_sources() -> list[str]:
    """Names of every mapping shipped in pipelines/sources/."""
    return sorted(p.stem for p in SOURCES_DIR.glob("*.yml"))


def _describe(err: object) -> str:
    assert isinstance(err, dict)
    loc = ".".join(str(p) for p in err["loc"])
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        return f"unknown key '{loc}'; remove it or check its spelling"
    return f"{loc}: {msg}" if loc else msg


def _line_of(data: object, loc: tuple[object, ...]) -> str:
    """Best line for a pydantic error location in ruamel's round-trip data ('' if unknown)."""
    line: int | None = None
    node = data
    for key in loc:
        lc = getattr(node, "lc", None)
        if lc is None:
            break
        try:
            line = (lc.key(key) if isinstance(key, str) else lc.item(key))[0] + 1
            node = node[key]  # type: ignore[index]
        except (KeyError, IndexError, TypeError):
            break
    if line is None and getattr(data, "lc", None) is not None:
        line = data.lc.line + 1  # type: ignore[attr-defined]
    return f":{line}" if line is not None else ""
