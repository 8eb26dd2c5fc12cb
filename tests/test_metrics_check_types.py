"""`citystat metrics check` knows each column's type and reports every mistake of every metric.

Each case is inline YAML and the exact issue, with its line (issue 16): comparisons
type-checked (timestamp, number, text, status vocabulary, list values one by one), durations
in conditions (plus_days, within_days) checked, and a typo that pydantic reports never hides
the metric's other mistakes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.metrics import check_metrics_file
from tests.metrics_support import config_text, metric_yaml

# Lines 1-3 are the header; a metric entry starts on line 4 with `- id:`, the common text
# fields are lines 5-9 and the body starts on line 10.
COUNT = "unit: requests\nkind: count\n"
PERMITS = "unit: permits\nkind: count\ntable: permits\n"
WITHIN = "unit: percent\ndirection: higher_is_better\nkind: share\ntable: permits\n"


def issues_for(tmp_path: Path, *metrics: str) -> list[str]:
    path = tmp_path / "metrics.yml"
    path.write_text(config_text(*metrics))
    return [str(issue) for issue in check_metrics_file(path)]


CASES = {
    "timestamp compared with a quoted date": (
        COUNT + "filter: [{column: opened_at, op: '>=', value: '2024-07-01'}]\n",
        "metrics.yml:12: metric 'm': opened_at is a timestamp but '2024-07-01' is quoted, so it "
        "is text; write the date without quotes: 2024-07-01",
    ),
    "timestamp compared with text": (
        COUNT + "filter: [{column: closed_at, op: '=', value: yes}]\n",
        "metrics.yml:12: metric 'm': closed_at is a timestamp and cannot be compared with 'yes'; "
        "compare it with a date (2024-07-01), with as_of (the data's as-of time, optionally with "
        "plus_days), or with another timestamp column (column_ref: opened_at, due_at, "
        "updated_at)",
    ),
    "number compared with text": (
        PERMITS + "filter: [{column: fee, op: '>', value: lots}]\n",
        "metrics.yml:13: metric 'm': fee is a number and cannot be compared with 'lots'; write "
        "a number, for example 250",
    ),
    "number written in quotes": (
        PERMITS + "filter: [{column: fee, op: '>', value: '1,000'}]\n",
        "metrics.yml:13: metric 'm': fee is a number and cannot be compared with '1,000'; write "
        "the number without quotes: 1000",
    ),
    "text compared with a number": (
        COUNT + "filter: [{column: council_district, op: '=', value: 3}]\n",
        "metrics.yml:12: metric 'm': council_district is text and cannot be compared with 3 "
        "(YAML reads it as a number); quote the value: '3'",
    ),
    "each list value on its own line": (
        COUNT
        + "filter:\n  - column: zip\n    op: in\n    value:\n      - '19104'\n      - 19103\n",
        "metrics.yml:17: metric 'm': zip is text and cannot be compared with 19103 (YAML reads it "
        "as a number); quote the value: '19103'",
    ),
    "two columns of different types": (
        COUNT + "filter: [{column: closed_at, op: '<=', column_ref: zip}]\n",
        "metrics.yml:12: metric 'm': compares closed_at (a timestamp) with zip (text); compare "
        "closed_at with a timestamp column: opened_at, due_at, updated_at",
    ),
    "status outside the table's vocabulary": (
        COUNT + "filter: {status: canceled}\n",
        "metrics.yml:12: metric 'm': 'canceled' is not a status of service_requests, so it "
        "matches no record; did you mean 'cancelled'?",
    ),
    "permit status in a list": (
        PERMITS + "filter: {status: [issued, aproved]}\n",
        "metrics.yml:13: metric 'm': 'aproved' is not a status of permits, so it matches no "
        "record; use one of: in_review, issued, completed, expired, cancelled",
    ),
    "plus_days on a constant": (
        COUNT + "filter: [{column: opened_at, op: '>', value: 2024-01-01, plus_days: 3}]\n",
        "metrics.yml:12: metric 'm': 'plus_days' does not apply to a constant value; use it "
        "with 'column_ref: <timestamp column>' or 'value: as_of', or remove it",
    ),
    "plus_days between numbers": (
        PERMITS + "filter: [{column: fee, op: '<', column_ref: latitude, plus_days: 2}]\n",
        "metrics.yml:13: metric 'm': 'plus_days' needs timestamps, but fee and latitude are "
        "numbers; remove 'plus_days', or compare two timestamp columns",
    ),
    "plus_days in whole days": (
        COUNT + "filter: [{column: closed_at, op: '<', column_ref: opened_at, plus_days: 1.5}]\n",
        "metrics.yml:12: metric 'm': 'filter[0].plus_days' should be a valid integer, got a "
        "number with a fractional part, got 1.5; write a whole number without quotes",
    ),
    "share target written as a percentage": (
        WITHIN + "within_days: 30\ntargets: [{from: 2024-07-01, value: 85}]\n",
        "metrics.yml:15: metric 'm': target 85 for a share, which is a fraction between 0 and "
        "1; write it as a fraction: 0.85 for 85%",
    ),
    "within_days with its own numerator": (
        WITHIN + "within_days: 30\nnumerator: [{column: issued_at, op: is_not_null}]\n",
        "metrics.yml:15: metric 'm': 'within_days' writes the numerator itself; remove "
        "'numerator:' (conditions every record must meet go under 'filter:')",
    ),
    "start on a share without within_days": (
        WITHIN
        + "start: applied_at\nnumerator: [{column: issued_at, op: is_not_null}]\n"
        + "denominator: [{column: applied_at, op: is_not_null}]\n",
        "metrics.yml:14: metric 'm': 'start' applies to a share only with 'within_days'; add "
        "'within_days: N' for the share of records reaching end within N days of start, or "
        "remove 'start'",
    ),
    "within_days on a count": (
        COUNT + "within_days: 30\n",
        "metrics.yml:12: metric 'm': 'within_days' does not apply to a count metric; remove it "
        "(it is used by kind share)",
    ),
    "within_days of zero": (
        WITHIN + "within_days: 0\n",
        "metrics.yml:14: metric 'm': 'within_days' should be greater than or equal to 1, got 0; "
        "use a larger number",
    ),
    "within_days ending at a text column": (
        WITHIN + "within_days: 30\nend: permit_type\n",
        "metrics.yml:15: metric 'm': 'end' must be a timestamp column of permits, not "
        "'permit_type'; use one of: applied_at, issued_at, completed_at, review_due_at, "
        "updated_at",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_issue_message(tmp_path: Path, case: str) -> None:
    body, expected = CASES[case]
    assert issues_for(tmp_path, metric_yaml("m", body)) == [expected]


def _entry(metric_id: str, body: str, label: str = "label") -> str:
    """A metric entry whose common fields are written here (so a test can misspell one)."""
    return (
        f"  - id: {metric_id}\n    {label}: Test metric\n    description: d\n"
        "    methodology: m\n    department: Streets Department\n    owner: Tester\n"
        + "".join(f"    {line}\n" for line in body.splitlines())
    )


def test_a_misspelt_field_does_not_hide_an_unknown_kind(tmp_path: Path) -> None:
    # `lable` stands for the required `label`: one issue, naming it; `kind: cuont` is still
    # checked although the metric did not type-check.
    issues = issues_for(tmp_path, _entry("m", "unit: requests\nkind: cuont", label="lable"))
    assert issues == [
        "metrics.yml:5: unknown key 'lable' in metric 'm'; did you mean 'label'? ('label' is "
        "required and missing)",
        "metrics.yml:11: metric 'm': unknown kind 'cuont'; did you mean 'count'?",
    ]


def test_a_wrong_type_does_not_hide_the_metric_s_other_mistakes(tmp_path: Path) -> None:
    body = (
        COUNT + "min_count: many\ndirection: upward\ntargets: [{from: 2024-07-01, value: 9}]\n"
        "filter:\n  - {colum: status, op: '=', value: open}\n"
        "  - {column: stauts, op: '=', value: open}\n"
    )
    assert [i.split(";")[0] for i in issues_for(tmp_path, metric_yaml("m", body))] == [
        "metrics.yml:12: metric 'm': 'min_count' should be a valid integer, unable to parse "
        "string as an integer, got 'many'",
        "metrics.yml:13: metric 'm': 'direction' should be 'higher_is_better' or "
        "'lower_is_better', got 'upward'",
        # No "targets but no direction": the direction is there, misspelt.
        "metrics.yml:16: unknown key 'colum' in metric 'm' (filter[0])",
        "metrics.yml:17: metric 'm': unknown column 'stauts'",
    ]


TEN_BROKEN = [
    # (metric entry, [(line, start of each issue)]); entries are 9 lines of common fields
    # plus their body, so metric k (from 0) starts where the previous one ended.
    ("a", COUNT + "filter: {service_nme: [Street Defect]}\ngrains: [month, dayly]\n"),
    ("b", "unit: requests\nkind: cont\nfilter: [{column: opened_at, op: '>', value: soon}]\n"),
    ("c", "unit: percent\nkind: share\nnumerator: [{column: closed_at, op: is_not_null}]\n"),
    ("d", COUNT + "watchband: 0.1\nfilter: {council_district: 5}\n"),
    ("e", WITHIN + "within_days: 30\ntargets: [{from: 2024-07-01, value: 90}]\n"),
    ("f", "unit: days\nkind: duration_percentile\npercentile: 50\nend: zip\n"),
    ("g", COUNT + "filter: [{column: closed_at, op: '<=', column_ref: opened_at, plus_days: x}]\n"),
    ("h", "unit: requests\nkind: backlog\ndue: due_at\nage_buckets: [60, 30]\n"),
    ("i", COUNT + "filter: {status: [open, canceled]}\n"),
    ("j", "unit: ratio\nkind: ratio\nnumerator_metric: a\ndenominator_metric: zz\n"),
]


def test_ten_broken_metrics_report_every_mistake_in_one_run(tmp_path: Path) -> None:
    entries = [metric_yaml(metric_id, body) for metric_id, body in TEN_BROKEN]
    issues = issues_for(tmp_path, *entries)
    starts, line = {}, 4
    for (metric_id, _), entry in zip(TEN_BROKEN, entries, strict=True):
        starts[metric_id] = line
        line += len(entry.splitlines())
    at = {m: starts[m] + 6 for m in starts}  # the body's first line
    expected = [
        (at["a"] + 2, "metric 'a': unknown column 'service_nme'"),
        (at["a"] + 3, "unknown grain 'dayly'"),
        (at["b"] + 1, "metric 'b': unknown kind 'cont'"),
        (at["b"] + 2, "metric 'b': opened_at is a timestamp and cannot be compared with 'soon'"),
        (starts["c"], "metric 'c': a share metric needs 'denominator'"),
        (at["d"] + 2, "unknown key 'watchband' in metric 'd'"),
        (at["d"] + 3, "metric 'd': council_district is text and cannot be compared with 5"),
        (at["e"] + 5, "metric 'e': target 90 for a share"),
        (at["f"] + 2, "metric 'f': percentile 50.0 is outside (0, 1)"),
        (at["f"] + 3, "metric 'f': 'end' must be a timestamp column of service_requests"),
        (at["g"] + 2, "metric 'g': 'filter[0].plus_days' should be a valid integer"),
        (at["h"] + 2, "metric 'h': 'due' applies only with 'overdue: true'"),
        (at["h"] + 3, "metric 'h': age_buckets must be whole days above 0 in increasing order"),
        (at["i"] + 2, "metric 'i': 'canceled' is not a status of service_requests"),
        (at["j"] + 3, "metric 'j': denominator_metric 'zz' is not a metric in this file"),
    ]
    got = [(int(i.split(":")[1]), i.split(":", 2)[2].strip()) for i in issues]
    assert [line_no for line_no, _ in got] == [line_no for line_no, _ in expected], issues
    for (_, text), (_, start) in zip(got, expected, strict=True):
        assert text.startswith(start), (text, start)
    # Five of the ten metrics have two mistakes each; every one is reported.
    assert len(issues) == 15
