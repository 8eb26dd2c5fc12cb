"""A meeting's packet as a printable, self-contained HTML document and as CSV.

The HTML carries its own print CSS and draws each trend as inline SVG built here, so it opens
and prints offline: nothing is fetched from the internet, no script runs. Every text that came
from a person or a configuration file is HTML-escaped. Nothing here imports Streamlit.
"""

from __future__ import annotations

from html import escape

import pandas as pd

from dashboard.components.csv_export import csv_bytes
from dashboard.components.definition_changes import frozen_version_text
from dashboard.components.formats import (
    MISSING,
    describe_change,
    direction_text,
    format_value,
    grain_label,
)
from dashboard.components.html_table import status_cell, table_html
from dashboard.components.status import status_colour, status_label
from dashboard.meetings.audit import AUDIT_CSV_COLUMNS, audit_rows
from dashboard.meetings.memo_draft import HEADING_PREFIX
from dashboard.meetings.packet_chart import trend_svg
from dashboard.meetings.store import COMMENTARY_FIELDS, Packet

PACKET_CSV_COLUMNS = (
    "meeting_id",
    "meeting_date",
    "scope",
    "metric_id",
    "metric",
    "department",
    "unit",
    "direction",
    "period",
    "under_review",
    "value",
    "target",
    "status",
    "count",
)


def packet_title(packet: Packet) -> str:
    """'Stat review: Streets Department, 2025-04-20'."""
    meeting = packet.meeting
    return f"Stat review: {meeting['scope_name']}, {meeting['meeting_date']}"


def packet_file_stem(packet: Packet) -> str:
    """A file name for the packet's downloads, e.g. 'stat-review-3-2025-04-20'."""
    return f"stat-review-{packet.meeting['meeting_id']}-{packet.meeting['meeting_date']}"


def reviewed_periods(values: pd.DataFrame) -> dict[str, str]:
    """Each metric's period under review: the latest period its packet froze."""
    latest = values.sort_values("period_start").groupby("metric_id", sort=False).tail(1)
    return dict(
        zip(latest["metric_id"].astype(str), latest["period_label"].astype(str), strict=True)
    )


def packet_values_table(packet: Packet) -> pd.DataFrame:
    """One row per frozen metric value, with the meeting and metric it belongs to."""
    values = packet.values.merge(
        packet.metrics[["metric_id", "label", "department", "unit", "direction"]],
        on="metric_id",
        how="left",
    )
    reviewed = reviewed_periods(packet.values)
    meeting = packet.meeting
    return pd.DataFrame(
        {
            "meeting_id": [int(meeting["meeting_id"])] * len(values),
            "meeting_date": [str(meeting["meeting_date"])] * len(values),
            "scope": [str(meeting["scope_name"])] * len(values),
            "metric_id": values["metric_id"].astype(str).tolist(),
            "metric": values["label"].astype(str).tolist(),
            "department": values["department"].astype(str).tolist(),
            "unit": values["unit"].astype(str).tolist(),
            "direction": values["direction"].tolist(),
            "period": values["period_label"].astype(str).tolist(),
            "under_review": [
                reviewed.get(str(m)) == str(p)
                for m, p in zip(values["metric_id"], values["period_label"], strict=True)
            ],
            "value": values["value"].astype(float).tolist(),
            "target": values["target"].astype(float).tolist(),
            "status": values["status"].tolist(),
            "count": values["count"].tolist(),
        },
        columns=list(PACKET_CSV_COLUMNS),
    )


def packet_csv(packet: Packet) -> bytes:
    """The packet's frozen metric values as formula-safe CSV."""
    return csv_bytes(packet_values_table(packet))


def packet_audit_csv(packet: Packet) -> bytes:
    """The meeting's audit trail as formula-safe CSV: one row per recorded change, its
    before and after as JSON."""
    return csv_bytes(packet.audit.reindex(columns=list(AUDIT_CSV_COLUMNS)))


# ------------------------------------------------------------------------------ the chart


# --------------------------------------------------------------------------- the document

