"""Department view: one department's index, metrics, open action items, services and data
freshness."""

from __future__ import annotations

import streamlit as st

from dashboard.components.formats import (
    MISSING,
    default_grain,
    format_score,
    format_signed,
    format_timestamp,
    grain_label,
    order_grains,
)
from dashboard.components.late import late_marks, late_summary, with_late_column
from dashboard.components.safe_text import escape_markdown as md
from dashboard.components.set_aside import set_aside_notes, volume_tables
from dashboard.components.status import status_label
from dashboard.components.tables import catalog_table, freshness_table, scorecard_table
from dashboard.queries import freshness, metric_info, reader, scorecard, services
from dashboard.views import page_support as support
from dashboard.views import url_choices
from dashboard.views.action_lists import data_date, department_items
from dashboard.views.actor import require_page
from dashboard.views.index_history import INDEX_PERIODS, index_history_section

DEPARTMENT_KEY = "department_page_department"

require_page()
st.title("Department view")
warehouse = reader.current_warehouse()
if warehouse is None:
    st.stop()
support.require_service_tables(warehouse)

ids = metric_info.all_departments(warehouse)
if not ids:
    st.warning("The warehouse names no departments yet. Run `citystat run`.")
    st.stop()
names = metric_info.department_names(warehouse)
pick_col, grain_col = st.columns([2, 3])
department = url_choices.pick_by_name(pick_col, "department", DEPARTMENT_KEY, ids, names)
name = names.get(department, department)
grains = order_grains(metric_info.available_grains(warehouse))
grain = url_choices.url_choice(
    "grain",
    "department_grain",
    grains or ["month"],
    default_grain(grains) or "month",
    grain_col.radio,
    "Period",
    format_func=grain_label,
    horizontal=True,
    resets=(*INDEX_PERIODS, "index_member"),
)

st.header(md(name))
index = scorecard.leadership_latest(warehouse, "department", grain, name=department)
if index.empty or format_score(index.iloc[0]["index_value"]) == MISSING:
    st.caption(
        f"No index for {md(name)}: none of its metrics has a target with enough data in the "
        f"latest complete {grain_label(grain).lower()}."
    )
else:
    row = index.iloc[0]
    change = format_signed(row["index_change"])
    tiles = st.columns(4)
    tiles[0].metric(
        f"Department index ({row['period_label']})",
        format_score(row["index_value"]),
        delta=None if change == MISSING else f"{change} vs {row['prior_period_label']}",
    )
    tiles[1].metric(status_label("on_track"), int(row["on_track"]))
    tiles[2].metric(status_label("watch"), int(row["watch"]))
    tiles[3].metric(status_label("off_track"), int(row["off_track"]))
    index_history_section(warehouse, grain, "department", department)

st.subheader("Metrics")
board = scorecard.scorecard(warehouse, grain, department)
if board.empty:
    st.info(f"{md(name)} owns no metrics at the {grain_label(grain).lower()} grain.")
else:
    late = freshness.late_metrics(warehouse, freshness.now_to_the_minute())
    late_note = late_summary(board["metric_id"], late, public=False)
    if late_note:
        st.warning(late_note)
    marks = late_marks(board["metric_id"], late)
    support.show_table(with_late_column(scorecard_table(board, grain), marks), board["status"])
    totals = freshness.set_aside(warehouse)
    for note in set_aside_notes(totals, volume_tables(board), public=False):
        st.caption(note)

department_items(name, data_date(warehouse))

st.subheader("Services")
catalog = services.service_catalog(warehouse)
own = catalog[catalog["department"] == department]
if own.empty:
    st.info(f"services.yml lists no service delivered by {md(name)}.")
else:
    support.show_table(catalog_table(own))

st.subheader("Data freshness")
run = freshness.published_run(warehouse)
if run is not None:
    st.caption(
        f"Data as of {format_timestamp(run['data_as_of'])} · last loaded "
        f"{format_timestamp(run['finished_at'])}"
    )
loads = freshness.latest_loads(warehouse, department)
if loads.empty:
    st.info(f"No loaded file feeds {md(name)}'s metrics.")
else:
    support.show_table(freshness_table(loads))
