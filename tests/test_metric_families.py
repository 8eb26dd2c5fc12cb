"""Metric families, computed by one query (pipelines/metrics/compiler.py): percentiles that
read the same rows, and in a daily run the counts (or shares) of one table with the same
grains and breakdowns, and the backlogs of one table with the same grains. The values are
checked against a full recompute in tests/test_metrics_incremental.py; here, which metrics
form a family and how its query keeps each member's parameters apart."""

from __future__ import annotations

import re

import pytest

from pipelines.metrics.compiler import compile_family, percentile_families, update_families
from tests.metrics_support import config, metric_yaml


def _percentile(metric_id: str, percentile: float, service: str = "Pothole", **more: str) -> str:
    extra = "".join(f"{k}: {v}\n" for k, v in more.items())
    return metric_yaml(
        metric_id,
        "unit: days\ndirection: lower_is_better\nkind: duration_percentile\n"
        "table: service_requests\nstart: opened_at\nend: closed_at\n"
        f"percentile: {percentile}\n"
        f"filter: [{{column: service_name, op: '=', value: {service}}}]\n" + extra,
    )


def test_the_same_rows_at_other_percentiles_are_one_family() -> None:
    checked = config(
        _percentile("median", 0.5),
        _percentile("p90", 0.9, targets="[{from: 2020-01-01, value: 10}]"),
        _percentile("p75", 0.75),
        _percentile("other_service", 0.5, service="Graffiti"),
        _percentile("weekly", 0.5, grains="[week]"),
        metric_yaml("opened", "unit: requests\nkind: count\ntable: service_requests\n"),
    )
    # Another service's rows, or other grains, are another query; a target is not the core's.
    assert percentile_families(checked) == [("median", "p90", "p75")]


def test_no_family_of_one() -> None:
    checked = config(_percentile("median", 0.5), _percentile("other", 0.5, service="Graffiti"))
    assert percentile_families(checked) == []


def test_a_family_binds_every_quantile_and_each_members_own_parameters() -> None:
    checked = config(
        _percentile("median", 0.5, targets="[{from: 2020-01-01, value: 5}]"),
        _percentile("p90", 0.9, target="{from_history: last_year_median}", min_count=3),
    )
    family = compile_family(checked, ("median", "p90"), incremental=True)
    assert family.params["percentile"] == [0.5, 0.9]
    assert family.params["m1_metric_id"] == "median"
    assert family.params["m2_metric_id"] == "p90"
    assert family.params["m1_target_1_value"] == 5
    assert family.params["m2_min_count"] == 3
    # Every parameter the SQL names is bound, and no member's is left unrenamed.
    assert "$metric_id" not in family.sql and "$min_count" not in family.sql
    for name in family.params:
        assert f"${name}" in family.sql, name
    # A member whose target comes from history yields all its rows; the other, its periods.
    assert family.partial == {"median"}
    assert family.query().metric_id == "median"


def test_a_full_family_yields_every_row_of_every_member() -> None:
    checked = config(
        _percentile("median", 0.5, targets="[{from: 2020-01-01, value: 5}]"),
        _percentile("p90", 0.9, target="{from_history: last_year_median}"),
    )
    family = compile_family(checked, ("median", "p90"), incremental=False)
    assert family.partial == set()
    assert family.params["percentile"] == [0.5, 0.9]
    # No previous rows are read and nothing the daily run binds is named.
    for name in ("$previous_as_of", "$changed_run_id", "$affected_from", "metric_values"):
        assert name not in family.sql, name


def _count(metric_id: str, service: str, kind: str = "count", **more: str) -> str:
    extra = "".join(f"{k}: {v}\n" for k, v in more.items())
    share = (
        "denominator: [{column: opened_at, op: is_not_null}]\n"
        "numerator: [{column: closed_at, op: is_not_null}]\ndirection: higher_is_better\n"
        if kind == "share"
        else ""
    )
    return metric_yaml(
        metric_id,
        f"unit: requests\nkind: {kind}\ntable: service_requests\n{share}"
        f"filter: [{{column: service_name, op: '=', value: {service}}}]\n" + extra,
    )


