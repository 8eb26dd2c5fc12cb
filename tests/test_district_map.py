"""The district map's pure parts: bounds of GeoJSON geometries and the view that fits them."""

from __future__ import annotations

import math

import pytest

from dashboard.components.maps import bounds, district_name, fit_view


def test_bounds_reach_into_multipolygons() -> None:
    polygon = {"type": "Polygon", "coordinates": [[[-75.2, 39.9], [-75.1, 39.9], [-75.1, 40.0]]]}
    multi = {
        "type": "MultiPolygon",
        "coordinates": [[[[-75.0, 40.1], [-74.9, 40.1], [-74.9, 40.2]]], [[[-75.3, 39.8]]]],
    }
    assert bounds([polygon, multi]) == (-75.3, 39.8, -74.9, 40.2)
    with pytest.raises(ValueError, match="no coordinates"):
        bounds([{"type": "Polygon", "coordinates": []}])


def test_the_view_fits_the_bounds_in_web_mercator() -> None:
    # -75.23..-75.02 by 39.89..40.08 in a 520 x 480 map with 8% free on each side, the world
    # 512 pixels wide at zoom 0 (MapLibre): across, 520 * 0.84 / (512 * 0.21 / 360) = 1,462.5
    # worlds' worth -> zoom 10.51; down, the Mercator height of 39.89..40.08 is 0.004328 rad,
    # 480 * 0.84 / (512 * 0.004328 / 2pi) = 1,143.3 -> zoom 10.16. The smaller fits both.
    centre, zoom = fit_view((-75.23, 39.89, -75.02, 40.08), width=520, height=480)
    assert zoom == pytest.approx(math.log2(1143.3), abs=0.01)
    assert centre["lon"] == pytest.approx(-75.125)
    # The Mercator middle lies a little north of the mean of the latitudes (39.985).
    assert 39.985 < centre["lat"] < 39.9851


def test_a_district_without_a_name_is_district_and_its_id() -> None:
    assert district_name("7", None) == "District 7"
    assert district_name("7", "") == "District 7"
    assert district_name("7", "Northwest") == "Northwest"
