"""What the meeting page shows a role that may not write: the saved commentary as text; and
the department a packet metric belongs to, which decides who may write about it."""

from __future__ import annotations

import streamlit as st

from dashboard.meetings import store


def saved_commentary(packet: store.Packet, metric_id: str, period: str) -> dict[str, object]:
    """The commentary saved on ``metric_id`` for ``period`` (empty when there is none)."""
    notes = packet.commentary[
        (packet.commentary["metric_id"] == metric_id)
        & (packet.commentary["period_label"] == period)
    ]
    return {str(key): value for key, value in notes.iloc[0].items()} if not notes.empty else {}


def commentary_text(packet: store.Packet, metric_id: str, period: str) -> None:
    """The saved commentary, read only, for a role that may not write it."""
    saved = saved_commentary(packet, metric_id, period)
    st.markdown(f"**Commentary on {period}**")
    written = [(label, saved.get(field)) for field, label in store.COMMENTARY_FIELDS.items()]
    written = [(label, text) for label, text in written if text]
    if not written:
        st.caption("No commentary yet.")
    for label, text in written:
        st.caption(label)
        st.text(str(text))


def metric_department(value: object) -> str | None:
    """A packet metric's department as the permission rules take it (None when missing)."""
    return None if value is None or value != value else str(value)  # NaN: none
