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

import os
import re
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from pipelines.warehouse.layout import DATA_DIR, PROJECT_ROOT, SOURCES_DIR
from pipelines.warehouse.schema import CANONICAL_TABLES, SERVICE_REQUESTS_COLUMNS, CanonicalTable

Kind = Literal["service_requests", "permits", "inspections"]

# Columns the loader fills itself; a mapping cannot point them at raw columns.
DERIVED_COLUMNS = frozenset({"source", "status_raw", "source_file", "source_row"})
# Kept for callers of the 311-only API; kind-aware code uses mappable_columns(kind).
MAPPABLE_COLUMNS = tuple(c for c in SERVICE_REQUESTS_COLUMNS if c not in DERIVED_COLUMNS)
TIMESTAMP_COLUMNS = tuple(c for c, t in SERVICE_REQUESTS_COLUMNS.items() if t == "TIMESTAMP")

# Timestamp format tokens understood besides strptime formats.
ODATA_EPOCH_MS = "odata_epoch_ms"  # "/Date(1189506663000)/": epoch milliseconds, a UTC instant
ODATA_EPOCH_MS_LOCAL = "odata_epoch_ms_local"  # same text, but the clock reads local time
TIMESTAMP_TOKENS = frozenset({ODATA_EPOCH_MS, ODATA_EPOCH_MS_LOCAL})


def canonical_table(kind: str) -> CanonicalTable:
    """The canonical table a mapping of this kind feeds."""
    return CANONICAL_TABLES[kind]


def mappable_columns(kind: str) -> tuple[str, ...]:
    """Canonical columns of a kind that a mapping may fill (all but the loader's own)."""
    return tuple(c for c in canonical_table(kind).columns if c not in DERIVED_COLUMNS)


def timestamp_columns(kind: str) -> tuple[str, ...]:
    """Canonical TIMESTAMP columns of a kind."""
    return tuple(c for c, t in canonical_table(kind).columns.items() if t == "TIMESTAMP")


def real_data_dir() -> Path:
    """Folder of the shared real extracts (../shared/data/real from the project root)."""
    default = PROJECT_ROOT.parent / "shared" / "data" / "real"
    return Path(os.environ.get("CITYSTAT_REAL_DATA", default))


class MappingProblems(ValueError):
    """Several problems of one mapping, each with the location (YAML keys) it is about."""

    def __init__(self, problems: list[tuple[tuple[str | int, ...], str]]) -> None:
        super().__init__("; ".join(message for _, message in problems))
        self.problems = problems


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
    """Timestamp text formats (strptime or a token such as odata_epoch_ms), tried in order."""

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
    timezone: str
    timestamps: TimestampSpec
    columns: dict[str, str]
    id_from: list[str] | None = None
    constants: dict[str, str] = Field(default_factory=dict)
    statuses: dict[str, str] = Field(default_factory=dict)
    status_from: list[StatusFrom] | None = None
    joins: list[JoinSpec] = Field(default_factory=list)
    due_rules: list[DueRule] = Field(default_factory=list)
    district_from_zip: DistrictLookup | None = None
    bounds: Bounds
    expected_rows: RowBounds = RowBounds()

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ValueError, ZoneInfoNotFoundError):
            raise ValueError(
                f"'{name}' is not a time zone name; use an IANA name such as America/Chicago"
            ) from None
        return name

    @model_validator(mode="after")
    def _consistent(self) -> SourceMapping:
        problems = _mapping_problems(self)
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

    def validation_parameters(self) -> dict[str, float | int | datetime]:
        """Suite parameters: the city's box, row-count bounds and the latest plausible time."""
        return {
            **self.bounds.model_dump(),
            "min_rows": self.expected_rows.min,
            "max_rows": self.expected_rows.max,
            # Now on the city's wall clock, as staged timestamps are: nothing opened after it.
            "latest_timestamp": datetime.now(ZoneInfo(self.timezone)).replace(tzinfo=None),
        }


Problems = list[tuple[tuple[str | int, ...], str]]


def _mapping_problems(m: SourceMapping) -> Problems:
    """Every inconsistency between the mapping's sections and its kind, with its location."""
    table = m.table
    allowed = mappable_columns(m.kind)
    problems: Problems = []
    for section, names in (("columns", m.columns), ("constants", m.constants)):
        for name in names:
            if name not in allowed:
                problems.append(
                    (
                        (section, name),
                        f"'{name}' is not a canonical {m.kind} column; "
                        f"use one of {', '.join(allowed)}",
                    )
                )
    if "status" in m.constants:
        problems.append((("constants", "status"), "status cannot be a constant; use status_from"))
    problems += _id_and_status_problems(m, table)
    problems += _join_problems(m)
    problems += _due_rule_problems(m)
    for i, fmt in enumerate(m.timestamps.formats):
        if fmt not in TIMESTAMP_TOKENS and "%" not in fmt:
            problems.append(
                (
                    ("timestamps", "formats", i),
                    f"'{fmt}' is neither a strptime format (like %Y-%m-%d) nor one of "
                    f"{', '.join(sorted(TIMESTAMP_TOKENS))}",
                )
            )
    if m.format != "json" and m.json_options.records:
        problems.append((("json",), "json options apply only with format: json"))
    return problems


def _repeated_status_words(m: SourceMapping) -> Problems:
    """Status keys that are one word: staging matches them ignoring case and surrounding
    spaces, so both would match every row with that word."""
    problems: Problems = []
    seen: dict[str, str] = {}
    for raw in m.statuses:
        first = seen.setdefault(raw.strip().lower(), raw)
        if first != raw:
            problems.append(
                (
                    ("statuses", raw),
                    f"'{raw}' is the same status word as '{first}' (case and surrounding "
                    "spaces are ignored); keep one of them",
                )
            )
    return problems


