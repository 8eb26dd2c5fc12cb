"""The bad-input catalogue: every case of bad input, and exactly what citystat does with it.

Read the three tables below: EXTRACT_CASES (a bad extract file arriving after day 1 was
published), MAPPING_CASES (a broken source mapping) and METRICS_CASES (a broken metrics.yml).
Each row is case -> exact outcome:

- ``Stops(message)``: the run stops before publishing with this one-line message (file, what is
  wrong, what to do); nothing is published.
- ``Fails(message)``: validation fails; the message says why; nothing is published and the
  failed build is kept.
- ``Loads(read, staged, quarantined, rejected, quarantine)``: the run publishes; the file's
  rows are accounted for as read = staged + quarantined + rejected, and each set-aside row is
  listed as (line, rule, column, reason).

Every case also checks that what was already published did not change: the day-1 requests
(P0..P2) are untouched, and a run that stops or fails leaves the very same version published.

The town: day 1 (a.csv) holds P0..P2; ``good(150)`` rows G0..G149 are valid requests opened
2024-01-05 08:00 inside the city box, so one bad row among them is under the 1 % a critical
rule tolerates. Counts follow from the rows written in each case.
"""

from __future__ import annotations

import gzip
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from pipelines.cli.main import main
from pipelines.publish.versions import failed_path
from pipelines.run.pipeline import run_pipeline
from pipelines.warehouse.published import published_version
from tests.metrics_support import config_text, metric_yaml
from tests.test_publish import Town, use_town

MAPPING = """source: town
title: Town 311
city: Town
files: {pattern: town/*.csv}
timezone: America/Chicago
timestamps: {formats: ["%Y-%m-%d %H:%M"]}
columns: {request_id: id, opened_at: opened, closed_at: closed, status: state,
  service_name: service, latitude: lat, longitude: lon}
statuses: {Open: open, Closed: closed}
bounds: {lat_min: 41.6, lat_max: 42.1, lon_min: -87.95, lon_max: -87.5}
expected_rows: {min: 1, max: 100000}
"""
JSON_MAPPING = (
    MAPPING.replace("files: {pattern: town/*.csv}", "files: {pattern: town/*.json}")
    .replace("city: Town\n", "city: Town\nformat: json\njson: {records: d.results}\n")
    .replace("columns: {request_id: id,", "columns: {request_id: id,")
)
HEADER = "id,opened,closed,state,service,lat,lon\n"


def good(n: int, prefix: str = "G") -> str:
    """n valid requests: <prefix>0.., opened 2024-01-05 08:00, open, inside the city box."""
    return "".join(f"{prefix}{i},2024-01-05 08:00,,Open,Pothole,41.9,-87.6\n" for i in range(n))


DAY1 = HEADER + good(3, "P")


@dataclass(frozen=True)
class Stops:
    """The run stops before building anything further; ``message`` is exact ({path}: the file)."""

    message: str


@dataclass(frozen=True)
class Fails:
    """Validation fails: nothing published, the failed build kept; exact run message."""

    message: str
    accounting: tuple[int, int, int, int]  # read, staged, quarantined, rejected


Quarantined = tuple[int, str, str | None, str]  # line, rule, column, reason (regex when r"...")


@dataclass(frozen=True)
class Loads:
    """The file is merged and published; its rows accounted for exactly."""

    read: int
    staged: int
    quarantined: int
    rejected: int
    quarantine: list[Quarantined] = field(default_factory=list)
    # An extra look at the published warehouse, for what the counts alone cannot show.
    check: Callable[[duckdb.DuckDBPyConnection], None] | None = None


Outcome = Stops | Fails | Loads


@dataclass(frozen=True)
class ExtractCase:
    """A second extract file (b.csv unless named) arriving after day 1 was published."""

    name: str
    content: bytes
    outcome: Outcome
    file: str = "b.csv"
    mapping: str = MAPPING


def _row(con: duckdb.DuckDBPyConnection, request_id: str) -> tuple[object, ...]:
    row = con.execute(
        "SELECT opened_at::VARCHAR, status, service_name, latitude, longitude, source_row "
        "FROM service_requests WHERE request_id = ?",
        [request_id],
    ).fetchone()
    assert row is not None, request_id
    return row


