"""services.yml loading: the shipped file, and every kind of mistake reported with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.catalog import (
    FACTORS,
    ServicesFileError,
    check_services_against_metrics,
    load_services,
    load_services_text,
)
from pipelines.metrics import load_metrics

ROOT = Path(__file__).resolve().parent.parent

# Line numbers matter below: line 1 is a comment (departments are city.yml's).
BASE = """\
# departments: the city's registry in city.yml
channels: {311_phone: 311 phone, website: Website}
prioritization:
  weights:
    importance: 0.3
    life_safety: 0.2
    equity: 0.2
    time_tax: 0.1
    resources: 0.1
    spillover: 0.1
cohorts:
  first_start: 2025-07-01
  capacity: 2
services:
  - name: Street defects and potholes
    department: streets
    description: Pothole repair.
    channels: [311_phone, website]
    mechanism: Crews patch the defect.
    fees: None
    resident_must: Report it through 311.
    cohort_service: Street defects and potholes
    priority:
      people_served: 1000
      life_safety: 0.7
      equity: 0.5
      time_tax: 0.3
      resources: 0.6
      spillover: 0.5
"""


def _issues(text: str) -> list[str]:
    with pytest.raises(ServicesFileError) as caught:
        load_services_text(text)
    return [str(issue) for issue in caught.value.issues]


def test_base_file_loads_with_defaults() -> None:
    config = load_services_text(BASE)
    (service,) = config.services
    assert service.name == "Street defects and potholes"
    assert service.channels == ["311_phone", "website"]
    assert config.cohorts.capacity == 2
    # Defaults of the optional sections.
    assert config.equity.gap_threshold == 0.15
    assert config.equity.grain == "quarter"
    assert config.leadership_index.cap == 1.5
    assert config.prioritization.people_served_full_score == 100_000
    assert config.service_lines == {"Street defects and potholes": 22}


def test_shipped_services_yml_loads_and_links_to_metrics_yml() -> None:
    config = load_services(ROOT / "services.yml")
    assert len(config.services) >= 12
    weights = [config.prioritization.weights.of(f) for f in FACTORS]
    assert sum(weights) == pytest.approx(1.0)
    assert weights == sorted(weights, reverse=True)
    cohort_services = {s.cohort_service for s in config.services if s.cohort_service}
    assert cohort_services == {
        "Street defects and potholes",
        "Illegal dumping",
        "Abandoned vehicles",
        "Street light outages",
        "Missed trash and recycling collection",
        "Property maintenance complaints",
    }
    # Services beyond 311: no request types, so their importance comes from the estimate.
    assert {"Building permits", "Library cards", "Homeowner tax relief"} <= {
        s.name for s in config.services if not s.service_names
    }
    assert check_services_against_metrics(config, load_metrics(ROOT / "metrics.yml")) == []


def test_unknown_key_names_the_service_and_suggests_the_key() -> None:
    # One mistake, one issue: the misspelt key names the required key it stands for.
    text = BASE.replace("    mechanism:", "    mechanisms:")
    assert _issues(text) == [
        "services.yml:19: unknown key 'mechanisms' in service 'Street defects and potholes'; "
        "did you mean 'mechanism'? ('mechanism' is required and missing)",
    ]


def test_weights_must_add_up_to_one() -> None:
    text = BASE.replace("importance: 0.3", "importance: 0.4")
    assert _issues(text) == [
        "services.yml:4: prioritization.weights add up to 1.1; they must add up to 1; change "
        "them so the six shares total 1 (scores then run from 0 to 1)",
    ]


def test_weights_must_follow_the_orders_priority() -> None:
    text = BASE.replace("equity: 0.2\n    time_tax", "equity: 0.1\n    time_tax").replace(
        "time_tax: 0.1\n    resources: 0.1", "time_tax: 0.2\n    resources: 0.1"
    )
    assert _issues(text) == [
        "services.yml:8: prioritization.weights.time_tax (0.2) is larger than equity (0.1), "
        "but Executive Order 2-24 ranks equity above time_tax; give each factor a weight no "
        "larger than the one before it: importance, life_safety, equity, time_tax, resources, "
        "spillover",
    ]


def test_negative_weight_and_text_weight() -> None:
    negative = BASE.replace("spillover: 0.1\ncohorts", "spillover: -0.1\ncohorts")
    assert _issues(negative) == [
        "services.yml:10: prioritization.weights.spillover is -0.1; a weight is the factor's "
        "share of the score, between 0 and 1; use a number from 0 to 1",
    ]
    text = BASE.replace("importance: 0.3", "importance: high")
    (issue,) = _issues(text)
    assert issue.startswith(
        "services.yml:5: the file: 'prioritization.weights.importance' should be a valid "
        "number, unable to parse string as a number, got 'high'"
    )


def test_cohort_capacity_zero_and_start_off_a_quarter() -> None:
    text = BASE.replace("capacity: 2", "capacity: 0").replace("2025-07-01", "2025-08-15")
    assert _issues(text) == [
        "services.yml:12: cohorts.first_start 2025-08-15 is not the first day of a quarter; "
        "cohorts run by fiscal quarter: use a quarter's first day, such as 2025-10-01",
        "services.yml:13: cohorts.capacity is 0; each quarterly cohort must take at least 1 "
        "service; set it to how many services the Stat team can review in one quarter, e.g. 4",
    ]


ASSESSED = """  capacity: 2
  assessments:
    - {quarter: 2026-10-01, capacity: 3, note: Two new analysts}
    - {quarter: 2027-01-01, capacity: 0}
    - {quarter: 2026-10-01, capacity: 1}
