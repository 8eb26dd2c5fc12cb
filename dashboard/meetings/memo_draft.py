"""The briefing memo's first draft, written from a meeting's packet: the largest moves against
target, each off-track metric with its latest commentary, the overdue action items and the
sources that are late. A pure function of its inputs (no database, no Streamlit), so an analyst
gets the same draft for the same packet and tests can work it out by hand.

The memo is plain text: a title line, then one section per heading, each line a sentence or a
"- " item. Lines starting with "## " are the section headings the packet prints as headings."""

from __future__ import annotations

from datetime import date

import pandas as pd

from dashboard.components.formats import format_value
from dashboard.meetings.commentary import COMMENTARY_FIELDS
from dashboard.meetings.store import Packet

MOVES = "Largest moves against target"
OFF_TRACK = "Off-track metrics and their latest commentary"
OVERDUE = "Overdue action items"
STALE = "Stale sources"
MEMO_HEADINGS = (MOVES, OFF_TRACK, OVERDUE, STALE)
HEADING_PREFIX = "## "
# How many moves the memo names: the few a meeting can discuss.
MOVES_SHOWN = 3


def target_moves(values: pd.DataFrame, metrics: pd.DataFrame) -> pd.DataFrame:
    """Each metric's move against target between its last two periods with a value and a
    target: the gap to target as a share of the target, signed so that better is positive
    (higher-is-better: (value - target) / |target|; lower-is-better: the negative of that),
    latest gap minus prior gap. Largest moves (either way) first; metrics without a direction
    or a nonzero target are left out."""
    # An empty packet reads its number columns back as text: make them numbers first.
    values = values.assign(
        value=pd.to_numeric(values["value"], errors="coerce"),
        target=pd.to_numeric(values["target"], errors="coerce"),
    )
    scored = values[values["value"].notna() & values["target"].notna() & (values["target"] != 0)]
    scored = scored.merge(metrics[["metric_id", "label", "unit", "direction"]], on="metric_id")
    sign = scored["direction"].map({"higher_is_better": 1.0, "lower_is_better": -1.0}).astype(float)
    scored = scored.assign(
        gap=sign * (scored["value"] - scored["target"]) / scored["target"].abs()
    ).dropna(subset=["gap"])
    scored = scored.sort_values(["metric_id", "period_start"])
    last_two = scored.groupby("metric_id", sort=False).tail(2)
    prior = last_two.groupby("metric_id", sort=False).head(1)
    latest = last_two.groupby("metric_id", sort=False).tail(1)
    moves = latest.merge(
        prior[["metric_id", "period_label", "value", "gap"]],
        on="metric_id",
        suffixes=("", "_prior"),
    )
    moves = moves[moves["period_label"] != moves["period_label_prior"]]
    moves = moves.assign(move=moves["gap"] - moves["gap_prior"])
    moves = moves[moves["move"] != 0]
    order = moves["move"].abs().sort_values(ascending=False, kind="stable").index
    return moves.loc[order].reset_index(drop=True)


def _move_line(row: pd.Series) -> str:
    unit = None if pd.isna(row["unit"]) else str(row["unit"])
    way = "toward or past target" if row["move"] > 0 else "away from target"
    return (
        f"- {row['label']}: {format_value(row['value_prior'], unit)} in {row['period_label_prior']}"
        f" → {format_value(row['value'], unit)} in {row['period_label']} (target "
        f"{format_value(row['target'], unit)}): moved {abs(row['move']) * 100:.1f}% of target "
        f"{way}."
    )


def _latest_commentary(packet: Packet, metric_id: str) -> str:
    notes = packet.commentary[packet.commentary["metric_id"] == metric_id]
    if notes.empty:
        return "No commentary recorded."
    note = notes.sort_values("period_label").iloc[-1]
    said = [
        f"{label}: {str(note[field]).strip()}"
        for field, label in COMMENTARY_FIELDS.items()
        if isinstance(note.get(field), str) and note[field].strip()
    ]
    return f"Commentary ({note['period_label']}): " + " ".join(said) if said else ""


def _off_track_lines(packet: Packet) -> list[str]:
    values = packet.values[packet.values["value"].notna()].sort_values("period_start")
    latest = values.groupby("metric_id", sort=False).tail(1)
    off = latest[latest["status"] == "off_track"].merge(
        packet.metrics[["metric_id", "label", "unit", "position"]], on="metric_id"
    )
    lines = []
    for row in off.sort_values("position").to_dict("records"):
        unit = None if pd.isna(row["unit"]) else str(row["unit"])
        lines.append(
            f"- {row['label']}: {format_value(row['value'], unit)} in {row['period_label']} "
            f"against a target of {format_value(row['target'], unit)}. "
            + _latest_commentary(packet, str(row["metric_id"]))
        )
    return lines or ["No metric was off track in its latest period."]


def _overdue_lines(packet: Packet) -> list[str]:
    overdue = packet.actions[packet.actions["overdue"]]
    lines = [
        f"- #{item['action_id']} {item['description']} ({item['metric_label']}): owner "
        f"{item['owner']}, due {item['due_date']}, raised at the meeting of {item['raised_on']}."
        for item in overdue.to_dict("records")
    ]
    when = packet.meeting["meeting_date"]
    return lines or [f"No open action item was due before the meeting ({when})."]


def _stale_lines(late: pd.DataFrame | None) -> list[str]:
    if late is None:
        return ["Not checked: this packet was drafted without the sources' arrival schedule."]
    if late.empty:
        return ["Every source arrived when expected."]
    ordered = late.sort_values("days_late", ascending=False, kind="stable")
    return [
        f"- {row['source_name']}: last arrived {row['last_arrived']}, expected every "
        f"{row['expected_every']}; {int(row['days_late'])} days late. Its metrics may show "
        "old values as current."
        for row in ordered.to_dict("records")
    ]


def draft_memo(packet: Packet, late: pd.DataFrame | None, drafted_on: date) -> str:
    """The memo's first draft for a meeting: its four sections in order.

    ``late`` is the late-sources frame (source_id, source_name, last_arrived,
    expected_every, days_late), or None when it was not checked; overdue items are those
    open and due before the meeting's date (the packet's agenda)."""
    meeting = packet.meeting
    moves = target_moves(packet.values, packet.metrics).head(MOVES_SHOWN)
    move_lines = [_move_line(row) for _, row in moves.iterrows()] or [
        "No metric has two periods with a value and a target to compare."
    ]
    title = f"Briefing memo: {meeting['scope_name']}, meeting of {meeting['meeting_date']}"
    sections = (
        (MOVES, move_lines),
        (OFF_TRACK, _off_track_lines(packet)),
        (OVERDUE, _overdue_lines(packet)),
        (STALE, _stale_lines(late)),
    )
    lines = [title, f"Drafted from the frozen packet on {drafted_on.isoformat()}."]
    for heading, body in sections:
        lines += ["", HEADING_PREFIX + heading, *body]
    return "\n".join(lines)
