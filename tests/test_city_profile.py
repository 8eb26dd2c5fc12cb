"""city.yml: the profile every check reads, its registry of departments, and --city."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipelines.city.loader import check_city_file, load_city
from pipelines.city.paths import confined, file_root, sources_dir
from pipelines.cli.main import main
from pipelines.ingest.mapping_files import MappingError, load_mapping
from pipelines.metrics import check_metrics_file, load_metrics
from pipelines.warehouse import layout
from tests.metrics_support import config_text, metric_yaml

COUNT_BODY = "unit: requests\nkind: count\n"

ROOT = layout.PROJECT_ROOT

CITY = """\
name: Testville
timezone: America/Chicago
fiscal_year_start_month: 1
sources: []
departments:
  - {id: streets, name: Streets Department}
  - {id: licenses_inspections, name: Licenses and Inspections}
districts:
  districts:
    - {id: "00", name: Downtown}
    - {id: "07", name: Harbour}
"""

METRIC = """\
  - id: {id}
    label: Test metric
    description: A metric for tests.
    methodology: Worked out by hand.
    department: {department}
    owner: Tester
    unit: requests
    kind: count
"""


def _metrics(*departments: str, header: str = "") -> str:
    body = "".join(
        METRIC.format(id=f"m{index}", department=dept) for index, dept in enumerate(departments)
    )
    return header + "defaults: {min_count: 1, grains: [month]}\nmetrics:\n" + body


def _city(tmp_path: Path, city: str = CITY) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "city.yml").write_text(city)
    return tmp_path


def test_the_demo_city_is_the_repository_root() -> None:
    profile = load_city(ROOT)
    assert (profile.name, profile.timezone, profile.fiscal_year_start_month) == (
        "Philadelphia",
        "America/New_York",
        7,
    )
    assert profile.department_name("licenses_inspections") == "Licenses and Inspections"
    config = load_metrics(ROOT / "metrics.yml")
    # One id per department: the scorecard, leadership and meetings see one L&I, not two.
    assert {m.department for m in config.metrics} <= {d.id for d in profile.departments}
    assert len({m.department for m in config.metrics if "inspection" in m.id}) == 1


def test_district_ids_stay_text(tmp_path: Path) -> None:
    profile = load_city(_city(tmp_path))
    assert profile.districts is not None
    assert [d.id for d in profile.districts.districts] == ["00", "07"]
    unquoted = CITY.replace('{id: "07", name: Harbour}', "{id: 7, name: Harbour}")
    assert [str(i) for i in check_city_file(_city(tmp_path, unquoted) / "city.yml")] == [
        "city.yml:11: city.yml: 'districts.districts[1].id' should be a valid string, got 7; "
        "write text (quote it if YAML reads it as something else)"
    ]


def test_every_problem_of_city_yml_is_reported_at_its_line(tmp_path: Path) -> None:
    bad = (
        CITY.replace("America/Chicago", "Mars/Olympus")
        .replace("fiscal_year_start_month: 1", "fiscal_year_start_month: 13")
        .replace("name: Testville\n", "name: Testville\nmayor: Someone\n")
    )
    issues = [str(i) for i in check_city_file(_city(tmp_path, bad) / "city.yml")]
    assert issues == [
        "city.yml:2: unknown key 'mayor' in city.yml; use one of: name, timezone, "
        "fiscal_year_start_month, sources, mappings, folders, departments, districts, population, "
        "languages",
        "city.yml:3: city.yml: 'timezone' unknown time zone 'Mars/Olympus'; use an IANA name "
        "such as America/Chicago",
        "city.yml:4: city.yml: 'fiscal_year_start_month' should be less than or equal to 12, "
        "got 13; use a smaller number",
    ]


def test_a_department_listed_twice_is_an_error_at_both_lines(tmp_path: Path) -> None:
    twice = CITY.replace(
        "  - {id: licenses_inspections, name: Licenses and Inspections}\n",
        "  - {id: licenses_inspections, name: Licenses and Inspections}\n"
        "  - {id: licenses_inspections, name: License & Inspections}\n"
        "  - {id: li, name: licenses and inspections}\n",
    )
    issues = [str(i) for i in check_city_file(_city(tmp_path, twice) / "city.yml")]
    assert issues == [
        "city.yml:8: department id 'licenses_inspections' is also on line 7; keep one entry per "
        "department and name it by one id everywhere",
        "city.yml:9: department name 'licenses and inspections' is also on line 7; keep one "
        "entry per department and name it by one id everywhere",
    ]


def test_metrics_check_names_both_spellings_of_one_department(tmp_path: Path) -> None:
    # The one-file form (no city.yml): two spellings of L&I, each line named.
    path = tmp_path / "metrics.yml"
    header = "city: {name: Testville}\n"
    path.write_text(_metrics("License & Inspections", "Licenses and Inspections", header=header))
    assert [str(i) for i in check_metrics_file(path)] == [
        "metrics.yml:16: metric 'm1': department 'Licenses and Inspections' (line 16) and "
        "'License & Inspections' (line 8) look like one department written two ways; write it "
        "one way everywhere; a city.yml registry names each department once, by id"
    ]


def test_with_a_registry_each_department_is_an_id(tmp_path: Path) -> None:
    path = _city(tmp_path) / "metrics.yml"
    path.write_text(_metrics("License & Inspections", "Licenses and Inspections", "streets"))
    assert [str(i) for i in check_metrics_file(path)] == [
        "metrics.yml:7: metric 'm0': department 'License & Inspections' is not a department id "
        "in city.yml; did you mean 'licenses_inspections' (Licenses and Inspections)?",
        "metrics.yml:15: metric 'm1': department 'Licenses and Inspections' is not a department "
        "id in city.yml; write its id 'licenses_inspections'",
    ]


def test_city_yml_and_metrics_yml_problems_are_reported_together(tmp_path: Path) -> None:
    _city(tmp_path, CITY.replace("America/Chicago", "Chicago"))
    path = tmp_path / "metrics.yml"
    path.write_text(_metrics("streets", header="city: {name: Testville}\n"))
    issues = [str(i) for i in check_metrics_file(path)]
    assert [i.split(":")[0:2] for i in issues] == [["city.yml", "2"], ["metrics.yml", "1"]]
    assert "the city is described in city.yml beside this file" in issues[1]


def test_the_city_option_selects_every_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(layout.CITY_ENV, raising=False)
    for name in ("CITYSTAT_DATA_DIR", "CITYSTAT_METRICS_FILE", "CITYSTAT_WAREHOUSE"):
        monkeypatch.delenv(name, raising=False)
    city = _city(tmp_path / "testville")
    (city / "metrics.yml").write_text(config_text(metric_yaml("m", COUNT_BODY)))
    result = CliRunner().invoke(main, ["--city", str(city), "metrics", "check"])
    # The one-file city: section is refused because city.yml is there: --city reached the check.
    assert result.exit_code == 1
    assert "metrics.yml:1: the city is described in city.yml beside this file" in result.output
    assert layout.city_dir() == city.resolve()
    assert layout.warehouse_path() == city.resolve() / "data" / "citystat.duckdb"
    assert sources_dir() == city.resolve() / "sources"


def test_in_city_is_undone_after_the_block(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(layout.CITY_ENV, raising=False)
    with layout.in_city(tmp_path):
        assert layout.metrics_file() == tmp_path.resolve() / "metrics.yml"
    assert layout.city_dir() == ROOT


def test_a_mapping_in_another_zone_than_the_city_is_refused(tmp_path: Path) -> None:
    mapping = (ROOT / "pipelines" / "sources" / "philadelphia_311_demo.yml").read_text()
    path = tmp_path / "m.yml"
    path.write_text(mapping.replace("timezone: America/New_York", "timezone: America/Chicago"))
    with pytest.raises(MappingError, match=r"m\.yml:\d+: timezone America/Chicago is not the"):
        load_mapping(path)
    # Without a timezone line the mapping takes the city's.
    path.write_text("\n".join(x for x in mapping.splitlines() if not x.startswith("timezone:")))
    assert load_mapping(path).timezone == "America/New_York"


def test_file_roots_stay_inside_their_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    city = _city(tmp_path, CITY + "folders: {extracts: /srv/city/extracts, inbox: inbox}\n")
    monkeypatch.setenv(layout.CITY_ENV, str(city))
    monkeypatch.delenv("CITYSTAT_DATA_DIR", raising=False)
    assert file_root("extracts") == Path("/srv/city/extracts")
    assert file_root("inbox") == city.resolve() / "inbox"
    assert file_root("data") == city.resolve() / "data"
    with pytest.raises(ValueError, match="'archive' is not a folder of this city; use one of"):
        file_root("archive")
    assert confined(tmp_path, "a/*.csv") and not confined(tmp_path, "../x.csv")
    mapping = (ROOT / "pipelines" / "sources" / "philadelphia_311_demo.yml").read_text()
    escape = tmp_path / "escape.yml"
    escape.write_text(mapping.replace("pattern: ", "pattern: ../../etc/", 1))
    with pytest.raises(MappingError, match="leaves its root folder"):
        load_mapping(escape)


def test_a_copied_demo_city_runs_checks_from_its_own_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    city = tmp_path / "copy"
    city.mkdir()
    for name in ("city.yml", "metrics.yml", "services.yml"):
        shutil.copy(ROOT / name, city / name)
    monkeypatch.delenv("CITYSTAT_SERVICES_FILE", raising=False)
    result = CliRunner().invoke(main, ["--city", str(city), "metrics", "check"])
    assert result.exit_code == 0, result.output
    assert "services.yml agrees" in result.output


def test_an_edited_city_yml_is_read_again(tmp_path: Path) -> None:
    # The parsed profile is kept for the same text only: an edit between two loads shows.
    folder = _city(tmp_path)
    assert load_city(folder).timezone == "America/Chicago"
    assert load_city(folder) is load_city(folder)
    _city(tmp_path, CITY.replace("America/Chicago", "America/Denver"))
    assert load_city(folder).timezone == "America/Denver"
