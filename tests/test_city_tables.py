"""The city profile published into the warehouse: city_profile, departments, districts (with
their boundaries read from GeoJSON), and metric_definitions.common_id."""

from __future__ import annotations

import json
import textwrap
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from pipelines.city.loader import load_city
from pipelines.city.tables import (
    PROFILE_TABLES,
    ProfileRows,
    profile_rows,
    write_profile_tables,
)
from pipelines.config.issues import CityFileError
from pipelines.metrics import compute_metrics
from tests.metrics_support import config, metric_yaml, warehouse

# Line numbers below are the lines of this text (1-based).
CITY_YML = textwrap.dedent(
    """\
    name: Testville
    timezone: America/Chicago
    fiscal_year_start_month: 10
    departments:
      - {id: streets, name: Streets and Sanitation}
      - {id: licenses_inspections, name: Licenses and Inspections}
    districts:
      dimension: council_district
      label: Ward
      population: {source: Testville census, year: 2020}
      boundaries: {root: city, path: wards.geojson, id_property: WARD}
      districts:
        - {id: "1", name: Ward One, population: 25000}
        - {id: "2", name: Ward Two, population: 35000}
    population: {total: 60000, source: "U.S. Census Bureau, 2020 Census", year: 2020}
    """
)
DISTRICT_2_LINE = 14
DISTRICTS_LINE = 12
PATH_LINE = 11


def _square(x: float, y: float) -> dict[str, object]:
    ring = [[x, y], [x + 0.1, y], [x + 0.1, y + 0.1], [x, y + 0.1], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def _feature(ward: object, x: float) -> dict[str, object]:
    # WARD as a number in one feature and as text in the other: matched as text either way.
    return {"type": "Feature", "properties": {"WARD": ward}, "geometry": _square(x, 41.8)}


def _city(folder: Path, features: list[dict[str, object]], city_yml: str = CITY_YML) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "city.yml").write_text(city_yml)
    collection = {"type": "FeatureCollection", "features": features}
    (folder / "wards.geojson").write_text(json.dumps(collection))
    return folder


def _rows(folder: Path) -> ProfileRows:
    return profile_rows(load_city(folder), folder)


def test_profile_tables_hold_the_profile_and_each_districts_boundary(tmp_path: Path) -> None:
    folder = _city(tmp_path / "testville", [_feature(2, -87.6), _feature("1", -87.7)])
    con = duckdb.connect()
    write_profile_tables(con, _rows(folder))
    assert con.execute("SELECT * FROM city_profile").fetchall() == [
        ("Testville", "America/Chicago", 10, 60000, "U.S. Census Bureau, 2020 Census", 2020, ["en"])
    ]
    assert con.execute("SELECT id, name FROM departments ORDER BY position").fetchall() == [
        ("streets", "Streets and Sanitation"),
        ("licenses_inspections", "Licenses and Inspections"),
    ]
    districts = con.execute(
        "SELECT id, name, population, population_source, population_year, dimension, label, "
        "geometry FROM districts ORDER BY position"
    ).fetchall()
    assert [row[:7] for row in districts] == [
        ("1", "Ward One", 25000, "Testville census", 2020, "council_district", "Ward"),
        ("2", "Ward Two", 35000, "Testville census", 2020, "council_district", "Ward"),
    ]
    assert [json.loads(row[7]) for row in districts] == [
        _square(-87.7, 41.8),
        _square(-87.6, 41.8),
    ]


def test_a_district_without_a_boundary_names_its_line(tmp_path: Path) -> None:
    folder = _city(tmp_path / "testville", [_feature("1", -87.7), _feature("02", -87.6)])
    with pytest.raises(CityFileError) as caught:
        _rows(folder)
    message = str(caught.value)
    assert f"city.yml:{DISTRICT_2_LINE}: district '2' has no boundary in wards.geojson" in message
    # The file's ids are named, so a leading zero or another property is easy to spot.
    assert "its features have '1', '02'" in message
    assert f"city.yml:{DISTRICTS_LINE}: wards.geojson has boundaries for districts the list " in (
        message
    )
    assert "lacks: '02'" in message


def test_a_missing_boundary_file_names_the_path_line(tmp_path: Path) -> None:
    folder = _city(tmp_path / "testville", [])
    (folder / "wards.geojson").unlink()
    with pytest.raises(CityFileError, match=rf"city.yml:{PATH_LINE}: district boundaries .*"):
        _rows(folder)


def test_a_boundary_file_with_one_id_twice_is_refused(tmp_path: Path) -> None:
    folder = _city(
        tmp_path / "testville",
        [_feature("1", -87.7), _feature("2", -87.6), _feature(2, -87.5)],
    )
    with pytest.raises(CityFileError, match="more than one feature with WARD = 2"):
        _rows(folder)


def test_a_wrong_id_property_is_named(tmp_path: Path) -> None:
    folder = _city(
        tmp_path / "testville",
        [_feature("1", -87.7)],
        CITY_YML.replace("id_property: WARD", "id_property: ward"),
    )
    with pytest.raises(CityFileError, match=r"no feature of .* has the property 'ward'"):
        _rows(folder)


def test_without_a_city_file_the_tables_are_written_empty() -> None:
    con = duckdb.connect()
    write_profile_tables(con, profile_rows(None))
    for table in PROFILE_TABLES:
        assert con.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,)


def test_a_district_layer_without_boundaries_has_no_geometry(tmp_path: Path) -> None:
    text = CITY_YML.replace(
        "  boundaries: {root: city, path: wards.geojson, id_property: WARD}\n", ""
    )
    folder = _city(tmp_path / "testville", [], text)
    con = duckdb.connect()
    write_profile_tables(con, _rows(folder))
    assert con.execute("SELECT id, geometry FROM districts ORDER BY position").fetchall() == [
        ("1", None),
        ("2", None),
    ]


def test_metric_definitions_carry_the_common_id() -> None:
    shared = metric_yaml("opened", "unit: requests\nkind: count\ncommon_id: requests_received\n")
    own = metric_yaml("opened_too", "unit: requests\nkind: count\n")
    con = warehouse([{"opened_at": datetime(2024, 1, 5)}])
    compute_metrics(con, config(shared, own), datetime(2024, 2, 1))
    assert con.execute(
        "SELECT metric_id, common_id FROM metric_definitions ORDER BY metric_id"
    ).fetchall() == [("opened", "requests_received"), ("opened_too", None)]


def test_the_demo_builds_without_the_shared_boundaries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A fresh machine has no ../shared/data/real: the demo's districts keep their names and
    # populations, and only the map (the geometry) is left out.
    monkeypatch.setenv("CITYSTAT_REAL_DATA", str(tmp_path / "absent"))
    root = Path(__file__).resolve().parents[1]
    rows = profile_rows(load_city(root), root)
    assert [row[0] for row in rows.districts] == [str(n) for n in range(1, 11)]
    assert all(row[5] is None for row in rows.districts)
