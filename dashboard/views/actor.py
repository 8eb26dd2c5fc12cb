"""Who is using the dashboard, as the meetings store's permission checks see them."""

from __future__ import annotations

import streamlit as st

from dashboard.meetings.permissions import Actor

ACTOR_KEY = "citystat_actor"
# Without sign-in the dashboard runs on a city's own machine for its own staff: one local user
# who may do everything.
LOCAL_USER = Actor(user="local", name="Local user", role="leadership")


def current_actor() -> Actor:
    """The signed-in person (set in the session by sign-in), or the local user when sign-in is
    not configured."""
    actor = st.session_state.get(ACTOR_KEY)
    return actor if isinstance(actor, Actor) else LOCAL_USER
