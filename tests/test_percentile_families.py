"""Percentile families: percentiles that read the same rows, updated by one query in a daily
run (pipelines/metrics/compiler.py). The values are checked against a full recompute in
tests/test_metrics_incremental.py; here, which metrics form a family and how its query
keeps each member's parameters apart."""

from __future__ import annotations

from pipelines.metrics.compiler import compile_family, percentile_families
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
