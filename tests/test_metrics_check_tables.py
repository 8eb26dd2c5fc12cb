"""Every metrics.yml issue about tables, breakdowns, backlog options and baselines, exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.metrics import check_metrics_file, load_metrics_text
from tests.metrics_support import config_text, metric_yaml

# Lines 1-3 are the header; a metric starts on line 4, its body on line 10 (see
# test_metrics_check.py). The body lines below are numbered from 10.
PERMITS_COUNT = "unit: permits\nkind: count\ntable: permits\n"  # lines 10-12
CASES_BACKLOG = "unit: cases\nkind: backlog\ntable: inspections\n"  # lines 10-12


def issues_for(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "metrics.yml"
    path.write_text(text)
    return [str(issue) for issue in check_metrics_file(path)]


CASES = {
    "unknown table": (
        "unit: permits\nkind: count\ntable: permit\n",
        "metrics.yml:12: metric 'm': unknown table 'permit'; did you mean 'permits'?",
    ),
    "column of another table": (
        PERMITS_COUNT + "filter: [{column: permit_typ, op: '=', value: BUILDING}]\n",
        "metrics.yml:13: metric 'm': unknown column 'permit_typ' of permits; did you mean "
        "'permit_type'?",
    ),
    "311 column on permits": (
        PERMITS_COUNT + "date: opened_at\n",
        "metrics.yml:13: metric 'm': 'date' must be a timestamp column of permits, not "
        "'opened_at'; did you mean 'applied_at'?",
    ),
    "end of another table": (
        "unit: days\nkind: duration_percentile\npercentile: 0.5\ntable: permits\nend: closed_at\n",
        "metrics.yml:14: metric 'm': 'end' must be a timestamp column of permits, not "
        "'closed_at'; did you mean 'issued_at'?",
    ),
    "due not a timestamp": (
        CASES_BACKLOG + "overdue: true\ndue: priority\n",
        "metrics.yml:14: metric 'm': 'due' must be a timestamp column of inspections, not "
        "'priority'; use one of: received_at, due_at, first_inspected_at, closed_at, "
        "corrected_at, updated_at",
    ),
    "dimension of another table": (
        PERMITS_COUNT + "dimensions: [service_name]\n",
        "metrics.yml:13: metric 'm': dimension 'service_name' is not a breakdown of permits; "
        "use one of: council_district, zip, permit_type, work_type, use_class",
    ),
    "unknown dimension of the table": (
        CASES_BACKLOG + "dimensions: [priorty]\n",
        "metrics.yml:13: unknown dimension 'priorty'; did you mean 'priority'?",
    ),
    "age listed as a dimension": (
        CASES_BACKLOG + "dimensions: [age]\n",
        "metrics.yml:13: metric 'm': 'age' is not listed under dimensions; remove it; "
        "'age_buckets: [30, 60, 90]' on a backlog metric adds the age breakdown",
    ),
    "due without overdue": (
        CASES_BACKLOG + "due: due_at\n",
        "metrics.yml:13: metric 'm': 'due' applies only with 'overdue: true'; add 'overdue: "
        "true' to count only records past this due time, or remove 'due'",
    ),
    "age buckets out of order": (
        CASES_BACKLOG + "age_buckets: [60, 30]\n",
        "metrics.yml:13: metric 'm': age_buckets must be whole days above 0 in increasing "
        "order, got [60, 30]; write the lower bounds of the older buckets, for example "
        "[30, 60, 90] for 0-29, 30-59, 60-89 and 90+ days",
    ),
    "age bucket of zero days": (
        CASES_BACKLOG + "age_buckets: [0, 30]\n",
        "metrics.yml:13: metric 'm': age_buckets must be whole days above 0 in increasing "
        "order, got [0, 30]; write the lower bounds of the older buckets, for example "
        "[30, 60, 90] for 0-29, 30-59, 60-89 and 90+ days",
    ),
    "age buckets on a count": (
        "unit: cases\nkind: count\ntable: inspections\nage_buckets: [30]\n",
        "metrics.yml:13: metric 'm': 'age_buckets' does not apply to a count metric; remove "
        "it (it is used by kind backlog)",
    ),
    "start on a count": (
        "unit: requests\nkind: count\nstart: opened_at\n",
        "metrics.yml:12: metric 'm': 'start' does not apply to a count metric; remove it (it "
        "is used by kind duration_percentile / backlog / share with within_days)",
    ),
    "as_of on an inspections text column": (
        "unit: cases\nkind: count\ntable: inspections\n"
        "filter: [{column: priority, op: '<', value: as_of}]\n",
        "metrics.yml:13: metric 'm': 'as_of' can only be compared with a timestamp column; use "
        "it with received_at, due_at, first_inspected_at, closed_at, corrected_at, updated_at",
    ),
    "baseline that is not a period label": (
        "unit: requests\nkind: count\nbaseline: {period: 2024-13}\n",
        "metrics.yml:12: metric 'm': baseline period '2024-13' is not a period label; write a "
        "label as the dashboard shows it: FY2024, 2024-Q3 (FY2025 Q1 where the fiscal year "
        "does not start in January), 2024-07 or 2024-W27",
    ),
    "baseline of a grain the metric lacks": (
        "unit: requests\nkind: count\ngrains: [month]\nbaseline: {period: FY2024}\n",
        "metrics.yml:13: metric 'm': baseline period 'FY2024' is a fiscal_year but the metric "
        "is not computed by fiscal_year; add 'fiscal_year' to the metric's grains or choose a "
        "baseline of another grain",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_issue_message(tmp_path: Path, case: str) -> None:
    body, expected = CASES[case]
    assert issues_for(tmp_path, config_text(metric_yaml("m", body))) == [expected]


def test_default_dimension_that_the_table_lacks(tmp_path: Path) -> None:
    # The defaults break every metric down by service_name, which permits do not have.
    text = (
        "city: {name: X}\ndefaults: {dimensions: [council_district, service_name]}\nmetrics:\n"
        + metric_yaml("p", PERMITS_COUNT)
    )
    assert issues_for(tmp_path, text) == [
        "metrics.yml:4: metric 'p': default dimension 'service_name' is not a breakdown of "
        "permits; set 'dimensions:' on the metric, choosing from: council_district, zip, "
        "permit_type, work_type, use_class"
    ]


def test_ratio_breakdowns_must_exist_in_both_tables(tmp_path: Path) -> None:
    # p (permits) takes lines 4-13, o (311) 14-21, r 22-32 with its dimensions on line 32;
    # t starts on line 33 and sets a table on line 41, which a ratio does not read.
    ratio = "unit: ratio\nkind: ratio\nnumerator_metric: p\ndenominator_metric: o\n"
    text = config_text(
        metric_yaml("p", PERMITS_COUNT + "dimensions: [permit_type]\n"),
        metric_yaml("o", "unit: requests\nkind: count\n"),
        metric_yaml("r", ratio + "dimensions: [permit_type]\n"),
        metric_yaml(
            "t",
            ratio.replace("kind: ratio\n", "kind: ratio\ntable: permits\n") + "dimensions: []\n",
        ),
    )
    assert issues_for(tmp_path, text) == [
        "metrics.yml:32: metric 'r': dimension 'permit_type' is not a breakdown of "
        "service_requests (read by metric 'o'); use one of: council_district, zip, department, "
        "service_name, channel",
        "metrics.yml:41: metric 't': 'table' does not apply to a ratio metric; remove it (it is "
        "used by kind count / share / duration_percentile / backlog)",
    ]


def test_new_fields_load_with_their_values() -> None:
    body = CASES_BACKLOG + (
        "start: received_at\nend: first_inspected_at\noverdue: true\ndue: due_at\n"
        "age_buckets: [30, 60, 90]\ndimensions: [priority]\nbaseline: {period: FY2024}\n"
    )
    metric = load_metrics_text(config_text(metric_yaml("m", body))).metric("m")
    assert (metric.table, metric.start, metric.end, metric.due) == (
        "inspections",
        "received_at",
        "first_inspected_at",
        "due_at",
    )
    assert metric.age_buckets == [30, 60, 90]
    assert metric.baseline is not None and metric.baseline.period == "FY2024"
