"""Open data: the public metrics' values and definitions as CSV downloads (public site)."""

from __future__ import annotations

import streamlit as st

from dashboard.components.csv_export import csv_bytes
from dashboard.components.formats import direction_text, format_count, format_timestamp
from dashboard.components.safe_text import escape_markdown as md
from dashboard.queries import freshness, packets, reader
from dashboard.views.actor import require_page_of_either_site

require_page_of_either_site()
st.title("Open data")
warehouse = reader.current_warehouse()
if warehouse is None:
    st.stop()

definitions = packets.open_data_definitions(warehouse)
if definitions.empty:
    st.info("No metric is published yet.")
    st.stop()

run = freshness.published_run(warehouse)
if run is not None:
    st.caption(
        f"Data as of {format_timestamp(run['data_as_of'])} · published "
        f"{format_timestamp(run['finished_at'])}"
    )
st.markdown(
    f"Every value of the city's {len(definitions)} published metrics, citywide and by council "
    "district, for every week, month, quarter and fiscal year computed. One row per metric, "
    "period and area: the value, its target and status, and the number of observations it is "
    "computed from. Values are aggregates; no individual record, address or note is included."
)


def _values_csv(wh: reader.Warehouse = warehouse) -> bytes:
    """Built when the button is pressed: the file is large and most visitors never ask."""
    return csv_bytes(packets.open_data_values(wh))


st.download_button(
    "Download the metric values (CSV)",
    data=_values_csv,
    file_name="citystat_public_metric_values.csv",
    mime="text/csv",
    on_click="ignore",
    key="open_data_values",
)
st.download_button(
    "Download the metric definitions and methodology (CSV)",
    data=csv_bytes(definitions),
    file_name="citystat_public_metric_definitions.csv",
    mime="text/csv",
    on_click="ignore",
    key="open_data_definitions",
)

st.subheader("The published metrics and how each is computed")
for definition in definitions.itertuples():
    st.markdown(
        f"**{md(definition.label)}** ({md(definition.unit)}; "
        f"{direction_text(str(definition.direction or '') or None).lower()}). "
        f"{md(definition.description)}  \n"
        f"*How it is computed:* {md(definition.methodology)}"
    )
    if definition.availability:
        st.caption(md(definition.availability))
st.caption(
    f"Columns of the values file: metric_id, label, unit, direction, grain, period_label, "
    "period_start, period_end (exclusive), is_complete, dimension (citywide or "
    "council_district), dimension_value, value (percent values are fractions: 0.8 = 80%), "
    f"target, status, count. {format_count(len(definitions))} metrics."
)
