"""Hostile or odd files cannot hurt a run: the bad-input catalogue's cases for files built to
hurt (or merely odd), each with the exact outcome a user sees.

The same town and the same outcomes as tests/test_bad_input_catalogue.py (``Stops``,
``Loads``: read = staged + quarantined + rejected, each set-aside row with its line).

- Configuration (metrics.yml, city.yml, services.yml, a mapping) is held to limits before a
  tree is built: 1 MiB, 50 levels of nesting, aliases expanding to at most 10,000 values.
- Files a pattern matches are looked at before anything opens them: a folder, FIFO, socket,
  device or broken link is skipped with a reason (recorded in skipped_files and printed); a
  file leading outside its root folder is refused, and no message quotes it.
- Line numbers are physical past blank lines, CRLF and quoted line breaks; a row with a NUL
  byte is quarantined at its line; a line over the limit is rejected alone.
- roles.yml, which the dashboard reads at every click, is held to the same limits.
- The run lock is an OS lock on open descriptors (the lock file and the data folder):
  deleting the lock file while a run holds it does not let a second run in.
"""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

import pipelines.ingest.readers as readers
import tests.test_bad_input_catalogue as catalogue
from dashboard.auth.roles import RolesFileError, load_roles
from pipelines.cli.main import main
from pipelines.run.pipeline import run_pipeline
from pipelines.warehouse.pause import PAUSE_ENV, PAUSE_MARKER
from tests.test_bad_input_catalogue import (
    HEADER,
    JSON_MAPPING,
    MAPPING,
    READ_FIX,
    TOWN_YML,
    ExtractCase,
    Loads,
    Stops,
    _config_case_town,
    _error_line,
    _run_fails_and_changes_nothing,
    check_extract_case,
    good,
)

# Module-scoped: day 1 published once for this module's cases.
published_day1 = catalogue.published_day1