"""


def test_capacity_assessments_are_typed_and_checked_at_their_lines() -> None:
    clean = load_services_text(
        BASE.replace("  capacity: 2\n", ASSESSED.rsplit("    - {quarter: 2027", 1)[0])
    )
    (assessment,) = clean.cohorts.assessments
    assert (assessment.capacity, assessment.note) == (3, "Two new analysts")
    assert _issues(BASE.replace("  capacity: 2\n", ASSESSED)) == [
        "services.yml:16: cohorts.assessments[1].capacity is 0; each quarterly cohort must take "
        "at least 1 service; set it to how many services the Stat team can review in one "
        "quarter, e.g. 4",
        "services.yml:17: cohorts.assessments: quarter 2026-10-01 is assessed twice; keep one "
        "assessment per quarter (the latest)",
    ]
    misspelt = BASE.replace(
        "  capacity: 2\n", "  capacity: 2\n  assessments: [{quarter: 2026-10-01, capasity: 3}]\n"
    )
    assert any("capasity" in issue for issue in _issues(misspelt))


def test_cohort_dates_start_the_citys_fiscal_quarters() -> None:
    # The demo city's fiscal year starts in July: its quarters start in Jul, Oct, Jan and Apr,
    # so 2025-08-01 (a first day, not a quarter's) is refused at its line with the next one.
    metrics = load_metrics(ROOT / "metrics.yml")
    config = load_services_text(
        BASE.replace("2025-07-01", "2025-08-01").replace(
            "  capacity: 2\n",
            "  capacity: 2\n  assessments:\n    - {quarter: 2026-02-01, capacity: 3}\n",
        )
    )
    assert [str(issue) for issue in check_services_against_metrics(config, metrics)] == [
        "services.yml:12: cohorts.first_start 2025-08-01 is not the first day of one of the "
        "city's fiscal quarters (its fiscal year starts in month 7, city.yml); cohorts are "
        "fiscal quarters: use 2025-10-01",
        "services.yml:15: cohorts.assessments[0].quarter 2026-02-01 is not the first day of one "
        "of the city's fiscal quarters (its fiscal year starts in month 7, city.yml); cohorts "
        "are fiscal quarters: use 2026-04-01",
    ]


def test_unknown_department_channel_and_factor_out_of_range_all_at_once() -> None:
    text = BASE.replace("[311_phone, website]", "[311_phone, webiste]").replace(
        "life_safety: 0.7", "life_safety: 7"
    )
    assert _issues(text) == [
        "services.yml:18: service 'Street defects and potholes': unknown channel 'webiste'; "
        "did you mean 'website'? (or add it to 'channels')",
        "services.yml:25: service 'Street defects and potholes': priority.life_safety is 7.0; "
        "factor scores run from 0 to 1; use a number from 0 (not at all) to 1 (fully)",
    ]


def test_a_service_and_a_cohort_service_listed_twice() -> None:
    service = BASE[BASE.index("  - name:") :]
    text = BASE + service
    assert _issues(text) == [
        "services.yml:30: service 'Street defects and potholes' is listed twice; give each "
        "service a unique name or merge the two entries",
        "services.yml:37: service 'Street defects and potholes': cohort_service 'Street "
        "defects and potholes' is already linked to service 'Street defects and potholes'; "
        "link each metrics.yml cohort service to one service",
    ]


def test_equity_and_index_settings_are_checked() -> None:
    text = BASE.replace(
        "services:\n",
        "equity: {gap_threshold: 1.5, full_score_gap: 0, grain: decade}\n"
        "leadership_index: {cap: 0.5}\nservices:\n",
    )
    issues = _issues(text)
    assert len(issues) == 1  # the grain is a type error: the settings rules wait for it
    assert issues[0].startswith("services.yml:14: the file: 'equity.grain' should be ")
    text = text.replace("grain: decade", "grain: month")
    assert _issues(text) == [
        # Issues on one line sort by message.
        "services.yml:14: equity.full_score_gap is 0.0; it must be above 0; write the relative "
        "district gap that earns the equity factor a full score, e.g. 0.5",
        "services.yml:14: equity.gap_threshold is 1.5; it is a relative gap above 0 and at "
        "most 1; write it as a fraction: 0.15 flags a district 15% worse than citywide",
        "services.yml:15: leadership_index.cap is 0.5; it must be at least 1 (1 = on target); "
        "use 1.5 to let a metric count at most 50% above its target",
    ]


def test_invalid_yaml_and_missing_file() -> None:
    assert _issues("departments: [a\nchannels: {}") == [
        "services.yml:2: invalid YAML: expected ',' or ']', but got ':'; check indentation, "
        "colons and quotes on this line or the one above"
    ]
    with pytest.raises(ServicesFileError, match="cannot read"):
        load_services(Path("/nonexistent/services.yml"))


def test_a_department_is_an_id_of_the_city_registry() -> None:
    metrics = load_metrics(ROOT / "metrics.yml")
    for written, hint in [
        ("Streets Department", "write its id 'streets'"),
        ("Street Department", "did you mean 'streets' (Streets Department)?"),
        ("streats", "did you mean 'streets'?"),
    ]:
        config = load_services_text(BASE.replace("department: streets", f"department: {written}"))
        (issue,) = check_services_against_metrics(config, metrics)
        assert str(issue) == (
            f"services.yml:16: service 'Street defects and potholes': department '{written}' "
            f"is not a department id in city.yml; {hint}"
        )


def test_cohort_service_unknown_to_metrics_yml(tmp_path: Path) -> None:
    config = load_services_text(
        BASE.replace("cohort_service: Street defects and potholes", "cohort_service: Potholes")
    )
    metrics = load_metrics(ROOT / "metrics.yml")
    (issue,) = check_services_against_metrics(config, metrics)
    assert str(issue).startswith(
        "services.yml:22: service 'Street defects and potholes': cohort_service 'Potholes' is "
        "not a cohort_service in metrics.yml; "
    )
