"""What the meeting pages share: their session keys, scope words, the message after a change,
why a person may not write something, and what a page says when the store cannot be used."""

from __future__ import annotations

import logging
from typing import Any, NoReturn

import pandas as pd
import streamlit as st

from dashboard.components import site
from dashboard.components.safe_text import escape_markdown as md
from dashboard.meetings.checks import require_open
from dashboard.meetings.database import MeetingError, StoreUnavailable
from dashboard.meetings.permissions import Action, Actor, PermissionDenied

MEETING_KEY = "meetings_page_meeting"


METRIC_KEY = "meetings_page_metric"


PERIOD_KEY = "meetings_page_period"


FLASH_KEY = "meetings_page_flash"


SCOPE_WORDS = {"department": "Department", "cohort": "Quarterly cohort"}

_LOG = logging.getLogger("citystat.dashboard")


def flash(message: str) -> NoReturn:
    """Show a message after the rerun that follows a change (so the page reads fresh data)."""
    st.session_state[FLASH_KEY] = message
    st.rerun()


def write_refusal(
    actor: Actor, action: Action, department: object, meeting: dict[str, Any]
) -> str | None:
    """Why ``actor`` may not do ``action`` on this meeting's metric of ``department`` (their
    role, or the meeting is closed), or None when they may. The store checks it again."""
    try:
        actor.require(action, None if pd.isna(department) else str(department))  # type: ignore[call-overload]
        require_open(meeting)
    except (PermissionDenied, MeetingError) as refusal:
        return str(refusal)
    return None


def store_unavailable(problem: StoreUnavailable) -> None:
    """Say that the meetings store cannot be used and what to do (no traceback; its location
    only on the internal site); the server log gets the cause."""
    _LOG.warning("meetings store unavailable: %s", problem, exc_info=problem.__cause__)
    where = "" if site.is_public() else f" ({problem.location})"
    st.error(
        f"Meetings are unavailable: {md(problem.reason)}{md(where)}. "
        "Every other page keeps working."
    )
