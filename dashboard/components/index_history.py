"""The leadership index over time and the metrics that moved it (pure: no Streamlit)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.components.formats import MISSING, format_score, format_signed, format_value
from dashboard.components.html_table import link_column, table_link
from dashboard.components.links import metric_link
from dashboard.components.safe_text import plotly_text
from dashboard.components.status import status_label
from dashboard.components.tables import OPEN_METRIC, department_names

INDEX_TRACE = "Index"
ON_TARGET = 1.0


def index_history_figure(history: pd.DataFrame, title: str) -> go.Figure:
    """The index by period with a dashed line at 1.00 (on target on average).

    ``history`` has period_label, index_value, metrics_scored and metrics_total columns.
    """
    hover = [
        f"{period}<br>Index {format_score(value)}<br>{int(scored)} of {int(total)} metrics scored"
        for period, value, scored, total in zip(
            history["period_label"],
            history["index_value"],
            history["metrics_scored"],
            history["metrics_total"],
            strict=True,
        )
    ]
    figure = go.Figure(
        go.Scatter(
            x=history["period_label"],
            y=history["index_value"],
            name=INDEX_TRACE,
            mode="lines+markers",
            line={"color": "#1f4e79", "width": 2},
            marker={"size": 8},
            hovertext=hover,
            hoverinfo="text",
        )
    )
    figure.add_hline(
        y=ON_TARGET,
        line={"color": "#444444", "dash": "dash", "width": 1},
        annotation_text="1.00 = on target",
        annotation_position="top left",
    )
    figure.update_layout(
        title={"text": plotly_text(title)},
        xaxis={"type": "category", "title": None},
        yaxis={"title": None, "tickformat": ".2f"},
        showlegend=False,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        height=340,
    )
    return figure


def moves_table(moves: pd.DataFrame, grain: str) -> pd.DataFrame:
    """Display rows for ``index_moves``: how much each metric's contribution moved the index
    (beside its name, so a wide table never hides it), its status, score and value in the
    two periods."""
    return pd.DataFrame(
        {
            "Metric": moves["label"].astype(str).tolist(),
            "Details": link_column(
                table_link(OPEN_METRIC, metric_link(str(m), grain)) for m in moves["metric_id"]
            ),
            "Moved the index by": [
                format_signed(change) if scored else MISSING
                for change, scored in zip(
                    moves["contribution_change"],
                    moves["score_before"].notna() | moves["score_after"].notna(),
                    strict=True,
                )
            ],
            "Status": [
                f"{status_label(before)} → {status_label(after)}"
                if changed
                else f"{status_label(after)} (unchanged)"
                for before, after, changed in zip(
                    moves["status_before"],
                    moves["status_after"],
                    moves["status_changed"],
                    strict=True,
                )
            ],
            "Value": [
                f"{format_value(before, unit)} → {format_value(after, unit)}"
                for before, after, unit in zip(
                    moves["value_before"], moves["value_after"], moves["unit"], strict=True
                )
            ],
            "Score vs target": [
                f"{format_score(before)} → {format_score(after)}"
                for before, after in zip(moves["score_before"], moves["score_after"], strict=True)
            ],
            "Department": department_names(moves),
        }
    )


def moves_summary(moves: pd.DataFrame, before: str, after: str) -> str:
    """One sentence: how many metrics changed status and what the contributions add up to."""
    changed = int(moves["status_changed"].sum())
    total = float(moves["contribution_change"].sum())
    metrics = "metric" if changed == 1 else "metrics"
    return (
        f"From {before} to {after}: {changed} {metrics} changed status; the metrics' "
        f"contributions moved the index by {format_signed(total)} in all."
    )