def _extra_columns_land_right(con: duckdb.DuckDBPyConnection) -> None:
    # Columns are matched by name, not position: E0's fields are where the header says.
    assert _row(con, "E0") == ("2024-01-05 08:00:00", "open", "Pothole", 41.9, -87.6, 2)


def _bom_is_not_part_of_the_first_name(con: duckdb.DuckDBPyConnection) -> None:
    assert _row(con, "G0")[0] == "2024-01-05 08:00:00"


def _coordinates_cleared(request_id: str) -> Callable[[duckdb.DuckDBPyConnection], None]:
    def check(con: duckdb.DuckDBPyConnection) -> None:
        # The request still counts (volume, timeliness); only its point is cleared.
        assert _row(con, request_id)[3:5] == (None, None)
        (details,) = con.execute(
            "SELECT details FROM validation_results WHERE column_name = 'latitude' "
            "AND run_id = (SELECT max(run_id) FROM runs)"
        ).fetchone() or ("",)
        assert details.startswith("1 of 151 checked value(s) failed (0.66%)"), details

    return check


def _long_text_kept(con: duckdb.DuckDBPyConnection) -> None:
    (length,) = con.execute(
        "SELECT length(service_name) FROM service_requests WHERE request_id = 'B1'"
    ).fetchone() or (0,)
    assert length == 10_000_000


def _newlines_and_quotes_kept(con: duckdb.DuckDBPyConnection) -> None:
    assert _row(con, "N1")[2] == 'line one\nline "two"'
    # N1 starts on line 4 and spans two lines, so the next record is on line 6.
    assert _row(con, "A0")[5] == 6


def _duplicate_unmapped_columns_are_fine(con: duckdb.DuckDBPyConnection) -> None:
    assert _row(con, "U0")[1:3] == ("open", "Pothole")


READ_FIX = "repair the line (quoting, delimiter, column count) or re-export the file"
TOWN_YML = "sources/town.yml"  # the mapping, named from the city's folder

