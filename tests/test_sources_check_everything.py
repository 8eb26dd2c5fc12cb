"""`citystat sources check` checks everything `citystat run` checks, each problem once at its
line (issue 14, item 3.2); `sources list` survives a mapping that does not load; no hint lists
an empty set of choices."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipelines.cli.main import main
from pipelines.config.hints import did_you_mean, one_of
from pipelines.ingest import extract
from pipelines.ingest.check import check_mapping_file
from pipelines.ingest.mapping_files import MappingError, load_mapping, load_source
from pipelines.run.pipeline import run_pipeline
from tests.ingest_town import Town, metric

# Line numbers are counted in this text (line 1 is "source: sf").
JOINED = """\
    source: sf
    title: Town inspections with a business register and violations
    kind: inspections
    city: Town
    files: {pattern: town/inspections_*.csv}
    timezone: America/Chicago
    timestamps: {formats: ["%Y-%m-%d"]}
    id_from: [business, date]
    columns:
      received_at: date
      first_inspected_at: date
      status: result
      inspection_type: kind
      case_type: kind
      zip: postal
      priority: register.risk
      corrected_at: violations.last_fixed
    statuses: {Pass: closed, Fail: open}
    joins:
      - name: register
        files: {pattern: town/register.csv}
        on: {business: business_id}
      - name: violations
        files: {pattern: town/violations.csv}
        on: {business: business_id, date: date}
        aggregate:
          last_fixed: {max_of: fixed_on, format: "%Y-%m-%d"}
    due_rules:
      - {target: due_at, start: received_at, key: outcome, days: {default: 10}}
    district_from_zip: {file: crosswalk.csv}
