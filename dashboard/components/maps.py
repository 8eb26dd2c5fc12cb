"""The district map: each district's boundary shaded by a metric's value, drawn offline.

A ``Choroplethmap`` trace (what Plotly's ``choropleth_map`` draws) on the ``white-bg`` style
loads no tiles, fonts or sprites: the boundaries come from the warehouse's ``districts`` table
(city.yml's boundary GeoJSON), so the map draws with no network at all. The map has no
``fitbounds``: the centre and zoom are worked out from the boundaries' bounds (``fit_view``).
Pure: DataFrames in, figures out.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from dashboard.components.formats import UNIT_PERCENT, format_value, is_missing
from dashboard.components.safe_text import plotly_text
from dashboard.components.status import status_label

FLAG_OUTLINE = "#c62828"
UNSHADED = ("too_little_data", "not_available")
NO_VALUE_FILL = "#e5e7eb"
# The size the zoom fits the districts into: the map is drawn MAP_HEIGHT high across the
# page, so at least MAP_WIDTH wide on any screen the dashboard is read on, a 390 px phone
# included (its page is about 358 px wide; the colour bar lies below the map, not beside it).
# A wider screen shows the whole city with more room around it.
MAP_WIDTH, MAP_HEIGHT = 340, 560
# Light to dark blue: the lowest value still stands out from the white background.
VALUE_SCALE = [[0.0, "#c6dbef"], [0.5, "#4292c6"], [1.0, "#08306b"]]
BOUNDARY_LINE = "#374151"
_TILE = 512  # pixels of the world's width at zoom 0 (MapLibre's tile size)


def district_name(district_id: object, name: object) -> str:
    """A district as pages name it: its name from city.yml, else 'District <id>'."""
    return f"District {district_id}" if is_missing(name) or name == "" else str(name)


def _positions(coordinates: Any) -> Iterator[tuple[float, float]]:
    """Every (longitude, latitude) in a GeoJSON coordinates array, however deep."""
    if (
        isinstance(coordinates, list)
        and len(coordinates) >= 2
        and all(isinstance(c, int | float) for c in coordinates[:2])
    ):
        yield float(coordinates[0]), float(coordinates[1])
    elif isinstance(coordinates, list):
        for part in coordinates:
            yield from _positions(part)


def bounds(geometries: Iterable[dict[str, Any]]) -> tuple[float, float, float, float]:
    """(west, south, east, north) of GeoJSON geometries."""
    points = [p for geometry in geometries for p in _positions(geometry.get("coordinates"))]
    if not points:
        raise ValueError("the district boundaries hold no coordinates")
    longitudes, latitudes = zip(*points, strict=True)
    return min(longitudes), min(latitudes), max(longitudes), max(latitudes)


def _mercator(latitude: float) -> float:
    clipped = max(-85.0, min(85.0, latitude))
    return math.log(math.tan(math.pi / 4 + math.radians(clipped) / 2))


def fit_view(
    box: tuple[float, float, float, float],
    width: int = MAP_WIDTH,
    height: int = MAP_HEIGHT,
    margin: float = 0.08,
) -> tuple[dict[str, float], float]:
    """The centre and zoom that show ``box`` whole in a ``width`` x ``height`` map (Web
    Mercator, as the map draws), with ``margin`` of the size left free on each side."""
    west, south, east, north = box
    x_span = max(east - west, 1e-6) / 360.0  # share of the world's width
    y_span = max(_mercator(north) - _mercator(south), 1e-6) / (2 * math.pi)
    usable = 1 - 2 * margin
    zoom = math.log2(min(width * usable / (_TILE * x_span), height * usable / (_TILE * y_span)))
    middle = (_mercator(north) + _mercator(south)) / 2
    latitude = math.degrees(2 * math.atan(math.exp(middle)) - math.pi / 2)
    return {"lon": (west + east) / 2, "lat": latitude}, max(0.0, min(zoom, 18.0))


def _hover(row: Any, unit: str | None) -> str:
    name = plotly_text(row.district_name)
    if is_missing(row.value):
        return f"{name}<br>No value"
    status = "" if is_missing(row.status) else f" · {status_label(row.status)}"
    parts = [f"{name}<br>{format_value(row.value, unit)}{status}"]
    if not is_missing(row.gap) and bool(row.comparable):
        parts.append(f"{float(row.gap):+.1%} against citywide")
    if bool(row.flagged):
        parts.append("⚑ behind citywide")
    return "<br>".join(parts)


def district_choropleth(
    layer: pd.DataFrame, latest: pd.DataFrame, unit: str | None, title: str
) -> go.Figure:
    """Each district's boundary shaded by its value in ``latest`` (district_comparison rows of
    one period); districts without a value (or with too little data) are grey, flagged ones
    outlined in red. ``layer`` has id, name and geometry (GeoJSON text) per district;
    ``latest`` has council_district, value, status, gap, comparable and flagged."""
    shapes = layer[layer["geometry"].notna()]
    # Features are keyed by position ("0", "1", ...), never by the district id: an id is
    # text from the extracts, and nothing of it reaches the figure but the escaped hover.
    rows = pd.DataFrame(
        {
            "key": [str(n) for n in range(len(shapes))],
            "id": shapes["id"].astype(str).tolist(),
            "name": shapes["name"].tolist(),
            "geometry": [json.loads(str(g)) for g in shapes["geometry"]],
        }
    )
    collection = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "id": key, "properties": {}, "geometry": geometry}
            for key, geometry in zip(rows["key"], rows["geometry"], strict=True)
        ],
    }
    values = latest.assign(id=latest["council_district"].astype(str))
    rows = rows.merge(values, on="id", how="left")
    rows["district_name"] = [
        district_name(i, n) for i, n in zip(rows["id"], rows["name"], strict=True)
    ]
    rows["hover"] = [_hover(row, unit) for row in rows.itertuples()]
    # Too little data is no value to shade by: such a district is grey, like one without any.
    too_few = rows["not_compared"] == "too_few" if "not_compared" in rows else False
    shaded = rows["value"].notna() & ~rows["status"].isin(UNSHADED) & ~too_few
    measured, grey = rows[shaded], rows[~shaded]
    centre, zoom = fit_view(bounds(rows["geometry"]))
    figure = go.Figure()
    if not measured.empty:
        figure.add_trace(
            go.Choroplethmap(
                geojson=collection,
                locations=list(measured["key"]),
                z=measured["value"].astype(float).tolist(),
                colorscale=VALUE_SCALE,
                marker={"opacity": 0.9, "line": {"color": BOUNDARY_LINE, "width": 1}},
                colorbar={
                    "title": {"text": "%" if unit == UNIT_PERCENT else plotly_text(unit or "")},
                    "tickformat": ".0%" if unit == UNIT_PERCENT else ",~r",
                    "orientation": "h",
                    "y": -0.02,
                    "yanchor": "top",
                    "thickness": 14,
                },
                hovertext=list(measured["hover"]),
                hovertemplate="%{hovertext}<extra></extra>",
            )
        )
    _add_outlines(figure, collection, grey, NO_VALUE_FILL, BOUNDARY_LINE, 1)
    flagged = rows[rows["flagged"].fillna(False).astype(bool)]
    _add_outlines(figure, collection, flagged, "rgba(0,0,0,0)", FLAG_OUTLINE, 4)
    figure.update_layout(
        # white-bg: no tiles, fonts or sprites are fetched (plotly's px.choropleth_map style).
        map={"style": "white-bg", "center": centre, "zoom": zoom},
        title={"text": plotly_text(title)},
        showlegend=False,
        margin={"l": 0, "r": 0, "t": 50, "b": 70},
        height=MAP_HEIGHT + 120,
    )
    return figure


def _add_outlines(
    figure: go.Figure,
    collection: dict[str, Any],
    rows: pd.DataFrame,
    fill: str,
    line: str,
    width: float,
) -> None:
    """A layer of districts drawn in one flat fill with an outline (no value, or flagged)."""
    if rows.empty:
        return
    figure.add_trace(
        go.Choroplethmap(
            geojson=collection,
            locations=list(rows["key"]),
            z=[0] * len(rows),
            colorscale=[[0, fill], [1, fill]],
            showscale=False,
            marker={"line": {"color": line, "width": width}},
            hovertext=list(rows["hover"]),
            hovertemplate="%{hovertext}<extra></extra>",
        )
    )
