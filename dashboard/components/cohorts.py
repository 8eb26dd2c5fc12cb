"""How cohorts and improvement plans read on a page: states and statuses in icon and word (never
colour alone), and the display rows of a cohort's services and of a plan's milestones. Pure
pandas; no Streamlit."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from dashboard.components.formats import format_score

COHORT_STATES = {
    "history": "◷ Past quarter",
    "current": "▶ In progress",
    "next": "➜ Next quarter",
}
MILESTONE_STATES = {
    "planned": "○ Planned",
    "in_progress": "◐ In progress",
    "done": "✔ Done",
    "missed": "✖ Missed",
}


def quarter_span(start: date, end: date) -> str:
    """'1 Oct 2026 – 31 Dec 2026': a quarter's first and last day (its end is exclusive)."""
    last = end - timedelta(days=1)
    return f"{start.day} {start:%b %Y} – {last.day} {last:%b %Y}"


def confirmation_words(confirmation: dict[str, object] | None, state: str) -> str:
    """Whether a cohort is confirmed (by whom, when), proposed, or was never confirmed."""
    if confirmation is not None:
        at = str(confirmation["confirmed_at"])[:10]
        note = confirmation.get("note")
        why = f" · note: {note}" if isinstance(note, str) and note else ""
        return f"✔ Confirmed by {confirmation['confirmed_by_name']} on {at}{why}"
    if state == "history":
        return "– Not confirmed"
    return "○ Proposed, not confirmed yet"


def members_table(members: pd.DataFrame, confirmed: bool) -> pd.DataFrame:
    """Rank, service, department, and for a proposal its score, for a confirmation how each
    service came in: as proposed, added by leadership, or proposed and left out."""
    rows = {
        "Rank": ["" if pd.isna(r) else str(int(r)) for r in members["rank"]],
        "Service": members["service"].astype(str).tolist(),
        "Department": members["department_name"].astype(str).tolist(),
    }
    if not confirmed:
        rows["Score"] = [format_score(s) for s in members["score"]]
        rows["In the cohort"] = ["Proposed by rank"] * len(members)
        return pd.DataFrame(rows)
    rows["In the cohort"] = [
        ("As proposed" if proposed else "Added by leadership") if kept else "Proposed, left out"
        for proposed, kept in zip(members["proposed"], members["in_cohort"], strict=True)
    ]
    return pd.DataFrame(rows)


def plan_table(plan: pd.DataFrame) -> pd.DataFrame:
    """A plan's milestones: due date, milestone, owner, status in icon and word, version."""
    return pd.DataFrame(
        {
            "#": plan["milestone_id"].astype(int).tolist(),
            "Due": plan["due_date"].astype(str).tolist(),
            "Milestone": plan["title"].astype(str).tolist(),
            "Owner": plan["owner"].astype(str).tolist(),
            "Status": [MILESTONE_STATES.get(str(s), str(s)) for s in plan["status"]],
            "Cohort": plan["cohort_label"].astype(str).tolist(),
        },
        columns=["#", "Due", "Milestone", "Owner", "Status", "Cohort"],
    )
