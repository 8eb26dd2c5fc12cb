"""The four-part commentary on one metric and period of a meeting: its form, saved against the
version it was opened at, and the choice when someone else saved first."""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from dashboard.components.safe_text import escape_markdown as md
from dashboard.meetings import store
from dashboard.meetings.database import MeetingError, MeetingsDB, StaleEdit
from dashboard.meetings.permissions import Actor, PermissionDenied
from dashboard.views import meeting_conflict
from dashboard.views.meeting_state import flash, write_refusal


def _save(
    db: MeetingsDB,
    actor: Actor,
    packet: store.Packet,
    metric_id: str,
    period: str,
    texts: Mapping[str, str | None],
    read_version: int,
) -> None:
    suffix = f"{packet.meeting['meeting_id']}_{metric_id}_{period}"
    try:
        version = store.save_commentary(
            db,
            actor,
            int(packet.meeting["meeting_id"]),
            metric_id,
            period,
            {field: text or "" for field, text in texts.items()},
            read_version=read_version,
        )
    except StaleEdit as stale:
        meeting_conflict.refused(f"comment_conflict_{suffix}", stale)
    except (MeetingError, PermissionDenied) as exc:
        st.error(f"Not saved: {md(exc)}.")
    else:
        st.session_state[f"comment_version_{suffix}"] = version
        flash(f"Commentary on {period} saved.")


def commentary_form(
    db: MeetingsDB, actor: Actor, packet: store.Packet, metric_id: str, period: str
) -> None:
    """The commentary form; its fields show the saved text of the version they were opened
    at until saved, or until the person leaves this metric and period."""
    suffix = f"{packet.meeting['meeting_id']}_{metric_id}_{period}"
    keys = {field: f"comment_{field}_{suffix}" for field in store.COMMENTARY_FIELDS}
    version_key = f"comment_version_{suffix}"
    resolved = meeting_conflict.choose(f"comment_conflict_{suffix}", store.COMMENTARY_FIELDS)
    if resolved is not None:
        stale, choice = resolved
        if choice == "yours":
            _save(db, actor, packet, metric_id, period, stale.yours, stale.current_version)
        else:
            for key in keys.values():  # shown again from the saved version
                st.session_state.pop(key, None)
            who = md(stale.changed_by or "someone else")
            flash(f"Kept the commentary on {md(period)} saved by {who}.")
    notes = packet.commentary[
        (packet.commentary["metric_id"] == metric_id)
        & (packet.commentary["period_label"] == period)
    ]
    saved = notes.iloc[0].to_dict() if not notes.empty else {}
    if any(key not in st.session_state for key in keys.values()):
        for field, key in keys.items():
            st.session_state[key] = str(saved.get(field) or "")
        st.session_state[version_key] = int(saved.get("version") or 0)
    department = packet.metrics.set_index("metric_id").at[metric_id, "department"]
    refusal = write_refusal(actor, "write_commentary", department, packet.meeting)
    with st.form(f"meetings_comment_{suffix}"):
        st.markdown(f"**Commentary on {md(period)}**")
        texts = {
            field: st.text_area(label, key=keys[field], height=80)
            for field, label in store.COMMENTARY_FIELDS.items()
        }
        if refusal:
            st.caption(f"Read only: {md(refusal)}.")
        saved_click = st.form_submit_button(
            "Save commentary", key=f"comment_save_{suffix}", disabled=bool(refusal)
        )
    if saved_click:
        _save(db, actor, packet, metric_id, period, texts, int(st.session_state[version_key]))