def _id_and_status_problems(m: SourceMapping, table: CanonicalTable) -> Problems:
    problems: Problems = []
    if m.id_from is not None and table.id_column in m.columns:
        problems.append(
            (("id_from",), f"map {table.id_column} in columns or derive it with id_from, not both")
        )
    for required in table.required:
        satisfied = (
            required in m.columns
            or required in m.constants
            or (required == table.id_column and bool(m.id_from))
            or (required == "status" and m.status_from is not None)
            or any(rule.target == required for rule in m.due_rules)
        )
        if not satisfied:
            how = " (or id_from)" if required == table.id_column else ""
            how = " (or status_from)" if required == "status" else how
            problems.append(
                (("columns",), f"columns must map '{required}'{how}; {m.kind} require it")
            )
    if "status" in m.columns and m.status_from is not None:
        problems.append((("status_from",), "map status in columns or use status_from, not both"))
    if "status" in m.columns and not m.statuses:
        problems.append((("statuses",), "list every raw status word under statuses"))
    vocabulary = ", ".join(table.statuses)
    problems += _repeated_status_words(m)
    for raw, canonical in m.statuses.items():
        if canonical not in table.statuses:
            problems.append(
                (
                    ("statuses", raw),
                    f"'{canonical}' is not a {m.kind} status; use one of {vocabulary}",
                )
            )
    stamps = timestamp_columns(m.kind)
    for i, rule in enumerate(m.status_from or []):
        if rule.status not in table.statuses:
            problems.append(
                (
                    ("status_from", i, "status"),
                    f"'{rule.status}' is not a {m.kind} status; use one of {vocabulary}",
                )
            )
        if rule.when is not None and rule.when not in stamps:
            problems.append(
                (
                    ("status_from", i, "when"),
                    f"'{rule.when}' is not a {m.kind} timestamp "
                    f"column; use one of {', '.join(stamps)}",
                )
            )
    return problems


def _join_problems(m: SourceMapping) -> Problems:
    problems: Problems = []
    names = [j.name for j in m.joins]
    for i, join in enumerate(m.joins):
        if names.count(join.name) > 1:
            problems.append((("joins", i, "name"), f"join name '{join.name}' is used twice"))
    for column, raw in m.columns.items():
        referenced, field = m.split_reference(raw)
        if referenced is None or referenced.aggregate is None:
            continue
        if field not in referenced.aggregate:
            problems.append(
                (
                    ("columns", column),
                    f"'{raw}': join '{referenced.name}' aggregates only "
                    f"{', '.join(referenced.aggregate) or 'nothing'}; name one of them",
                )
            )
    return problems


def _due_rule_problems(m: SourceMapping) -> Problems:
    problems: Problems = []
    stamps = timestamp_columns(m.kind)
    allowed = mappable_columns(m.kind)
    for i, rule in enumerate(m.due_rules):
        for key in ("target", "start"):
            value = getattr(rule, key)
            if value not in stamps:
                problems.append(
                    (
                        ("due_rules", i, key),
                        f"'{value}' is not a {m.kind} timestamp column; "
                        f"use one of {', '.join(stamps)}",
                    )
                )
        if rule.key not in allowed:
            problems.append(
                (
                    ("due_rules", i, "key"),
                    f"'{rule.key}' is not a canonical {m.kind} column; "
                    f"use one of {', '.join(allowed)}",
                )
            )
        if rule.target in m.columns or rule.target in m.constants:
            problems.append(
                (
                    ("due_rules", i, "target"),
                    f"'{rule.target}' is mapped in columns too; derive it or map it, not both",
                )
            )
    return problems


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


class MappingError(Exception):
    """A mapping file that cannot be used; the message names the file and what to fix."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems if problems is not None else message.splitlines()


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
        raise MappingError(f"{path}{line}: invalid YAML: {_yaml_problem(exc)}") from exc
    try:
        return SourceMapping.model_validate(data)
    except ValidationError as exc:
        lines = [line for err in exc.errors() for line in _error_lines(path, data, err)]
        raise MappingError("\n".join(lines), lines) from exc


def _yaml_problem(exc: YAMLError) -> str:
    """ruamel's complaint in one line: the problem, where its construct started, what to do."""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context, start = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    if context and start is not None:
        problem += f" ({context} that starts on line {start.line + 1})"
    fix = "check indentation, colons, quotes and brackets on this line or the one above"
    return f"{problem}; {fix}"


def _error_lines(path: Path, data: object, err: Any) -> list[str]:
    """One 'file:line: problem' per pydantic error, expanding MappingProblems."""
    cause = (err.get("ctx") or {}).get("error")
    if isinstance(cause, MappingProblems):
        return [
            f"{path}{_line_of(data, (*err['loc'], *loc))}: {message}"
            for loc, message in cause.problems
        ]
    return [f"{path}{_line_of(data, err['loc'])}: {_describe(err)}"]


def load_source(source: str) -> SourceMapping:
    """Load the mapping of a named source from pipelines/sources/."""
    return load_mapping(mapping_path(source))


def available_sources() -> list[str]:
    """Names of every mapping shipped in pipelines/sources/."""
    return sorted(p.stem for p in SOURCES_DIR.glob("*.yml"))


def _describe(err: Any) -> str:
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
