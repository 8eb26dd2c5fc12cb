"""The leadership index over time, for the city, a cohort or a department, with the metrics
that moved it between two periods (a section the Leadership and Department pages share)."""

from __future__ import annotations

import streamlit as st

from dashboard.components.formats import grain_label
from dashboard.components.index_history import (
    index_history_figure,
    moves_summary,
    moves_table,
)
from dashboard.components.safe_text import escape_markdown as md
from dashboard.queries import index_history, metric_info
from dashboard.queries.reader import Warehouse
from dashboard.views.page_support import show_table
from dashboard.views.url_choices import url_choice

SCOPES = {"city": "City", "cohort": "Cohort", "department": "Department"}


# The URL parameters of the index drill-down, which a change of grain or member makes stale.
INDEX_PERIODS = ("index_from", "index_to")


def index_history_section(
    warehouse: Warehouse, grain: str, scope: str | None = None, name: str | None = None
) -> None:
    """The index by period and its drill-down; without ``scope`` the reader picks the city,
    a cohort or a department (``name`` fixes the member, e.g. on a department's page)."""
    st.subheader("Index over time")
    key = f"index_history_{scope or 'any'}"
    if scope is None:
        scope = url_choice(
            "index_of",
            f"{key}_scope",
            list(SCOPES),
            next(iter(SCOPES)),
            st.radio,
            "Index of",
            format_func=SCOPES.__getitem__,
            horizontal=True,
            resets=(*INDEX_PERIODS, "index_member"),
        )
    if name is None:
        name = _pick_member(warehouse, scope, grain, key)
        if name is None:
            return
    history = index_history.index_history(warehouse, scope, name, grain)
    if history.empty:
        st.info(f"No complete {grain_label(grain).lower()} has an index here yet.")
        return
    shown = metric_info.department_names(warehouse).get(name, name)
    st.plotly_chart(
        index_history_figure(history, f"{shown}: index by {grain_label(grain).lower()}"),
        key=f"{key}_chart",
    )
    _drill_down(warehouse, scope, name, grain, list(history["period_label"]), key)


def _pick_member(warehouse: Warehouse, scope: str, grain: str, key: str) -> str | None:
    names = index_history.scope_names(warehouse, scope, grain)
    if not names:
        st.info(f"No {SCOPES[scope].lower()} has an index at this grain yet.")
        return None
    if len(names) == 1:
        return names[0]
    departments = metric_info.department_names(warehouse)
    return url_choice(
        "index_member",
        f"{key}_name",
        names,
        names[0],
        st.selectbox,
        SCOPES[scope],
        format_func=lambda n: departments.get(n, n),
        resets=INDEX_PERIODS,
    )


def _drill_down(
    warehouse: Warehouse, scope: str, name: str, grain: str, periods: list[str], key: str
) -> None:
    st.markdown("**What moved it.** Each metric's share of the index in two periods.")
    if len(periods) < 2:
        st.info("One complete period only: nothing to compare it with yet.")
        return
    before_col, after_col = st.columns(2)
    before = url_choice(
        "index_from", f"{key}_before", periods, periods[-2], before_col.selectbox, "From"
    )
    after = url_choice("index_to", f"{key}_after", periods, periods[-1], after_col.selectbox, "To")
    moves = index_history.index_moves(warehouse, scope, name, grain, before, after)
    if moves.empty:
        st.info("This warehouse predates the drill-down: run `citystat run` to add it.")
        return
    st.caption(md(moves_summary(moves, before, after)))
    # Its status column says before → after in icons and words: not one status to colour.
    show_table(moves_table(moves, grain))
    st.caption(
        "A metric's contribution is its score against target divided by the number of metrics "
        "scored, so the contributions add up to the index and their changes to its change."
    )
