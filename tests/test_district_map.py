"""The district map's pure parts: a boundary projected to one path, and its shading."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dashboard.components.maps import district_name, mercator_y, outline, shade


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
    with pytest.raises(ValueError, match="no polygon"):
        outline({"type": "Polygon", "coordinates": []})
    with pytest.raises(ValueError, match="no polygon"):
        outline({"type": "Point", "coordinates": [0, 0]})


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
