"""How the Compare page reads: one row per city with the value it is compared by (or why it
has none: never a zero the city did not report), where the value came from, its period and
how fresh it is; a bar chart of the compared values; notes on the periods. Pure: the
comparison rows of ``dashboard.queries.compare.comparison`` in, display rows and figures out.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go

from dashboard.components.formats import (
    MISSING,
    UNIT_PERCENT,
    format_count,
    format_timestamp,
    format_value,
    grain_label,
    is_missing,
)
from dashboard.components.safe_text import plotly_text

COMPARE_COLUMNS = (
    "City",
    "Compared",
    "As reported",
    "Period",
    "Metric in this city",
    "Residents",
    "Data as of",
    "Last run (UTC)",
    "Warehouse",
)
NOT_MEASURED = "Not measured"


def _records(rows: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(key): value for key, value in row.items()} for row in rows.to_dict("records")]


def format_rate(rate: float) -> str:
    """A rate per 1,000 residents: '2.0', '0.35', '1,234.5'."""
    return f"{rate:,.1f}" if abs(rate) >= 1 else f"{rate:.2g}"


def _has(row: dict[str, Any], key: str) -> bool:
    return not is_missing(row.get(key)) and row.get(key) != ""


def _per_residents(row: dict[str, Any]) -> bool:
    return _has(row, "per_residents") and bool(row["per_residents"])


def is_compared(row: dict[str, Any]) -> bool:
    """Whether the city has a value to compare (published, measured, in the period shown)."""
    return _has(row, "compared")


def compared_text(row: dict[str, Any], grain: str) -> str:
    """The value a city is compared by, or in words why it has none."""
    if not _has(row, "warehouse"):
        return "No published warehouse"
    if not _has(row, "metric_id"):
        return NOT_MEASURED
    if _has(row, "availability"):
        return "Not available from this city's sources"
    if not _has(row, "period_label"):
        return f"No complete {grain_label(grain).lower()}"
    if not _has(row, "value"):
        return f"No value for {row['period_label']}"
    if _per_residents(row):
        if not is_compared(row):
            return "No population in city.yml"
        return f"{format_rate(float(row['compared']))} per 1,000 residents"
    return format_value(row["value"], row["unit"])


def _reported(row: dict[str, Any]) -> str:
    if not _has(row, "value"):
        return MISSING
    shown = format_value(row["value"], row["unit"])
    return f"{shown} {row['unit']}" if _per_residents(row) else shown


def _period(row: dict[str, Any]) -> str:
    period, latest = row.get("period_label"), row.get("latest_label")
    if not _has(row, "period_label"):
        return MISSING
    if _has(row, "latest_label") and latest != period:
        return f"{period} (its latest: {latest})"
    return str(period)


def _residents(row: dict[str, Any]) -> str:
    if not _has(row, "population"):
        return MISSING
    source = ", ".join(
        str(int(row[key]) if key == "population_year" else row[key])
        for key in ("population_source", "population_year")
        if _has(row, key)
    )
    count = format_count(row["population"])
    return f"{count} ({source})" if source else count


def _metric(row: dict[str, Any]) -> str:
    if not _has(row, "metric_id"):
        return MISSING
    return f"{row['label']} ({row['metric_id']})"


def _warehouse(row: dict[str, Any]) -> str:
    if _has(row, "warehouse"):
        return str(row["warehouse"])
    return f"none in {row['folder']}"


def compare_table(rows: pd.DataFrame, grain: str) -> pd.DataFrame:
    """Display rows, one per configured city, in the order the cities were given."""
    records = _records(rows)
    return pd.DataFrame(
        {
            "City": [
                f"{r['city']} (generated demo data)"
                if _has(r, "is_demo") and r["is_demo"]
                else str(r["city"])
                for r in records
            ],
            "Compared": [compared_text(r, grain) for r in records],
            "As reported": [_reported(r) for r in records],
            "Period": [_period(r) for r in records],
            "Metric in this city": [_metric(r) for r in records],
            "Residents": [_residents(r) for r in records],
            "Data as of": [format_timestamp(r["data_as_of"]) for r in records],
            "Last run (UTC)": [format_timestamp(r["last_run"]) for r in records],
            "Warehouse": [_warehouse(r) for r in records],
        },
        columns=list(COMPARE_COLUMNS),
    )


def period_notes(rows: pd.DataFrame, grain: str, common_period: bool) -> list[str]:
    """Sentences on the periods: which one is shown, and each city whose latest differs."""
    shown = [r for r in _records(rows) if _has(r, "period_label")]
    if not shown:
        return []
    words = grain_label(grain).lower()
    if not common_period:
        return [
            f"These cities share no complete {words}: each shows its own latest, so the values "
            "cover different periods."
        ]
    notes = [
        f"Shown: {shown[0]['period_label']}, the latest {words} every city measuring this has "
        "complete."
    ]
    notes += [
        f"{r['city']}'s latest {words} is {r['latest_label']}."
        for r in shown
        if _has(r, "latest_label") and r["latest_label"] != r["period_label"]
    ]
    return notes


def population_note(rows: pd.DataFrame) -> str:
    """Where each city's residents count comes from, for the rates per 1,000 residents."""
    parts = [
        f"{r['city']}: {_residents(r)}"
        for r in _records(rows)
        if _per_residents(r) and _has(r, "population")
    ]
    return "Residents: " + "; ".join(parts) + "." if parts else ""


def compare_figure(rows: pd.DataFrame, grain: str, title: str) -> go.Figure:
    """Horizontal bars of the compared values, one per city that has one, each labelled."""
    shown = [r for r in _records(rows) if is_compared(r)]
    per_residents = any(_per_residents(r) for r in shown)
    unit = None if not shown or per_residents else shown[0]["unit"]
    labels = [compared_text(r, grain) for r in shown]
    figure = go.Figure(
        go.Bar(
            y=[plotly_text(r["city"]) for r in shown],
            x=[float(r["compared"]) for r in shown],
            orientation="h",
            marker={"color": "#1f4e79"},
            text=[plotly_text(label) for label in labels],
            textposition="auto",
            hovertext=[
                plotly_text(f"{r['city']}, {r['period_label']}: {label}")
                for r, label in zip(shown, labels, strict=True)
            ],
            hoverinfo="text",
        )
    )
    figure.update_layout(
        title={"text": plotly_text(title)},
        xaxis={
            "title": "per 1,000 residents" if per_residents else plotly_text(unit or ""),
            "tickformat": ".0%" if unit == UNIT_PERCENT else ",~r",
            "rangemode": "tozero",
        },
        yaxis={"autorange": "reversed", "type": "category"},
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        height=max(220, 60 * len(shown) + 110),
    )
    return figure
