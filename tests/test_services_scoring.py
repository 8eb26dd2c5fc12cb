"""Prioritization on hand-worked numbers: factor scores, weights, ranking ties (the cohort
calendar that places the ranks is tests/test_cohort_calendar.py)."""

from __future__ import annotations

import math
from datetime import date

import pytest

from pipelines.catalog import load_services_text
from pipelines.catalog.prioritize import (
    BASIS_CONFIG,
    BASIS_DATA,
    DistrictGap,
    Evidence,
    equity_score,
    people_served_score,
    rank_services,
    score_service,
)

# Weights 0.4 / 0.2 / 0.2 / 0.1 / 0.05 / 0.05; a full importance score at 9,999 people a year,
# so people_served_score(n) = log10(1 + n) / 4; a full equity score at a 50% district gap.
HEAD = """\
channels: {311_phone: 311 phone, website: Website}
prioritization:
  weights: {importance: 0.4, life_safety: 0.2, equity: 0.2, time_tax: 0.1, resources: 0.05,
            spillover: 0.05}
  people_served_full_score: 9999
cohorts: {first_start: 2025-10-01, capacity: CAPACITY}
equity: {full_score_gap: 0.5}
services:
"""


def _service(name: str, people: int, factors: str, department: str = "Parks") -> str:
    return f"""\
  - name: {name}
    department: {department}
    description: d
    channels: [website]
    mechanism: m
    fees: None
    resident_must: r
    priority: {{people_served: {people}, {factors}}}
"""


SAME = "life_safety: 0.5, equity: 0.5, time_tax: 0.5, resources: 0.5, spillover: 0.5"


def _config(services: str, capacity: int = 2):
    return load_services_text(HEAD.replace("CAPACITY", str(capacity)) + services)


def test_people_served_score_is_log_scaled_and_capped() -> None:
    assert people_served_score(0, 9999) == 0.0
    assert people_served_score(9, 9999) == pytest.approx(0.25)  # log10(10) / 4
    assert people_served_score(99, 9999) == pytest.approx(0.5)  # log10(100) / 4
    assert people_served_score(9999, 9999) == pytest.approx(1.0)
    assert people_served_score(5_000_000, 9999) == 1.0


def test_equity_score_is_the_gap_against_the_full_score_gap() -> None:
    assert equity_score(0.25, 0.5) == pytest.approx(0.5)
    assert equity_score(0.8, 0.5) == 1.0
    assert equity_score(-0.1, 0.5) == 0.0  # every district better than citywide


def test_configured_factors_are_weighted_and_summed() -> None:
    config = _config(
        _service(
            "Pools",
            999,
            "survey: 0.5, life_safety: 0.3, equity: 0.4, time_tax: 0.2, resources: 0.4, "
            "spillover: 0.3",
        )
    )
    scored = score_service(config.services[0], Evidence(), config)
    by_factor = {f.factor: f for f in scored.factors}
    # Importance = mean(people log10(1000)/4 = 0.75, survey 0.5) = 0.625.
    assert by_factor["importance"].score == pytest.approx(0.625)
    assert by_factor["importance"].basis == BASIS_CONFIG
    assert by_factor["importance"].detail == (
        "about 999 people a year (services.yml estimate); survey 0.50"
    )
    assert [f.weight for f in scored.factors] == [0.4, 0.2, 0.2, 0.1, 0.05, 0.05]
    # 0.4*0.625 + 0.2*0.3 + 0.2*0.4 + 0.1*0.2 + 0.05*0.4 + 0.05*0.3 = 0.445
    assert scored.score == pytest.approx(0.445)
    assert by_factor["equity"].contribution == pytest.approx(0.08)
    assert scored.people_served == 999


def test_warehouse_volume_and_district_gap_replace_the_configured_values() -> None:
    config = _config(_service("Potholes", 50_000, SAME))
    evidence = Evidence(
        requests_last_year=99,
        as_of=date(2025, 4, 14),
        gap=DistrictGap(0.25, "Median days to close", "2", "2025-03"),
    )
    scored = score_service(config.services[0], evidence, config)
    importance, equity = scored.factor("importance"), scored.factor("equity")
    # 99 requests, not the 50,000 estimate: log10(100)/4 = 0.5.
    assert (importance.score, importance.basis) == (pytest.approx(0.5), BASIS_DATA)
    assert importance.detail == "99 requests to 311 in the 12 months to 2025-04-14"
    assert scored.people_served == 99
    # A 25% gap against a 50% full score: 0.5 (the configured 0.5 is ignored either way).
    assert (equity.score, equity.basis) == (pytest.approx(0.5), BASIS_DATA)
    assert equity.detail == (
        "District 2 is 25% worse than citywide on “Median days to close” (2025-03)"
    )
    # 0.4*0.5 + 0.2*0.5 + 0.2*0.5 + 0.1*0.5 + 0.05*0.5 + 0.05*0.5 = 0.5
    assert scored.score == pytest.approx(0.5)


def test_zero_requests_fall_back_to_the_estimate() -> None:
    config = _config(_service("Potholes", 9, SAME))
    scored = score_service(config.services[0], Evidence(requests_last_year=None), config)
    assert scored.factor("importance").basis == BASIS_CONFIG
    assert scored.factor("importance").score == pytest.approx(0.25)


def test_ranking_breaks_ties_by_the_factors_in_priority_order_then_name() -> None:
    # All three score 0.5 in total: B has more importance than A (0.4*0.75 vs 0.4*0.5) and
    # makes up with less life safety; A and C are identical, so the name decides.
    # A: 0.4*0.5 + 0.2*0.5 + 0.2*0.5 + 0.1*0.5 + 0.05*0.5 + 0.05*0.5 = 0.5
    # B: 0.4*0.75 + 0.2*0.0 + 0.2*0.5 + 0.1*0.5 + 0.05*0.5 + 0.05*0.5 = 0.5
    services = (
        _service("C pools", 99, SAME)
        + _service("A parks", 99, SAME)
        + _service(
            "B trails",
            999,
            "life_safety: 0.0, equity: 0.5, time_tax: 0.5, resources: 0.5, spillover: 0.5",
        )
    )
    config = _config(services)
    scored = [score_service(s, Evidence(), config) for s in config.services]
    assert [round(s.score, 9) for s in scored] == [0.5, 0.5, 0.5]
    ranked = rank_services(scored)
    assert [(r.rank, r.service.name) for r in ranked] == [
        (1, "B trails"),
        (2, "A parks"),
        (3, "C pools"),
    ]


def test_reason_names_the_largest_contributions_and_the_data_used() -> None:
    config = _config(_service("Potholes", 50_000, SAME))
    evidence = Evidence(
        requests_last_year=99,
        as_of=date(2025, 4, 14),
        gap=DistrictGap(0.25, "Median days to close", "2", "2025-03"),
    )
    (ranked,) = rank_services([score_service(config.services[0], evidence, config)])
    # Contributions: importance 0.2, life safety 0.1, equity 0.1 (ties keep the order's order).
    assert ranked.reason == (
        "Rank 1 of 1, score 0.50: strongest on importance to residents (0.20 of 0.40) and "
        "life safety or public health (0.10 of 0.20). Importance to residents from data: 99 "
        "requests to 311 in the 12 months to 2025-04-14. Equity of current delivery from data: "
        "District 2 is 25% worse than citywide on “Median days to close” (2025-03)."
    )
    assert math.isclose(ranked.score, 0.5)
