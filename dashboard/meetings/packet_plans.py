"""The packet's improvement-plan section: each cohort service the meeting reviews with its
milestones (due date, milestone, owner, status in icon and word). Kept apart from packet.py so
the packet's own layout can change without touching it. Every text is HTML-escaped."""

from __future__ import annotations

from html import escape

import pandas as pd

from dashboard.meetings.milestones import STATUS_WORDS

_ICONS = {"planned": "○", "in_progress": "◐", "done": "✔", "missed": "✖"}
_HEAD = ("Due", "Milestone", "Owner", "Status")


def _status(status: str) -> str:
    return f"{_ICONS.get(status, '')} {STATUS_WORDS.get(status, status)}".strip()


def _service_html(service: str, cohort: str, rows: pd.DataFrame) -> str:
    heading = f'<h3>{escape(service)} <span class="meta">· {escape(cohort)}</span></h3>'
    planned = rows[rows["milestone_id"].notna()]
    if planned.empty:
        return heading + '<p class="empty">No milestone yet.</p>'
    body = "".join(
        "<tr>"
        f'<td class="num">{escape(str(r["due_date"]))}</td><td>{escape(str(r["title"]))}</td>'
        f"<td>{escape(str(r['owner']))}</td>"
        f'<td class="status">{escape(_status(str(r["status"])))}</td>'
        "</tr>"
        for r in planned.to_dict("records")
    )
    head = "".join(f"<th>{name}</th>" for name in _HEAD)
    return f"{heading}<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def plans_html(plans: pd.DataFrame, as_of: str) -> str:
    """The section: a heading, when the plans were read (they change after the packet froze),
    and each service's milestones; a sentence when the scope has no confirmed service."""
    parts = [
        "<h2>Improvement plans</h2>",
        f'<p class="meta">Milestones as they stood at {escape(as_of)} UTC, when this copy '
        "was made; plans keep changing after the packet froze.</p>",
    ]
    if plans.empty:
        parts.append('<p class="empty">No confirmed cohort service in this meeting\'s scope.</p>')
        return "\n".join(parts)
    for (_, cohort, service), rows in plans.groupby(
        ["cohort_start", "cohort_label", "service"], sort=False
    ):
        parts.append(_service_html(str(service), str(cohort), rows))
    return "\n".join(parts)
