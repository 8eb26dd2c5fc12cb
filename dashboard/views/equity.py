"""Equity: each council district against citywide over time, gaps above the threshold
flagged, and a map of the districts: their boundaries shaded by value when the warehouse has
them (city.yml's boundary file), else each district at its centroid."""

from __future__ import annotations

import streamlit as st

from dashboard.components import charts, maps, site
from dashboard.components.formats import format_value, grain_label, table_words
from dashboard.components.safe_text import escape_markdown as md
from dashboard.components.tables import gap_table
from dashboard.queries import equity, reader
from dashboard.views.actor import require_page_of_either_site
from dashboard.views.page_support import (
    pick_metric_and_grain,
    require_service_tables,
    show_table,
)

METRIC_KEY = "equity_page_metric"
GRAIN_KEY = "equity_page_grain"

require_page_of_either_site()
st.title("Equity")
warehouse = reader.current_warehouse()
if warehouse is None:
    st.stop()
require_service_tables(warehouse)

public = site.is_public()
metrics = equity.equity_metrics(warehouse, public_only=public).set_index("metric_id", drop=False)
metric_ids = [str(m) for m in metrics["metric_id"]]
if not metric_ids:
    st.info("No metric is broken down by council district.")
    st.stop()
metric_id, grain = pick_metric_and_grain(warehouse, metrics, METRIC_KEY, GRAIN_KEY)

label = str(metrics.at[metric_id, "label"])
unit = str(metrics.at[metric_id, "unit"])
st.caption(f"How it is computed: {md(metrics.at[metric_id, 'methodology'])}")
gaps = equity.district_gaps(warehouse, metric_id, grain)
if gaps.empty:
    st.info(f"No complete {grain_label(grain).lower()} has council-district values yet.")
    st.stop()
threshold = float(gaps["gap_threshold"].iloc[0])
counts = str(gaps["reference_kind"].iloc[0]) != "citywide"
if counts:
    st.info(
        f"This metric counts {table_words(metrics.at[metric_id, 'canonical_table']).unit}, so "
        "each district is compared with the citywide total divided by the number of districts, "
        "and gaps are not flagged: a district's size, not its service, drives the count."
    )
else:
    st.caption(
        f"A district is flagged when its value is more than {threshold:.0%} worse than the "
        "citywide value (the threshold is equity.gap_threshold in services.yml). Districts "
        "with too little data are shown but not compared."
    )

layer = equity.district_layer(warehouse)
names = {str(i): maps.district_name(i, n) for i, n in zip(layer["id"], layer["name"], strict=True)}
period = str(gaps["period_label"].iloc[-1])
latest = gaps[gaps["period_label"] == period]
flagged = latest[latest["flagged"].fillna(False).astype(bool)]
if not counts:
    if flagged.empty:
        st.success(f"No district is more than {threshold:.0%} worse than citywide in {period}.")
    else:
        st.warning(
            f"{period}: "
            + "; ".join(
                f"{md(names.get(str(d), f'District {d}'))} is {g:.1%} worse than citywide "
                f"({format_value(v, unit)} against {format_value(r, unit)})"
                for d, g, v, r in zip(
                    flagged["council_district"],
                    flagged["gap"],
                    flagged["value"],
                    flagged["reference_value"],
                    strict=True,
                )
            )
            + "."
        )

st.plotly_chart(
    charts.equity_figure(gaps, unit, f"{label} by council district, {grain_label(grain).lower()}"),
    key="equity_chart",
)
st.subheader(f"Districts in {period}")
table = gap_table(latest, unit, names)
centroids = equity.district_centroids(warehouse)
if layer["geometry"].notna().any():
    show_table(table)
    st.plotly_chart(
        maps.district_choropleth(layer, latest, unit, f"{label}, {period}"), key="district_map"
    )
    st.caption(
        "Each district's boundary (city.yml) shaded by its value: darker is higher. A red "
        "outline marks a gap above the threshold; grey is no value or too little data. The "
        "table above says the same in words. No map tiles are downloaded."
    )
else:
    table_col, map_col = st.columns([3, 2])
    with table_col:
        show_table(table)
    with map_col:
        if centroids.empty:
            st.info("The data has no coordinates to place the districts on a map.")
        else:
            st.plotly_chart(
                charts.district_map_figure(centroids, latest, unit, f"{label}, {period}"),
                key="district_map",
            )
            st.caption(
                "Each district at the average position of its located requests; a red ring "
                "marks a gap above the threshold; red is worse than citywide, blue better, grey "
                "not compared. No map tiles or boundaries are downloaded."
            )

all_flags = gaps[gaps["flagged"].fillna(False).astype(bool)]
with st.expander(f"Every flagged district and period ({len(all_flags)})"):
    if all_flags.empty:
        st.write("None.")
    else:
        rows = gap_table(all_flags, unit, names).assign(Period=list(all_flags["period_label"]))
        show_table(rows)
