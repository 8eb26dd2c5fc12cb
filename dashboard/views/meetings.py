"""Stat review meetings: schedule one (freezing its packet), discuss each metric, agree on
action items, check last meeting's items, export the packet. Internal only."""

from __future__ import annotations

import sqlite3

import streamlit as st

from dashboard.components.formats import (
    MISSING,
    grain_label,
)
from dashboard.components.safe_text import escape_markdown as md
from dashboard.meetings import schema as meeting_schema
from dashboard.meetings import store
from dashboard.meetings.permissions import Actor
from dashboard.meetings.tables import meeting_name
from dashboard.queries import reader
from dashboard.views.actor import require_page
from dashboard.views.meeting_discussion import agenda_section, discuss_metric
from dashboard.views.meeting_packet import carried_over, packet_section
from dashboard.views.meeting_schedule import schedule_form
from dashboard.views.meeting_state import (
    FLASH_KEY,
    MEETING_KEY,
    SCOPE_WORDS,
)
from dashboard.views.page_support import choose_from_url, remember_in_url


def _page(con: sqlite3.Connection, actor: Actor) -> None:
    warehouse = reader.current_warehouse()
    meetings = store.list_meetings(con)
    # What each role may change is shown by the same rules the store checks on every write.
    if actor.may("schedule_meeting"):
        with st.expander("Schedule a meeting", expanded=meetings.empty):
            schedule_form(con, warehouse)
    if FLASH_KEY in st.session_state:
        st.success(st.session_state.pop(FLASH_KEY))
    if meetings.empty:
        st.info(
            "No meeting yet. Schedule one above: its packet is frozen when you create it."
            if actor.may("schedule_meeting")
            else "No meeting yet. Leadership schedules the stat meetings."
        )
        return
    keys = meetings["meeting_id"].astype(str).tolist()
    choose_from_url("meeting", MEETING_KEY, keys, keys[0], "meeting")
    meeting_key = st.selectbox(
        "Meeting",
        keys,
        key=MEETING_KEY,
        format_func=lambda key: meeting_name(meetings, key),
        on_change=remember_in_url,
        args=(MEETING_KEY, "meeting"),
    )
    st.query_params["meeting"] = meeting_key
    packet = store.load_packet(con, int(meeting_key))
    meeting = packet.meeting
    st.header(f"{md(meeting['scope_name'])} · {meeting['meeting_date']}")
    st.caption(
        f"{SCOPE_WORDS.get(str(meeting['scope_kind']), meeting['scope_kind'])} review of "
        f"{grain_label(str(meeting['grain'])).lower()} values. Packet frozen "
        f"{meeting['created_at']} UTC from run `{meeting['run_id'] or MISSING}` (data as of "
        f"{meeting['data_as_of'] or MISSING}); later data loads do not change it."
    )
    carried_over(packet)
    packet_section(packet)
    discuss_metric(con, packet, actor)
    agenda_section(con, packet, actor)


# Not in the public site's navigation; this guards a stale link all the same.
signed_in = require_page()
st.title("Stat review meetings")
connection = meeting_schema.connect()
try:
    _page(connection, signed_in)
finally:
    connection.close()