EXTRACT_CASES = [
    ExtractCase(
        "empty file",
        b"",
        Stops(
            "{path}: the file is empty (0 bytes, not even a header line); the export probably "
            "failed: export it again, or move it out of the extract folder and run again"
        ),
    ),
    ExtractCase(
        "header only",
        HEADER.encode(),
        Fails(
            "validation failed; nothing published:\ntown (b.csv): "
            "expect_table_row_count_to_be_between: 0 rows staged; the source mapping expects 1 "
            "to 100000; check that the extract is complete and is the right file, or adjust "
            "the bounds",
            (0, 0, 0, 0),
        ),
    ),
    ExtractCase(
        "truncated last line",
        (HEADER + good(150) + "T1,2024-01-05 08:00,,Op").encode(),
        Loads(
            151,
            150,
            0,
            1,
            [
                (
                    152,
                    "csv_reader_rejected",
                    None,
                    "line 152 could not be read: Expected Number of Columns: 7 Found: 4; "
                    + READ_FIX,
                )
            ],
        ),
    ),
    ExtractCase(
        "wrong delimiter",
        (HEADER + good(5)).replace(",", ";").encode(),
        Stops(
            "{path}: the header line is one single column ('id;opened;closed;state;service;lat;"
            "lon'): the file seems delimited by ';', not ','; set csv.delimiter in its mapping "
            "(csv: {{delimiter: ';'}}) or re-export the file"
        ),
    ),
    ExtractCase(
        "a missing required column",
        ("id,closed,state,service,lat,lon\n" + "M1,,Open,Pothole,41.9,-87.6\n").encode(),
        Stops(
            f"{{path}}: required column(s) opened not in the file's header; fix the extract or "
            f"the columns section of {TOWN_YML} (header names are compared after trimming spaces)"
        ),
    ),
    ExtractCase(
        "extra and reordered columns",
        (
            "state,extra,id,service,opened,closed,lat,lon\n"
            + "".join(f"Open,x,E{i},Pothole,2024-01-05 08:00,,41.9,-87.6\n" for i in range(5))
        ).encode(),
        Loads(5, 5, 0, 0, check=_extra_columns_land_right),
    ),
    ExtractCase(
        "duplicate column names the mapping reads",
        (
            HEADER.replace("state,", "state,state,")
            + "D1,2024-01-05 08:00,,Open,Closed,P,41.9,-87.6\n"
        ).encode(),
        Stops(
            "{path}: the header names a column the mapping reads more than once (state at "
            "columns 4, 5); the mapping cannot tell which one is meant: rename or drop the copy "
            "in the extract"
        ),
    ),
    ExtractCase(
        "duplicate column names the mapping does not read",
        (
            HEADER.replace("\n", ",note,note\n")
            + "".join(f"U{i},2024-01-05 08:00,,Open,Pothole,41.9,-87.6,a,b\n" for i in range(3))
        ).encode(),
        Loads(3, 3, 0, 0, check=_duplicate_unmapped_columns_are_fine),
    ),
    ExtractCase(
        "non-UTF-8 bytes",
        (HEADER + good(150) + "L1,2024-01-05 08:00,,Open,Caf\xe9,41.9,-87.6\n").encode("latin-1"),
        Loads(
            151,
            150,
            0,
            1,
            [
                (
                    152,
                    "csv_reader_rejected",
                    None,
                    "line 152 could not be read: Invalid unicode (byte sequence mismatch) "
                    "detected. This file is not utf-8 encoded. (set csv.encoding in the mapping, "
                    "e.g. latin-1, or re-export the file as UTF-8); " + READ_FIX,
                )
            ],
        ),
    ),
    ExtractCase(
        "a byte order mark",
        ("\ufeff" + HEADER + good(5)).encode("utf-8"),
        Loads(5, 5, 0, 0, check=_bom_is_not_part_of_the_first_name),
    ),
    ExtractCase(
        "CRLF line ends",
        (HEADER + good(5)).replace("\n", "\r\n").encode(),
        Loads(5, 5, 0, 0),
    ),
    ExtractCase(
        "mixed date formats in one column",
        (HEADER + good(150) + "X1,01/05/2024 08:00,,Open,Pothole,41.9,-87.6\n").encode(),
        Loads(
            151,
            150,
            1,
            0,
            [
                (
                    152,
                    "value_parses",
                    "opened_at",
                    "opened_at (raw column opened) value '01/05/2024 08:00' does not parse; add "
                    "its format to timestamps.formats in the mapping",
                )
            ],
        ),
    ),
    ExtractCase(
        "dates in the future",
        (HEADER + good(150) + "F1,2099-01-05 08:00,,Open,Pothole,41.9,-87.6\n").encode(),
        Loads(
            151,
            150,
            1,
            0,
            [
                (
                    152,
                    "expect_column_values_to_be_between",
                    "opened_at",
                    r"re:opened_at 2099-01-05 08:00 is in the future \(the run started "
                    r"\d{4}-\d\d-\d\d \d\d:\d\d, city time\); correct the date in the source "
                    r"system",
                )
            ],
        ),
    ),
    ExtractCase(
        "closed before opened",
        (
            HEADER + good(150) + "C1,2024-01-05 08:00,2024-01-04 08:00,Closed,P,41.9,-87.6\n"
        ).encode(),
        Loads(
            151,
            150,
            1,
            0,
            [
                (
                    152,
                    "expect_column_pair_values_a_to_be_greater_than_b",
                    "closed_at",
                    "closed_at 2024-01-04 08:00 is before opened_at 2024-01-05 08:00; fix the "
                    "source system's timestamps or correct the extract",
                )
            ],
        ),
    ),
    ExtractCase(
        "duplicate ids with different contents",
        (HEADER + good(150) + "G1,2024-01-05 08:00,,Open,Graffiti,41.9,-87.6\n").encode(),
        Loads(
            151,
            150,
            1,
            0,
            [
                (
                    3,  # G1's first line; the later line wins (no updated_at to choose by)
                    "expect_column_values_to_be_unique",
                    "request_id",
                    'request_id "G1" appears 2 times; kept the most recently updated version at '
                    "b.csv row 152 (updated_at unknown) and set this one aside (updated_at "
                    "unknown); no action needed unless the extract should hold one row per "
                    "request",
                )
            ],
        ),
    ),
    ExtractCase(
        "coordinates at 0,0",
        (HEADER + good(150) + "Z1,2024-01-05 08:00,,Open,Pothole,0,0\n").encode(),
        Loads(151, 151, 0, 0, check=_coordinates_cleared("Z1")),
    ),
    ExtractCase(
        "coordinates outside the city",
        (HEADER + good(150) + "O1,2024-01-05 08:00,,Open,Pothole,40.7,-74.0\n").encode(),
        Loads(151, 151, 0, 0, check=_coordinates_cleared("O1")),
    ),
    ExtractCase(
        "a status the mapping does not know",
        (HEADER + good(150) + "S1,2024-01-05 08:00,,Pending,Pothole,41.9,-87.6\n").encode(),
        Loads(
            151,
            150,
            1,
            0,
            [
                (
                    152,
                    "status_mapped",
                    "status",
                    f"status value 'Pending' is not in the statuses of {TOWN_YML}; map it to one "
                    "of open, closed, cancelled",
                )
            ],
        ),
    ),
    ExtractCase(
        "a 10 MB free-text field",
        (
            HEADER
            + good(5)
            + "B1,2024-01-05 08:00,,Open,"
            + "x" * 10_000_000
            + ",41.9,-87.6\n"
            + good(3, "A")
        ).encode(),
        Loads(9, 9, 0, 0, check=_long_text_kept),
    ),
    ExtractCase(
        "embedded newlines and quotes",
        (
            HEADER
            + good(2)
            + 'N1,2024-01-05 08:00,,Open,"line one\nline ""two""",41.9,-87.6\n'
            + good(2, "A")
        ).encode(),
        Loads(5, 5, 0, 0, check=_newlines_and_quotes_kept),
    ),
    ExtractCase(
        "a gzip file named .csv",
        gzip.compress((HEADER + good(5)).encode()),
        Loads(5, 5, 0, 0),
    ),
    ExtractCase(
        "a file that changes schema between days",
        (HEADER.replace("opened", "created_date") + good(5)).encode(),
        Stops(
            f"{{path}}: required column(s) opened not in the file's header; fix the extract or "
            f"the columns section of {TOWN_YML} (header names are compared after trimming spaces)"
        ),
    ),
    ExtractCase(
        "a JSON file that is not the expected shape",
        b'[{"id": "J1", "opened": "2024-01-05 08:00", "state": "Open"}]',
        Stops(
            "{path}: no array of records at json.records 'd.results'; set json.records in its "
            "mapping to the dotted path of the records array (e.g. d.results for OData pages)"
        ),
        file="b.json",
        mapping=JSON_MAPPING,
    ),
    ExtractCase(
        "a JSON file that is not JSON",
        b"id,opened\nJ1,2024-01-05",
        Stops(
            r"re:\{path\}: DuckDB could not read this file as JSON \(.+\); check that it is "
            r"valid JSON"
        ),
        file="b.json",
        mapping=JSON_MAPPING,
    ),
]


