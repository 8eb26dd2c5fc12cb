"""The `metrics` click group: check, explain and preview."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from pipelines.cli.metrics import metrics
from pipelines.warehouse.schema import create_schema
from tests.dashboard_fixture import SERVICES_YML
from tests.metrics_support import config_text, metric_yaml

ROOT = Path(__file__).resolve().parent.parent
COUNT = metric_yaml("opened", "unit: requests\nkind: count\n")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "metrics.yml"
    path.write_text(text)
    return path


def test_check_real_file_is_clean() -> None:
    result = CliRunner().invoke(metrics, ["check", "--file", str(ROOT / "metrics.yml")])
    assert result.exit_code == 0, result.output
    # Warnings (on stderr) come first; the verdict line says how many there were.
    verdict = [line for line in result.output.splitlines() if line.startswith("metrics.yml: ")]
    assert len(verdict) == 1 and "no problems found" in verdict[0]


def test_check_prints_one_line_per_issue_and_fails(tmp_path: Path) -> None:
    bad = config_text(
        metric_yaml("a", "unit: requests\nkind: cont\n"),
        metric_yaml("b", "unit: requests\nkind: count\ngrains: [dayly]\n"),
    )
    result = CliRunner().invoke(metrics, ["check", "--file", str(write(tmp_path, bad))])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "metrics.yml:11: metric 'a': unknown kind 'cont'; did you mean 'count'?",
        "metrics.yml:20: unknown grain 'dayly'; use one of: week, month, quarter, fiscal_year",
        "2 problems found",
    ]
    assert "Traceback" not in result.output


def test_explain_prints_sql_and_parameters() -> None:
    result = CliRunner().invoke(
        metrics, ["explain", "street_defect_on_time", "--file", str(ROOT / "metrics.yml")]
    )
    assert result.exit_code == 0, result.output
    assert "GROUPING SETS" in result.output
    assert "$as_of = <the data's as-of timestamp" in result.output
    assert "'Street Defect'" in result.output


def test_explain_unknown_metric_is_one_clean_line(tmp_path: Path) -> None:
    path = write(tmp_path, config_text(COUNT))
    result = CliRunner().invoke(metrics, ["explain", "opend", "--file", str(path)])
    assert result.exit_code == 1
    assert result.output == "metrics.yml: no metric 'opend'; known metrics: opened\n"


def test_explain_with_broken_file_lists_issues(tmp_path: Path) -> None:
    path = write(tmp_path, "city: [\n")
    result = CliRunner().invoke(metrics, ["explain", "opened", "--file", str(path)])
    assert result.exit_code == 1
    assert result.output.startswith("metrics.yml:2: invalid YAML:")
    assert len(result.output.splitlines()) == 1


def _warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "citystat.duckdb"
    with duckdb.connect(str(path)) as con:
        create_schema(con)
        for day, district in [("2024-01-10", "1"), ("2024-02-10", "1"), ("2024-02-11", "2")]:
            con.execute(
                "INSERT INTO service_requests (request_id, opened_at, council_district) "
                "VALUES (?, ?, ?)",
                [day, datetime.fromisoformat(day), district],
            )
    return path


def test_preview_prints_latest_periods_without_writing(tmp_path: Path) -> None:
    wh = _warehouse(tmp_path)
    path = write(tmp_path, config_text(COUNT))
    args = ["preview", "opened", "--file", str(path), "--warehouse", str(wh), "--periods", "1"]
    result = CliRunner().invoke(metrics, args)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    # Header plus February, citywide by default: 2 requests.
    assert len(lines) == 2
    assert "2024-02" in lines[1] and "Citywide" in lines[1] and "2.0" in lines[1]
    with duckdb.connect(str(wh), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM metric_values").fetchone() == (0,)

    by_district = CliRunner().invoke(metrics, [*args, "--dimension", "council_district"])
    # February by district: district 1 -> 1, district 2 -> 1.
    rows = [line.split() for line in by_district.output.splitlines()[1:]]
    assert [(r[1], r[3], r[4]) for r in rows] == [("2024-02", "1", "1.0"), ("2024-02", "2", "1.0")]

    unknown = CliRunner().invoke(metrics, [*args, "--dimension", "ward"])
    assert unknown.exit_code == 1
    assert unknown.output == (
        "opened: no 'ward' breakdown; choose one of citywide, council_district\n"
    )


def test_preview_rejects_a_grain_the_metric_lacks(tmp_path: Path) -> None:
    wh = _warehouse(tmp_path)
    monthly = metric_yaml("opened", "unit: requests\nkind: count\ngrains: [month]\n")
    path = write(tmp_path, config_text(monthly))
    args = ["preview", "opened", "--grain", "week", "--file", str(path), "--warehouse", str(wh)]
    result = CliRunner().invoke(metrics, args)
    assert result.exit_code == 1
    assert result.output == (f"{wh}: metric 'opened' has no grain 'week'; use one of: month\n")


def test_preview_without_warehouse(tmp_path: Path) -> None:
    path = write(tmp_path, config_text(COUNT))
    missing = tmp_path / "none.duckdb"
    args = ["preview", "opened", "--file", str(path), "--warehouse", str(missing)]
    result = CliRunner().invoke(metrics, args)
    assert result.exit_code == 1
    assert (
        result.output
        == f"{missing}: no warehouse here; run `citystat run` first or pass --warehouse\n"
    )


def test_every_command_has_help() -> None:
    for command in ("check", "explain", "preview"):
        result = CliRunner().invoke(metrics, [command, "--help"])
        assert result.exit_code == 0
        assert "--file" in result.output


def test_preview_says_why_a_metric_is_not_available(tmp_path: Path) -> None:
    wh = tmp_path / "wh.duckdb"
    with duckdb.connect(str(wh)) as con:
        create_schema(con)
        con.execute(
            "INSERT INTO inspections (case_id, source, status, received_at) "
            "VALUES ('c1', 'town_cases', 'open', TIMESTAMP '2024-03-05')"
        )
        con.execute(
            "INSERT INTO source_columns VALUES ('town_cases', 'inspections', 'corrected_at', false)"
        )
    body = (
        "unit: days\nkind: duration_percentile\ntable: inspections\n"
        "start: first_inspected_at\nend: corrected_at\npercentile: 0.5\n"
    )
    path = write(tmp_path, config_text(metric_yaml("days_to_correct", body)))
    args = ["preview", "days_to_correct", "--file", str(path), "--warehouse", str(wh)]
    result = CliRunner().invoke(metrics, args)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == (
        "days_to_correct: not available for this source: town_cases has no corrected_at"
    )
    # As of 5 March 2024: February (complete) and March, citywide, no value.
    assert [line.split()[1] for line in lines[2:]] == ["2024-02", "2024-03"]
    assert all(line.endswith("not_available") for line in lines[2:])


def test_check_reads_the_services_file_beside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The fixture catalog names two cohort services; a metrics.yml naming none has neither,
    # and the hint says what to add rather than "use one of" an empty list.
    monkeypatch.delenv("CITYSTAT_SERVICES_FILE", raising=False)
    path = write(tmp_path, config_text(COUNT))
    (tmp_path / "services.yml").write_text(SERVICES_YML)
    result = CliRunner().invoke(metrics, ["check", "--file", str(path)])
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert lines[-1] == "2 problems found"
    # Each problem once, at the line of its cohort_service.
    assert [line.split(": service")[0] for line in lines[:2]] == [
        "services.yml:18",
        "services.yml:29",
    ]
    assert lines[0].endswith(
        "cohort_service 'Street defects and potholes' is not a cohort_service in metrics.yml; "
        "no metric names a cohort_service yet: add cohort_service: Street defects and potholes "
        "to its metrics, or remove it from the service"
    )
    assert "use one of" not in result.output
    # With the metric naming both, the same files pass.
    both = metric_yaml(
        "av", "unit: requests\nkind: count\ncohort_service: Abandoned vehicles\n"
    ) + metric_yaml(
        "sd", "unit: requests\nkind: count\ncohort_service: Street defects and potholes\n"
    )
    path.write_text(config_text(both))
    result = CliRunner().invoke(metrics, ["check", "--file", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output == "metrics.yml: 2 metrics, no problems found (services.yml agrees)\n"


def test_preview_of_a_table_without_records_names_its_records(tmp_path: Path) -> None:
    # The warehouse holds requests only: a permit count has no period yet, and says permits.
    wh = _warehouse(tmp_path)
    issued = metric_yaml("issued", "unit: permits\nkind: count\ntable: permits\n")
    path = write(tmp_path, config_text(issued))
    args = ["preview", "issued", "--file", str(path), "--warehouse", str(wh)]
    result = CliRunner().invoke(metrics, args)
    assert result.exit_code == 0, result.output
    assert (
        result.output.splitlines()[-1] == "issued: no values at grain month (no permits loaded yet)"
    )


def test_preview_of_a_metric_matching_nothing_shows_zeros(tmp_path: Path) -> None:
    wh = _warehouse(tmp_path)
    nothing = metric_yaml(
        "graffiti", "unit: requests\nkind: count\nfilter: {service_name: [Graffiti Removal]}\n"
    )
    path = write(tmp_path, config_text(nothing))
    args = ["preview", "graffiti", "--file", str(path), "--warehouse", str(wh), "--periods", "1"]
    result = CliRunner().invoke(metrics, args)
    assert result.exit_code == 0, result.output
    (row,) = [line.split() for line in result.stdout.splitlines()[1:]]
    assert row[:4] == ["month", "2024-02", "False", "Citywide"] and "0.0" in row
    # No request has that service name: a warning says so, at the filter's line.
    assert result.stderr.startswith(
        "warning: metrics.yml:12: metric 'graffiti': no service_requests record has "
        "service_name 'Graffiti Removal', so this condition matches nothing in the warehouse"
    )