def _laughs(levels: int) -> str:
    """A 'billion laughs' block: each anchor holds nine aliases of the one before."""
    lines = ["lol0: &lol0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"lol{i}: &lol{i} [{', '.join([f'*lol{i - 1}'] * 9)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def _nested(depth: int) -> str:
    """A value nested ``depth`` mappings deep, one key per line."""
    return "".join("  " * i + f"k{i}:\n" for i in range(depth)) + "  " * depth + "v\n"


LIMIT_FIX = "write the values out, or use fewer and smaller aliases"
DEPTH_FIX = "flatten the structure; configuration needs only a few levels"

# (case, file written beside metrics.yml, its text, the exact error line; {path}: its path)
CONFIG_CASES = [
    (
        "billion laughs in metrics.yml",
        "metrics.yml",
        None,  # the town's metrics.yml with the block appended
        "metrics.yml:{laughs}: aliases (*name) up to this line expand to 15,670 values, more "
        f"than the 10,000 a configuration file may hold; {LIMIT_FIX}",
    ),
    (
        "billion laughs in services.yml",
        "services.yml",
        _laughs(8),
        "services.yml:5: aliases (*name) up to this line expand to 15,670 values, more than "
        f"the 10,000 a configuration file may hold; {LIMIT_FIX}",
    ),
    (
        "an alias inside its own anchor in city.yml",
        "city.yml",
        "name: Town\ntimezone: America/Chicago\nfolders: &f {a: [1, *f]}\n",
        "city.yml:3: alias *f is inside the value it refers to (&f), so it never ends; write "
        "the value out instead of *f",
    ),
    (
        "nesting 60 levels deep in city.yml",
        "city.yml",
        "name: Town\n" + _nested(60),
        f"city.yml:51: the values here are nested more than 50 levels deep; {DEPTH_FIX}",
    ),
    (
        "a 2 MB services.yml",
        "services.yml",
        "channels: []\n" + "# padding\n" * 200_000,
        "services.yml:1: the file is 2,000,013 bytes, more than the 1,048,576 (1 MiB) a "
        "configuration file may hold; check that this is the right file; a city's "
        "configuration is far smaller",
    ),
    (
        "billion laughs in a mapping",
        "sources/town.yml",
        MAPPING + _laughs(8),
        "{path}:16: aliases (*name) up to this line expand to 15,670 values, more than the "
        f"10,000 a configuration file may hold; {LIMIT_FIX}",
    ),
]


@pytest.mark.parametrize(
    ("name", "file", "text", "expected"), CONFIG_CASES, ids=[c[0] for c in CONFIG_CASES]
)
def test_hostile_configuration(
    name: str,
    file: str,
    text: str | None,
    expected: str,
    published_day1: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    town = _config_case_town(published_day1, tmp_path, monkeypatch)
    path = town.root / file
    if text is None:
        original = path.read_text(encoding="utf-8")
        text = original + _laughs(8)
        expected = expected.replace("{laughs}", str(original.count("\n") + 5))
    path.write_text(text, encoding="utf-8")
    output = _run_fails_and_changes_nothing(town)
    # The first problem is the file's (a city.yml case goes on to metrics.yml's city: section).
    assert _error_line(output).splitlines()[0] == expected.replace("{path}", str(path)), name


@pytest.mark.parametrize("file", ["services.yml", "sources/town.yml"])
def test_a_configuration_fifo_is_refused_unopened(
    file: str, published_day1: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    town = _config_case_town(published_day1, tmp_path, monkeypatch)
    path = town.root / file
    path.unlink(missing_ok=True)
    os.mkfifo(path)  # opening it to read would wait for a writer forever
    output = _run_fails_and_changes_nothing(town)
    label = path.name if file == "services.yml" else str(path)
    assert _error_line(output) == (
        f"{label}:1: this is a FIFO (named pipe), not a file; put the YAML file itself here"
    )


ROLES_CASES = [
    (
        "billion laughs",
        "sign_in: proxy\n" + _laughs(8),
        "roles.yml:6: aliases (*name) up to this line expand to 15,670 values, more than the "
        f"10,000 a configuration file may hold; {LIMIT_FIX}",
    ),
    (
        "nesting 60 levels deep",
        "sign_in: proxy\n" + _nested(60),
        f"roles.yml:51: the values here are nested more than 50 levels deep; {DEPTH_FIX}",
    ),
    (
        "a 2 MB file",
        "sign_in: proxy\n" + "# padding\n" * 200_000,
        "roles.yml:1: the file is 2,000,015 bytes, more than the 1,048,576 (1 MiB) a "
        "configuration file may hold; check that this is the right file; a city's "
        "configuration is far smaller",
    ),
    (
        "a FIFO",
        None,
        "roles.yml:1: this is a FIFO (named pipe), not a file; put the YAML file itself here",
    ),
    (
        "bytes that are not UTF-8",
        "sign_in: proxy\ncontact: caf\xe9\n",
        "roles.yml:2: byte 28 is not UTF-8 text; save the file as UTF-8",
    ),
]


@pytest.mark.parametrize(("name", "text", "expected"), ROLES_CASES, ids=[c[0] for c in ROLES_CASES])
def test_hostile_roles_file(name: str, text: str | None, expected: str, tmp_path: Path) -> None:
    # roles.yml is read by the dashboard at every click: the same limits, and no FIFO.
    path = tmp_path / "roles.yml"
    if text is None:
        os.mkfifo(path)
    else:
        path.write_bytes(text.encode("latin-1") if "\xe9" in text else text.encode())
    with pytest.raises(RolesFileError) as caught:
        load_roles(path)
    assert caught.value.problems == [expected], name


# --- the run lock ------------------------------------------------------------------------------


def test_deleting_the_lock_file_does_not_admit_a_second_run(
    published_day1: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    town = _config_case_town(published_day1, tmp_path, monkeypatch)
    env = {
        **os.environ,
        "CITYSTAT_SOURCES_DIR": str(town.sources),
        "CITYSTAT_DATA_DIR": str(town.data),
        PAUSE_ENV: "run:locked",
    }
    citystat = Path(sys.executable).parent / "citystat"
    args = ["run", "--metrics", str(town.metrics), "--warehouse", str(town.warehouse)]
    first = subprocess.Popen(
        [str(citystat), *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        assert first.stderr is not None
        # The first run holds the lock and sleeps (pipelines.warehouse.pause).
        said: list[str] = []
        for line in iter(first.stderr.readline, b""):  # until the pause (or the run's end)
            said.append(line.decode())
            if said[-1].startswith(PAUSE_MARKER):
                break
        assert said and said[-1].strip() == f"{PAUSE_MARKER}run:locked", said
        (town.data / ".citystat.duckdb.lock").unlink()
        second = CliRunner().invoke(main, args)
    finally:
        first.kill()
        first.wait()
    assert second.exit_code == 1
    assert _error_line(second.output) == (
        f"{town.warehouse}: another citystat run or rollback is publishing it; wait for it to "
        "finish and run again"
    )


# --- special files in the extract folder -------------------------------------------------------


def _accounting(warehouse: Path, file: str) -> tuple[int, int, int, int]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        row = con.execute(
            "SELECT rows_read, rows_staged, rows_quarantined, rows_rejected FROM load_files "
            "WHERE file = ?",
            [file],
        ).fetchone()
    assert row is not None, file
    read, staged, quarantined, rejected = row
    assert read == staged + quarantined + rejected  # every row accounted for
    return read, staged, quarantined, rejected


def _skipped(warehouse: Path) -> list[tuple[str, str]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return [
            (str(f), str(r))
            for f, r in con.execute(
                "SELECT file, reason FROM skipped_files WHERE run_id = "
                "(SELECT max(run_id) FROM runs) ORDER BY file"
            ).fetchall()
        ]


SPECIAL = "not a regular file: skipped without opening it; remove it"


def test_special_files_are_skipped_with_a_reason_and_never_opened(
    published_day1: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    town = _config_case_town(published_day1, tmp_path, monkeypatch)  # b.csv: 5 good rows
    os.mkfifo(town.extracts / "c.csv")  # opening it would block the run forever
    monkeypatch.chdir(town.extracts)  # a socket's path is limited to 108 bytes: bind by name
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind("d.csv")
    (town.extracts / "e.csv").symlink_to("gone.csv")
    (town.extracts / "f.csv").mkdir()
    try:
        result = CliRunner().invoke(
            main, ["run", "--metrics", str(town.metrics), "--warehouse", str(town.warehouse)]
        )
    finally:
        listener.close()
    assert result.exit_code == 0, result.output
    skipped = [
        ("town/c.csv", f"a FIFO (named pipe), {SPECIAL}"),
        ("town/d.csv", f"a socket, {SPECIAL}"),
        (
            "town/e.csv",
            "a symbolic link to a file that does not exist: skipped; restore the file it "
            "points to, or remove the link",
        ),
        (
            "town/f.csv",
            f"a folder, not a file: skipped; narrow files.pattern in {TOWN_YML} "
            "if it should match files only",
        ),
    ]
    assert _skipped(town.warehouse) == skipped
    for file, reason in skipped:  # printed as the run goes
        assert f"town: {file} is {reason}\n" in result.output
    assert _accounting(town.warehouse, "b.csv") == (5, 5, 0, 0)


def test_a_device_file_is_skipped(
    published_day1: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    town = _config_case_town(published_day1, tmp_path, monkeypatch)
    try:  # the numbers of /dev/zero, an endless file
        os.mknod(town.extracts / "z.csv", stat.S_IFCHR | 0o600, os.makedev(1, 5))
    except PermissionError:
        pytest.skip("creating a device file needs CAP_MKNOD")
    result = run_pipeline(town.metrics, town.warehouse)
    assert result.published, result.message
    assert _skipped(town.warehouse) == [("town/z.csv", f"a character device, {SPECIAL}")]
    assert _accounting(town.warehouse, "b.csv") == (5, 5, 0, 0)


def test_only_special_files_left_stops_the_run(
    published_day1: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    town = _config_case_town(published_day1, tmp_path, monkeypatch)
    for extract in town.extracts.iterdir():
        extract.unlink()
    os.mkfifo(town.extracts / "c.csv")
    output = _run_fails_and_changes_nothing(town)
    assert _error_line(output) == (
        f"source 'town': no file matches {town.extracts}/*.csv; town/c.csv is a FIFO (named pipe), "
        f"{SPECIAL}; put the extract there, or change files.pattern (and files.root) in its "
        "mapping to where it is"
    )


# --- paths confined to the city's folders ------------------------------------------------------

OUTSIDE_FIX = (
    "a mapping reads only files inside its root folder: copy the file in, or name its folder "
    f"under 'folders:' in city.yml and set files.root in {TOWN_YML}"
)
SECRET = "root:x:0:0:a line of a file outside the city's folders\n"


def _outside(tmp_path: Path) -> Path:
    """A file outside every folder of the city, which no message may quote."""
    secret = tmp_path / "outside" / "passwd.csv"
    secret.parent.mkdir()
    secret.write_text(SECRET + "id,opened\n", encoding="utf-8")
    return secret


def test_a_symbolic_link_out_of_the_extract_folder_is_refused(
    published_day1: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    town = _config_case_town(published_day1, tmp_path, monkeypatch)
    link = town.extracts / "c.csv"
    link.symlink_to(_outside(tmp_path))
    output = _run_fails_and_changes_nothing(town)
    root = os.path.realpath(town.data)
    assert _error_line(output) == f"{link}: leads outside {root} (through a symbolic link); " + (
        OUTSIDE_FIX
    )
    assert "root:x" not in output


def test_a_linked_folder_out_of_the_root_is_refused(
    published_day1: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    town = _config_case_town(published_day1, tmp_path, monkeypatch)
    mapping = town.sources / "town.yml"
    mapping.write_text(MAPPING.replace("town/*.csv", "town/*/*.csv"), encoding="utf-8")
    (town.extracts / "archive").symlink_to(_outside(tmp_path).parent, target_is_directory=True)
    output = _run_fails_and_changes_nothing(town)
    root = os.path.realpath(town.data)
    link = town.extracts / "archive" / "passwd.csv"
    assert _error_line(output) == f"{link}: leads outside {root} (through a symbolic link); " + (
        OUTSIDE_FIX
    )
    assert "root:x" not in output


MAPPING_PATH_CASES = [
    (
        "a crosswalk path with ..",
        MAPPING + "district_from_zip: {file: ../../outside/passwd.csv}\n",
        "{path}:12: district_from_zip.file: file '../../outside/passwd.csv' leaves the mappings "
        "folder; write it relative to that folder (e.g. lookups/zip_district.csv), without '..'",
    ),
    (
        "an absolute crosswalk path",
        MAPPING + "district_from_zip: {file: /etc/passwd}\n",
        "{path}:12: district_from_zip.file: file '/etc/passwd' leaves the mappings folder; write "
        "it relative to that folder (e.g. lookups/zip_district.csv), without '..'",
    ),
    (
        "a join pattern with ..",
        MAPPING + "joins: [{name: owners, files: {pattern: ../../outside/*.csv}, on: {id: id}}]\n",
        "{path}:12: joins.0.files.pattern: pattern '../../outside/*.csv' leaves its root folder; "
        "write it relative to the root, without '..', and name another folder under 'folders:' "
        "in city.yml instead",
    ),
]


@pytest.mark.parametrize(
    ("name", "text", "expected"), MAPPING_PATH_CASES, ids=[c[0] for c in MAPPING_PATH_CASES]
)
def test_a_mapping_path_out_of_its_folder_is_refused(
    name: str,
    text: str,
    expected: str,
    published_day1: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    town = _config_case_town(published_day1, tmp_path, monkeypatch)
    _outside(tmp_path)
    mapping = town.sources / "town.yml"
    mapping.write_text(text, encoding="utf-8")
    output = _run_fails_and_changes_nothing(town)
    assert _error_line(output) == expected.replace("{path}", str(mapping)), name


def test_a_crosswalk_linked_out_of_the_mappings_folder_is_refused(
    published_day1: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    town = _config_case_town(published_day1, tmp_path, monkeypatch)
    mapping = town.sources / "town.yml"
    # The town's extract has no zip column: its id stands in (the crosswalk stops the run first).
    with_zip = MAPPING.replace("service_name: service,", "service_name: service, zip: id,")
    mapping.write_text(with_zip + "district_from_zip: {file: lookups/zips.csv}\n", encoding="utf-8")
    crosswalk = town.sources / "lookups" / "zips.csv"
    crosswalk.parent.mkdir()
    crosswalk.symlink_to(_outside(tmp_path))
    output = _run_fails_and_changes_nothing(town)
    assert _error_line(output) == (
        f"{crosswalk}: the district crosswalk named in {TOWN_YML} leads outside "
        f"{os.path.realpath(town.sources)} (through a symbolic link); copy the file into that "
        "folder"
    )
    assert "root:x" not in output


# --- lines: blank lines, NUL bytes, lines over the limit ---------------------------------------

BAD_DATE = "X1,01/05/2024 08:00,,Open,Pothole,41.9,-87.6\n"
BAD_DATE_REASON = (
    "opened_at (raw column opened) value '01/05/2024 08:00' does not parse; add its format to "
    "timestamps.formats in the mapping"
)
NUL_FIX = "which no text value holds: the line is damaged; repair it or re-export the file"


def _rows(n: int, prefix: str = "G") -> list[str]:
    return good(n, prefix).splitlines(keepends=True)


def _at_line(request_id: str, line: int) -> Callable[[duckdb.DuckDBPyConnection], None]:
    def check(con: duckdb.DuckDBPyConnection) -> None:
        row = con.execute(
            "SELECT source_row, service_name FROM service_requests WHERE request_id = ?",
            [request_id],
        ).fetchone()
        assert row is not None and row[0] == line, (request_id, row)
        assert row[1] in ("Pothole", "first\n\nsecond"), row  # nothing glued to it

    return check


LINE_CASES = [
    ExtractCase(
        # 1 header, 2 G0, 3 blank, 4-152 G1..G149, 153-154 blank, 155 X1.
        "blank lines between records",
        (HEADER + _rows(150)[0] + "\n" + "".join(_rows(150)[1:]) + "\n\n" + BAD_DATE).encode(),
        Loads(
            151,
            150,
            1,
            0,
            [(155, "value_parses", "opened_at", BAD_DATE_REASON)],
            check=_at_line("G1", 4),
        ),
    ),
    ExtractCase(
        "blank lines between CRLF records",
        (HEADER + _rows(150)[0] + "\n" + "".join(_rows(150)[1:]) + "\n\n" + BAD_DATE)
        .replace("\n", "\r\n")
        .encode(),
        Loads(
            151,
            150,
            1,
            0,
            [(155, "value_parses", "opened_at", BAD_DATE_REASON)],
            check=_at_line("G1", 4),
        ),
    ),
    ExtractCase(
        # 2-151 G0..G149, 152-154 Q1 (a blank line inside its quotes), 155 blank, 156 X1.
        "blank lines inside a quoted field and between records",
        (
            HEADER
            + good(150)
            + 'Q1,2024-01-05 08:00,,Open,"first\n\nsecond",41.9,-87.6\n\n'
            + BAD_DATE
        ).encode(),
        Loads(
            152,
            151,
            1,
            0,
            [(156, "value_parses", "opened_at", BAD_DATE_REASON)],
            check=_at_line("Q1", 152),
        ),
    ),
    ExtractCase(
        # 2-251 G0..G249, 252 blank, 253 a row without an id, 254 blank, 255 X1: the row
        # without an id reads like a blank line in DuckDB's count, and is told apart.
        "a row without an id between blank lines",
        (
            HEADER
            + good(250)
            + "\n,2024-01-05 08:00,,Open,Pothole,41.9,-87.6\n\n"
            + BAD_DATE
            + good(1, "A")
        ).encode(),
        Loads(
            253,
            251,
            2,
            0,
            [
                (
                    253,
                    "expect_column_values_to_not_be_null",
                    "request_id",
                    "request_id is empty but every request needs it; fill it in the source "
                    "system or map it in the city's source mapping",
                ),
                (255, "value_parses", "opened_at", BAD_DATE_REASON),
            ],
            check=_at_line("A0", 256),
        ),
    ),
    ExtractCase(
        # Q1 spans 152-153: the short line after it is line 154, not DuckDB's 153.
        "a rejected line after a multi-line record",
        (
            HEADER
            + good(150)
            + 'Q1,2024-01-05 08:00,,Open,"first\nsecond",41.9,-87.6\n'
            + "T1,short\n"
            + good(1, "A")
        ).encode(),
        Loads(
            153,
            152,
            0,
            1,
            [
                (
                    154,
                    "csv_reader_rejected",
                    None,
                    "line 154 could not be read: Expected Number of Columns: 7 Found: 2; "
                    + READ_FIX,
                )
            ],
            check=_at_line("A0", 155),
        ),
    ),
    ExtractCase(
        "a NUL byte inside a field",
        (
            HEADER + good(150) + "N1,2024-01-05 08:00,,Open,Pot\x00hole,41.9,-87.6\n" + good(2, "A")
        ).encode(),
        Loads(
            153,
            152,
            1,
            0,
            [(152, "nul_byte", None, f"raw column service holds a NUL byte (\\0), {NUL_FIX}")],
            check=_at_line("A0", 153),
        ),
    ),
    ExtractCase(
        "a NUL byte ending an id",
        (
            HEADER + good(150) + "N1\x00,2024-01-05 08:00,,Open,Pothole,41.9,-87.6\n" + good(2, "A")
        ).encode(),
        Loads(
            153,
            152,
            1,
            0,
            [(152, "nul_byte", None, f"raw column id holds a NUL byte (\\0), {NUL_FIX}")],
            check=_at_line("A0", 153),
        ),
    ),
    ExtractCase(
        "a NUL byte in a JSON field",
        (
            '{"d": {"results": ['
            + ", ".join(
                f'{{"id": "{i}", "opened": "2024-01-05 08:00", "state": "Open", "lat": "41.9", '
                f'"lon": "-87.6", "closed": null, "service": "Pot{s}hole"}}'
                for i, s in [*((f"J{i}", "") for i in range(150)), ("N1", "\\u0000")]
            )
            + "]}}"
        ).encode(),
        Loads(
            151,
            150,
            1,
            0,
            [(151, "nul_byte", None, f"raw field service holds a NUL byte (\\0), {NUL_FIX}")],
        ),
        file="b.json",
        mapping=JSON_MAPPING,
    ),
]


@pytest.mark.parametrize("case", LINE_CASES, ids=[c.name for c in LINE_CASES])
def test_hostile_lines(
    case: ExtractCase,
    published_day1: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    check_extract_case(case, published_day1, tmp_path, monkeypatch)


LONG = "L1,2024-01-05 08:00,,Open," + "x" * 3_000_000 + ",41.9,-87.6\n"


def test_a_line_over_the_limit_is_rejected_alone(
    published_day1: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The limit is 256 MiB; at 1 MiB here, a 3 MB line is over it (DuckDB sets it aside only
    # with a read buffer that holds it: see pipelines/ingest/readers.py).
    monkeypatch.setattr(readers, "MAX_LINE_BYTES", 1 << 20)
    case = ExtractCase(
        "a line over the limit",
        (HEADER + good(150) + LONG + good(2, "A")).encode(),
        Loads(
            153,
            152,
            0,
            1,
            [
                (
                    152,
                    "csv_reader_rejected",
                    None,
                    "line 152 could not be read: Maximum line size of 1048576 bytes exceeded. "
                    "Actual Size:3000037 bytes. (the line is longer than any extract line should "
                    "be: the export is damaged, or the file is not the extract); " + READ_FIX,
                )
            ],
            check=_at_line("A0", 153),
        ),
    )
    check_extract_case(case, published_day1, tmp_path, monkeypatch)


def test_a_line_too_long_to_set_aside_stops_the_file(
    published_day1: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(readers, "MAX_LINE_BYTES", 1 << 20)
    monkeypatch.setattr(readers, "MAX_BUFFER_BYTES", 4 << 20)
    case = ExtractCase(
        "a line too long to set aside",
        (HEADER + good(150) + LONG + good(2, "A")).encode(),
        Stops(
            "{path}: line 152 is 3,000,037 bytes long, longer than a line can be set aside "
            "(2,097,152); the export is damaged or this is not the extract: repair or remove "
            "that line, or export the file again"
        ),
    )
    check_extract_case(case, published_day1, tmp_path, monkeypatch)