_CSS = """
@page { size: letter; margin: 0.6in 0.55in;
        @bottom-right { content: "Page " counter(page) " of " counter(pages); font-size: 8pt;
                        color: #4b5563; } }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: #111827;
       font-size: 10.5pt; line-height: 1.4; margin: 0 auto; max-width: 7.4in; padding: 8mm 0; }
h1 { font-size: 19pt; margin: 0 0 2mm; color: #1f4e79; }
h2 { font-size: 13.5pt; margin: 7mm 0 2mm; color: #1f4e79; border-bottom: 1px solid #cbd5e1;
     padding-bottom: 1mm; }
h3 { font-size: 11pt; margin: 3mm 0 1mm; }
.meta, .note { color: #4b5563; font-size: 9pt; margin: 0 0 1mm; }
table { border-collapse: collapse; width: 100%; margin: 2mm 0 3mm; font-size: 9.5pt; }
table.trail { table-layout: fixed; font-size: 8.5pt; }
th, td { border: 1px solid #d1d5db; padding: 1.2mm 2mm; text-align: left; vertical-align: top;
         overflow-wrap: anywhere; }
th { background: #f3f4f6; }
td.num { text-align: right; white-space: nowrap; }
.status { font-weight: 600; white-space: nowrap; }
.overdue { color: #c62828; font-weight: 700; }
.metric { break-inside: avoid; page-break-inside: avoid; margin-top: 6mm; }
.facts { display: flex; gap: 4mm; flex-wrap: wrap; margin: 2mm 0; }
.fact { border: 1px solid #d1d5db; border-radius: 2mm; padding: 1.5mm 3mm; min-width: 34mm; }
.fact .label { color: #4b5563; font-size: 8.5pt; }
.fact .value { font-size: 12.5pt; font-weight: 600; }
.commentary dt { font-weight: 700; margin-top: 1.5mm; }
.commentary dd { margin: 0 0 0 4mm; white-space: pre-wrap; }
svg.trend { max-width: 100%; height: auto; display: block; }
svg .tick { font-size: 11px; fill: #4b5563; font-family: inherit; }
.empty { color: #6b7280; font-style: italic; }
.memo { border: 1px solid #cbd5e1; padding: 2mm 4mm; margin: 2mm 0 4mm; }
.memo h3 { color: #1f4e79; }
.memo p, .memo li { white-space: pre-wrap; margin: 0.8mm 0; }
h2, h3 { break-after: avoid; page-break-after: avoid; }
tr { break-inside: avoid; page-break-inside: avoid; }
@media print { body { padding: 0; } a { color: inherit; text-decoration: none; } }
"""


def _text(value: object) -> bool:
    """True for a non-empty text (a missing title reads None or NaN from a frame)."""
    return isinstance(value, str) and bool(value.strip())


def _cell(text: object, css: str = "") -> str:
    attribute = f' class="{css}"' if css else ""
    return f"<td{attribute}>{escape(str(text))}</td>"


def _status_cell(status: object) -> str:
    return status_cell(None if pd.isna(status) else str(status), "status")  # type: ignore[call-overload]


def _summary(packet: Packet, reviewed: dict[str, str]) -> str:
    rows = []
    for metric in packet.metrics.to_dict("records"):
        series = packet.values[packet.values["metric_id"] == metric["metric_id"]]
        unit, direction = metric["unit"], metric["direction"]
        if series.empty:
            rows.append(
                f"<tr>{_cell(metric['label'])}<td colspan=5 class=empty>No complete period "
                "was available when the packet was frozen.</td></tr>"
            )
            continue
        latest = series.iloc[-1]
        prior = series.iloc[-2]["value"] if len(series) > 1 else None
        change = describe_change(latest["value"], prior, unit, direction).text
        rows.append(
            "<tr>"
            + _cell(metric["label"])
            + _cell(reviewed.get(str(metric["metric_id"]), MISSING))
            + _cell(format_value(latest["value"], unit), "num")
            + _cell(format_value(latest["target"], unit), "num")
            + _status_cell(latest["status"])
            + _cell(change, "num")
            + "</tr>"
        )
    return (
        "<table><thead><tr><th>Metric</th><th>Period</th><th>Value</th><th>Target</th>"
        "<th>Status</th><th>Change</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
    )