def test_counts_of_a_table_with_the_same_grains_and_breakdowns_are_one_family() -> None:
    checked = config(
        _count("potholes", "Pothole"),
        _count(
            "graffiti",
            "Graffiti",
            targets="[{from: 2020-01-01, value: 10}]",
            direction="lower_is_better",
        ),
        _count("weekly", "Pothole", grains="[week]"),
        _count("pothole_closed", "Pothole", kind="share"),
        _count("graffiti_closed", "Graffiti", kind="share"),
        metric_yaml("permits", "unit: permits\nkind: count\ntable: permits\n"),
        _percentile("median", 0.5),
    )
    # Whatever rows each keeps; other grains, another kind or another table is another query.
    assert update_families(checked) == [
        ("potholes", "graffiti"),
        ("pothole_closed", "graffiti_closed"),
    ]


def test_a_count_family_binds_each_members_id_and_own_parameters() -> None:
    checked = config(
        _count(
            "potholes",
            "Pothole",
            targets="[{from: 2020-01-01, value: 5}]",
            direction="higher_is_better",
        ),
        _count(
            "graffiti",
            "Graffiti",
            target="{from_history: last_year_median}",
            direction="lower_is_better",
        ),
    )
    family = compile_family(checked, ("potholes", "graffiti"), incremental=True)
    assert family.params["m1_member"] == "potholes"
    assert family.params["m2_member"] == "graffiti"
    assert family.params["m1_target_1_value"] == 5
    # Each member's filter value is bound once, in the shared core.
    assert sorted(v for v in family.params.values() if v in ("Pothole", "Graffiti")) == [
        "Graffiti",
        "Pothole",
    ]
    assert not re.search(r"\$(metric_id|member)\b", family.sql)
    for name in family.params:
        assert f"${name}" in family.sql, name
    # A member whose target comes from history yields all its rows; the other, its periods.
    assert family.partial == {"potholes"}


def test_counts_are_one_query_each_in_a_full_compute() -> None:
    checked = config(_count("potholes", "Pothole"), _count("graffiti", "Graffiti"))
    with pytest.raises(ValueError, match="full compute"):
        compile_family(checked, ("potholes", "graffiti"), incremental=False)


def _backlog(metric_id: str, service: str, **more: str) -> str:
    extra = "".join(f"{k}: {v}\n" for k, v in more.items())
    return metric_yaml(
        metric_id,
        "unit: requests\nkind: backlog\ntable: service_requests\ndirection: lower_is_better\n"
        f"filter: [{{column: service_name, op: '=', value: {service}}}]\n" + extra,
    )


def test_backlogs_of_a_table_with_the_same_grains_are_one_family() -> None:
    checked = config(
        _backlog("potholes_open", "Pothole"),
        _backlog("potholes_overdue", "Pothole", overdue="true"),
        # Another breakdown or an age profile changes the rows, not the update.
        _backlog("graffiti_open", "Graffiti", dimensions="[council_district]"),
        _backlog("graffiti_aged", "Graffiti", age_buckets="[30, 60]"),
        _backlog("weekly", "Pothole", grains="[week]"),
        metric_yaml("permits_open", "unit: permits\nkind: backlog\ntable: permits\n"),
        _count("potholes", "Pothole"),
    )
    assert update_families(checked) == [
        ("potholes_open", "potholes_overdue", "graffiti_open", "graffiti_aged"),
    ]


def test_a_backlog_family_binds_each_members_id_and_own_parameters() -> None:
    checked = config(
        _backlog("potholes_open", "Pothole", targets="[{from: 2020-01-01, value: 5}]"),
        _backlog("graffiti_aged", "Graffiti", age_buckets="[30, 60]"),
    )
    family = compile_family(checked, ("potholes_open", "graffiti_aged"), incremental=True)
    assert family.params["m1_member"] == "potholes_open"
    assert family.params["m2_member"] == "graffiti_aged"
    assert family.params["m1_target_1_value"] == 5
    # Both members' filters and the age profile's buckets are bound in the shared core.
    assert {"Pothole", "Graffiti", "0-29 days", "60+ days"} <= set(map(str, family.params.values()))
    assert not re.search(r"\$(metric_id|member)\b", family.sql)
    for name in family.params:
        assert f"${name}" in family.sql, name
    # The version spans of the changed records are derived once for both.
    assert family.sql.count("record_versions AS (") == 1
    assert family.partial == {"potholes_open", "graffiti_aged"}
    with pytest.raises(ValueError, match="full compute"):
        compile_family(checked, ("potholes_open", "graffiti_aged"), incremental=False)
