"""Plotly figure builders for the metric page (pure: DataFrames in, figures out)."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from dashboard.components.formats import UNIT_PERCENT, format_value
from dashboard.components.safe_text import plotly_text
from dashboard.components.status import status_colour, status_label

TARGET_TRACE = "Target"
VALUE_TRACE = "Value"
CITYWIDE_LINE = "Citywide"

# A horizontal legend above a stacked bar chart, listing the stacks in their own order.
_LEGEND_ABOVE_IN_ORDER = {
    "orientation": "h",
    "traceorder": "normal",
    "y": 1.02,
    "yanchor": "bottom",
    "x": 0,
    "xanchor": "left",
}


# Colours that carry meaning keep 3:1 against the white plot (WCAG 1.4.11; checked in
# tests/test_colour_contrast.py); the status colours come from components/status.py.
VALUE_LINE_COLOUR = "#1f4e79"
TARGET_LINE_COLOUR = "#444444"
# The outline that shows where a district not compared sits (its pale fill alone is 1.5:1).
NOT_COMPARED_OUTLINE = "#6b7280"


def _district_label(district: object) -> str:
    # District values come from the extracts: Plotly must show them, not read them as HTML.
    return plotly_text(f"District {district}")


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
            line={"color": VALUE_LINE_COLOUR, "width": 2},
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
                line={"color": TARGET_LINE_COLOUR, "dash": "dash", "shape": "hvh", "width": 2},
                hoverinfo="skip",
            )
        )
    figure.update_layout(
        title={"text": plotly_text(title)},
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
    labels = [_district_label(area) for area in districts["area"]]
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
        title={"text": plotly_text(title)},
        xaxis={"type": "category", "title": None},
        yaxis={"title": None, **_axis_format(unit)},
        showlegend=False,
        # Room on the right for the citywide label, so it never covers a bar.
        margin={"l": 10, "r": 120, "t": 50, "b": 10},
        height=380,
    )
    return figure


# Colours for the six prioritization factors, in Executive Order 2-24's order of priority.
FACTOR_COLOURS = ("#1f4e79", "#c62828", "#6a3d9a", "#8a5a00", "#2e7d32", "#00838f")
FLAG_TRACE = "Gap above threshold"
FLAG_COLOUR = "#c62828"


def priority_figure(ranking: pd.DataFrame, factors: pd.DataFrame) -> go.Figure:
    """Stacked horizontal bars: each service's score split into its factors' contributions.

    `ranking` has service in rank order; `factors` has service, factor_label, factor_order and
    contribution. The top-ranked service is drawn at the top.
    """
    # Service names come from services.yml; the frames keep the raw names to look rows up.
    services = ranking["service"].astype(str).tolist()
    shown = [plotly_text(service) for service in services]
    labels = factors.drop_duplicates("factor_order").sort_values("factor_order")["factor_label"]
    figure = go.Figure()
    for colour, label in zip(FACTOR_COLOURS, labels, strict=False):
        rows = factors[factors["factor_label"] == label].set_index("service")
        figure.add_trace(
            go.Bar(
                y=shown,
                x=[float(rows.at[service, "contribution"]) for service in services],
                name=plotly_text(label),
                orientation="h",
                marker={"color": colour},
                hovertemplate="%{y}<br>" + plotly_text(label) + ": %{x:.3f}<extra></extra>",
            )
        )
    figure.update_layout(
        barmode="stack",
        yaxis={"autorange": "reversed", "title": None, "type": "category"},
        xaxis={"title": "Score (sum of weighted factors)", "range": [0, 1]},
        # Factors left to right in the order's priority (stacked bars reverse it otherwise).
        legend=_LEGEND_ABOVE_IN_ORDER,
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        height=max(320, 28 * len(services) + 120),
    )
    return figure


def equity_figure(gaps: pd.DataFrame, unit: str | None, title: str) -> go.Figure:
    """One line per council district over time, the reference (citywide) as a dashed line and
    the district-periods whose gap exceeds the threshold marked.

    `gaps` has period_label, council_district, value, reference_value, reference_kind and
    flagged, oldest period first.
    """
    figure = go.Figure()
    periods = list(dict.fromkeys(gaps["period_label"]))
    reference = gaps.drop_duplicates("period_label").set_index("period_label")
    kind = str(reference["reference_kind"].iloc[0]) if not reference.empty else "citywide"
    for district, rows in gaps.groupby("council_district", sort=False):
        figure.add_trace(
            go.Scatter(
                x=rows["period_label"],
                y=rows["value"],
                name=_district_label(district),
                mode="lines+markers",
                line={"width": 1.5},
                marker={"size": 6},
            )
        )
    figure.add_trace(
        go.Scatter(
            x=periods,
            y=[reference.at[p, "reference_value"] for p in periods],
            name=CITYWIDE_LINE if kind == "citywide" else "Citywide ÷ districts",
            mode="lines+markers",
            line={"color": "#111111", "dash": "dash", "width": 3},
        )
    )
    flagged = gaps[gaps["flagged"].fillna(False).astype(bool)]
    if not flagged.empty:
        figure.add_trace(
            go.Scatter(
                x=flagged["period_label"],
                y=flagged["value"],
                name=FLAG_TRACE,
                mode="markers",
                marker={
                    "symbol": "x-thin-open",
                    "size": 16,
                    "color": FLAG_COLOUR,
                    "line": {"width": 3, "color": FLAG_COLOUR},
                },
                text=[_district_label(d) for d in flagged["council_district"]],
                hovertemplate="%{text}, %{x}<br>%{y}<extra>gap above threshold</extra>",
            )
        )
    figure.update_layout(
        title={"text": plotly_text(title)},
        xaxis={"type": "category", "title": None},
        yaxis={"title": None, **_axis_format(unit)},
        legend={"orientation": "v", "x": 1.02, "xanchor": "left", "y": 1},
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        height=420,
    )
    return figure


def district_map_figure(
    centroids: pd.DataFrame, latest: pd.DataFrame, unit: str | None, title: str
) -> go.Figure:
    """Each district at its centroid, coloured by its gap and ringed red when flagged.

    No tiles and no boundaries: positions come from the warehouse's district_centroids, so
    nothing is downloaded. Longitude is stretched by 1/cos(latitude) to keep distances true.
    """
    merged = centroids.merge(latest, on="council_district", how="inner")
    comparable = merged["comparable"].fillna(False).astype(bool)
    shown, thin = merged[comparable], merged[~comparable]
    flagged = shown["flagged"].fillna(False).astype(bool)
    # Colour by the direction-aware gap (red worse, blue better than citywide), centred on 0.
    gaps = shown["gap"].astype(float).fillna(0.0)
    reach = max(0.05, float(gaps.abs().max()) if not gaps.empty else 0.05)
    figure = go.Figure(
        go.Scatter(
            x=shown["longitude"],
            y=shown["latitude"],
            mode="markers+text",
            text=[plotly_text(f"D{d}") for d in shown["council_district"]],
            textposition="top center",
            textfont={"color": "#111111", "size": 13},
            marker={
                "size": 34,
                "color": gaps,
                "colorscale": "RdBu_r",
                "cmin": -reach,
                "cmax": reach,
                "showscale": True,
                "colorbar": {"title": {"text": "Gap"}, "tickformat": "+.0%"},
                "line": {
                    "color": [FLAG_COLOUR if f else "#444444" for f in flagged],
                    "width": [5 if f else 1 for f in flagged],
                },
            },
            hovertext=[
                f"{_district_label(d)}: {format_value(v, unit)}, gap {g:+.1%}"
                + (" · above threshold" if f else "")
                for d, v, g, f in zip(
                    shown["council_district"], shown["value"], gaps, flagged, strict=True
                )
            ],
            hoverinfo="text",
            name="Council district",
        )
    )
    if not thin.empty:
        # Too little data (or a count): placed, but grey, since its gap is not compared.
        figure.add_trace(
            go.Scatter(
                x=thin["longitude"],
                y=thin["latitude"],
                mode="markers+text",
                text=[plotly_text(f"D{d}") for d in thin["council_district"]],
                textposition="top center",
                textfont={"color": "#111111", "size": 13},
                marker={
                    "size": 34,
                    "color": "#d1d5db",
                    "line": {"color": NOT_COMPARED_OUTLINE, "width": 1},
                },
                hovertext=[
                    f"{_district_label(d)}: {format_value(v, unit)} (not compared)"
                    for d, v in zip(thin["council_district"], thin["value"], strict=True)
                ],
                hoverinfo="text",
                name="Not compared",
            )
        )
    mid_latitude = float(merged["latitude"].mean()) if not merged.empty else 40.0
    figure.update_layout(
        title={"text": plotly_text(title)},
        xaxis={"title": "Longitude", "showgrid": False, "zeroline": False},
        yaxis={
            "title": "Latitude",
            "showgrid": False,
            "zeroline": False,
            "scaleanchor": "x",
            "scaleratio": 1 / max(0.2, math.cos(math.radians(mid_latitude))),
        },
        showlegend=False,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        height=480,
    )
    return figure


# A step the list above does not name yet (still 3:1 on white).
OTHER_STEP_COLOUR = "#6b7280"
STEP_COLOURS = {
    "read": "#1f4e79",
    "stage": "#00838f",
    "validate": "#6a3d9a",
    "merge": "#8a5a00",
    "metrics": "#2e7d32",
    "publish": "#6b7280",
}


def step_figure(steps: pd.DataFrame, step_order: tuple[str, ...]) -> go.Figure:
    """Stacked horizontal bars: where each recent run's time went, by step."""
    totals = steps.groupby(["run_id", "step"], sort=False)["seconds"].sum().reset_index()
    runs = list(dict.fromkeys(steps["run_id"]))
    present = [s for s in step_order if s in set(totals["step"])]
    present += sorted(set(totals["step"]) - set(step_order))
    figure = go.Figure()
    for step in present:
        rows = totals[totals["step"] == step].set_index("run_id")["seconds"]
        figure.add_trace(
            go.Bar(
                y=runs,
                x=[float(rows.get(run, 0.0)) for run in runs],
                name=step,
                orientation="h",
                marker={"color": STEP_COLOURS.get(step, OTHER_STEP_COLOUR)},
            )
        )
    figure.update_layout(
        barmode="stack",
        yaxis={"autorange": "reversed", "title": None, "type": "category"},
        xaxis={"title": "Seconds"},
        legend=_LEGEND_ABOVE_IN_ORDER,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        height=max(220, 50 * len(runs) + 100),
    )
    return figure
