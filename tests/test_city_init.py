"""`citystat init DIR`: a new city's commented folder, checks that pass or say what to fill in."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from pydantic import BaseModel
from ruamel.yaml import YAML

from pipelines.catalog.model import Priority, Service, ServicesFile
from pipelines.city.loader import load_city
from pipelines.city.model import CityProfile, DistrictLayer
from pipelines.city.scaffold import FILES
from pipelines.cli.main import main
from pipelines.ingest.mapping import SourceMapping
from pipelines.metrics.model import Defaults, Metric

WRITTEN = [
    "city.yml",
    "metrics.yml",
    "services.yml",
    "sources/example_311.yml",
    "README.md",
    "data/.gitignore",
]


def _citystat(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def springfield(tmp_path: Path) -> Path:
    folder = tmp_path / "springfield"
    result = _citystat(
        "init", str(folder), "--name", "Springfield", "--timezone", "America/Chicago",
        "--fiscal-year-start", "10",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return folder


def test_init_writes_every_file_and_says_what_next(tmp_path: Path) -> None:
    folder = tmp_path / "springfield"
    result = _citystat("init", str(folder), "--timezone", "America/Chicago")
    assert result.exit_code == 0, result.output
    assert sorted(FILES.values()) == sorted(WRITTEN)
    assert [line for line in result.output.splitlines() if line.startswith("wrote ")] == [
        f"wrote {folder / name}" for name in WRITTEN
    ]
    assert (folder / "data" / "311").is_dir()  # where the mapping's pattern looks
    assert f"put the city's 311 extract in {folder / 'data/311'}/" in result.output
    assert f"--city {folder} sources check" in result.output
    profile = load_city(folder)
    # The name comes from the folder; the fiscal year starts in July unless told.
    assert (profile.name, profile.timezone, profile.fiscal_year_start_month) == (
        "Springfield",
        "America/Chicago",
        7,
    )
    assert profile.source_names == ["example_311"] and profile.mappings == "sources"
    assert (folder / "data" / ".gitignore").read_text().splitlines()[-2:] == ["*", "!.gitignore"]


def test_the_options_fill_the_templates(springfield: Path) -> None:
    profile = load_city(springfield)
    assert (profile.name, profile.timezone, profile.fiscal_year_start_month) == (
        "Springfield",
        "America/Chicago",
        10,
    )
    mapping = YAML(typ="safe").load((springfield / "sources/example_311.yml").read_text())
    assert (mapping["city"], mapping["title"]) == (
        "Springfield",
        "Springfield 311 service requests",
    )
    readme = (springfield / "README.md").read_text()
    assert readme.startswith("# Springfield in citystat")
    assert f".venv/bin/citystat --city {springfield} sources check" in readme
    assert f"CITYSTAT_CITY={springfield} .venv/bin/streamlit run dashboard/app.py" in readme
    for name in ("city.yml", "metrics.yml", "services.yml", "sources/example_311.yml"):
        assert "{{" not in (springfield / name).read_text(), name


def test_the_written_folder_passes_metrics_check(springfield: Path) -> None:
    result = _citystat("--city", str(springfield), "metrics", "check")
    assert result.exit_code == 0, result.output
    assert result.output == "metrics.yml: 4 metrics, no problems found (services.yml agrees)\n"


def test_without_an_extract_sources_check_says_where_to_put_it(springfield: Path) -> None:
    mapping = springfield / "sources/example_311.yml"
    line = mapping.read_text().splitlines().index("files:") + 1
    result = _citystat("--city", str(springfield), "sources", "check")
    assert result.exit_code == 1
    assert result.output == (
        f"{mapping}:{line}: source 'example_311': no file matches "
        f"{springfield / 'data/311/*.csv'}; put the extract there, or change files.pattern "
        "(and files.root) in its mapping to where it is\n"
    )


# A file in the layout the template mapping describes (Open311-style names, ISO times).
OPEN311_CSV = (
    "service_request_id,service_code,service_name,agency_responsible,status,requested_datetime,"
    "closed_datetime,expected_datetime,updated_datetime,source,zipcode,council_district,lat,long\n"
    "101,PTH,Pothole,Public Works,closed,2025-04-01 08:00:00,2025-04-02T09:00:00-05:00,"
    "2025-04-04 08:00:00,2025-04-02 09:00:00,phone,62701,1,39.80,-89.65\n"
    "102,GRF,Graffiti,Public Works,open,2025-04-03 10:00:00,,2025-04-10 10:00:00,"
    "2025-04-03 10:00:00,app,62702.0,02,39.81,-89.64\n"
)


def test_the_mapping_as_written_passes_once_a_file_has_its_columns(springfield: Path) -> None:
    (springfield / "data/311/requests.csv").write_text(OPEN311_CSV, encoding="utf-8")
    result = _citystat("--city", str(springfield), "sources", "check")
    assert result.exit_code == 0, result.output
    assert result.output == "example_311: no problems found\n"


def test_an_existing_city_is_not_overwritten(springfield: Path) -> None:
    (springfield / "metrics.yml").write_text("# the city's own metrics\n", encoding="utf-8")
    (springfield / "data/311/requests.csv").write_text(OPEN311_CSV, encoding="utf-8")
    result = _citystat("init", str(springfield), "--timezone", "America/Chicago")
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {springfield} is a city already (city.yml, metrics.yml, services.yml, "
        "sources/example_311.yml, README.md exist); nothing was written. Work on it with "
        "--city, or pass --force to overwrite these files with the templates (the extracts and "
        "warehouse in data/ are never touched)\n"
    )
    assert (springfield / "metrics.yml").read_text() == "# the city's own metrics\n"
    forced = _citystat("init", str(springfield), "--timezone", "America/Chicago", "--force")
    assert forced.exit_code == 0, forced.output
    assert "defaults:" in (springfield / "metrics.yml").read_text()
    assert (springfield / "data/311/requests.csv").read_text() == OPEN311_CSV


def test_a_folder_with_only_a_city_yml_is_refused_too(tmp_path: Path) -> None:
    (tmp_path / "city.yml").write_text("name: Elsewhere\n", encoding="utf-8")
    result = _citystat("init", str(tmp_path), "--timezone", "UTC")
    assert result.exit_code == 1
    assert "(city.yml exist); nothing was written" in result.output
    assert not (tmp_path / "metrics.yml").exists()


@pytest.mark.parametrize(
    ("zone", "hint"),
    [
        ("America/Chicgo", "did you mean America/Chicago?"),
        ("america/chicago", "did you mean America/Chicago?"),
        ("Mars/Olympus", "use an IANA name such as America/Chicago"),
    ],
)
def test_an_unknown_zone_is_refused_with_a_hint(tmp_path: Path, zone: str, hint: str) -> None:
    result = _citystat("init", str(tmp_path / "town"), "--timezone", zone)
    assert result.exit_code == 1
    assert result.output == f"Error: --timezone: unknown time zone {zone!r}; {hint}\n"
    assert not (tmp_path / "town").exists()


def test_a_fiscal_month_out_of_range_is_refused(tmp_path: Path) -> None:
    result = _citystat("init", str(tmp_path / "town"), "--fiscal-year-start", "13")
    assert result.exit_code == 2
    assert "13 is not in the range 1<=x<=12" in result.output
    assert not (tmp_path / "town").exists()


def test_without_a_zone_the_checks_say_where_to_fill_it_in(tmp_path: Path) -> None:
    folder = tmp_path / "town"
    result = _citystat("init", str(folder), "--name", "Town")
    assert result.exit_code == 0, result.output
    line = next(
        i
        for i, text in enumerate((folder / "city.yml").read_text().splitlines(), 1)
        if text == "timezone: Area/City    # fill in: the city's zone"
    )
    assert (
        f"{folder / 'city.yml'}:{line}: fill in the city's time zone in place of Area/City "
        "(an IANA name such as America/Chicago)"
    ) in result.output
    problem = (
        f"city.yml:{line}: city.yml: 'timezone' unknown time zone 'Area/City'; use an IANA name "
        "such as America/Chicago"
    )
    check = _citystat("--city", str(folder), "metrics", "check")
    assert check.exit_code == 1
    assert check.output == f"{problem}\n1 problem found\n"
    for command in (["sources", "check"], ["sources", "list"]):
        result = _citystat("--city", str(folder), *command)
        assert (result.exit_code, result.output) == (1, f"{problem}\n"), command


def test_replacing_the_example_departments_names_every_line_to_change(springfield: Path) -> None:
    city = springfield / "city.yml"
    city.write_text(
        city.read_text().replace(
            "  - {id: customer_service, name: 311 Customer Service}\n",
            "  - {id: cs, name: 311 Service}\n",
        )
    )
    result = _citystat("--city", str(springfield), "metrics", "check")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[-1] == "4 problems found"
    assert all("department 'customer_service'" in line for line in lines[:-1]), lines
    assert all(line.startswith("metrics.yml:") for line in lines[:-1]), lines


def test_a_name_yaml_would_misread_is_written_quoted(tmp_path: Path) -> None:
    folder = tmp_path / "ws"
    name = 'Winston-Salem: "Twin City" #1'
    result = _citystat("init", str(folder), "--name", name, "--timezone", "America/New_York")
    assert result.exit_code == 0, result.output
    assert load_city(folder).name == name
    mapping = YAML(typ="safe").load((folder / "sources/example_311.yml").read_text())
    assert mapping["city"] == name


def test_a_name_on_two_lines_is_refused(tmp_path: Path) -> None:
    result = _citystat("init", str(tmp_path / "t"), "--name", "Two\nLines", "--timezone", "UTC")
    assert result.exit_code == 1
    assert "the name 'Two\\nLines' cannot be used; give --name as one line of text" in result.output


def _explained(text: str, key: str) -> bool:
    """True when a template's comments name ``key``, or its line has or follows a comment."""
    lines = text.splitlines()
    comments = "\n".join(line.split("#", 1)[1] for line in lines if "#" in line)
    if re.search(rf"\b{key}\b", comments):
        return True
    return any(
        re.match(rf"\s*(- )?{key}:", line)
        and ("#" in line or lines[i - 1].lstrip().startswith("#"))
        for i, line in enumerate(lines)
        if i > 0
    )


@pytest.mark.parametrize(
    ("template", "models"),
    [
        ("city.yml", [CityProfile, DistrictLayer]),
        ("metrics.yml", [Defaults, Metric]),
        ("services.yml", [ServicesFile, Service, Priority]),
        ("sources/example_311.yml", [SourceMapping]),
    ],
)
def test_every_key_is_explained_in_the_templates_comments(
    springfield: Path, template: str, models: list[type[BaseModel]]
) -> None:
    text = (springfield / template).read_text()
    for model in models:
        for name, field in model.model_fields.items():
            key = field.alias or name
            if key == "demo":  # the generated demo city's flag, not for a real city
                continue
            assert _explained(text, key), f"{template}: '{key}' is not explained"
