"""Stat review meetings: schedule one (freezing its packet), discuss each metric, agree on
action items, check last meeting's items, export the packet, close it. Internal only."""

from __future__ import annotations

import streamlit as st

from dashboard.auth import role_changes
from dashboard.components.formats import (
    MISSING,
    grain_label,
)
from dashboard.components.safe_text import escape_markdown as md
from dashboard.meetings import schema as meeting_schema
from dashboard.meetings import store
from dashboard.meetings.audit import audit_rows
from dashboard.meetings.database import MeetingError, MeetingsDB, StoreUnavailable
from dashboard.meetings.permissions import Actor, PermissionDenied
from dashboard.meetings.tables import meeting_name
from dashboard.queries import reader
from dashboard.views.action_lists import data_date, my_items
from dashboard.views.actor import require_page
from dashboard.views.meeting_agenda import agenda_section
from dashboard.views.meeting_discussion import discuss_metric
from dashboard.views.meeting_memo import memo_section
from dashboard.views.meeting_packet import audit_section, carried_over, packet_section
from dashboard.views.meeting_schedule import schedule_form
from dashboard.views.meeting_state import (
    FLASH_KEY,
    MEETING_KEY,
    SCOPE_WORDS,
    flash,
    store_unavailable,
)
from dashboard.views.page_support import show_table
from dashboard.views.url_choices import choose_from_url, remember_in_url


def _open_or_close(db: MeetingsDB, actor: Actor, meeting: dict[str, object]) -> None:
    """Whether the meeting is closed, and (for leadership) the button that changes it."""
    meeting_id = int(str(meeting["meeting_id"]))
    closed = meeting["closed_at"] is not None
    if closed:
        st.info(f"Closed at {meeting['closed_at']} UTC: its commentary and action items are final.")
    if not actor.may("close_meeting"):
        return
    if st.button("Reopen the meeting" if closed else "Close the meeting", key="meetings_close"):
        try:
            (store.reopen_meeting if closed else store.close_meeting)(db, actor, meeting_id)
        except (MeetingError, PermissionDenied) as exc:
            st.error(f"Not changed: {md(exc)}.")
        else:
            flash(f"Meeting {meeting_id} {'reopened' if closed else 'closed'}.")


def _page(db: MeetingsDB, actor: Actor) -> None:
    warehouse = reader.current_warehouse()
    with st.expander("My action items"):
        my_items(db, actor, data_date(warehouse))
    meetings = store.list_meetings(db)
    with st.expander("Schedule a meeting", expanded=meetings.empty):
        schedule_form(db, actor, warehouse)
    if FLASH_KEY in st.session_state:
        st.success(st.session_state.pop(FLASH_KEY))
    if meetings.empty:
        st.info("No meeting yet. Schedule one above: its packet is frozen when you create it.")
        return
    keys = meetings["meeting_id"].astype(str).tolist()
    choose_from_url("meeting", MEETING_KEY, keys, keys[0], "meeting")
    meeting_key = st.selectbox(
        "Meeting",
        keys,
        key=MEETING_KEY,
        format_func=lambda key: meeting_name(meetings, key),
        on_change=remember_in_url,
        # Another meeting has another packet: the metric and period discussed go with it.
        args=(MEETING_KEY, "meeting", "discuss", "discuss_period"),
    )
    st.query_params["meeting"] = meeting_key
    packet = store.load_packet(db, int(meeting_key))
    meeting = packet.meeting
    st.header(f"{md(meeting['scope_name'])} · {meeting['meeting_date']}")
    st.caption(
        f"{SCOPE_WORDS.get(str(meeting['scope_kind']), meeting['scope_kind'])} review of "
        f"{grain_label(str(meeting['grain'])).lower()} values. Packet frozen "
        f"{meeting['created_at']} UTC from run `{meeting['run_id'] or MISSING}` (data as of "
        f"{meeting['data_as_of'] or MISSING}); later data loads do not change it."
    )
    _open_or_close(db, actor, meeting)
    memo_section(db, actor, packet)
    carried_over(packet)
    packet_section(db, packet)
    audit_section(packet)
    discuss_metric(db, actor, packet, warehouse)
    agenda_section(db, actor, packet)


def _role_changes(db: MeetingsDB, actor: Actor) -> None:
    """For leadership: who roles.yml gave which role and departments, and when it changed
    (the city's IT edits the file; the dashboard records each change it finds)."""
    if not actor.may("review_role_changes"):
        return
    trail = role_changes.role_trail(db)
    st.subheader("Role changes")
    with st.expander(f"Who was given which role ({len(trail)} changes recorded from roles.yml)"):
        if trail.empty:
            st.caption("No change recorded: sign-in is not configured (no roles.yml).")
            return
        st.caption("Newest first. Recorded when the dashboard first runs after roles.yml changes.")
        show_table(audit_rows(trail))


# Not in the public site's navigation; this guards a stale link all the same, and refuses a
# visitor who is not signed in with a role.
signed_in = require_page()
st.title("Stat review meetings")
try:
    with meeting_schema.connect() as connection:
        _page(connection, signed_in)
        _role_changes(connection, signed_in)
except StoreUnavailable as problem:
    store_unavailable(problem)
