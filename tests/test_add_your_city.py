"""README's chapter "Add your city", followed step by step in a temporary folder.

The chapter's fenced blocks are the test's script, taken verbatim with the temporary folder in
place of `cities/springfield`: each ```sh line is run as a new shell would run it from the
project folder; a block after `<!-- file: PATH -->` is written to PATH and one after
`<!-- append: PATH -->` added to its end; every line of a block after `<!-- output -->` must
be in what the command before it printed (a shown output with FILE:LINE problems means the
command must fail). The warehouse is then checked against the rows of the example CSV, the
numbers worked out by hand below and the chapter's own tables, and the scorecard page is
rendered as the chapter's `streamlit run` command would show it.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from pipelines.ingest.columns import DERIVED_COLUMNS
from pipelines.warehouse.schema import CANONICAL_TABLES
from tests.tables_support import shown_tables

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
FOLDER = "cities/springfield"  # the chapter's city folder, relative to the project folder
README = (ROOT / "README.md").read_text(encoding="utf-8")
CHAPTER = README[README.index("\n## Add your city\n") : README.index("\n## Defining metrics\n")]

# A marked or an sh fenced block, or a marked Markdown table, in the order they appear.
_BLOCK = re.compile(
    r"(?:<!-- (?P<mark>[a-z]+)(?:: (?P<arg>[^>]*?))? -->\n)?"
    r"(?:```(?P<lang>\w*)\n(?P<body>.*?)```\n|(?P<table>(?:\|[^\n]*\|\n)+))",
    re.S,
)

# Worked out by hand from the example CSV (16 rows; SPR-25-00111 closed before it was
# opened, so 15 are loaded). The as-of time is the latest time in the file, 2025-05-02 09:00.
STAGED_IDS = [f"SPR-25-00{n}" for n in range(101, 117) if n != 111]
APRIL = {
    # opened in April: 00101-00110, 00112-00114 (00115 and 00116 opened in May)
    "requests_received": 13,
    # not cancelled (00106 is a duplicate) and closed or past due by May 2: 12 requests;
    # closed by their due date: 00101, 00103, 00105, 00107, 00109, 00113
    "requests_on_time": 6 / 12,
    # closed in April, days from opened to closed: 00103 1.09375, 00113 1.10417,
    # 00109 1.15278, 00107 2.17708, 00101 2.25, 00105 3.85764, 00108 4.02083,
    # 00104 6.22917, 00102 7.59375; the fifth of nine
    "median_days_to_close": 2.25,
    # open at the end of April: 00110, 00112, 00114
    "open_requests": 3,
    # potholes decided: 00101, 00104, 00107, 00109, 00113, 00114 (open, due May 1 15:30);
    # on time: 00101, 00107, 00109, 00113
    "pothole_on_time": 4 / 6,
}
APRIL_STATUS = {
    "requests_received": "no_target",
    "requests_on_time": "too_little_data",  # 12 < min_count 30
    "median_days_to_close": "no_target",
    "open_requests": "no_target",
    "pothole_on_time": "off_track",  # 0.667 < 0.8 - 0.8 * 0.05
}


@dataclass
class Step:
    """One thing the chapter asks the reader to do, or shows them."""

    kind: str  # run | file | append | output | quarantine | values
    text: str
    arg: str = ""


@dataclass
class Ran:
    """A command the chapter runs, and what it printed."""

    line: str
    returncode: int
    output: str
    shown: list[str] = field(default_factory=list)


def chapter_steps() -> list[Step]:
    """The chapter's commands, files, and shown outputs and tables, in order."""
    steps = []
    for block in _BLOCK.finditer(CHAPTER):
        mark, arg = block["mark"], block["arg"] or ""
        if mark is None and block["lang"] == "sh":
            steps += [Step("run", line) for line in block["body"].splitlines() if line.strip()]
        elif mark is not None:
            steps.append(
                Step(mark, block["body"] if block["table"] is None else block["table"], arg)
            )
    return steps


def _here(text: str, folder: Path) -> str:
    return text.replace(FOLDER, str(folder))


