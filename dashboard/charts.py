"""Plotly figure builders for the metric page (pure: DataFrames in, figures out)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.presentation import (
    UNIT_PERCENT,
    format_value,
    status_colour,
    status_label,
)

TARGET_TRACE = "Target"
VALUE_TRACE = "Value"
CITYWIDE_LINE = "Citywide"


def _axis_format(unit: str | None) -> dict[str, str]:
    if unit == UNIT_PERCENT:
        return {"tickformat": ".0%"}
    return {"tickformat": ",~r"}


def trend_figure(series: pd.DataFrame, unit: str | None, title: str) -> go.Figure:
    """Value line with status-coloured markers and the target as a dashed step line.

    `series` has period_label, value, target and status columns, oldest period first.
    """
    hover = [
        f"{period}<br>{format_value(value, unit)}<br>Target {format_value(target, unit)}"
        f"<br>{status_label(status)}"
        for period, value, target, status in zip(
            series["period_label"],
            series["value"],
            series["target"],
            series["status"],
            strict=True,
        )
    ]
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(
            x=series["period_label"],
            y=series["value"],
            name=VALUE_TRACE,
            mode="lines+markers",
            line={"color": "#1f4e79", "width": 2},
            marker={
                "size": 11,
                "color": [status_colour(status) for status in series["status"]],
                "line": {"color": "white", "width": 1},
            },
            hovertext=hover,
            hoverinfo="text",
        )
    )
    if series["target"].notna().any():
        figure.add_trace(
            go.Scatter(
                x=series["period_label"],
                y=series["target"],
                name=TARGET_TRACE,
                mode="lines",
                line={"color": "#444444", "dash": "dash", "shape": "hvh", "width": 2},
                hoverinfo="skip",
            )
        )
    figure.update_layout(
        title={"text": title},
        xaxis={"type": "category", "title": None},
        yaxis={"title": None, **_axis_format(unit)},
        # Above the plot: below it, the legend hides the rotated period labels.
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"},
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        height=380,
    )
    return figure


def district_figure(
    districts: pd.DataFrame, citywide_value: float | None, unit: str | None, title: str
) -> go.Figure:
    """One bar per council district, coloured by status, with a citywide reference line.

    `districts` has area, value and status columns.
    """
    labels = [f"District {area}" for area in districts["area"]]
    figure = go.Figure(
        go.Bar(
            x=labels,
            y=districts["value"],
            name="Council district",
            marker={"color": [status_colour(status) for status in districts["status"]]},
            text=[format_value(value, unit) for value in districts["value"]],
            textposition="outside",
            hovertext=[status_label(status) for status in districts["status"]],
        )
    )
    if citywide_value is not None and not pd.isna(citywide_value):
        figure.add_hline(
            y=citywide_value,
            line={"color": "#1f4e79", "dash": "dash", "width": 2},
            annotation_text=f"{CITYWIDE_LINE} {format_value(citywide_value, unit)}",
            annotation_position="right",
            name=CITYWIDE_LINE,
        )
    figure.update_layout(
        title={"text": title},
        xaxis={"type": "category", "title": None},
        yaxis={"title": None, **_axis_format(unit)},
        showlegend=False,
        # Room on the right for the citywide label, so it never covers a bar.
        margin={"l": 10, "r": 120, "t": 50, "b": 10},
        height=380,
    )
    return figure
