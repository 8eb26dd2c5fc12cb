"""A save refused because someone else changed the row since it was opened: yours and theirs
side by side, as text, and the choice to keep theirs or overwrite it with yours."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import streamlit as st

from dashboard.components.formats import MISSING
from dashboard.components.safe_text import escape_markdown as md
from dashboard.meetings.database import StaleEdit

Choice = Literal["theirs", "yours"]


def refused(key: str, stale: StaleEdit) -> None:
    """Remember a refused save under ``key`` and rerun, so the choice shows above the form."""
    st.session_state[key] = stale
    st.rerun()


def _as_text(values: Mapping[str, str | None], labels: Mapping[str, str]) -> str:
    return "\n".join(f"{label}: {values.get(field) or MISSING}" for field, label in labels.items())


def choose(key: str, labels: Mapping[str, str]) -> tuple[StaleEdit, Choice] | None:
    """Show the refused save remembered under ``key`` (if any), yours beside theirs; the choice
    once the person makes it, the refusal then forgotten."""
    stale = st.session_state.get(key)
    if not isinstance(stale, StaleEdit):
        return None
    who = stale.changed_by or "someone else"
    when = f" at {stale.changed_at} UTC" if stale.changed_at else ""
    st.warning(
        f"Not saved: {md(who)} changed {md(stale.what)}{md(when)} since you opened it. "
        "Compare, then keep theirs or overwrite it with yours."
    )
    yours, theirs = st.columns(2)
    yours.markdown(f"**Yours** (not saved; you opened version {stale.read_version})")
    yours.text(_as_text(stale.yours, labels))
    theirs.markdown(f"**Theirs** (saved, version {stale.current_version})")
    theirs.text(_as_text(stale.theirs, labels))
    keep_col, overwrite_col = st.columns(2)
    keep = keep_col.button("Keep theirs", key=f"{key}_keep")
    overwrite = overwrite_col.button("Overwrite with yours", key=f"{key}_overwrite")
    if not (keep or overwrite):
        return None
    del st.session_state[key]
    return stale, "theirs" if keep else "yours"
