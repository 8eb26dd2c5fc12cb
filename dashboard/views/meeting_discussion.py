"""Discussing one metric of a packet: its frozen values, commentary, and the agenda."""

from __future__ import annotations

import sqlite3
from datetime import date

import streamlit as st

from dashboard.components import charts
from dashboard.components.formats import (
    MISSING,
    format_value,
    grain_label,
)
from dashboard.components.safe_text import escape_markdown as md
from dashboard.components.safe_text import markdown_table
from dashboard.components.status import status_markdown
from dashboard.meetings import actions as meeting_actions
from dashboard.meetings import schema as meeting_schema
from dashboard.meetings import store
from dashboard.meetings.permissions import Actor
from dashboard.meetings.tables import action_rows
from dashboard.views.meeting_commentary import commentary_text, metric_department, saved_commentary
from dashboard.views.meeting_state import (
    METRIC_KEY,
    PERIOD_KEY,
    flash,
)


def commentary_form(
    con: sqlite3.Connection, packet: store.Packet, metric_id: str, period: str
) -> None:
    saved = saved_commentary(packet, metric_id, period)
    suffix = f"{packet.meeting['meeting_id']}_{metric_id}_{period}"
    with st.form(f"meetings_comment_{suffix}"):
        st.markdown(f"**Commentary on {period}**")
        texts = {
            field: st.text_area(
                label, value=str(saved.get(field) or ""), key=f"comment_{field}_{suffix}", height=80
            )
            for field, label in store.COMMENTARY_FIELDS.items()
        }
        if st.form_submit_button("Save commentary", key=f"comment_save_{suffix}"):
            try:
                store.save_commentary(
                    con, int(packet.meeting["meeting_id"]), metric_id, period, texts
                )
            except meeting_schema.MeetingError as exc:
                st.error(f"Not saved: {md(exc)}.")
            else:
                flash(f"Commentary on {period} saved.")


def action_form(con: sqlite3.Connection, packet: store.Packet, metric_id: str) -> None:
    suffix = f"{packet.meeting['meeting_id']}_{metric_id}"
    with st.form(f"meetings_action_{suffix}", clear_on_submit=True):
        st.markdown("**Add an action item**")
        what = st.text_input("Action", key=f"action_text_{suffix}")
        left, right = st.columns(2)
        owner = left.text_input("Owner", key=f"action_owner_{suffix}")
        due = right.date_input("Due", key=f"action_due_{suffix}")
        if st.form_submit_button("Add action item", key=f"action_add_{suffix}"):
            try:
                action_id = meeting_actions.add_action(
                    con,
                    int(packet.meeting["meeting_id"]),
                    metric_id,
                    what,
                    owner,
                    due if isinstance(due, date) else date.today(),
                )
            except meeting_schema.MeetingError as exc:
                st.error(f"Not added: {md(exc)}.")
            else:
                flash(f"Action item {action_id} added.")


def discuss_metric(con: sqlite3.Connection, packet: store.Packet, actor: Actor) -> None:
    """One metric of the packet: frozen values and chart, commentary, a new action item (the
    forms only for a role that may write them for the metric's department)."""
    st.subheader("Discuss a metric")
    metrics = packet.metrics.set_index("metric_id", drop=False)
    ids = [str(m) for m in metrics["metric_id"]]
    if st.session_state.get(METRIC_KEY) not in ids:
        st.session_state[METRIC_KEY] = ids[0]
    metric_id = st.selectbox(
        "Metric", ids, key=METRIC_KEY, format_func=lambda m: str(metrics.at[m, "label"])
    )
    metric = metrics.loc[metric_id]
    department = metric_department(metric["department"])
    unit = str(metric["unit"])
    series = packet.values[packet.values["metric_id"] == metric_id]
    st.caption(
        f"{md(metric['department'])} · owner: {md(metric['owner'])} · "
        f"How it is computed: {md(metric['methodology'] or MISSING)}"
    )
    if series.empty:
        st.info("No complete period was available when this packet was frozen.")
        if actor.may("write_action", department):
            action_form(con, packet, metric_id)
        return
    periods = series["period_label"].astype(str).tolist()
    if st.session_state.get(PERIOD_KEY) not in periods:
        st.session_state[PERIOD_KEY] = periods[-1]
    period = st.selectbox("Period", periods, key=PERIOD_KEY)
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
    if actor.may("write_commentary", department):
        commentary_form(con, packet, metric_id, period)
    else:
        commentary_text(packet, metric_id, period)
    if actor.may("write_action", department):
        action_form(con, packet, metric_id)


def agenda_section(con: sqlite3.Connection, packet: store.Packet, actor: Actor) -> None:
    """Every action item on the meeting's agenda, and the form that updates the status of the
    items the actor may write (those of their departments' metrics, for a department head)."""
    st.subheader("Action items on this meeting's agenda")
    actions = packet.actions
    if actions.empty:
        st.caption("None yet: add one while discussing a metric.")
        return
    st.table(markdown_table(action_rows(actions)), hide_index=True)
    departments = dict(
        zip(packet.metrics["metric_id"].astype(str), packet.metrics["department"], strict=True)
    )
    labels = {
        str(a.action_id): f"#{a.action_id} {a.description} ({a.owner})"
        for a in actions.itertuples()
        if actor.may("write_action", metric_department(departments.get(str(a.metric_id))))
    }
    if not labels:
        return
    with st.form(f"meetings_status_{packet.meeting['meeting_id']}"):
        left, right = st.columns([3, 1])
        chosen = left.selectbox(
            "Action item", list(labels), format_func=labels.__getitem__, key="status_action"
        )
        status = right.selectbox("New status", meeting_actions.ACTION_STATUSES, key="status_value")
        if st.form_submit_button("Update status", key="status_submit"):
            meeting_actions.set_action_status(con, int(chosen), str(status))
            flash(f"Action item #{chosen} marked {status}.")