"""
# The header misses 'kind' (read for inspection_type and case_type: one problem) and 'business'
# (an id_from part and both join keys: one problem, at id_from); the second file also lacks
# 'postal'. register.csv has no 'risk'; violations.csv calls its date 'dates'; the crosswalk
# has no council_district; the due rule's key, outcome, is not mapped.
INSPECTIONS_1 = "biz,date,result,postal\nB1,2024-03-01,Pass,60601\n"
INSPECTIONS_2 = "biz,date,result\nB2,2024-03-02,Fail\n"


@pytest.fixture
def town(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Town:
    town = Town(tmp_path, monkeypatch)
    town.mapping("sf", JOINED)
    town.extract("inspections_1.csv", INSPECTIONS_1)
    town.extract("inspections_2.csv", INSPECTIONS_2)
    town.extract("register.csv", "business_id,name\nB1,Cafe\n")
    town.extract("violations.csv", "business_id,dates,fixed_on\nB1,2024-03-01,2024-03-09\n")
    (town.sources / "crosswalk.csv").write_text("zip,district\n60601,3\n", encoding="utf-8")
    return town


def test_every_problem_of_the_files_at_once_each_at_its_line(town: Town) -> None:
    path = town.sources / "sf.yml"
    listed = "use a column of the header (listed below)"
    assert check_mapping_file(path) == [
        f"{path}:13: column 'kind' (for inspection_type, case_type) is not in the header of "
        f"2 files (inspections_1.csv, inspections_2.csv); {listed}",
        f"{path}:15: column 'postal' (for zip) is not in the header of inspections_2.csv; {listed}",
        f"{path}:8: column 'business' (for id_from part 1) is not in the header of 2 files "
        f"(inspections_1.csv, inspections_2.csv); {listed}",
        f"{path}:9: the header of inspections_1.csv is biz, date, result, postal; map each "
        "canonical column to one of these",
        f"{path}:16: column 'risk' (for join register) is not in the header of register.csv; "
        f"{listed}",
        f"{path}:20: the header of register.csv is business_id, name; name one of these in join "
        "register",
        f"{path}:25: column 'date' (for join violations) is not in the header of "
        "violations.csv; did you mean 'dates'?",
        f"{path}:23: the header of violations.csv is business_id, dates, fixed_on; name one of "
        "these in join violations",
        f"{path}:29: due rule key 'outcome' is not mapped, so the rule would derive no due_at; "
        "map outcome under columns (or constants), or remove the rule",
        f"{path}:30: {town.sources / 'crosswalk.csv'}: the district crosswalk has no "
        "council_district column (its header: zip, district); write it as zip,council_district",
    ]


def test_the_run_stops_on_what_the_check_reports(town: Town) -> None:
    # With the headers fixed, the crosswalk is what is left: the run stops on it too.
    town.extract(
        "inspections_1.csv", "business,date,result,postal,kind\nB1,2024-03-01,Pass,60601,A\n"
    )
    town.extract(
        "inspections_2.csv", "business,date,result,postal,kind\nB2,2024-03-02,Fail,60602,A\n"
    )
    town.extract("register.csv", "business_id,risk\nB1,High\n")
    town.extract("violations.csv", "business_id,date,fixed_on\nB1,2024-03-01,2024-03-09\n")
    path = town.sources / "sf.yml"
    crosswalk = town.sources / "crosswalk.csv"
    problems = check_mapping_file(path)
    assert [p.split(": ", 1)[0] for p in problems] == [f"{path}:29", f"{path}:30"]
    metrics = town.metrics(
        ["sf"], metric("n", "unit: cases\nkind: count\ntable: inspections\ndimensions: []\n")
    )
    with pytest.raises(extract.LoadError) as err:
        run_pipeline(metrics, town.warehouse)
    assert str(err.value) == (
        f"{crosswalk}: the district crosswalk has no council_district column (its header: zip, "
        "district); write it as zip,council_district"
    )
    crosswalk.unlink()
    assert check_mapping_file(path)[1] == (
        f"{path}:30: {crosswalk}: the district crosswalk named by district_from_zip in "
        "sources/sf.yml is missing; restore the file or correct district_from_zip"
    )


def test_a_missing_join_file_and_main_files_are_each_named(town: Town) -> None:
    (town.extracts / "register.csv").unlink()
    for name in ("inspections_1.csv", "inspections_2.csv"):
        (town.extracts / name).unlink()
    path = town.sources / "sf.yml"
    problems = check_mapping_file(path)
    assert problems[:2] == [
        f"{path}:5: source 'sf': no file matches {town.extracts / 'inspections_*.csv'}; put the "
        "extract there, or change files.pattern (and files.root) in its mapping to where it is",
        f"{path}:21: source 'sf', join 'register': no file matches "
        f"{town.extracts / 'register.csv'}; check joins.files.pattern in sources/sf.yml",
    ]


def test_the_mapping_and_the_city_zone_are_reported_together(
    town: Town, monkeypatch: pytest.MonkeyPatch
) -> None:
    (town.root / "city.yml").write_text(
        "name: Town\ntimezone: America/New_York\nsources: [sf]\n"
        "departments: [{id: licenses, name: Licenses}]\n",
        encoding="utf-8",
    )
    path = town.mapping(
        "sf",
        textwrap.dedent(JOINED).replace("  zip: postal\n", "  zip: postal\n  latitude: lat\n")
        + "foo: 1\n",
    )
    with pytest.raises(MappingError) as err:
        load_mapping(path)
    assert err.value.problems == [
        f"{path}:32: unknown key 'foo'; remove it or check its spelling",
        f"{path}:16: latitude is mapped but the mapping has no bounds; add 'bounds: {{lat_min: "
        "..., lat_max: ..., lon_min: ..., lon_max: ...}' (the city's coordinate box: points "
        "outside it, such as 0,0 placeholders, are cleared), or remove the coordinates",
        f"{path}:6: timezone America/Chicago is not the city's (America/New_York, in "
        f"{town.root / 'city.yml'}); timestamps are stored in the city's local time, so remove "
        "this line (a source in UTC says timestamps.kind: instant)",
    ]


def test_an_unknown_files_root_is_named_at_its_line(town: Town) -> None:
    path = town.mapping(
        "sf",
        JOINED.replace(
            "files: {pattern: town/inspections", "files: {root: archive, pattern: town/inspections"
        ),
    )
    with pytest.raises(MappingError) as err:
        load_source("sf")
    assert err.value.problems == [
        f"{path}:5: files.root 'archive' is not a folder of this city; use one of data, real, "
        f"or add it under 'folders:' in {town.root / 'city.yml'}"
    ]


def test_sources_list_lists_every_mapping_and_fails_for_the_broken_one(town: Town) -> None:
    # sf's mapping, renamed, with one unknown key after its 30 lines.
    town.mapping("broken", JOINED.replace("source: sf", "source: broken") + "    unknown: 1\n")
    result = CliRunner().invoke(main, ["sources", "list"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    broken = town.sources / "broken.yml"
    assert lines[0] == (
        f"broken does not load    {broken}:31: unknown key 'unknown'; remove it or check its "
        "spelling"
    )
    assert (
        lines[-2]
        == "sf     2 file(s)        Town inspections with a business register and violations"
    )
    assert lines[-1] == (
        "1 mapping did not load; `citystat sources check NAME` lists every problem with its line"
    )
    assert "Traceback" not in result.output


def test_no_hint_lists_nothing() -> None:
    assert one_of([], when_none="add a channel first") == "add a channel first"
    assert one_of(["a", "b"], when_none="x") == "use one of: a, b"
    assert did_you_mean("x", [], when_none="add one") == "add one"
    assert did_you_mean("zzz", ["alpha", "beta"]) == "use one of: alpha, beta"


def test_no_command_prints_an_empty_choice_list(town: Town) -> None:
    empty = town.metrics([], name="metrics.yml").read_text(encoding="utf-8")
    assert empty.endswith("metrics:\n")
    (town.root / "metrics.yml").write_text(empty + "  []\n", encoding="utf-8")
    result = CliRunner().invoke(
        main, ["metrics", "explain", "nosuch", "--file", str(town.root / "metrics.yml")]
    )
    assert result.exit_code == 1
    assert "use one of: \n" not in result.output and "known metrics: \n" not in result.output
    assert result.output.endswith(
        "metrics.yml: no metric 'nosuch'; it defines no metric yet: add one under 'metrics:'\n"
    )