def _environment() -> dict[str, str]:
    """A new shell's: none of citystat's own variables set."""
    return {k: v for k, v in os.environ.items() if not k.startswith("CITYSTAT_")}


def _command(line: str) -> tuple[dict[str, str], list[str]]:
    """VAR=value assignments and the program's argv, `.venv/bin/X` as this venv's X."""
    words = shlex.split(line)
    assignments = {}
    while re.fullmatch(r"[A-Z_]+=\S*", words[0]):
        name, _, value = words.pop(0).partition("=")
        assignments[name] = value
    assert words[0].startswith(".venv/bin/"), line
    return assignments, [str(VENV_BIN / Path(words[0]).name), *words[1:]]


@dataclass
class Followed:
    """The city the chapter built, what each command printed, and the dashboard command."""

    folder: Path
    ran: list[Ran]
    dashboard_env: dict[str, str]
    quarantine: str
    values: str


@pytest.fixture(scope="module")
def followed(tmp_path_factory: pytest.TempPathFactory) -> Followed:
    folder = tmp_path_factory.mktemp("add_your_city") / "springfield"
    ran: list[Ran] = []
    dashboard_env: dict[str, str] = {}
    tables = {}
    for step in chapter_steps():
        if step.kind == "run":
            env, argv = _command(_here(step.text, folder))
            if argv[1:3] == ["run", "dashboard/app.py"]:  # a server: the test renders its page
                dashboard_env = env
                continue
            done = subprocess.run(
                argv,
                cwd=ROOT,
                env={**_environment(), **env},
                capture_output=True,
                text=True,
                timeout=300,
            )
            ran.append(Ran(step.text, done.returncode, done.stdout + done.stderr))
        elif step.kind in ("file", "append"):
            path = Path(_here(step.arg, folder))
            assert path.parent.is_dir(), f"{step.arg}: the chapter never made its folder"
            with path.open("w" if step.kind == "file" else "a", encoding="utf-8") as out:
                out.write(step.text)
        elif step.kind == "output":
            ran[-1].shown = _here(step.text, folder).splitlines()
        else:
            tables[step.kind] = step.text
    return Followed(folder, ran, dashboard_env, tables["quarantine"], tables["values"])


def _rows(table: str) -> list[list[str]]:
    """A Markdown table's body rows as cells (header and rule left out)."""
    lines = table.strip().splitlines()[2:]
    return [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in lines]


@pytest.mark.slow
def test_every_command_does_what_the_chapter_shows(followed: Followed) -> None:
    assert [r.line.split()[-1] for r in followed.ran if "citystat" in r.line][:2] == [
        "7",  # init ... --fiscal-year-start 7
        "check",
    ]
    for ran in followed.ran:
        problems = any(re.match(r"\S+\.yml:\d+: ", line) for line in ran.shown)
        assert ran.returncode == (1 if problems else 0), (ran.line, ran.output)
        for line in ran.shown:
            assert line in ran.output, (ran.line, line, ran.output)
    assert followed.dashboard_env == {"CITYSTAT_CITY": str(followed.folder)}


@pytest.mark.slow
def test_the_example_rows_are_staged_and_the_bad_one_quarantined(followed: Followed) -> None:
    warehouse = followed.folder / "data" / "citystat.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        staged = con.execute("SELECT request_id FROM service_requests ORDER BY 1").fetchall()
        assert [row[0] for row in staged] == STAGED_IDS
        accounts = con.execute(
            "SELECT file, rows_read, rows_staged, rows_quarantined, rows_rejected FROM load_files"
        ).fetchall()
        assert accounts == [("springfield_311_2025-05-02.csv", 16, 15, 1, 0)]
        quarantined = con.execute(
            "SELECT source_file, CAST(source_row AS VARCHAR), record_id, reason FROM quarantine"
        ).fetchall()
        # Statuses as mapped; wards and zips as text; the box keeps every point.
        assert con.execute(
            "SELECT status, count(*) FROM service_requests GROUP BY 1 ORDER BY 1"
        ).fetchall() == [("cancelled", 1), ("closed", 10), ("open", 4)]
        assert con.execute(
            "SELECT council_district, zip, latitude FROM service_requests "
            "WHERE request_id = 'SPR-25-00108'"
        ).fetchone() == ("5", "62704", 39.7497)
    # The chapter shows the quarantined row as the warehouse holds it.
    assert [tuple(row) for row in _rows(followed.quarantine)] == quarantined
    assert quarantined[0][3] in next(r.output for r in followed.ran if "quarantine" in r.line)


