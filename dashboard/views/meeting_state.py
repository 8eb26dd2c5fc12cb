"""What the meeting pages share: their session keys, scope words, and the message after a change."""

from __future__ import annotations

import streamlit as st

MEETING_KEY = "meetings_page_meeting"


METRIC_KEY = "meetings_page_metric"


PERIOD_KEY = "meetings_page_period"


FLASH_KEY = "meetings_page_flash"


SCOPE_WORDS = {"department": "Department", "cohort": "Quarterly cohort"}


def flash(message: str) -> None:
    """Show a message after the rerun that follows a change (so the page reads fresh data)."""
    st.session_state[FLASH_KEY] = message
    st.rerun()
