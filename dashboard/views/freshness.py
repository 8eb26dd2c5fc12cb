"""Data freshness: each source's latest file and how its rows merged; where run time went."""

from __future__ import annotations

import streamlit as st

from dashboard.components import charts
from dashboard.components.formats import format_count, format_timestamp
from dashboard.components.tables import RUN_STEP_ORDER, freshness_table, step_table
from dashboard.queries import freshness, reader
from dashboard.views.actor import require_page
from dashboard.views.page_support import show_table

require_page()
st.title("Data freshness")
warehouse = reader.current_warehouse()
if warehouse is None:
    st.stop()

run = freshness.published_run(warehouse)
if run is None:
    st.warning("No run has been published yet. Run `citystat run` (or `make demo`).")
    st.stop()
# Run ids, hashes and step timings are the operators' (the public site has its own notes).
published = f"{format_timestamp(run['finished_at'])} (run `{run['run_id']}`)"
st.caption(f"Data as of {format_timestamp(run['data_as_of'])} · last published {published}")

st.subheader("Latest file per source")
loads = freshness.latest_loads(warehouse)
if loads.empty:
    st.info("No file has been loaded yet.")
else:
    quarantined, rejected = loads["rows_quarantined"].sum(), loads["rows_rejected"].sum()
    aside = (
        f"{format_count(quarantined)} of their rows were quarantined and "
        f"{format_count(rejected)} rejected — see Data quality."
    )
    st.caption(
        f"{format_count(loads['rows_read'].sum())} rows read in the latest files: "
        f"{format_count(loads['rows_inserted'].sum())} new records, "
        f"{format_count(loads['rows_updated'].sum())} updated, "
        f"{format_count(loads['rows_unchanged'].sum())} unchanged. A repeated file inserts and "
        f"updates nothing. {aside}"
    )
    show_table(freshness_table(loads))

st.subheader("Where the time of the last runs went")
steps = freshness.run_step_times(warehouse)
if steps.empty:
    st.info("No run has recorded its steps yet.")
else:
    st.plotly_chart(charts.step_figure(steps, RUN_STEP_ORDER), key="steps_chart")
    show_table(step_table(steps))
