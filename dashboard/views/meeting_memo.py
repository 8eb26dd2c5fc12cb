"""A meeting's briefing memo: drafted from the packet, edited by an analyst or leadership
against the version the page showed, frozen by leadership for the printed packet."""

from __future__ import annotations

from datetime import date

import streamlit as st

from dashboard.components.safe_text import escape_markdown as md
from dashboard.meetings import store
from dashboard.meetings.database import MeetingError, MeetingsDB, StaleEdit
from dashboard.meetings.memo import freeze_memo, save_memo
from dashboard.meetings.memo_draft import draft_memo
from dashboard.meetings.permissions import Actor, PermissionDenied
from dashboard.queries import freshness, reader
from dashboard.views import meeting_conflict
from dashboard.views.meeting_state import flash

CONFLICT_KEY = "memo_conflict"


def _draft(packet: store.Packet) -> str:
    """The memo drafted from the packet and the sources late now (not checked when no
    warehouse is published: the memo says so)."""
    warehouse = reader.current_warehouse()
    late = (
        None
        if warehouse is None
        else freshness.late_sources(warehouse, freshness.now_to_the_minute())
    )
    return draft_memo(packet, late, date.today())


def _save(db: MeetingsDB, actor: Actor, meeting_id: int, body: str, read: int) -> None:
    try:
        save_memo(db, actor, meeting_id, body, read_version=read)
    except StaleEdit as stale:
        meeting_conflict.refused(CONFLICT_KEY, stale)
    except (MeetingError, PermissionDenied) as exc:
        st.error(f"Not saved: {md(exc)}.")
    else:
        st.session_state.pop(f"memo_read_{meeting_id}", None)  # the next save reads anew
        flash("Briefing memo saved.")


def _resolve(db: MeetingsDB, actor: Actor, meeting_id: int) -> None:
    """A refused save: keep theirs (the editor shows it again) or save yours over it."""
    resolved = meeting_conflict.choose(CONFLICT_KEY, {"body": "Memo"})
    if resolved is None:
        return
    stale, choice = resolved
    if choice == "theirs":
        st.session_state.pop(f"memo_body_{meeting_id}", None)
        st.session_state.pop(f"memo_read_{meeting_id}", None)
        flash(f"Kept the memo saved by {md(stale.changed_by or 'someone else')}.")
    _save(db, actor, meeting_id, str(stale.yours["body"]), stale.current_version)


def memo_section(db: MeetingsDB, actor: Actor, packet: store.Packet) -> None:
    """The memo as saved (or a fresh draft), its editor for analysts and leadership, and the
    freeze for leadership; read only once frozen."""
    st.subheader("Briefing memo")
    meeting_id = int(packet.meeting["meeting_id"])
    saved = packet.memo
    version = 0 if saved is None else int(saved["version"])
    body_key, read_key = f"memo_body_{meeting_id}", f"memo_read_{meeting_id}"
    _resolve(db, actor, meeting_id)
    if saved is not None and saved["frozen_at"] is not None:
        st.caption(f"Final: frozen {saved['frozen_at']} UTC for the printed packet.")
        st.text(str(saved["body"]))
        return
    if not actor.may("write_memo"):
        st.caption("Draft: analysts and leadership edit it until leadership freezes it.")
        st.text(str(saved["body"]) if saved else "No memo yet.")
        return
    st.session_state.setdefault(read_key, version)
    if body_key not in st.session_state:
        st.session_state[body_key] = str(saved["body"]) if saved else _draft(packet)
    if st.button("Draft again from the data", key=f"memo_redraft_{meeting_id}"):
        st.session_state[body_key] = _draft(packet)
    st.caption(
        "Draft from the frozen packet: the largest moves against target, each off-track "
        "metric with its latest commentary, overdue action items, late sources. "
        + ("Saved, version " + str(version) if saved else "Not saved yet.")
    )
    with st.form(f"memo_form_{meeting_id}"):
        body = st.text_area("Memo", key=body_key, height=360)
        clicked = st.form_submit_button("Save the memo", key=f"memo_save_{meeting_id}")
    if clicked:
        _save(db, actor, meeting_id, body, int(st.session_state[read_key]))
    if saved is not None and actor.may("freeze_memo"):
        _freeze_button(db, actor, meeting_id, version)


def _freeze_button(db: MeetingsDB, actor: Actor, meeting_id: int, version: int) -> None:
    if not st.button("Freeze the memo for the packet", key=f"memo_freeze_{meeting_id}"):
        return
    try:
        freeze_memo(db, actor, meeting_id, read_version=version)
    except StaleEdit as stale:
        meeting_conflict.refused(CONFLICT_KEY, stale)
    except (MeetingError, PermissionDenied) as exc:
        st.error(f"Not frozen: {md(exc)}.")
    else:
        flash("Briefing memo frozen: the packet prints it as final.")
