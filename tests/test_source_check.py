"""`citystat sources check`: each kind of mapping problem, all at once, with the line to fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from pipelines.ingest.check import check_mapping_file
from pipelines.warehouse.layout import PROJECT_ROOT

MAPPING = """source: town
title: Town 311
city: Town
files: {pattern: town/*.csv}
timezone: America/Chicago
timestamps:
  formats: ["%Y-%m-%d %H:%M"]
columns:
  request_id: id
  opened_at: opened
  closed_at: closd
  status: state
statuses:
  Open: open
  Closed: closed
bounds: {lat_min: 1, lat_max: 2, lon_min: 3, lon_max: 4}
"""

EXTRACT = (
    "id,opened,closed,state\n"
    "1,2024-03-01 08:00,,Open\n"
    "2,03/02/2024 9:15 AM,2024-03-03 10:00,Closed\n"
    "3,2024-03-02 10:00,,Referred\n"
    "4,03/04/2024 9:15 AM,,Referred\n"
    "5,2024-03-05 10:00,,\n"
)


CITY = """name: Town
timezone: America/Chicago
departments: [{id: streets, name: Streets}]
"""


@pytest.fixture
def town(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A city in Chicago's zone (the mapping's), its extract under its data folder."""
    (tmp_path / "town").mkdir()
    (tmp_path / "town" / "extract.csv").write_text(EXTRACT, encoding="utf-8")
    (tmp_path / "city.yml").write_text(CITY, encoding="utf-8")
    monkeypatch.setenv("CITYSTAT_CITY", str(tmp_path))
    monkeypatch.setenv("CITYSTAT_DATA_DIR", str(tmp_path))
    return tmp_path


def _write(folder: Path, text: str) -> Path:
    path = folder / "town.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_column_missing_from_the_header_names_its_line_and_a_guess(town: Path) -> None:
    path = _write(town, MAPPING)
    assert check_mapping_file(path) == [
        f"{path}:11: column 'closd' (for closed_at) is not in the header of extract.csv; "
        "did you mean 'closed'?",
        f"{path}:8: the header of extract.csv is id, opened, closed, state; map each canonical "
        "column to one of these",
    ]


def test_unparseable_dates_and_unmapped_statuses_are_reported_together(town: Path) -> None:
    path = _write(town, MAPPING.replace("closd", "closed"))
    assert check_mapping_file(path) == [
        # rows 2 and 4 are written month-first with a 12-hour clock
        f"{path}:7: opened_at (raw column opened): 2 of 5 sampled values in extract.csv "
        "match no format, e.g. '03/02/2024 9:15 AM'; add its format to timestamps.formats",
        f"{path}:13: status values in extract.csv not mapped: 'Referred' (2 rows), "
        "'(blank)' (1 rows); add each under statuses: as open | closed | cancelled",
    ]


def test_a_clean_mapping_has_no_problems(town: Path) -> None:
    fixed = (
        MAPPING.replace("closd", "closed")
        .replace('formats: ["%Y-%m-%d %H:%M"]', 'formats: ["%Y-%m-%d %H:%M", "%m/%d/%Y %I:%M %p"]')
        .replace("  Closed: closed\n", "  Closed: closed\n  Referred: cancelled\n")
    )
    (town / "town" / "extract.csv").write_text(EXTRACT.replace(",,\n", ",,Open\n"), "utf-8")
    assert check_mapping_file(_write(town, fixed)) == []


def test_mapping_errors_come_first_and_all_at_once(town: Path) -> None:
    path = _write(town, MAPPING.replace("city: Town", "city: Town\ncolour: blue\nsorce: x"))
    problems = check_mapping_file(path)
    assert len(problems) == 2
    assert problems[0].startswith(f"{path}:4: ") and "colour" in problems[0]
    assert problems[1].startswith(f"{path}:5: ") and "sorce" in problems[1]


def test_missing_files_point_at_the_files_line(town: Path) -> None:
    path = _write(town, MAPPING.replace("town/*.csv", "nowhere/*.csv"))
    (problem,) = check_mapping_file(path)
    assert problem.startswith(f"{path}:4: source 'town': no file matches ")


def test_the_command_checks_shipped_mappings_and_files(
    town: Path, real_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipelines.cli.main import main

    path = _write(town, MAPPING)
    result = CliRunner().invoke(main, ["sources", "check", str(path)])
    assert result.exit_code == 1
    assert "column 'closd' (for closed_at)" in result.output
    boston = PROJECT_ROOT / "cities" / "boston"
    clean = CliRunner().invoke(
        main, ["--city", str(boston), "sources", "check", "boston_311_legacy"]
    )
    assert clean.exit_code == 0, clean.output
    assert "boston_311_legacy: no problems found" in clean.output
