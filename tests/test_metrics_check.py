"""Every issue `citystat metrics check` reports, with its exact message and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.metrics import MetricsFileError, check_metrics_file, load_metrics
from tests.metrics_support import config_text, metric_yaml

# Lines 1-3 are the header; a metric entry starts on line 4 with `- id:`, the common text
# fields are lines 5-9 and the body starts on line 10.
COUNT = "unit: requests\nkind: count\n"


def issues_for(tmp_path: Path, *metrics: str, text: str | None = None) -> list[str]:
    path = tmp_path / "metrics.yml"
    path.write_text(text if text is not None else config_text(*metrics))
    return [str(issue) for issue in check_metrics_file(path)]


CASES = {
    "unknown key with did-you-mean": (
        COUNT + "watchband: 0.1\n",
        "metrics.yml:12: unknown key 'watchband' in metric 'm'; did you mean 'watch_band'?",
    ),
    "unknown key inside a target": (
        "unit: percent\ndirection: higher_is_better\nkind: count\n"
        "targets: [{from: 2024-01-01, value: 1, grian: month}]\n",
        "metrics.yml:13: unknown key 'grian' in metric 'm' (targets[0]); did you mean 'grain'?",
    ),
    "wrong type": (
        COUNT + "min_count: thirty\n",
        "metrics.yml:12: metric 'm': 'min_count' should be a valid integer, unable to parse "
        "string as an integer, got 'thirty'; write a whole number without quotes",
    ),
    "wrong date": (
        "unit: requests\ndirection: higher_is_better\nkind: count\n"
        "targets: [{from: next year, value: 1}]\n",
        "metrics.yml:13: metric 'm': 'targets[0].from' should be a valid date or datetime, "
        "input is too short, got 'next year'; write a date as YYYY-MM-DD",
    ),
    "missing required field": (
        "kind: count\n",
        "metrics.yml:4: missing required field 'unit' in metric 'm'; add 'unit:' here",
    ),
    "unknown kind": (
        "unit: requests\nkind: cout\n",
        "metrics.yml:11: metric 'm': unknown kind 'cout'; did you mean 'count'?",
    ),
    "unknown column": (
        COUNT + "filter: {service_nme: [Street Defect]}\n",
        "metrics.yml:12: metric 'm': unknown column 'service_nme'; did you mean 'service_name'?",
    ),
    "unknown column_ref": (
        "unit: percent\nkind: share\ndenominator: [{column: due_at, op: is_not_null}]\n"
        "numerator: [{column: closed_at, op: '<=', column_ref: due}]\n",
        "metrics.yml:13: metric 'm': unknown column 'due'; did you mean 'due_at'?",
    ),
    "date is not a timestamp column": (
        COUNT + "date: zip\n",
        "metrics.yml:12: metric 'm': 'date' must be a timestamp column of service_requests, "
        "not 'zip'; use one of: opened_at, closed_at, due_at, updated_at",
    ),
    "share without denominator": (
        "unit: percent\nkind: share\nnumerator: [{column: closed_at, op: is_not_null}]\n",
        "metrics.yml:4: metric 'm': a share metric needs 'denominator'; add 'denominator:' to "
        "the metric (conditions that put a row in the population)",
    ),
    "share without numerator": (
        "unit: percent\nkind: share\ndenominator: [{column: closed_at, op: is_not_null}]\n",
        "metrics.yml:4: metric 'm': a share metric needs 'numerator'; add 'numerator:' to the "
        "metric (conditions a denominator row must also meet to count as a success)",
    ),
    "field of another kind": (
        COUNT + "percentile: 0.5\n",
        "metrics.yml:12: metric 'm': 'percentile' does not apply to a count metric; remove it "
        "(it is used by kind duration_percentile)",
    ),
    "target without a direction": (
        COUNT + "targets: [{from: 2024-01-01, value: 10}]\n",
        "metrics.yml:12: metric 'm': has targets but no direction; add 'direction: "
        "higher_is_better' or 'direction: lower_is_better'",
    ),
    "target for a grain the metric lacks": (
        "unit: requests\ndirection: higher_is_better\nkind: count\ngrains: [month]\n"
        "targets: [{from: 2024-01-01, value: 10, grain: week}]\n",
        "metrics.yml:14: metric 'm': target for grain 'week' but the metric is not computed by "
        "that grain; add 'week' to the metric's grains or remove the target's grain",
    ),
    "target for an unknown grain": (
        "unit: requests\ndirection: higher_is_better\nkind: count\n"
        "targets: [{from: 2024-01-01, value: 10, grain: weak}]\n",
        "metrics.yml:13: metric 'm': unknown grain 'weak'; did you mean 'week'?",
    ),
    "unknown grain": (
        COUNT + "grains: [month, fortnight]\n",
        "metrics.yml:12: unknown grain 'fortnight'; use one of: week, month, quarter, fiscal_year",
    ),
    "unknown dimension": (
        COUNT + "dimensions: [council_distrct]\n",
        "metrics.yml:12: unknown dimension 'council_distrct'; did you mean 'council_district'?",
    ),
    "percentile outside (0, 1)": (
        "unit: days\nkind: duration_percentile\npercentile: 90\n",
        "metrics.yml:12: metric 'm': percentile 90.0 is outside (0, 1); write it as a fraction, "
        "for example 0.5 for the median or 0.9",
    ),
    "duration without percentile": (
        "unit: days\nkind: duration_percentile\n",
        "metrics.yml:4: metric 'm': a duration_percentile metric needs 'percentile'; add "
        "'percentile:' to the metric (0.5 for the median, 0.9 for the 90th percentile)",
    ),
    "unknown op": (
        COUNT + "filter: [{column: status, op: '==', value: open}]\n",
        "metrics.yml:12: metric 'm': unknown op '=='; did you mean '='?",
    ),
    "comparison without value": (
        COUNT + "filter: [{column: status, op: '='}]\n",
        "metrics.yml:12: metric 'm': op '=' needs exactly one of 'value' or 'column_ref'; "
        "compare with a constant (value: ...) or with another column (column_ref: ...)",
    ),
    "in without a list": (
        COUNT + "filter: [{column: status, op: in, value: open}]\n",
        "metrics.yml:12: metric 'm': op 'in' needs 'value' as a non-empty list; write value: "
        "[A, B]",
    ),
    "is_null with a value": (
        COUNT + "filter: [{column: closed_at, op: is_null, value: x}]\n",
        "metrics.yml:12: metric 'm': op 'is_null' takes no value; remove 'value'",
    ),
    "null compared with =": (
        COUNT + "filter: [{column: closed_at, op: '=', value: null}]\n",
        "metrics.yml:12: metric 'm': op '=' needs a single value; use op 'is_null' for missing "
        "values or op 'in' for a list",
    ),
    "as_of on a text column": (
        COUNT + "filter: [{column: status, op: '<', value: as_of}]\n",
        "metrics.yml:12: metric 'm': 'as_of' can only be compared with a timestamp column; use "
        "it with opened_at, closed_at, due_at, updated_at",
    ),
    "condition without column": (
        COUNT + "filter: [{op: is_null}]\n",
        "metrics.yml:12: metric 'm': condition has no 'column'; write {column: ..., op: ..., "
        "value: ...} or {any: [...]}",
    ),
    "unknown column inside any": (
        COUNT + "filter:\n  - any:\n      - {column: stauts, op: '=', value: open}\n",
        "metrics.yml:14: metric 'm': unknown column 'stauts'; did you mean 'status'?",
    ),
    "bad id": (
        COUNT,
        "metrics.yml:4: metric 'Bad-Id': id must be lower-case letters, digits and "
        "underscores; rename it, for example 'street_defect_on_time'",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_issue_message(tmp_path: Path, case: str) -> None:
    body, expected = CASES[case]
    metric_id = "Bad-Id" if case == "bad id" else "m"
    assert issues_for(tmp_path, metric_yaml(metric_id, body)) == [expected]


def test_invalid_yaml_reports_the_parser_line(tmp_path: Path) -> None:
    text = config_text(metric_yaml("m", COUNT)) + "    filter: [unclosed\n"
    assert issues_for(tmp_path, text=text) == [
        "metrics.yml:13: invalid YAML: expected ',' or ']', but got '<stream end>'; check "
        "indentation, colons and quotes on this line or the one above"
    ]


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    assert issues_for(tmp_path, text="- just\n- a list\n") == [
        "metrics.yml:1: metrics.yml must be a mapping with 'defaults' and 'metrics'; "
        "start the file with 'defaults:' and 'metrics:' sections"
    ]


def test_missing_city_and_bad_defaults(tmp_path: Path) -> None:
    text = "defaults: {grains: [month, yearly]}\nmetrics: []\n"
    assert issues_for(tmp_path, text=text) == [
        "metrics.yml:1: no city.yml beside metrics.yml and no 'city:' section; write the "
        "city's profile with `citystat init DIR`, or pass --city DIR",
        "metrics.yml:1: unknown grain 'yearly'; use one of: week, month, quarter, fiscal_year",
    ]
    text = "city: {name: X}\ndefaults: {grains: [month, yearly]}\nmetrics: []\n"
    assert issues_for(tmp_path, text=text) == [
        "metrics.yml:2: unknown grain 'yearly'; use one of: week, month, quarter, fiscal_year",
    ]


def test_fiscal_year_start_month_out_of_range(tmp_path: Path) -> None:
    text = "city: {name: X, fiscal_year_start_month: 13}\nmetrics: []\n"
    assert issues_for(tmp_path, text=text) == [
        "metrics.yml:1: the file: 'city.fiscal_year_start_month' should be less than or equal "
        "to 12, got 13; use a smaller number"
    ]


def test_duplicate_ids(tmp_path: Path) -> None:
    # The second entry starts on line 4 + 8 = 12.
    assert issues_for(tmp_path, metric_yaml("m", COUNT), metric_yaml("m", COUNT)) == [
        "metrics.yml:12: duplicate metric id 'm' (first defined on line 4); give each metric a "
        "unique id"
    ]


def ratio(metric_id: str, numerator: str, denominator: str) -> str:
    body = f"unit: ratio\nkind: ratio\nnumerator_metric: {numerator}\n"
    return metric_yaml(metric_id, body + f"denominator_metric: {denominator}\n")


def test_ratio_referencing_a_missing_metric(tmp_path: Path) -> None:
    # count 'm' takes lines 4-11; the ratio starts on line 12, denominator_metric on line 21.
    assert issues_for(tmp_path, metric_yaml("m", COUNT), ratio("r", "m", "opend")) == [
        "metrics.yml:21: metric 'r': denominator_metric 'opend' is not a metric in this file; "
        "use one of: m, r"
    ]


def test_circular_ratios(tmp_path: Path) -> None:
    # a -> b -> a, reported once at the first metric of the cycle; c -> c on its own.
    issues = issues_for(tmp_path, ratio("a", "b", "b"), ratio("b", "a", "a"), ratio("c", "c", "c"))
    assert issues == [
        "metrics.yml:4: circular ratio: a -> b -> a; a ratio cannot depend on itself; point "
        "numerator_metric and denominator_metric at non-ratio metrics",
        "metrics.yml:24: circular ratio: c -> c; a ratio cannot depend on itself; point "
        "numerator_metric and denominator_metric at non-ratio metrics",
    ]


def test_all_issues_are_reported_at_once(tmp_path: Path) -> None:
    # One bad metric does not hide the next: a type error in the first, a semantic one in
    # the second, a typo in the third.
    issues = issues_for(
        tmp_path,
        metric_yaml("a", COUNT + "min_count: many\n"),
        metric_yaml("b", "unit: requests\nkind: cont\n"),
        metric_yaml("c", COUNT + "filtr: {}\n"),
    )
    assert [issue.split(":")[1] for issue in issues] == ["12", "20", "29"]


def test_load_metrics_raises_with_every_issue(tmp_path: Path) -> None:
    path = tmp_path / "metrics.yml"
    path.write_text(config_text(metric_yaml("a", "unit: requests\nkind: cont\n"),
                                metric_yaml("b", COUNT + "grains: [dayly]\n")))  # fmt: skip
    with pytest.raises(MetricsFileError) as raised:
        load_metrics(path)
    assert len(raised.value.issues) == 2
    assert str(raised.value).splitlines() == [str(issue) for issue in raised.value.issues]


def test_missing_file(tmp_path: Path) -> None:
    issues = check_metrics_file(tmp_path / "nope.yml")
    assert [issue.message.split(":")[0] for issue in issues] == [
        f"cannot read {tmp_path / 'nope.yml'}"
    ]


def test_real_metrics_file_is_clean() -> None:
    path = Path(__file__).resolve().parent.parent / "metrics.yml"
    assert check_metrics_file(path) == []
    config = load_metrics(path)
    services = {m.cohort_service for m in config.metrics if m.cohort_service}
    assert len(services) >= 5
    kinds = {m.kind for m in config.metrics}
    assert kinds == {"count", "share", "duration_percentile", "backlog", "ratio"}
