"""The district map: each district's boundary shaded by a metric's value, drawn offline.

Each district is a filled outline on plain axes (Web Mercator: longitude across, the
Mercator ordinate of latitude up, at one scale), so the map is SVG like the other charts:
no tiles, fonts, sprites or topojson are fetched, and no WebGL context is started, which
made the map the dearest thing to draw again when a page's metric changed (0.4 s of the
equity page's 0.9 s rerun in chromium at 10M). The boundaries come from the warehouse's
``districts`` table (city.yml's boundary GeoJSON). Pure: DataFrames in, figures out.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from dashboard.components.formats import UNIT_PERCENT, format_value, is_missing
from dashboard.components.safe_text import plotly_text
from dashboard.components.status import status_label

FLAG_OUTLINE = "#c62828"
UNSHADED = ("too_little_data", "not_available")
NO_VALUE_FILL = "#e5e7eb"
MAP_HEIGHT = 440
_COLOUR_BAR_HEIGHT = 70
# Light to dark blue: the lowest value still stands out from the white background.
VALUE_SCALE = [[0.0, "#c6dbef"], [0.5, "#4292c6"], [1.0, "#08306b"]]
BOUNDARY_LINE = "#374151"


def district_name(district_id: object, name: object) -> str:
    """A district as pages name it: its name from city.yml, else 'District <id>'."""
    return f"District {district_id}" if is_missing(name) or name == "" else str(name)


def mercator_y(latitude: np.ndarray) -> np.ndarray:
    """Web Mercator's ordinate of latitudes, in degrees so it shares longitude's scale."""
    clipped = np.radians(np.clip(latitude, -85.0, 85.0))
    return np.degrees(np.log(np.tan(np.pi / 4 + clipped / 2)))


def outline(geometry: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """A Polygon's or MultiPolygon's rings as one projected path (x, y), rings apart by NaN
    (a gap in the line; NumPy arrays reach the browser as compact typed arrays); empty for
    a geometry with no ring to draw (a point, a line, a malformed ring: the boundary file
    is the city's, and its district is still in the page's table).

    The rings make one SVG path filled by the non-zero rule, so a hole is left unfilled
    only when it runs against its outer ring: outer rings are turned anticlockwise and
    holes clockwise, whatever order the boundary file gives (RFC 7946 asks for it; older
    files do not keep to it)."""
    kind, coordinates = geometry.get("type"), geometry.get("coordinates") or []
    polygons = [coordinates] if kind == "Polygon" else coordinates if kind == "MultiPolygon" else []
    parts: list[np.ndarray] = []
    gap = np.array([[np.nan, np.nan]])
    for polygon in polygons:
        for number, ring in enumerate(polygon):
            try:
                points = np.array([p[:2] for p in ring], dtype=float).reshape(-1, 2)
            except (TypeError, ValueError, IndexError):
                continue
            if len(points) < 3 or not np.isfinite(points).all():
                continue
            points[:, 1] = mercator_y(points[:, 1])
            x, y = points[:, 0], points[:, 1]
            # Twice the shoelace area: positive when the ring runs anticlockwise.
            anticlockwise = float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y)) > 0
            parts += [points if anticlockwise == (number == 0) else points[::-1], gap]
    if not parts:
        return np.array([]), np.array([])
    path = np.concatenate(parts[:-1])
    return path[:, 0], path[:, 1]


def shade(value: float, low: float, high: float) -> str:
    """The colour of ``value`` on VALUE_SCALE between ``low`` and ``high``."""
    share = 0.5 if high <= low else (value - low) / (high - low)
    return str(sample_colorscale(VALUE_SCALE, [min(1.0, max(0.0, share))])[0])


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
    rows = pd.DataFrame(
        {
            "id": shapes["id"].astype(str).tolist(),
            "name": shapes["name"].tolist(),
            "geometry": [json.loads(str(g)) for g in shapes["geometry"]],
        }
    )
    values = latest.assign(id=latest["council_district"].astype(str))
    rows = rows.merge(values, on="id", how="left")
    rows["district_name"] = [
        district_name(i, n) for i, n in zip(rows["id"], rows["name"], strict=True)
    ]
    rows["hover"] = [_hover(row, unit) for row in rows.itertuples()]
    # Too little data is no value to shade by: such a district is grey, like one without any.
    too_few = rows["not_compared"] == "too_few" if "not_compared" in rows else False
    rows["shaded"] = rows["value"].notna() & ~rows["status"].isin(UNSHADED) & ~too_few
    rows["flagged"] = rows["flagged"].fillna(False).astype(bool)
    measured = rows.loc[rows["shaded"], "value"].astype(float)
    low, high = (measured.min(), measured.max()) if not measured.empty else (0.0, 0.0)
    figure = go.Figure()
    drawn: list[tuple[float, float]] = []
    # Flagged districts last, so no neighbour is drawn over their red outline.
    in_order: list[Any] = list(rows.sort_values("flagged", kind="stable").itertuples())
    for row in in_order:
        x, y = outline(row.geometry if isinstance(row.geometry, dict) else {})
        if not len(x):
            continue
        drawn.append((float(x[0]), float(y[0])))
        figure.add_trace(
            go.Scatter(
                x=x,
                y=y,
                mode="lines",
                fill="toself",
                fillcolor=shade(float(row.value), low, high) if row.shaded else NO_VALUE_FILL,
                line={
                    "color": FLAG_OUTLINE if row.flagged else BOUNDARY_LINE,
                    "width": 4 if row.flagged else 1,
                },
                name=plotly_text(row.district_name),
                text=row.hover,
                hoveron="fills",
                hoverinfo="text",
            )
        )
    if drawn and not measured.empty:
        figure.add_trace(_colour_bar(low, high, unit, *drawn[0]))
    figure.update_layout(
        title={"text": plotly_text(title)},
        showlegend=False,
        plot_bgcolor="white",
        xaxis={"visible": False},
        # One scale across and up: the ordinate is Mercator's, so shapes keep their form.
        yaxis={"visible": False, "scaleanchor": "x", "scaleratio": 1},
        margin={"l": 0, "r": 0, "t": 50, "b": _COLOUR_BAR_HEIGHT},
        height=MAP_HEIGHT + 50 + _COLOUR_BAR_HEIGHT,
    )
    return figure


def _colour_bar(low: float, high: float, unit: str | None, x: float, y: float) -> go.Scatter:
    """An unseen two-point trace whose only part shown is the colour bar below the map."""
    return go.Scatter(
        x=[x, x],
        y=[y, y],
        mode="markers",
        marker={
            "color": [low, high],
            "colorscale": VALUE_SCALE,
            "opacity": 0,
            "showscale": True,
            "colorbar": {
                "title": {"text": "%" if unit == UNIT_PERCENT else plotly_text(unit or "")},
                "tickformat": ".0%" if unit == UNIT_PERCENT else ",~r",
                "orientation": "h",
                "y": 0,
                "yanchor": "top",
                "thickness": 14,
            },
        },
        hoverinfo="skip",
    )
