"""Stat review meetings: schedule one (freezing its packet), discuss each metric, agree on
action items, check last meeting's items, export the packet. Internal only."""

from __future__ import annotations

import sqlite3
from datetime import date

import pandas as pd
import streamlit as st

from dashboard.components import charts, site
from dashboard.components.formats import (
    MISSING,
    default_grain,
    describe_change,
    format_value,
    grain_label,
    order_grains,
)
from dashboard.components.status import status_label, status_markdown, style_status_column
from dashboard.meetings import actions as meeting_actions
from dashboard.meetings import schema as meeting_schema
from dashboard.meetings import store
from dashboard.meetings.packet import packet_csv, packet_file_stem, packet_html, reviewed_periods
from dashboard.queries import freshness, metric_info, packets, reader
from dashboard.views.page_support import choose_from_url, remember_in_url

MEETING_KEY = "meetings_page_meeting"
METRIC_KEY = "meetings_page_metric"
PERIOD_KEY = "meetings_page_period"
FLASH_KEY = "meetings_page_flash"
SCOPE_WORDS = {"department": "Department", "cohort": "Quarterly cohort"}


def _flash(message: str) -> None:
    """Show a message after the rerun that follows a change (so the page reads fresh data)."""
    st.session_state[FLASH_KEY] = message
    st.rerun()


def _schedule(con: sqlite3.Connection, warehouse: reader.Warehouse | None) -> None:
    """The form that creates a meeting and freezes its packet from the warehouse."""
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
    names = (
        metric_info.all_departments(warehouse)
        if kind == "department"
        else metric_info.cohort_labels(warehouse)
    )
    grains = order_grains(metric_info.available_grains(warehouse))
    if not names or not grains:
        st.info(f"The warehouse has no {SCOPE_WORDS[kind].lower()} with metric values yet.")
        return
    with st.form("meetings_new", border=True):
        left, middle, right = st.columns([1, 2, 1])
        when = left.date_input("Meeting date", value=date.today(), key="meetings_new_date")
        name = middle.selectbox(SCOPE_WORDS[kind], names, key="meetings_new_scope")
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
        scope_name=str(name),
        grain=str(grain),
        title=title,
    )
    try:
        meeting_id = store.create_meeting(con, spec, definitions, values, provenance)
    except meeting_schema.MeetingError as exc:
        st.error(f"The meeting was not created: {exc}.")
        return
    st.session_state[MEETING_KEY] = str(meeting_id)
    st.query_params["meeting"] = str(meeting_id)
    _flash(
        f"Meeting {meeting_id} created: {len(definitions)} metrics and {len(values)} values "
        "frozen into its packet."
    )


def _meeting_name(meetings: pd.DataFrame, key: str) -> str:
    row = meetings[meetings["meeting_id"].astype(str) == key].iloc[0]
    title = f" · {row['title']}" if row["title"] else ""
    return f"{row['meeting_date']} · {row['scope_name']} ({grain_label(str(row['grain']))}){title}"


def _action_rows(actions: pd.DataFrame) -> pd.DataFrame:
    """Display rows for action items (an agenda), overdue ones flagged in words."""
    return pd.DataFrame(
        {
            "No.": actions["action_id"].astype(int).tolist(),
            "Action": actions["description"].astype(str).tolist(),
            "Metric": actions["metric_label"].astype(str).tolist(),
            "Owner": actions["owner"].astype(str).tolist(),
            "Due": actions["due_date"].astype(str).tolist(),
            "Status": [
                "⚠ Overdue" if overdue else str(status).capitalize()  # overdue means open
                for status, overdue in zip(actions["status"], actions["overdue"], strict=True)
            ],
            "Raised on": actions["raised_on"].astype(str).tolist(),
        }
    )


def _carried_over(packet: store.Packet) -> None:
    carried = packet.actions[packet.actions["carried_over"]]
    if packet.previous is None:
        st.subheader("Carried over from the previous meeting")
        st.caption(
            f"This is the first meeting reviewing {packet.meeting['scope_name']}: nothing to "
            "carry over."
        )
        return
    st.subheader(f"Carried over from the meeting of {packet.previous['meeting_date']}")
    if carried.empty:
        st.caption("Every action item of that meeting was closed before this one.")
        return
    overdue = int(carried["overdue"].sum())
    if overdue:
        st.warning(
            f"{overdue} of {len(carried)} carried-over action items are overdue "
            f"(due before {packet.meeting['meeting_date']})."
        )
    # A static table: action texts wrap instead of being cut off.
    st.table(_action_rows(carried), hide_index=True)


def _summary(packet: store.Packet) -> None:
    reviewed = reviewed_periods(packet.values)
    noted = set(packet.commentary["metric_id"].astype(str))
    rows = []
    for metric in packet.metrics.itertuples():
        series = packet.values[packet.values["metric_id"] == metric.metric_id]
        latest = series.iloc[-1] if not series.empty else None
        prior = series.iloc[-2]["value"] if len(series) > 1 else None
        unit = str(metric.unit)
        rows.append(
            {
                "Metric": str(metric.label),
                "Period": reviewed.get(str(metric.metric_id), MISSING),
                "Value": MISSING if latest is None else format_value(latest["value"], unit),
                "Target": MISSING if latest is None else format_value(latest["target"], unit),
                "Status": MISSING if latest is None else status_label(latest["status"]),
                "Change": MISSING
                if latest is None
                else describe_change(
                    latest["value"], prior, unit, str(metric.direction or "") or None
                ).text,
                "Commentary": "✔" if str(metric.metric_id) in noted else "",
            }
        )
    st.subheader("Packet")
    statuses = [
        None if series.empty else series.iloc[-1]["status"]
        for series in (
            packet.values[packet.values["metric_id"] == m] for m in packet.metrics["metric_id"]
        )
    ]
    st.dataframe(
        style_status_column(pd.DataFrame(rows), statuses), hide_index=True, width="stretch"
    )
    stem = packet_file_stem(packet)
    left, right = st.columns(2)
    left.download_button(
        "Download the packet (printable HTML)",
        data=packet_html(packet).encode("utf-8"),
        file_name=f"{stem}.html",
        mime="text/html",
        on_click="ignore",
        key="meetings_export_html",
    )
    right.download_button(
        "Download the packet's values (CSV)",
        data=packet_csv(packet),
        file_name=f"{stem}.csv",
        mime="text/csv",
        on_click="ignore",
        key="meetings_export_csv",
    )