@pytest.fixture(scope="module")
def published_day1(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """Day 1 published once per mapping (CSV and JSON); each case starts from a copy."""
    roots = {}
    for mapping in (MAPPING, JSON_MAPPING):
        root = tmp_path_factory.mktemp("day1")
        town = _town(root, mapping)
        with pytest.MonkeyPatch.context() as mp:
            use_town(town, mp)
            assert run_pipeline(town.metrics, town.warehouse).published
        roots[mapping] = root
    yield roots


def _town(root: Path, mapping: str) -> Town:
    town = Town(root, root / "sources", root / "data", root / "metrics.yml")
    town.sources.mkdir(parents=True, exist_ok=True)
    town.extracts.mkdir(parents=True, exist_ok=True)
    (town.sources / "town.yml").write_text(mapping, encoding="utf-8")
    town.metrics.write_text(
        config_text(metric_yaml("opened", "unit: requests\nkind: count\n")).replace(
            "fiscal_year_start_month: 7}", "fiscal_year_start_month: 7, sources: [town]}"
        ),
        encoding="utf-8",
    )
    if "format: json" in mapping:
        records = ", ".join(
            f'{{"id": "P{i}", "opened": "2024-01-05 08:00", "state": "Open", "lat": "41.9", '
            f'"lon": "-87.6", "closed": null, "service": "Pothole"}}'
            for i in range(3)
        )
        day1 = '{"d": {"results": [' + records + "]}}"
        (town.extracts / "a.json").write_text(day1, encoding="utf-8")
    else:
        (town.extracts / "a.csv").write_text(DAY1, encoding="utf-8")
    return town


def _day1_rows(warehouse: Path) -> list[tuple[object, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "SELECT * EXCLUDE (source_row) FROM service_requests WHERE request_id LIKE 'P%' "
            "ORDER BY request_id"
        ).fetchall()


def _error_line(output: str) -> str:
    """The error click printed after the run's progress lines."""
    return output[output.index("Error: ") + len("Error: ") :].strip()


def _matches(expected: str, actual: str) -> bool:
    if expected.startswith("re:"):
        return re.fullmatch(expected[3:], actual, flags=re.S) is not None
    return expected == actual


@pytest.mark.parametrize("case", EXTRACT_CASES, ids=[c.name for c in EXTRACT_CASES])
def test_bad_extract(
    case: ExtractCase,
    published_day1: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    check_extract_case(case, published_day1, tmp_path, monkeypatch)


def check_extract_case(
    case: ExtractCase,
    published_day1: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Write the case's file after day 1, run, and check the outcome (tests/test_bad_input_*)."""
    root = tmp_path / "town"
    shutil.copytree(published_day1[case.mapping], root, symlinks=True)
    town = Town(root, root / "sources", root / "data", root / "metrics.yml")
    use_town(town, monkeypatch)
    version, day1 = published_version(town.warehouse), _day1_rows(town.warehouse)
    assert len(day1) == 3
    path = town.extracts / case.file
    path.write_bytes(case.content)
    outcome = case.outcome

    if isinstance(outcome, Stops):
        result = CliRunner().invoke(
            main, ["run", "--metrics", str(town.metrics), "--warehouse", str(town.warehouse)]
        )
        assert result.exit_code == 1
        assert "Traceback" not in result.output
        message = _error_line(result.output)
        expected = outcome.message.format(path=path) if "{path}" in outcome.message else None
        if outcome.message.startswith("re:"):
            assert _matches(outcome.message.replace("\\{path\\}", re.escape(str(path))), message)
        else:
            assert message == expected
    else:
        result_run = run_pipeline(town.metrics, town.warehouse)
        built = town.warehouse if isinstance(outcome, Loads) else failed_path(town.warehouse)
        assert result_run.published is isinstance(outcome, Loads), result_run.message
        with duckdb.connect(str(built), read_only=True) as con:
            accounting = con.execute(
                "SELECT rows_read, rows_staged, rows_quarantined, rows_rejected FROM load_files "
                "WHERE file = ?",
                [case.file],
            ).fetchone()
            quarantine = con.execute(
                "SELECT source_row, rule, column_name, reason FROM quarantine "
                "WHERE source_file = ? ORDER BY source_row",
                [case.file],
            ).fetchall()
            if isinstance(outcome, Loads) and outcome.check is not None:
                outcome.check(con)
        assert accounting is not None
        read, staged, quarantined, rejected = accounting
        assert read == staged + quarantined + rejected  # every row accounted for
        if isinstance(outcome, Fails):
            assert result_run.message == outcome.message
            assert accounting == outcome.accounting
        else:
            assert accounting == (
                outcome.read,
                outcome.staged,
                outcome.quarantined,
                outcome.rejected,
            )
            assert len(quarantine) == len(outcome.quarantine)
            for got, want in zip(quarantine, outcome.quarantine, strict=True):
                assert got[:3] == want[:3]
                assert _matches(want[3], got[3]), got[3]
    # What was published before is unchanged: the same version when nothing was published,
    # and in any case the same day-1 requests.
    if not isinstance(outcome, Loads):
        assert published_version(town.warehouse) == version
    assert _day1_rows(town.warehouse) == day1


# --- source mappings -------------------------------------------------------------------------

MAPPING_CASES = [
    (
        "unknown key",
        MAPPING + "colour: blue\n",
        "{path}:12: unknown key 'colour'; remove it or check its spelling",
    ),
    (
        "wrong type",
        MAPPING.replace("lat_min: 41.6", "lat_min: north"),
        "{path}:10: bounds.lat_min: Input should be a valid number, unable to parse string as "
        "a number",
    ),
    (
        "a time zone that does not exist",
        MAPPING.replace("America/Chicago", "Chicago/Downtown"),
        "{path}:5: timezone: 'Chicago/Downtown' is not a time zone name; use an IANA name such "
        "as America/Chicago",
    ),
    (
        "a column that is not canonical",
        MAPPING.replace("service_name: service", "service_nam: service"),
        "{path}:8: 'service_nam' is not a canonical service_requests column; use one of "
        "request_id, service_code, service_name, department, status, opened_at, closed_at, "
        "due_at, updated_at, channel, zip, council_district, latitude, longitude",
    ),
    (
        "invalid YAML",
        MAPPING.replace("statuses: {Open: open, Closed: closed}", "statuses: {Open: open"),
        "{path}:10: invalid YAML: expected ',' or '}', but got ':' (while parsing a flow "
        "mapping that starts on line 9); check indentation, colons, quotes and brackets on "
        "this line or the one above",
    ),
    (
        # Field problems all come at once; problems between sections (a status word outside
        # the vocabulary, say) follow once these are fixed: pydantic checks fields first.
        "every problem at once, each with its line",
        MAPPING.replace("lat_min: 41.6", "lat_min: north").replace(
            "America/Chicago", "Chicago/Downtown"
        )
        + "colour: blue\n",
        "{path}:5: timezone: 'Chicago/Downtown' is not a time zone name; use an IANA name such "
        "as America/Chicago\n"
        "{path}:10: bounds.lat_min: Input should be a valid number, unable to parse string as "
        "a number\n{path}:12: unknown key 'colour'; remove it or check its spelling",
    ),
]


# --- metrics.yml -------------------------------------------------------------------------------

COUNT = "unit: requests\nkind: count\n"
RATIO = "unit: ratio\nkind: ratio\nnumerator_metric: {}\ndenominator_metric: c\n"


def _metrics(*metrics: str) -> str:
    return config_text(*metrics).replace(
        "fiscal_year_start_month: 7}", "fiscal_year_start_month: 7, sources: [town]}"
    )


METRICS_CASES = [
    (
        "unknown key",
        _metrics(metric_yaml("a", COUNT + "colour: red\n")),
        "metrics.yml:12: unknown key 'colour' in metric 'a'; use one of: id, label, "
        "description, methodology, department, owner, cohort_service, unit, direction, kind, "
        "table, filter, numerator, denominator, date, start, end, percentile, within_days, "
        "overdue, due, age_buckets, numerator_metric, denominator_metric, targets, target, "
        "watch_band, min_count, grains, dimensions, baseline, public, public_text, common_id",
    ),
    (
        "wrong type",
        _metrics(metric_yaml("a", COUNT + "min_count: many\n")),
        "metrics.yml:12: metric 'a': 'min_count' should be a valid integer, unable to parse "
        "string as an integer, got 'many'; write a whole number without quotes",
    ),
    (
        "a metric referencing a missing column",
        _metrics(metric_yaml("a", COUNT + "filter: [{column: colour, op: '=', value: red}]\n")),
        "metrics.yml:12: metric 'a': unknown column 'colour'; use one of: request_id, source, "
        "service_code, service_name, department, status, status_raw, opened_at, closed_at, "
        "due_at, updated_at, channel, zip, council_district, latitude, longitude, "
        "source_file, source_row",
    ),
    (
        "a metric referencing a missing table",
        _metrics(metric_yaml("a", COUNT + "table: parking_tickets\n")),
        "metrics.yml:12: metric 'a': unknown table 'parking_tickets'; use one of: "
        "service_requests, permits, inspections",
    ),
    (
        "a ratio referencing a missing metric",
        _metrics(metric_yaml("a", RATIO.format("zzz")), metric_yaml("c", COUNT)),
        "metrics.yml:12: metric 'a': numerator_metric 'zzz' is not a metric in this file; use "
        "one of: a, c",
    ),
    (
        "duplicate metric ids",
        _metrics(metric_yaml("a", COUNT), metric_yaml("a", COUNT)),
        "metrics.yml:12: duplicate metric id 'a' (first defined on line 4); give each metric a "
        "unique id",
    ),
    (
        "a target for a grain the metric lacks",
        _metrics(
            metric_yaml(
                "a",
                COUNT + "direction: higher_is_better\ngrains: [month]\n"
                "targets: [{from: 2024-01-01, value: 5, grain: week}]\n",
            )
        ),
        "metrics.yml:14: metric 'a': target for grain 'week' but the metric is not computed by "
        "that grain; add 'week' to the metric's grains or remove the target's grain",
    ),
    (
        "circular ratio metrics",
        _metrics(
            metric_yaml("a", RATIO.format("b")),
            metric_yaml("b", RATIO.format("a")),
            metric_yaml("c", COUNT),
        ),
        "metrics.yml:4: circular ratio: a -> b -> a; a ratio cannot depend on itself; point "
        "numerator_metric and denominator_metric at non-ratio metrics",
    ),
    (
        "invalid YAML",
        _metrics(metric_yaml("a", COUNT)).replace("kind: count", "kind: [count"),
        "metrics.yml:12: invalid YAML: expected ',' or ']', but got '<stream end>'; check "
        "indentation, colons and quotes on this line or the one above",
    ),
    (
        # Problems within metrics come at once; checks across metrics (duplicate ids, ratio
        # cycles) follow once each metric reads.
        "every problem at once, each with its line",
        _metrics(
            metric_yaml("a", COUNT + "colour: red\n"),
            metric_yaml("b", COUNT + "min_count: many\n"),
        ),
        "metrics.yml:12: unknown key 'colour' in metric 'a'; use one of: id, label, "
        "description, methodology, department, owner, cohort_service, unit, direction, kind, "
        "table, filter, numerator, denominator, date, start, end, percentile, within_days, "
        "overdue, due, age_buckets, numerator_metric, denominator_metric, targets, target, "
        "watch_band, min_count, grains, dimensions, baseline, public, public_text, common_id\n"
        "metrics.yml:21: metric 'b': 'min_count' should be a valid integer, unable to parse "
        "string as an integer, got 'many'; write a whole number without quotes",
    ),
    (
        "a source that has no mapping",
        _metrics(metric_yaml("a", COUNT)).replace("sources: [town]", "sources: [town, nowhere]"),
        "{metrics}: city.yml's sources list 'nowhere', but {sources}/nowhere.yml does not exist; "
        "list one of the source mappings (town) or write that mapping",
    ),
]


def _config_case_town(
    published_day1: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Town:
    root = tmp_path / "town"
    shutil.copytree(published_day1[MAPPING], root, symlinks=True)
    town = Town(root, root / "sources", root / "data", root / "metrics.yml")
    use_town(town, monkeypatch)
    (town.extracts / "b.csv").write_text(HEADER + good(5))  # a good file waiting to load
    return town


def _run_fails_and_changes_nothing(town: Town) -> str:
    version = published_version(town.warehouse)
    result = CliRunner().invoke(
        main, ["run", "--metrics", str(town.metrics), "--warehouse", str(town.warehouse)]
    )
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert published_version(town.warehouse) == version
    assert _day1_rows(town.warehouse) and not list((town.data / "versions").glob("*.building*"))
    return result.output


@pytest.mark.parametrize(
    ("name", "text", "expected"), MAPPING_CASES, ids=[c[0] for c in MAPPING_CASES]
)
def test_bad_mapping(
    name: str,
    text: str,
    expected: str,
    published_day1: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    town = _config_case_town(published_day1, tmp_path, monkeypatch)
    mapping = town.sources / "town.yml"
    mapping.write_text(text, encoding="utf-8")
    output = _run_fails_and_changes_nothing(town)
    assert _error_line(output) == expected.replace("{path}", str(mapping)), name


@pytest.mark.parametrize(
    ("name", "text", "expected"), METRICS_CASES, ids=[c[0] for c in METRICS_CASES]
)
def test_bad_metrics_file(
    name: str,
    text: str,
    expected: str,
    published_day1: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    town = _config_case_town(published_day1, tmp_path, monkeypatch)
    town.metrics.write_text(text, encoding="utf-8")
    output = _run_fails_and_changes_nothing(town)
    expected = expected.format(metrics=town.metrics, sources=town.sources)
    if expected.startswith("metrics.yml:"):
        # `citystat metrics check` prints the same problems, one per line.
        check = CliRunner().invoke(main, ["metrics", "check", "--file", str(town.metrics)])
        assert check.exit_code == 1
        problems = expected.count("\n") + 1
        plural = "s" if problems > 1 else ""
        assert check.output == f"{expected}\n{problems} problem{plural} found\n", name
    assert expected.splitlines()[0] in output, name


def test_the_catalogue_is_complete() -> None:
    """At least 30 cases, every one with its exact outcome."""
    assert len(EXTRACT_CASES) + len(MAPPING_CASES) + len(METRICS_CASES) >= 30
    assert len({c.name for c in EXTRACT_CASES}) == len(EXTRACT_CASES)
