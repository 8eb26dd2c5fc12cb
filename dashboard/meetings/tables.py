"""Display rows of a meeting: its name, its action items, and the packet's summary."""

from __future__ import annotations

from typing import Any

import pandas as pd

from dashboard.components.formats import (
    MISSING,
    describe_change,
    format_value,
    grain_label,
)
from dashboard.components.status import status_label
from dashboard.meetings import store
from dashboard.meetings.packet import reviewed_periods


def meeting_name(meetings: pd.DataFrame, key: str) -> str:
    """How a meeting is named in the picker: date, scope, grain and its title if it has one."""
    row = meetings[meetings["meeting_id"].astype(str) == key].iloc[0]
    # A meeting without a title reads None or NaN from the frame: no " · nan".
    title = f" · {row['title']}" if isinstance(row["title"], str) and row["title"].strip() else ""
    return f"{row['meeting_date']} · {row['scope_name']} ({grain_label(str(row['grain']))}){title}"


def action_rows(actions: pd.DataFrame) -> pd.DataFrame:
    """Display rows for action items (an agenda), overdue ones flagged in words."""
    return pd.DataFrame(
        {
            "No.": actions["action_id"].astype(int).tolist(),
            "Action": actions["description"].astype(str).tolist(),
            "Metric": actions["metric_label"].astype(str).tolist(),
            "Owner": actions["owner"].astype(str).tolist(),
            "Due": actions["due_date"].astype(str).tolist(),
            "Status": [
                "⚠ Overdue" if overdue else str(status).capitalize()  # overdue means open
                for status, overdue in zip(actions["status"], actions["overdue"], strict=True)
            ],
            "Raised on": actions["raised_on"].astype(str).tolist(),
        }
    )


def packet_summary(packet: store.Packet) -> tuple[pd.DataFrame, list[Any]]:
    """One display row per packet metric (latest frozen value, change, commentary noted), and
    each row's status for the status column's style."""
    reviewed = reviewed_periods(packet.values)
    noted = set(packet.commentary["metric_id"].astype(str))
    rows: list[dict[str, str]] = []
    statuses: list[Any] = []
    for metric in packet.metrics.itertuples():
        series = packet.values[packet.values["metric_id"] == metric.metric_id]
        latest = series.iloc[-1] if not series.empty else None
        prior = series.iloc[-2]["value"] if len(series) > 1 else None
        unit = str(metric.unit)
        statuses.append(None if latest is None else latest["status"])
        rows.append(
            {
                "Metric": str(metric.label),
                "Period": reviewed.get(str(metric.metric_id), MISSING),
                "Value": MISSING if latest is None else format_value(latest["value"], unit),
                "Target": MISSING if latest is None else format_value(latest["target"], unit),
                "Status": MISSING if latest is None else status_label(latest["status"]),
                "Change": MISSING
                if latest is None
                else describe_change(
                    latest["value"], prior, unit, str(metric.direction or "") or None
                ).text,
                "Commentary": "✔" if str(metric.metric_id) in noted else "",
            }
        )
    return pd.DataFrame(rows), statuses
