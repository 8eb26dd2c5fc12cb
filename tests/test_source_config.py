"""Source mappings: every shipped one is valid; mistakes are named with their line."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.source_config import MappingError, available_sources, load_mapping, load_source

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


def test_every_shipped_mapping_is_valid() -> None:
    names = available_sources()
    assert {"philadelphia_311_demo", "boston_311_legacy", "nyc_311", "la_311_api"} <= set(names)
    for name in names:
        assert load_source(name).source == name  # the file name and the source name agree


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
    with pytest.raises(MappingError, match="'opend_at' is not a canonical column; use one of"):
        load_mapping(path)


def test_a_status_outside_the_vocabulary_is_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace("{Open: open}", "{Open: opened}"))
    with pytest.raises(MappingError, match=r"town\.yml:8: statuses\.Open: Input should be"):
        load_mapping(path)


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace("city: Town", "city: [Town"))
    with pytest.raises(MappingError, match=r"town\.yml:\d+: invalid YAML"):
        load_mapping(path)
