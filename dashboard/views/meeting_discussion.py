"""Discussing one metric of a packet: its frozen values and chart, commentary, action items."""

from __future__ import annotations

from datetime import date

import streamlit as st

from dashboard.components import charts
from dashboard.components.definition_changes import changed_since_frozen, frozen_version_text
from dashboard.components.formats import (
    MISSING,
    format_value,
    grain_label,
)
from dashboard.components.safe_text import escape_markdown as md
from dashboard.components.status import status_markdown
from dashboard.meetings import actions as meeting_actions
from dashboard.meetings import store
from dashboard.meetings.database import MeetingError, MeetingsDB
from dashboard.meetings.permissions import Actor, PermissionDenied
from dashboard.queries import packets, reader
from dashboard.views.meeting_agenda import TYPED, known_people, owner_change
from dashboard.views.meeting_commentary import commentary_form
from dashboard.views.meeting_state import (
    METRIC_KEY,
    PERIOD_KEY,
    flash,
    write_refusal,
)
from dashboard.views.url_choices import url_choice


def action_form(db: MeetingsDB, actor: Actor, packet: store.Packet, metric_id: str) -> None:
    suffix = f"{packet.meeting['meeting_id']}_{metric_id}"
    department = packet.metrics.set_index("metric_id").at[metric_id, "department"]
    refusal = write_refusal(actor, "write_action", department, packet.meeting)
    keys = [f"action_{part}_{suffix}" for part in ("text", "owner", "pick", "due")]
    # Cleared only after a save: a refused one keeps what was typed.
    # Set (not deleted) before the widgets exist, so the browser's copies are replaced too.
    if st.session_state.pop(f"action_saved_{suffix}", False):
        st.session_state[keys[0]] = st.session_state[keys[1]] = ""
        st.session_state[keys[2]] = TYPED
    people = known_people()
    with st.form(f"meetings_action_{suffix}", clear_on_submit=False):
        st.markdown("**Add an action item**")
        what = st.text_input("Action", key=keys[0])
        left, middle, right = st.columns(3)
        picked = left.selectbox(
            "Owner: a person who signs in",
            [TYPED, *people],
            format_func=lambda p: p or "(nobody picked: type a name)",
            key=keys[2],
        )
        typed = middle.text_input("Owner: or type a name", key=keys[1])
        due = right.date_input("Due", key=keys[3])
        if refusal:
            st.caption(f"Read only: {md(refusal)}.")
        if st.form_submit_button(
            "Add action item", key=f"action_add_{suffix}", disabled=bool(refusal)
        ):
            owner = owner_change(picked, typed, people)
            try:
                action_id = meeting_actions.add_action(
                    db,
                    actor,
                    int(packet.meeting["meeting_id"]),
                    metric_id,
                    what,
                    str(owner.get("owner", "")),
                    due if isinstance(due, date) else date.today(),
                    owner_user=owner.get("owner_user"),
                )
            except (MeetingError, PermissionDenied) as exc:
                st.error(f"Not added: {md(exc)}.")
            else:
                st.session_state[f"action_saved_{suffix}"] = True
                flash(f"Action item {action_id} added.")


def discuss_metric(
    db: MeetingsDB, actor: Actor, packet: store.Packet, warehouse: reader.Warehouse | None
) -> None:
    """One metric of the packet: frozen values and chart, the definition it was computed with
    (and whether ``warehouse``'s has changed since), commentary, a new action item."""
    st.subheader("Discuss a metric")
    metrics = packet.metrics.set_index("metric_id", drop=False)
    ids = [str(m) for m in metrics["metric_id"]]
    metric_id = url_choice(
        "discuss",
        METRIC_KEY,
        ids,
        ids[0],
        st.selectbox,
        "Metric",
        resets=("discuss_period",),
        format_func=lambda m: str(metrics.at[m, "label"]),
    )
    metric = metrics.loc[metric_id]
    unit = str(metric["unit"])
    series = packet.values[packet.values["metric_id"] == metric_id]
    st.caption(
        f"{md(metric['department'])} · owner: {md(metric['owner'])} · "
        f"How it is computed: {md(metric['methodology'] or MISSING)}"
    )
    st.caption(
        md(frozen_version_text(metric["definition_version"], metric["definition_effective_from"]))
    )
    if warehouse is not None:
        changed = changed_since_frozen(
            metric["definition_version"],
            metric["definition_json"],
            packets.current_definitions(warehouse, [metric_id]),
        )
        if changed:
            st.warning(changed, icon="⚠️")
    if series.empty:
        st.info("No complete period was available when this packet was frozen.")
        action_form(db, actor, packet, metric_id)
        return
    periods = series["period_label"].astype(str).tolist()
    period = url_choice("discuss_period", PERIOD_KEY, periods, periods[-1], st.selectbox, "Period")
    row = series[series["period_label"] == period].iloc[0]
    tiles = st.columns(3)
    tiles[0].metric(f"Value, {period}", format_value(row["value"], unit))
    tiles[1].metric("Target", format_value(row["target"], unit))
    with tiles[2]:
        st.markdown("Status")
        st.markdown(f"#### {status_markdown(row['status'])}")
    st.plotly_chart(
        charts.trend_figure(
            series,
            unit,
            f"{metric['label']} by {grain_label(str(packet.meeting['grain'])).lower()}, "
            "as frozen in the packet",
        ),
        key="meetings_trend",
    )
    commentary_form(db, actor, packet, metric_id, period)
    action_form(db, actor, packet, metric_id)
