"""The form that schedules a meeting and freezes its packet from the published warehouse."""

from __future__ import annotations

from datetime import date

import streamlit as st

from dashboard.components.formats import (
    default_grain,
    grain_label,
    order_grains,
)
from dashboard.components.safe_text import escape_markdown as md
from dashboard.meetings import store
from dashboard.meetings.database import MeetingError, MeetingsDB
from dashboard.meetings.permissions import Actor, PermissionDenied
from dashboard.queries import freshness, metric_info, packets, reader
from dashboard.views.meeting_state import (
    MEETING_KEY,
    SCOPE_WORDS,
    flash,
)


def schedule_form(db: MeetingsDB, actor: Actor, warehouse: reader.Warehouse | None) -> None:
    """The form that creates a meeting and freezes its packet from the warehouse."""
    if not actor.may("schedule_meeting"):
        role = actor.role.replace("_", " ")
        st.caption(f"Only leadership schedules meetings; you are signed in as {md(role)}.")
        return
    if warehouse is None:
        st.info("A published warehouse is needed to freeze a new packet; run `citystat run`.")
        return
    kind = st.radio(
        "Review",
        list(SCOPE_WORDS),
        format_func=SCOPE_WORDS.__getitem__,
        horizontal=True,
        key="meetings_new_kind",
    )
    # A department is chosen by id (its metrics are found by id) and named by its name.
    # Only departments that own a metric: a meeting of one without metrics is refused.
    names = (
        metric_info.departments(warehouse)
        if kind == "department"
        else metric_info.cohort_labels(warehouse)
    )
    shown = metric_info.department_names(warehouse) if kind == "department" else {}
    grains = order_grains(metric_info.available_grains(warehouse))
    if not names or not grains:
        st.info(f"The warehouse has no {SCOPE_WORDS[kind].lower()} with metric values yet.")
        return
    with st.form("meetings_new", border=True):
        left, middle, right = st.columns([1, 2, 1])
        when = left.date_input("Meeting date", value=date.today(), key="meetings_new_date")
        name = middle.selectbox(
            SCOPE_WORDS[kind],
            names,
            format_func=lambda n: shown.get(n, n),
            key="meetings_new_scope",
        )
        grain = right.selectbox(
            "Periods reviewed",
            grains,
            index=grains.index(default_grain(grains) or grains[0]),
            format_func=grain_label,
            key="meetings_new_grain",
        )
        title = st.text_input("Title (optional)", key="meetings_new_title")
        submitted = st.form_submit_button(
            "Create the meeting and freeze its packet", key="meetings_new_submit", type="primary"
        )
    if not submitted:
        return
    metric_ids = metric_info.scope_metric_ids(warehouse, kind, str(name))
    definitions, values = packets.packet_source(warehouse, metric_ids, str(grain))
    run = freshness.published_run(warehouse)
    provenance = store.Provenance(
        run_id=None if run is None else str(run["run_id"]),
        data_as_of=None if run is None else run["data_as_of"],
        warehouse=warehouse.path,
    )
    spec = store.MeetingSpec(
        meeting_date=when if isinstance(when, date) else date.today(),
        scope_kind=kind,
        # The meeting is named as pages name its department (its packet freezes the name).
        scope_name=shown.get(str(name), str(name)),
        grain=str(grain),
        title=title,
    )
    try:
        meeting_id = store.create_meeting(db, actor, spec, definitions, values, provenance)
    except (MeetingError, PermissionDenied) as exc:
        st.error(f"The meeting was not created: {md(exc)}.")
        return
    st.session_state[MEETING_KEY] = str(meeting_id)
    st.query_params["meeting"] = str(meeting_id)
    flash(
        f"Meeting {meeting_id} created: {len(definitions)} metrics and {len(values)} values "
        "frozen into its packet."
    )