def _actions_table(actions: pd.DataFrame, show_raised: bool) -> str:
    if actions.empty:
        return '<p class="empty">None.</p>'
    head = "<th>Action</th><th>Metric</th><th>Owner</th><th>Due</th><th>Status</th>"
    head += "<th>Raised</th>" if show_raised else ""
    rows = []
    for item in actions.to_dict("records"):
        status = str(item["status"]).capitalize()
        if bool(item["overdue"]):
            status_html = '<td class="overdue">⚠ Overdue</td>'  # only open items are overdue
        else:
            status_html = _cell(status)
        rows.append(
            "<tr>"
            + _cell(item["description"])
            + _cell(item["metric_label"])
            + _cell(item["owner"])
            + _cell(item["due_date"], "num")
            + status_html
            + (_cell(f"Meeting of {item['raised_on']}") if show_raised else "")
            + "</tr>"
        )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _commentary_html(packet: Packet, metric_id: str) -> str:
    notes = packet.commentary[packet.commentary["metric_id"] == metric_id]
    if notes.empty:
        return '<p class="empty">No commentary recorded.</p>'
    blocks = []
    for note in notes.to_dict("records"):
        items = "".join(
            f"<dt>{escape(label)}</dt><dd>{escape(str(note[field]))}</dd>"
            for field, label in COMMENTARY_FIELDS.items()
            if note.get(field)
        )
        blocks.append(
            f"<h3>Commentary, {escape(str(note['period_label']))}</h3>"
            f'<dl class="commentary">{items}</dl>'
        )
    return "".join(blocks)


def _metric_section(packet: Packet, metric: dict[str, object], grain: str) -> str:
    metric_id = str(metric["metric_id"])
    unit = None if metric["unit"] is None else str(metric["unit"])
    series = packet.values[packet.values["metric_id"] == metric_id]
    label = str(metric["label"])
    head = (
        f'<section class="metric" id="{escape(metric_id)}"><h2>{escape(label)}</h2>'
        f'<p class="meta">{escape(str(metric["department"]))} · owner: '
        f"{escape(str(metric['owner']))} · {escape(direction_text(metric['direction']))}"  # type: ignore[arg-type]
        "</p>"
    )
    if series.empty:
        body = '<p class="empty">No complete period was available when the packet was frozen.</p>'
    else:
        latest = series.iloc[-1]
        facts = [
            (f"Value, {latest['period_label']}", format_value(latest["value"], unit)),
            ("Target", format_value(latest["target"], unit)),
        ]
        body = (
            '<div class="facts">'
            + "".join(
                f'<div class="fact"><div class="label">{escape(name)}</div>'
                f'<div class="value">{escape(text)}</div></div>'
                for name, text in facts
            )
            + f'<div class="fact"><div class="label">Status</div><div class="value status" '
            f'style="color:{status_colour(latest["status"])}">'
            f"{escape(status_label(latest['status']))}</div></div></div>"
            + trend_svg(series, unit, f"{label} by {grain_label(grain).lower()}")
            + '<p class="note">Solid line: the value, each dot coloured by its status; '
            "dashed line: the target.</p>"
        )
    # The definition the frozen values were computed with, whatever the warehouse says now.
    version = frozen_version_text(
        metric.get("definition_version"), metric.get("definition_effective_from")
    )
    methodology = (
        f'<p class="note"><strong>How it is computed.</strong> '
        f"{escape(str(metric['methodology'] or MISSING))} "
        f"<em>Computed with {escape(version)}.</em></p>"
    )
    actions = packet.actions[packet.actions["metric_id"] == metric_id]
    action_html = (
        "<h3>Action items</h3>" + _actions_table(actions, show_raised=True)
        if not actions.empty
        else ""
    )
    return (
        head + body + methodology + _commentary_html(packet, metric_id) + action_html + "</section>"
    )


