"""Source mappings: every shipped one is valid; mistakes are named with their line."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.ingest.mapping_files import (
    MappingError,
    available_sources,
    load_mapping,
    load_source,
)
from pipelines.warehouse.layout import CITY_ENV, PROJECT_ROOT, in_city

# The demo city (the repository root) and every real city under cities/.
CITY_FOLDERS = [
    PROJECT_ROOT,
    *sorted(p.parent for p in (PROJECT_ROOT / "cities").glob("*/city.yml")),
]

GOOD = """source: town
title: Town 311
city: Town
files: {pattern: town/*.csv}
timezone: America/Chicago
timestamps: {formats: ["%Y-%m-%d"]}
columns: {request_id: id, opened_at: created, status: state}
statuses: {Open: open}
bounds: {lat_min: 1, lat_max: 2, lon_min: 3, lon_max: 4}
"""


@pytest.fixture(autouse=True)
def _town_is_its_own_city(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The town's mappings are a city of their own: a folder without city.yml, so each
    mapping's own time zone is the city's (the demo city's zone is New York's)."""
    monkeypatch.setenv(CITY_ENV, str(tmp_path))


def test_every_shipped_mapping_is_valid() -> None:
    names: set[str] = set()
    for folder in CITY_FOLDERS:
        with in_city(folder):
            for name in available_sources():
                assert load_source(name).source == name  # the file and source names agree
                names.add(name)
    assert {"philadelphia_311_demo", "boston_311_legacy", "nyc_311", "la_311_api"} <= names


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "town.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_valid_mapping_loads(tmp_path: Path) -> None:
    mapping = load_mapping(_write(tmp_path, GOOD))
    assert mapping.columns["opened_at"] == "created"
    assert mapping.validation_parameters()["lat_max"] == 2


def test_unknown_key_is_reported_with_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace("timezone:", "timezonee: x\ntimezone:"))
    with pytest.raises(MappingError) as err:
        load_mapping(path)
    assert f"{path}:5: unknown key 'timezonee'; remove it or check its spelling" in str(err.value)


def test_unknown_canonical_column_names_the_choices(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace("status: state}", "status: state, opend_at: x}"))
    with pytest.raises(MappingError) as err:
        load_mapping(path)
    assert f"{path}:7: 'opend_at' is not a canonical service_requests column; use one of " in (
        str(err.value)
    )


def test_a_status_outside_the_vocabulary_is_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace("{Open: open}", "{Open: opened}"))
    with pytest.raises(MappingError) as err:
        load_mapping(path)
    assert str(err.value) == (
        f"{path}:8: 'opened' is not a service_requests status; use one of open, closed, cancelled"
    )


def test_two_status_words_that_differ_only_in_case_are_rejected(tmp_path: Path) -> None:
    # Staging matches status words ignoring case: both keys would match every "open" row.
    path = _write(
        tmp_path, GOOD.replace("statuses: {Open: open}", "statuses:\n  Open: open\n  OPEN: open")
    )
    with pytest.raises(MappingError) as err:
        load_mapping(path)
    assert str(err.value) == (
        f"{path}:10: 'OPEN' is the same status word as 'Open' (case and surrounding spaces "
        "are ignored); keep one of them"
    )


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace("city: Town", "city: [Town"))
    with pytest.raises(MappingError, match=r"town\.yml:\d+: invalid YAML"):
        load_mapping(path)


PERMITS = """source: town_permits
title: Town permits
kind: permits
city: Town
files: {pattern: town/permits.csv}
timezone: America/Chicago
timestamps: {formats: ["%m/%d/%Y"]}
columns:
  permit_id: PERMIT#
  status: STATUS
  issued_at: ISSUE_DATE
statuses:
  ACTIVE: issued
  DONE: completed
bounds: {lat_min: 1, lat_max: 2, lon_min: 3, lon_max: 4}
"""


def test_a_permits_mapping_loads_and_its_canonical_columns_come_from_its_kind(
    tmp_path: Path,
) -> None:
    mapping = load_mapping(_write(tmp_path, PERMITS))
    assert mapping.kind == "permits" and mapping.table.id_column == "permit_id"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        # opened_at is a service_requests column, not a permits one (line 11).
        (
            ("  issued_at: ISSUE_DATE", "  opened_at: ISSUE_DATE"),
            ":11: 'opened_at' is not a canonical permits column; use one of permit_id, ",
        ),
        # "closed" belongs to the 311 vocabulary, not to permits' (line 14).
        (("  DONE: completed", "  DONE: closed"), ":14: 'closed' is not a permits status; use "),
        # No id at all (the columns key is on line 8).
        (("  permit_id: PERMIT#\n", ""), ":8: columns must map 'permit_id' (or id_from); "),
        (
            ('["%m/%d/%Y"]', '["%m/%d/%Y", "epoch"]'),
            ":7: 'epoch' is neither a strptime format (like %Y-%m-%d) nor one of odata_epoch_ms",
        ),
    ],
)
def test_kind_specific_mistakes_are_named_with_their_line(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    path = _write(tmp_path, PERMITS.replace(*change))
    with pytest.raises(MappingError) as err:
        load_mapping(path)
    assert f"{path}{expected}" in str(err.value)


def test_every_problem_is_reported_at_once_with_its_own_line(tmp_path: Path) -> None:
    text = PERMITS.replace("  issued_at: ISSUE_DATE", "  opened_at: ISSUE_DATE").replace(
        "  DONE: completed", "  DONE: closed"
    )
    path = _write(tmp_path, text)
    with pytest.raises(MappingError) as err:
        load_mapping(path)
    assert [p.split(":")[1] for p in err.value.problems] == ["11", "14"]


JOINS = (
    PERMITS
    + """joins:
  - name: fees
    files: {pattern: town/fees.csv}
    on: {PERMIT#: permit}
    aggregate:
      paid: {max_of: amount, count: true}
      first: {min_of: paid_on, extract: 'paid (\\d+)-(\\d+)'}
due_rules:
  - target: permit_type
    start: applied_at
    key: permit_type
    days: {BUILDING: -1}
"""
)


def test_join_and_due_rule_mistakes_are_named(tmp_path: Path) -> None:
    path = _write(tmp_path, JOINS)
    with pytest.raises(MappingError) as err:
        load_mapping(path)
    message = str(err.value)
    assert f"{path}:21: joins.0.aggregate.paid: give exactly one of count: true" in message
    assert f"{path}:22: joins.0.aggregate.first: extract needs exactly one (group)" in message
    assert f"{path}:27: due_rules.0.days: days for BUILDING must be 0 or more" in message


def test_two_due_rule_keys_that_differ_only_in_case_are_rejected(tmp_path: Path) -> None:
    # Staging looks the key up ignoring case: both keys would claim every "building" row.
    text = PERMITS + (
        "due_rules:\n  - target: review_due_at\n    start: applied_at\n    key: permit_type\n"
        "    days:\n      Building: 10\n      ' BUILDING': 20\n"
    )
    path = _write(tmp_path, text)
    with pytest.raises(MappingError) as err:
        load_mapping(path)
    assert err.value.problems == [
        f"{path}:22: ' BUILDING' is the same key as 'Building' (case and surrounding spaces "
        "are ignored); keep one of them"
    ]


def test_due_rule_and_status_from_columns_must_be_timestamps_of_the_kind(tmp_path: Path) -> None:
    text = PERMITS.replace("  status: STATUS\n", "").replace(
        "statuses:\n  ACTIVE: issued\n  DONE: completed\n",
        "status_from:\n  - {when: permit_type, status: issued}\n"
        "due_rules:\n  - {target: permit_type, start: applied_at, key: nope, days: {A: 1}}\n",
    )
    path = _write(tmp_path, text)
    with pytest.raises(MappingError) as err:
        load_mapping(path)
    assert err.value.problems == [
        f"{path}:12: 'permit_type' is not a permits timestamp column; use one of applied_at, "
        "issued_at, completed_at, review_due_at, updated_at",
        f"{path}:14: 'permit_type' is not a permits timestamp column; use one of applied_at, "
        "issued_at, completed_at, review_due_at, updated_at",
        f"{path}:14: 'nope' is not a canonical permits column; use one of permit_id, "
        "permit_type, work_type, use_class, status, applied_at, issued_at, completed_at, "
        "review_due_at, updated_at, fee, zip, council_district, latitude, longitude",
    ]


def test_a_column_naming_an_aggregate_the_join_does_not_have_is_an_error(tmp_path: Path) -> None:
    text = PERMITS.replace("  issued_at: ISSUE_DATE", "  fee: fees.total") + (
        "joins:\n"
        "  - name: fees\n"
        "    files: {pattern: town/fees.csv}\n"
        "    on: {PERMIT#: permit}\n"
        "    aggregate: {paid: {count: true}}\n"
    )
    path = _write(tmp_path, text)
    with pytest.raises(MappingError) as err:
        load_mapping(path)
    assert str(err.value) == (
        f"{path}:11: 'fees.total': join 'fees' aggregates only paid; name one of them"
    )


def test_real_extract_mappings_have_the_expected_kinds() -> None:
    kinds = {}
    for city, name in (
        ("philadelphia", "philadelphia_permits"),
        ("chicago", "chicago_permits"),
        ("san_francisco", "sf_inspections"),
        ("chicago", "chicago_food_inspections"),
    ):
        with in_city(PROJECT_ROOT / "cities" / city):
            kinds[name] = load_source(name).kind
    assert kinds == {
        "philadelphia_permits": "permits",
        "chicago_permits": "permits",
        "sf_inspections": "inspections",
        "chicago_food_inspections": "inspections",
    }
