"""A meeting's agenda of action items, and changing an item's status against the version the
page showed (the choice of keeping theirs or yours when someone else changed it first)."""

from __future__ import annotations

import streamlit as st

from dashboard.components.safe_text import escape_markdown as md
from dashboard.meetings import actions as meeting_actions
from dashboard.meetings import store
from dashboard.meetings.database import MeetingError, MeetingsDB, StaleEdit
from dashboard.meetings.permissions import Actor, PermissionDenied
from dashboard.meetings.tables import action_rows
from dashboard.views import meeting_conflict
from dashboard.views.meeting_state import flash
from dashboard.views.page_support import show_table

ACTION_FIELDS = {"status": "Status", "description": "Action", "owner": "Owner", "due_date": "Due"}


def _set_status(db: MeetingsDB, actor: Actor, action_id: int, status: str, read: int) -> None:
    try:
        meeting_actions.set_action_status(db, actor, action_id, status, read_version=read)
    except StaleEdit as stale:
        meeting_conflict.refused("status_conflict", stale)
    except (MeetingError, PermissionDenied) as exc:
        st.error(f"Not changed: {md(exc)}.")
    else:
        flash(f"Action item #{action_id} marked {status}.")


def _department(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def agenda_section(db: MeetingsDB, actor: Actor, packet: store.Packet) -> None:
    """Every action item on the meeting's agenda, and the form that updates one's status
    (against the version the page showed when it was clicked)."""
    st.subheader("Action items on this meeting's agenda")
    actions = packet.actions
    shown_before = st.session_state.get("status_versions", {})
    shown = dict(
        zip(actions["action_id"].astype(str), actions["version"].astype(int).tolist(), strict=True)
    )
    st.session_state["status_versions"] = shown
    resolved = meeting_conflict.choose("status_conflict", ACTION_FIELDS)
    if resolved is not None:
        stale, choice = resolved
        if choice == "theirs":
            flash(f"Kept the change to {stale.what} by {md(stale.changed_by or 'someone else')}.")
        # Yours: saved against the version that is there now.
        _set_status(
            db, actor, int(stale.entity_id), str(stale.yours["status"]), stale.current_version
        )
    if actions.empty:
        st.caption("None yet: add one while discussing a metric.")
        return
    show_table(action_rows(actions))
    # Only the items this person may change (those of their departments' metrics, for a
    # department head); the store checks each change again.
    labels = {
        str(a.action_id): f"#{a.action_id} {a.description} ({a.owner})"
        for a in actions.itertuples()
        if actor.may("write_action", _department(a.department))
    }
    if not labels:
        return
    with st.form(f"meetings_status_{packet.meeting['meeting_id']}"):
        left, right = st.columns([3, 1])
        chosen = left.selectbox(
            "Action item", list(labels), format_func=labels.__getitem__, key="status_action"
        )
        status = right.selectbox("New status", meeting_actions.ACTION_STATUSES, key="status_value")
        clicked = st.form_submit_button("Update status", key="status_submit")
    if clicked:
        read = shown_before.get(str(chosen), shown[str(chosen)])
        _set_status(db, actor, int(chosen), str(status), read)
