"""A meeting's packet: items carried over from the last meeting, the summary, the downloads, and
the audit trail."""

from __future__ import annotations

import streamlit as st

from dashboard.components.safe_text import escape_markdown as md
from dashboard.meetings import store
from dashboard.meetings.audit import audit_rows
from dashboard.meetings.packet import packet_audit_csv, packet_csv, packet_file_stem, packet_html
from dashboard.meetings.packet_pdf import packet_pdf
from dashboard.meetings.tables import action_rows, packet_summary
from dashboard.views.page_support import show_table


def carried_over(packet: store.Packet) -> None:
    carried = packet.actions[packet.actions["carried_over"]]
    if packet.previous is None:
        st.subheader("Carried over from the previous meeting")
        st.caption(
            f"This is the first meeting reviewing {md(packet.meeting['scope_name'])}: nothing to "
            "carry over."
        )
        return
    st.subheader(f"Carried over from the meeting of {packet.previous['meeting_date']}")
    if carried.empty:
        st.caption("Every action item of that meeting was closed before this one.")
        return
    overdue = int(carried["overdue"].sum())
    if overdue:
        st.warning(
            f"{overdue} of {len(carried)} carried-over action items are overdue "
            f"(due before {packet.meeting['meeting_date']})."
        )
    # A static table: action texts wrap instead of being cut off.
    show_table(action_rows(carried))


def packet_section(packet: store.Packet) -> None:
    rows, statuses = packet_summary(packet)
    st.subheader("Packet")
    show_table(rows, statuses)
    stem = packet_file_stem(packet)
    left, middle, right, last = st.columns(4)
    left.download_button(
        "Download the packet (printable HTML)",
        data=packet_html(packet).encode("utf-8"),
        file_name=f"{stem}.html",
        mime="text/html",
        on_click="ignore",
        key="meetings_export_html",
    )
    middle.download_button(
        "Download the packet's values (CSV)",
        data=packet_csv(packet),
        file_name=f"{stem}.csv",
        mime="text/csv",
        on_click="ignore",
        key="meetings_export_csv",
    )
    right.download_button(
        "Download the audit trail (CSV)",
        data=packet_audit_csv(packet),
        file_name=f"{stem}-audit.csv",
        mime="text/csv",
        on_click="ignore",
        key="meetings_export_audit",
    )
    last.download_button(
        "Download the packet (PDF, US Letter)",
        # Printed only when clicked: WeasyPrint takes a second or two.
        data=lambda: packet_pdf(packet),
        file_name=f"{stem}.pdf",
        mime="application/pdf",
        on_click="ignore",
        key="meetings_export_pdf",
    )


def audit_section(packet: store.Packet) -> None:
    """Who changed what in this meeting, and when: the audit trail, oldest first."""
    with st.expander(f"Audit trail ({len(packet.audit)} changes recorded)"):
        if packet.audit.empty:
            st.caption("No change recorded for this meeting.")
            return
        show_table(audit_rows(packet.audit))
