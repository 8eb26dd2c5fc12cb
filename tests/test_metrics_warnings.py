"""Warnings of `citystat metrics check` (issue 16, item 1): likely mistakes, and filter values
no record of the published warehouse holds, each at its line with what to change; exit 0."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
from click.testing import CliRunner

from pipelines.cli.metrics import metrics
from pipelines.warehouse.schema import create_schema
from tests.metrics_support import config_text, metric_yaml

T = datetime.fromisoformat


def _check(
    tmp_path: Path, *entries: str, warehouse: Path | None = None
) -> tuple[int, list[str], list[str]]:
    path = tmp_path / "metrics.yml"
    path.write_text(config_text(*entries))
    args = ["check", "--file", str(path)]
    args += ["--warehouse", str(warehouse)] if warehouse else []
    result = CliRunner().invoke(metrics, args)
    return result.exit_code, result.stdout.splitlines(), result.stderr.splitlines()


def test_likely_mistakes_are_warnings_at_their_line(tmp_path: Path) -> None:
    median = metric_yaml(
        "median_days", "unit: days\ndirection: higher_is_better\nkind: duration_percentile\n"
        "percentile: 0.5\n"
    )  # fmt: skip
    closed = metric_yaml("closed", "unit: requests\nkind: count\ndate: closed_at\n")
    on_time = metric_yaml(
        "on_time",
        "unit: percent\nkind: share\ndenominator:\n  - {column: closed_at, op: is_not_null}\n"
        "numerator:\n  - {column: closed_at, op: '<=', column_ref: opened_at, plus_days: 5}\n",
    )
    code, out, err = _check(tmp_path, median, closed, on_time)
    assert code == 0
    assert out == ["metrics.yml: 3 metrics, no problems found; 4 warnings"]
    assert err == [
        "warning: metrics.yml:11: metric 'median_days': direction higher_is_better on a "
        "duration_percentile: longer times would count as on track; write 'direction: "
        "lower_is_better' unless more really is better",
        "warning: metrics.yml:12: metric 'median_days': a duration ending at closed_at with no "
        "status condition also counts cancelled records (cancelled records have a closed_at "
        "too: when they were cancelled); add {column: status, op: '!=', value: cancelled} to "
        "its filter, or status: closed for finished records only",
        "warning: metrics.yml:22: metric 'closed': a count by closed_at with no status "
        "condition also counts cancelled records (cancelled records have a closed_at too: when "
        "they were cancelled); add {column: status, op: '!=', value: cancelled} to its filter, "
        "or status: closed for finished records only",
        "warning: metrics.yml:32: metric 'on_time': the population holds only records with a "
        "closed_at, so those still open past their deadline (opened_at) are left out and the "
        "share reads high; replace this condition with any: [{column: closed_at, op: "
        "is_not_null}, {column: opened_at, op: '<', value: as_of, plus_days: -5}] so open and "
        "late records count as late (or use within_days)",
    ]


def test_a_status_condition_or_within_days_silences_them(tmp_path: Path) -> None:
    median = metric_yaml(
        "median_days", "unit: days\nkind: duration_percentile\npercentile: 0.5\n"
        "filter: {status: closed}\n"
    )  # fmt: skip
    within = metric_yaml("within", "unit: percent\nkind: share\nwithin_days: 5\n")
    assert _check(tmp_path, median, within) == (
        0,
        ["metrics.yml: 2 metrics, no problems found"],
        [],
    )


def _warehouse(tmp_path: Path, services: list[str]) -> Path:
    path = tmp_path / "wh.duckdb"
    with duckdb.connect(str(path)) as con:
        create_schema(con)
        for index, name in enumerate(services):
            con.execute(
                "INSERT INTO service_requests (request_id, service_name, status, opened_at) "
                "VALUES (?, ?, 'open', ?)",
                [str(index), name, T("2024-03-01")],
            )
    return path


def test_filter_values_no_record_holds_get_the_closest_present(tmp_path: Path) -> None:
    wh = _warehouse(tmp_path, ["Street Defect", "Street Light Outage", "Graffiti Removal"])
    defects = metric_yaml(
        "defects",
        "unit: requests\nkind: count\nfilter:\n  service_name:\n    - Street Defects\n"
        "    - Street Light Outage\n",
    )
    dumping = metric_yaml(
        "dumping",
        "unit: requests\nkind: count\nfilter: [{column: service_name, op: '=', value: "
        "Illegal Dumping}]\n",
    )
    code, out, err = _check(tmp_path, defects, dumping, warehouse=wh)
    assert code == 0
    assert out == [
        "metrics.yml: 2 metrics, no problems found; 2 warnings",
        f"Filter values checked against {wh}.",
    ]
    assert err == [
        # The list item's own line, and the closest value present.
        "warning: metrics.yml:14: metric 'defects': no service_requests record has "
        "service_name 'Street Defects', so this condition matches nothing in the warehouse; "
        "did you mean 'Street Defect'?",
        "warning: metrics.yml:24: metric 'dumping': no service_requests record has "
        "service_name 'Illegal Dumping', so this condition matches nothing in the warehouse; "
        "no value is close; service_name holds 3 distinct values, such as 'Street Light Outage', "
        "'Graffiti Removal', 'Street Defect' (warning only: a new service may simply have "
        "no record yet)",
    ]


def test_a_table_without_records_is_not_compared(tmp_path: Path) -> None:
    wh = _warehouse(tmp_path, [])
    defects = metric_yaml("defects", "unit: requests\nkind: count\nfilter: {service_name: X}\n")
    code, _, err = _check(tmp_path, defects, warehouse=wh)
    assert (code, err) == (0, [])


def test_check_of_a_draft_warns_about_the_draft_only(tmp_path: Path) -> None:
    (tmp_path / "metrics.yml").write_text(
        config_text(metric_yaml("closed", "unit: requests\nkind: count\ndate: closed_at\n"))
    )
    draft = tmp_path / "draft.yml"
    draft.write_text(
        "metrics:\n"
        + metric_yaml("closed_days", "unit: days\nkind: duration_percentile\npercentile: 0.5\n")
    )
    args = ["check", "--file", str(tmp_path / "metrics.yml"), "--draft", str(draft)]
    result = CliRunner().invoke(metrics, args)
    assert result.exit_code == 0, result.output
    assert result.stdout == "draft.yml: 1 draft metrics, no problems found; 1 warning\n"
    assert result.stderr.startswith("warning: draft.yml:9: metric 'closed_days': a duration")


def test_check_of_a_broken_draft_counts_its_problems(tmp_path: Path) -> None:
    (tmp_path / "metrics.yml").write_text(
        config_text(metric_yaml("m", "unit: requests\nkind: count\n"))
    )
    draft = tmp_path / "draft.yml"
    draft.write_text("metrics:\n" + metric_yaml("d", "unit: requests\nkind: cont\n"))
    args = ["check", "--file", str(tmp_path / "metrics.yml"), "--draft", str(draft)]
    result = CliRunner().invoke(metrics, args)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "draft.yml:9: metric 'd': unknown kind 'cont'; did you mean 'count'?",
        "1 problem found",
    ]