def _april(followed: Followed) -> dict[str, tuple[float, str]]:
    warehouse = followed.folder / "data" / "citystat.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "SELECT metric_id, value, status FROM metric_values WHERE grain = 'month' "
            "AND period_label = '2025-04' AND dimension = 'citywide' AND is_complete"
        ).fetchall()
    return {metric: (value, status) for metric, value, status in rows}


@pytest.mark.slow
def test_the_metric_values_are_the_ones_worked_out_by_hand(followed: Followed) -> None:
    april = _april(followed)
    assert {metric: value for metric, (value, _) in april.items()} == pytest.approx(APRIL)
    assert {metric: status for metric, (_, status) in april.items()} == APRIL_STATUS
    # ...and the chapter's table says the same.
    shown = {cells[0].strip("`"): float(cells[1]) for cells in _rows(followed.values)}
    assert shown == pytest.approx(APRIL, abs=5e-5)


@pytest.mark.slow
def test_the_scorecard_shows_the_city(followed: Followed, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("CITYSTAT_")]:
        monkeypatch.delenv(name)
    for name, value in followed.dashboard_env.items():
        monkeypatch.setenv(name, value)
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert [s.value for s in at.subheader] == ["311 customer service", "Pothole repair"]
    rows = [
        tuple(row)
        for frame in shown_tables(at)
        for row in frame.value[["Metric", "Period", "Value", "Target", "Status"]].itertuples(
            index=False
        )
    ]
    assert rows == [
        ("311 requests received", "2025-04", "13", "—", "○ No target"),
        ("311 requests closed on time", "2025-04", "50.0%", "80.0%", "… Too little data"),
        ("Median days to close a 311 request", "2025-04", "2.2 days", "—", "○ No target"),
        ("Open 311 requests", "2025-04", "3", "—", "○ No target"),
        ("Potholes repaired on time", "2025-04", "66.7%", "80.0%", "■ Off track"),
    ]
    assert "potholes repaired on time at 66.7% against 80%, off track" in " ".join(CHAPTER.split())


def _column_tables() -> dict[str, list[list[str]]]:
    """Each kind's column table in the chapter, after its "`kind: NAME`" line."""
    found = re.findall(r"`kind: (\w+)` \([^)]*\):\n\n((?:\|[^\n]*\|\n)+)", CHAPTER)
    return {kind: _rows(table) for kind, table in found}


def test_the_chapter_lists_every_canonical_column_of_each_kind() -> None:
    tables = _column_tables()
    assert set(tables) == set(CANONICAL_TABLES)
    for kind, rows in tables.items():
        table = CANONICAL_TABLES[kind]
        listed = [name for cells in rows for name in re.findall(r"`(\w+)`", cells[0])]
        required = [name for cells in rows if cells[2] == "required" for name in [cells[0]]]
        assert sorted(listed) == sorted(c for c in table.columns if c not in DERIVED_COLUMNS)
        assert sorted(r.strip("`") for r in required) == sorted(table.required), kind


def test_the_chapter_lists_every_status_word_of_each_kind() -> None:
    table = CHAPTER[CHAPTER.index("| kind | status | means |") :]
    table = table[: table.index("\n\n")] + "\n"
    words: dict[str, list[str]] = {}
    kind = ""
    for cells in _rows(table):
        kind = cells[0].strip("`") or kind
        words.setdefault(kind, []).append(cells[1].strip("`"))
    assert words == {name: list(t.statuses) for name, t in CANONICAL_TABLES.items()}
