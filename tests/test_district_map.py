"""The district map's pure parts: a boundary projected to one path, and its shading."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from dashboard.components.maps import (
    district_choropleth,
    district_name,
    mercator_y,
    outline,
    shade,
)


def _square(west: float, south: float, size: float, clockwise: bool) -> list[list[float]]:
    ring = [[west, south], [west + size, south], [west + size, south + size], [west, south + size]]
    ring = ring[::-1] if clockwise else ring
    return [*ring, ring[0]]


def test_latitudes_become_web_mercator_ordinates_in_degrees() -> None:
    # y = ln(tan(pi/4 + lat/2)) = asinh(tan(lat)): 0 at the equator, 50.4990 degrees at 45.
    assert mercator_y(np.array([0.0, 45.0])) == pytest.approx([0.0, 50.4990], abs=1e-4)
    assert mercator_y(np.array([39.95]))[0] == pytest.approx(
        math.degrees(math.asinh(math.tan(math.radians(39.95))))
    )


def test_outer_rings_run_anticlockwise_and_holes_clockwise() -> None:
    """A clockwise outer ring is turned round and so is an anticlockwise hole, so the one SVG
    path leaves the hole unfilled by the non-zero rule; rings are apart by a gap (NaN)."""
    polygon = {
        "type": "Polygon",
        "coordinates": [_square(0, 0, 4, clockwise=True), _square(1, 1, 1, clockwise=False)],
    }
    x, y = outline(polygon)
    assert len(x) == 5 + 1 + 5
    assert math.isnan(x[5]) and math.isnan(y[5])
    # The outer ring now goes north-west, south-west, south-east, north-east: anticlockwise.
    assert x[:5].tolist() == [0, 0, 4, 4, 0]
    assert y[:5] == pytest.approx(mercator_y(np.array([4.0, 0.0, 0.0, 4.0, 4.0])))
    # The hole now goes west-south, west-north, east-north: clockwise.
    assert x[6:].tolist() == [1, 1, 2, 2, 1]
    assert y[6:8] == pytest.approx(mercator_y(np.array([1.0, 2.0])))


def test_a_multipolygons_parts_are_one_path_apart_by_gaps() -> None:
    multi = {
        "type": "MultiPolygon",
        "coordinates": [[_square(0, 0, 1, clockwise=False)], [_square(5, 5, 1, clockwise=False)]],
    }
    x, _ = outline(multi)
    assert x[:5].tolist() == [0, 1, 1, 0, 0] and x[6:].tolist() == [5, 6, 6, 5, 5]
    assert np.isnan(x).sum() == 1


def test_a_boundary_with_nothing_to_fill_draws_nothing() -> None:
    """A point, a line, an empty or malformed ring: the district is left off the map (it is
    still in the page's table), and the rings that can be drawn still are."""
    for geometry in (
        {"type": "Polygon", "coordinates": []},
        {"type": "Point", "coordinates": [0, 0]},
        {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]},
        {"type": "Polygon", "coordinates": [["x", "y", "z"]]},
        {"type": "Polygon", "coordinates": [[[0, 0], [1, "north"], [1, 1], [0, 0]]]},
        {},
    ):
        x, y = outline(geometry)
        assert len(x) == len(y) == 0, geometry
    multi = {
        "type": "MultiPolygon",
        "coordinates": [[[[0, 0], [1, 1]]], [_square(5, 5, 1, clockwise=False)]],
    }
    assert outline(multi)[0].tolist() == [5, 6, 6, 5, 5]


def test_values_are_shaded_light_to_dark_between_the_lowest_and_highest() -> None:
    assert shade(2.0, 2.0, 6.0) == "rgb(198, 219, 239)"  # #c6dbef
    assert shade(4.0, 2.0, 6.0) == "rgb(66, 146, 198)"  # #4292c6, the middle
    assert shade(6.0, 2.0, 6.0) == "rgb(8, 48, 107)"  # #08306b
    # One value only (or all equal): the middle of the scale.
    assert shade(3.0, 3.0, 3.0) == "rgb(66, 146, 198)"


def test_a_district_without_a_name_is_district_and_its_id() -> None:
    assert district_name("7", None) == "District 7"
    assert district_name("7", "") == "District 7"
    assert district_name("7", "Northwest") == "Northwest"


def test_the_map_leaves_off_a_district_it_cannot_draw() -> None:
    box = json.dumps({"type": "Polygon", "coordinates": [_square(0, 0, 1, clockwise=False)]})
    layer = pd.DataFrame(
        {
            "id": ["1", "2", "3"],
            "name": ["North", None, "South"],
            "geometry": [box, json.dumps({"type": "Point", "coordinates": [0, 0]}), None],
        }
    )
    latest = pd.DataFrame(
        {
            "council_district": ["1", "2", "3"],
            "value": [2.0, 4.0, 3.0],
            "status": ["on_track"] * 3,
            "gap": [None] * 3,
            "comparable": [False] * 3,
            "flagged": [False] * 3,
        }
    )
    figure = district_choropleth(layer, latest, None, "Requests").to_dict()
    *districts, colour_bar = figure["data"]
    assert [t["name"] for t in districts] == ["North"]
    # The scale spans the values of the districts with a boundary, drawn or not.
    assert list(colour_bar["marker"]["color"]) == [2.0, 4.0]