def _commentary_form(
    con: sqlite3.Connection, packet: store.Packet, metric_id: str, period: str
) -> None:
    notes = packet.commentary[
        (packet.commentary["metric_id"] == metric_id)
        & (packet.commentary["period_label"] == period)
    ]
    saved = notes.iloc[0].to_dict() if not notes.empty else {}
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
                st.error(f"Not saved: {exc}.")
            else:
                _flash(f"Commentary on {period} saved.")


def _action_form(con: sqlite3.Connection, packet: store.Packet, metric_id: str) -> None:
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
                st.error(f"Not added: {exc}.")
            else:
                _flash(f"Action item {action_id} added.")


def _discuss(con: sqlite3.Connection, packet: store.Packet) -> None:
    """One metric of the packet: frozen values and chart, commentary, a new action item."""
    st.subheader("Discuss a metric")
    metrics = packet.metrics.set_index("metric_id", drop=False)
    ids = [str(m) for m in metrics["metric_id"]]
    if st.session_state.get(METRIC_KEY) not in ids:
        st.session_state[METRIC_KEY] = ids[0]
    metric_id = st.selectbox(
        "Metric", ids, key=METRIC_KEY, format_func=lambda m: str(metrics.at[m, "label"])
    )
    metric = metrics.loc[metric_id]
    unit = str(metric["unit"])
    series = packet.values[packet.values["metric_id"] == metric_id]
    st.caption(
        f"{metric['department']} · owner: {metric['owner']} · "
        f"How it is computed: {metric['methodology'] or MISSING}"
    )
    if series.empty:
        st.info("No complete period was available when this packet was frozen.")
        _action_form(con, packet, metric_id)
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
    _commentary_form(con, packet, metric_id, period)
    _action_form(con, packet, metric_id)


def _agenda(con: sqlite3.Connection, packet: store.Packet) -> None:
    """Every action item on the meeting's agenda, and the form that updates one's status."""
    st.subheader("Action items on this meeting's agenda")
    actions = packet.actions
    if actions.empty:
        st.caption("None yet: add one while discussing a metric.")
        return
    st.table(_action_rows(actions), hide_index=True)
    labels = {
        str(a.action_id): f"#{a.action_id} {a.description} ({a.owner})"
        for a in actions.itertuples()
    }
    with st.form(f"meetings_status_{packet.meeting['meeting_id']}"):
        left, right = st.columns([3, 1])
        chosen = left.selectbox(
            "Action item", list(labels), format_func=labels.__getitem__, key="status_action"
        )
        status = right.selectbox("New status", meeting_actions.ACTION_STATUSES, key="status_value")
        if st.form_submit_button("Update status", key="status_submit"):
            meeting_actions.set_action_status(con, int(chosen), str(status))
            _flash(f"Action item #{chosen} marked {status}.")


def _page(con: sqlite3.Connection) -> None:
    warehouse = reader.current_warehouse()
    meetings = store.list_meetings(con)
    with st.expander("Schedule a meeting", expanded=meetings.empty):
        _schedule(con, warehouse)
    if FLASH_KEY in st.session_state:
        st.success(st.session_state.pop(FLASH_KEY))
    if meetings.empty:
        st.info("No meeting yet. Schedule one above: its packet is frozen when you create it.")
        return
    keys = meetings["meeting_id"].astype(str).tolist()
    choose_from_url("meeting", MEETING_KEY, keys, keys[0], "meeting")
    meeting_key = st.selectbox(
        "Meeting",
        keys,
        key=MEETING_KEY,
        format_func=lambda key: _meeting_name(meetings, key),
        on_change=remember_in_url,
        args=(MEETING_KEY, "meeting"),
    )
    st.query_params["meeting"] = meeting_key
    packet = store.load_packet(con, int(meeting_key))
    meeting = packet.meeting
    st.header(f"{meeting['scope_name']} · {meeting['meeting_date']}")
    st.caption(
        f"{SCOPE_WORDS.get(str(meeting['scope_kind']), meeting['scope_kind'])} review of "
        f"{grain_label(str(meeting['grain'])).lower()} values. Packet frozen "
        f"{meeting['created_at']} UTC from run `{meeting['run_id'] or MISSING}` (data as of "
        f"{meeting['data_as_of'] or MISSING}); later data loads do not change it."
    )
    _carried_over(packet)
    _summary(packet)
    _discuss(con, packet)
    _agenda(con, packet)


st.title("Stat review meetings")
if site.is_public():
    # Not in the public site's navigation; this guards a stale link all the same.
    st.error("Meetings are internal and not part of the public site.")
    st.stop()
connection = meeting_schema.connect()
try:
    _page(connection)
finally:
    connection.close()