def _audit_html(packet: Packet) -> str:
    if packet.audit.empty:
        return '<p class="empty">No change recorded.</p>'
    return table_html(audit_rows(packet.audit), css_class="trail")


def memo_html(packet: Packet) -> str:
    """The briefing memo as HTML, every line escaped: its "## " lines as headings, its "- "
    lines as list items; says whether it is final or still a draft."""
    if packet.memo is None:
        return '<p class="empty">No briefing memo was saved for this meeting.</p>'
    frozen = packet.memo["frozen_at"]
    state = (
        f"Final: frozen {frozen} UTC."
        if frozen
        else "Draft: it may still change before the meeting."
    )
    parts, items = [f'<p class="note">{escape(state)}</p>'], []
    for line in str(packet.memo["body"]).splitlines():
        if line.startswith("- "):
            items.append(f"<li>{escape(line[2:])}</li>")
            continue
        if items:
            parts.append("<ul>" + "".join(items) + "</ul>")
            items = []
        if line.startswith(HEADING_PREFIX):
            parts.append(f"<h3>{escape(line[len(HEADING_PREFIX) :])}</h3>")
        elif line.strip():
            parts.append(f"<p>{escape(line)}</p>")
    if items:
        parts.append("<ul>" + "".join(items) + "</ul>")
    return '<section class="memo">' + "".join(parts) + "</section>"


def packet_html(packet: Packet, plans: str = "") -> str:
    """The packet as one printable HTML document (US Letter): the briefing memo, the summary,
    carried-over and new action items, then each metric's frozen values, trend chart,
    methodology, commentary and actions, the improvement plans (``plans``:
    packet_plans.plans_html) and the meeting's audit trail."""
    meeting = packet.meeting
    grain = str(meeting["grain"])
    reviewed = reviewed_periods(packet.values)
    carried = packet.actions[packet.actions["carried_over"]]
    raised = packet.actions[~packet.actions["carried_over"]]
    provenance = (
        f"Packet frozen {meeting['created_at']} UTC from warehouse run "
        f"{meeting['run_id'] or MISSING} (data as of {meeting['data_as_of'] or MISSING}); "
        "later data loads do not change it."
    )
    scope = "Department" if meeting["scope_kind"] == "department" else "Cohort"
    previous = (
        f"Carried over from the meeting of {packet.previous['meeting_date']}"
        if packet.previous
        else "Carried over from the previous meeting"
    )
    first_note = (
        ""
        if packet.previous
        else f'<p class="empty">This is the first meeting reviewing '
        f"{escape(str(meeting['scope_name']))}: nothing to carry over.</p>"
    )
    overdue = int(carried["overdue"].sum()) if not carried.empty else 0
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(packet_title(packet))}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<header><h1>{escape(packet_title(packet))}</h1>",
        f'<p class="meta">{escape(scope)}: <strong>{escape(str(meeting["scope_name"]))}</strong>'
        f" · periods: {escape(grain_label(grain).lower())}"
        + (f" · {escape(str(meeting['title']))}" if _text(meeting.get("title")) else "")
        + "</p>",
        f'<p class="meta">{escape(provenance)}</p></header>',
        "<h2>Briefing memo</h2>",
        memo_html(packet),
        "<h2>Summary</h2>",
        _summary(packet, reviewed),
        f"<h2>{escape(previous)}</h2>",
        (
            f'<p class="overdue">{overdue} of {len(carried)} carried-over items are overdue.</p>'
            if overdue
            else ""
        ),
        first_note or _actions_table(carried, show_raised=True),
        "<h2>Action items raised at this meeting</h2>",
        _actions_table(raised, show_raised=False),
    ]
    parts += [
        _metric_section(packet, {str(k): v for k, v in metric.items()}, grain)
        for metric in packet.metrics.to_dict("records")
    ]
    parts += [plans, "<h2>Audit trail</h2>", _audit_html(packet)]
    parts.append(
        '<footer><p class="note">citystat stat review packet. Values are citywide and frozen '
        "when the meeting was created.</p></footer></body></html>"
    )
    return "\n".join(parts)
