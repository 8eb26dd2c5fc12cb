"""The quarterly cohorts on the Services and Leadership pages: each quarter with its state,
capacity and services (confirmed, or proposed from the ranking), and leadership's form to
confirm a proposal. The store checks the permission again when it writes."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.components.cohorts import (
    COHORT_STATES,
    confirmation_words,
    members_table,
    quarter_span,
)
from dashboard.components.safe_text import escape_markdown as md
from dashboard.meetings import cohorts
from dashboard.meetings import schema as meeting_schema
from dashboard.meetings.board import BoardCohort, build_board
from dashboard.meetings.cohorts import Candidate, CohortQuarter
from dashboard.meetings.database import MeetingError, StoreUnavailable, store_exists
from dashboard.meetings.permissions import Actor, PermissionDenied
from dashboard.queries.cohorts import has_calendar
from dashboard.queries.reader import Warehouse
from dashboard.views.meeting_state import FLASH_KEY, flash, store_unavailable
from dashboard.views.page_support import show_table


def _confirm_form(cohort: BoardCohort, ranking: pd.DataFrame, actor: Actor) -> None:
    quarter = cohort.quarter
    label = str(quarter["cohort_label"])
    proposed = cohort.members
    with st.form(f"confirm_{quarter['cohort_start']}"):
        chosen = st.multiselect(
            f"Services of {label} (at most {int(quarter['capacity'])})",
            ranking["service"].astype(str).tolist(),
            default=proposed["service"].astype(str).tolist(),
            key=f"confirm_services_{quarter['cohort_start']}",
        )
        note = st.text_input("Note (why a change from the proposal)", key=f"confirm_note_{label}")
        if not st.form_submit_button(f"Confirm {label}"):
            return
    candidates = {
        str(service): Candidate(str(service), str(department), int(rank))
        for service, department, rank in zip(
            ranking["service"], ranking["department"], ranking["rank"], strict=True
        )
    }
    spec = CohortQuarter(
        quarter["cohort_start"],
        quarter["cohort_end"],
        label,
        int(quarter["capacity"]),
        quarter["data_as_of"],
    )
    try:
        with meeting_schema.connect() as db:
            cohorts.confirm_cohort(
                db,
                actor,
                spec,
                [candidates[s] for s in proposed["service"].astype(str)],
                [candidates[s] for s in chosen],
                note,
            )
    except (MeetingError, PermissionDenied) as refusal:
        st.error(f"Not confirmed: {md(refusal)}.")
    else:
        flash(f"{md(label)} confirmed: {len(chosen)} service(s).")


def _board_or_none(wh: Warehouse) -> list[BoardCohort] | None:
    if not store_exists():
        return build_board(wh, None)
    try:
        with meeting_schema.connect() as db:
            return build_board(wh, db)
    except StoreUnavailable as problem:
        store_unavailable(problem)
        return None


def cohorts_section(
    wh: Warehouse,
    actor: Actor,
    ranking: pd.DataFrame | None = None,
    states: tuple[str, ...] = ("history", "current", "next"),
) -> None:
    """Each quarterly cohort in ``states``: when, its state, capacity and services; with
    ``ranking`` given, leadership's form to confirm an open one."""
    if FLASH_KEY in st.session_state:
        st.success(st.session_state.pop(FLASH_KEY))
    if not has_calendar(wh):
        st.info(
            "This warehouse was built before cohorts followed the fiscal quarters; the next "
            "`citystat run` lays out the cohort calendar."
        )
        return
    board = _board_or_none(wh)
    if board is None:
        return
    if board:
        as_of = board[0].quarter["data_as_of"]
        st.caption(
            f"Cohorts are the city's fiscal quarters, counted from the data's current date "
            f"({as_of.day} {as_of:%b %Y}). Services join by priority rank, up to each quarter's "
            "capacity; a service still improving in an earlier confirmed cohort (its quarter "
            "is current, or its plan has a milestone planned or in progress) is not proposed "
            "again."
        )
    for cohort in reversed(board):  # the next quarter first, then the current, then history
        quarter = cohort.quarter
        if quarter["state"] not in states:
            continue
        capacity = f"{int(quarter['capacity'])} places"
        if quarter["capacity_assessed"]:
            note = quarter["capacity_note"]
            capacity += " (capacity assessment" + (f": {md(note)})" if note else ")")
        span = quarter_span(quarter["cohort_start"], quarter["cohort_end"])
        st.markdown(
            f"**{md(quarter['cohort_label'])}** · {span}"
            f" · {COHORT_STATES[str(quarter['state'])]} · {capacity}  \n"
            f"{md(confirmation_words(cohort.confirmation, str(quarter['state'])))}"
        )
        if cohort.members.empty:
            st.caption(
                "No cohort was confirmed for this quarter."
                if quarter["state"] == "history"
                else "Every ranked service is already in an earlier cohort: nothing to propose."
            )
        else:
            show_table(members_table(cohort.members, cohort.confirmation is not None))
        if cohort.open and ranking is not None and actor.may("confirm_cohort"):
            _confirm_form(cohort, ranking, actor)
