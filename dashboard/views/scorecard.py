"""Scorecard: every cohort service's metrics with latest value, target, status and trend."""

from __future__ import annotations

import streamlit as st

from dashboard.components.formats import default_grain, format_timestamp, grain_label, order_grains
from dashboard.components.late import late_marks, late_summary, with_late_column
from dashboard.components.safe_text import escape_markdown as md
from dashboard.components.seasonal import comparison_caption
from dashboard.components.set_aside import set_aside_notes, volume_tables
from dashboard.components.status import status_counts, status_label
from dashboard.components.tables import scorecard_table
from dashboard.queries import freshness, metric_info, reader, scorecard
from dashboard.views.actor import require_page
from dashboard.views.page_support import show_table
from dashboard.views.seasonal import pick_comparison
from dashboard.views.url_choices import url_choice

ALL_DEPARTMENTS = "All departments"

require_page()
st.title("Scorecard")
warehouse = reader.current_warehouse()
if warehouse is None:
    st.stop()

grains = order_grains(metric_info.available_grains(warehouse))
if not grains:
    st.warning("The warehouse holds no metric values yet. Run `citystat run` to compute them.")
    st.stop()

filter_col, grain_col = st.columns([2, 3])
names = metric_info.department_names(warehouse)
department = url_choice(
    "department",
    "scorecard_department",
    [ALL_DEPARTMENTS, *metric_info.departments(warehouse)],
    ALL_DEPARTMENTS,
    filter_col.selectbox,
    "Department",
    format_func=lambda department: names.get(department, department),
)
grain = url_choice(
    "grain",
    "scorecard_grain",
    grains,
    default_grain(grains) or grains[0],
    grain_col.radio,
    "Period",
    format_func=grain_label,
    horizontal=True,
)
compare = pick_comparison()
board = scorecard.scorecard(
    warehouse,
    grain,
    None if department == ALL_DEPARTMENTS else department,
    compare=compare,
)
if board.empty:
    shown = names.get(department, department)
    st.info(f"No metrics for {md(shown)} at the {grain_label(grain).lower()} grain.")
    st.stop()

counts = status_counts(board["status"])
# One row that wraps (not four columns that stack): on a phone the counts stay a few lines.
summary = st.container(horizontal=True, gap="medium")
summary.metric(status_label("on_track"), counts["on_track"], width="content")
summary.metric(status_label("watch"), counts["watch"], width="content")
summary.metric(status_label("off_track"), counts["off_track"], width="content")
summary.metric(
    "○ No target / … too little data / ⊘ not available",
    counts["no_target"] + counts["too_little_data"] + counts["not_available"],
    width="content",
)
run = freshness.published_run(warehouse)
if run is not None:
    passed = "✔ passed validation" if run["validation_passed"] else "✖ did not pass validation"
    st.caption(
        f"Data as of {format_timestamp(run['data_as_of'])} · last loaded "
        f"{format_timestamp(run['finished_at'])} · {passed}"
    )
# Beside the volumes: the rows of their tables' files that were set aside.
for note in set_aside_notes(freshness.set_aside(warehouse), volume_tables(board), public=False):
    st.caption(note)
st.caption(
    f"{comparison_caption(compare, grain)} Trend shows up to the last 12 complete periods. "
    "Open a metric for its districts, methodology and data freshness."
)

late = freshness.late_metrics(warehouse, freshness.now_to_the_minute())
late_note = late_summary(board["metric_id"], late, public=False)
if late_note:
    st.warning(late_note)
table = with_late_column(scorecard_table(board, grain), late_marks(board["metric_id"], late))
for cohort, rows in table.groupby(board["cohort_service"].fillna("Other"), sort=False):
    departments_in_cohort = ", ".join(
        sorted(board.loc[rows.index, "department_name"].dropna().astype(str).unique())
    )
    st.subheader(md(cohort))
    st.caption(md(departments_in_cohort))
    show_table(rows, board.loc[rows.index, "status"])
