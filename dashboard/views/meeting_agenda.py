"""A meeting's agenda of action items; one item's history beside the form that edits its owner,
due date and status against the version the page showed (the choice of keeping theirs or
yours when someone else changed it first)."""

from __future__ import annotations

from datetime import date
from typing import Any

import streamlit as st

from dashboard.auth import roles
from dashboard.components.safe_text import escape_markdown as md
from dashboard.meetings import actions as meeting_actions
from dashboard.meetings import store
from dashboard.meetings.audit import audit_rows
from dashboard.meetings.database import MeetingError, MeetingsDB, StaleEdit
from dashboard.meetings.permissions import Actor, PermissionDenied
from dashboard.meetings.tables import action_rows
from dashboard.views import meeting_conflict
from dashboard.views.meeting_state import flash
from dashboard.views.page_support import show_table

ACTION_FIELDS = {"status": "Status", "owner": "Owner", "due_date": "Due"}
ITEM_KEY = "agenda_item"
TYPED = ""  # the owner picker's "nobody picked" choice: the typed name (or no change) counts


def known_people() -> list[str]:
    """The sign-in ids (e-mails) roles.yml names, to pick an owner from; none without it."""
    try:
        config = roles.load_roles(roles.roles_path())
    except roles.RolesFileError:
        return []
    return [] if config is None else sorted(config.users)


def owner_change(picked: str, typed: str, people: list[str]) -> dict[str, Any]:
    """The owner fields an edit sets: a typed name wins (its sign-in id kept when it is one
    roles.yml knows), else the person picked, else no change."""
    typed = typed.strip()
    if typed:
        known = typed.lower() if typed.lower() in people else None
        return {"owner": typed, "owner_user": known}
    if picked:
        return {"owner": picked, "owner_user": picked}
    return {}


def _save(db: MeetingsDB, actor: Actor, action_id: int, changes: dict[str, Any], read: int) -> None:
    try:
        meeting_actions.edit_action(db, actor, action_id, changes, read_version=read)
    except StaleEdit as stale:
        meeting_conflict.refused("status_conflict", stale)
    except (MeetingError, PermissionDenied) as exc:
        st.error(f"Not changed: {md(exc)}.")
    else:
        st.session_state[f"agenda_saved_{action_id}"] = True
        flash(f"Action item #{action_id} saved.")


def _department(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _yours(stale: StaleEdit) -> dict[str, Any]:
    """The refused edit again, to save over the version there now."""
    mine: dict[str, Any] = {"status": stale.yours["status"], "owner": stale.yours["owner"]}
    mine["owner_user"] = stale.yours.get("owner_user")
    mine["due_date"] = date.fromisoformat(str(stale.yours["due_date"]))
    return mine


def _edit_form(db: MeetingsDB, actor: Actor, item: dict[str, Any], read: int) -> None:
    action_id = int(item["action_id"])
    people = known_people()
    # After a save the owner fields start empty again (set before the widgets exist).
    if st.session_state.pop(f"agenda_saved_{action_id}", False):
        st.session_state[f"agenda_owner_{action_id}"] = ""
        st.session_state[f"agenda_pick_{action_id}"] = TYPED
    with st.form(f"agenda_edit_{action_id}"):
        left, middle, right = st.columns(3)
        status = left.selectbox(
            "Status",
            meeting_actions.ACTION_STATUSES,
            index=meeting_actions.ACTION_STATUSES.index(str(item["status"])),
            key=f"agenda_status_{action_id}",
        )
        due = middle.date_input(
            "Due", value=date.fromisoformat(str(item["due_date"])), key=f"agenda_due_{action_id}"
        )
        picked = right.selectbox(
            "Owner: a person who signs in",
            [TYPED, *people],
            format_func=lambda p: p or "(keep, or type a name below)",
            key=f"agenda_pick_{action_id}",
        )
        typed = st.text_input(
            f"Owner: or type a name (now {item['owner']})", key=f"agenda_owner_{action_id}"
        )
        clicked = st.form_submit_button("Save the action item", key=f"agenda_save_{action_id}")
    if clicked:
        changes = {"status": status, "due_date": due, **owner_change(picked, typed, people)}
        _save(db, actor, action_id, changes, read)


def agenda_section(db: MeetingsDB, actor: Actor, packet: store.Packet) -> None:
    """Every action item on the meeting's agenda; one item's history and, for those who may
    change it, the form that edits it (against the version the page showed)."""
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
        _save(db, actor, int(stale.entity_id), _yours(stale), stale.current_version)
    if actions.empty:
        st.caption("None yet: add one while discussing a metric.")
        return
    show_table(action_rows(actions))
    items = {
        str(a["action_id"]): {str(k): v for k, v in a.items()} for a in actions.to_dict("records")
    }
    chosen = st.selectbox(
        "Action item: its history, and edit it",
        list(items),
        format_func=lambda k: f"#{k} {items[k]['description']}",
        key=ITEM_KEY,
    )
    item = items[str(chosen)]
    # Only leadership and the head of the item's department; the store checks again.
    if actor.may("write_action", _department(item["department"])):
        _edit_form(db, actor, item, shown_before.get(str(chosen), shown[str(chosen)]))
    else:
        st.caption("Read only: the item's department head or leadership edits it.")
    st.markdown(f"**History of action item #{chosen}**")
    changes = meeting_actions.action_history(db, int(str(chosen)))
    show_table(audit_rows(changes).drop(columns=["What"]))
