"""No input reaches SQL except as a bound parameter (pipeline side).

Injection strings go through every CLI argument that reaches SQL (metric ids of explain and
preview, preview's dimension, source names, warehouse and extract paths with quotes) and
through configuration values (a status word, a constant, a metric filter value). Each must be
refused as unknown or kept verbatim as data; the warehouse's tables must all survive.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from pipelines.cli.main import main
from pipelines.run.pipeline import run_pipeline
from tests.metrics_support import config_text, metric_yaml
from tests.test_publish import Town, use_town

INJECTIONS = [
    "x'); DROP TABLE service_requests; --",
    'x"; DROP TABLE metric_values; --',
    "1 OR 1=1",
    "'; ATTACH 'evil.duckdb' AS evil; --",
    "$source",
]
DROP = INJECTIONS[0]

MAPPING = f"""source: town
title: Town 311
city: Town
files: {{pattern: "town/*.csv"}}
timezone: America/Chicago
timestamps: {{formats: ["%Y-%m-%d %H:%M"]}}
columns: {{request_id: id, opened_at: opened, status: state, service_name: service}}
constants: {{department: {DROP!r}}}
statuses: {{Open: open, {DROP!r}: closed}}
bounds: {{lat_min: 1, lat_max: 2, lon_min: 3, lon_max: 4}}
"""
# A status word, a service name and a file name that are SQL; a metric counting one of them.
EXTRACT = (
    "id,opened,state,service\n"
    "A1,2024-01-05 08:00,Open,Pothole\n"
    f'A2,2024-01-06 08:00,"{DROP}","{DROP}"\n'
    f'A3,2024-01-07 08:00,Open,"{DROP}"\n'
)
FILE_NAME = 'it\'s "quoted"; DROP TABLE load_files; --.csv'
TABLES = {"service_requests", "metric_values", "load_files", "runs", "quarantine"}


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Town:
    """A town published once, in a folder whose name holds quotes."""
    root = tmp_path_factory.mktemp("security") / 'o\'brien "county"'
    built = Town(root, root / "sources", root / "data", root / "metrics.yml")
    built.sources.mkdir(parents=True)
    built.extracts.mkdir(parents=True)
    (built.sources / "town.yml").write_text(MAPPING, encoding="utf-8")
    (built.extracts / FILE_NAME).write_text(EXTRACT, encoding="utf-8")
    filtered = (
        "unit: requests\nkind: count\n"
        f"filter: [{{column: service_name, op: '=', value: {DROP!r}}}]\n"
    )
    built.metrics.write_text(
        config_text(
            metric_yaml("sql_named", filtered), metric_yaml("all", "unit: requests\nkind: count\n")
        ).replace("fiscal_year_start_month: 7}", "fiscal_year_start_month: 7, sources: [town]}"),
        encoding="utf-8",
    )
    with pytest.MonkeyPatch.context() as mp:
        use_town(built, mp)
        assert run_pipeline(built.metrics, built.warehouse).published
    return built


@pytest.fixture
def town(published: Town, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Town:
    """The published town with its own copy of metrics.yml and the mappings, wired in."""
    sources = tmp_path / "sources"
    shutil.copytree(published.sources, sources)
    metrics = tmp_path / "metrics.yml"
    shutil.copyfile(published.metrics, metrics)
    town = Town(published.root, sources, published.data, metrics)
    use_town(town, monkeypatch)
    return town


def _tables(warehouse: Path) -> set[str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {str(r[0]) for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}


def test_configuration_values_and_file_names_are_data(town: Town) -> None:
    with duckdb.connect(str(town.warehouse), read_only=True) as con:
        rows = con.execute(
            "SELECT request_id, status, status_raw, service_name, department, source_file "
            "FROM service_requests ORDER BY 1"
        ).fetchall()
        counts = dict(
            con.execute(
                "SELECT metric_id, value FROM metric_values WHERE grain = 'month' "
                "AND dimension = 'citywide'"
            ).fetchall()
        )
        (files,) = con.execute("SELECT list(file) FROM load_files").fetchone() or ([],)
    # The status word maps as any other, the constant and names are kept verbatim.
    assert rows == [
        ("A1", "open", "Open", "Pothole", DROP, FILE_NAME),
        ("A2", "closed", DROP, DROP, DROP, FILE_NAME),
        ("A3", "open", "Open", DROP, DROP, FILE_NAME),
    ]
    # The filter value is compared as a value: 2 of the 3 requests carry that service name.
    assert counts == {"sql_named": 2.0, "all": 3.0}
    assert files == [FILE_NAME]
    assert _tables(town.warehouse) >= TABLES


@pytest.mark.parametrize("attack", INJECTIONS)
def test_metric_ids_and_dimensions_from_the_command_line_are_checked(
    town: Town, attack: str
) -> None:
    runner = CliRunner()
    metrics = ["--file", str(town.metrics)]
    explain = runner.invoke(main, ["metrics", "explain", attack, *metrics])
    assert explain.exit_code == 1
    assert f"no metric '{attack}'; known metrics: sql_named, all" in explain.output
    preview = ["metrics", "preview", *metrics, "--warehouse", str(town.warehouse)]
    result = runner.invoke(main, [*preview, attack])
    assert result.exit_code == 1 and f"no metric '{attack}'" in result.output
    result = runner.invoke(main, [*preview, "all", "--dimension", attack])
    assert result.exit_code == 1
    assert f"all: no '{attack}' breakdown; choose one of citywide" in result.output
    result = runner.invoke(main, [*preview, "all", "--grain", attack])
    assert result.exit_code == 2 and "Invalid value for '--grain'" in result.output
    assert _tables(town.warehouse) >= TABLES


@pytest.mark.parametrize("attack", INJECTIONS)
def test_source_names_are_looked_up_as_files_never_as_sql(town: Town, attack: str) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["sources", "check", attack])
    assert result.exit_code != 0 and "Traceback" not in result.output
    # A source listed in metrics.yml: refused because there is no mapping of that name.
    town.metrics.write_text(
        town.metrics.read_text().replace("sources: [town]", f"sources: [town, {attack!r}]")
    )
    result = runner.invoke(
        main, ["run", "--metrics", str(town.metrics), "--warehouse", str(town.warehouse)]
    )
    assert result.exit_code == 1
    assert f"city.yml's sources list '{attack}', but" in " ".join(result.output.split())
    assert _tables(town.warehouse) >= TABLES


def test_a_mapping_cannot_name_a_source_that_is_not_an_identifier(town: Town) -> None:
    mapping = town.sources / "town.yml"
    mapping.write_text(mapping.read_text().replace("source: town", f"source: {DROP!r}"))
    result = CliRunner().invoke(
        main, ["run", "--metrics", str(town.metrics), "--warehouse", str(town.warehouse)]
    )
    assert result.exit_code == 1
    assert f"{mapping}:1: source: String should match pattern '^[a-z][a-z0-9_]*$'" in (
        result.output
    )
    assert _tables(town.warehouse) >= TABLES
