"""Equity: each council district against citywide over time, per 1,000 residents when the
city profile gives district populations, shares with their 95% interval, districts behind
citywide in the metric's direction flagged, and a map of the districts: their boundaries
shaded by value (city.yml's boundary file, drawn offline), else each at its centroid."""

from __future__ import annotations

import streamlit as st

from dashboard.components import charts, maps
from dashboard.components import equity as words
from dashboard.components.formats import UNIT_RESIDENTS, grain_label, table_words
from dashboard.components.safe_text import escape_markdown as md
from dashboard.queries import equity, reader
from dashboard.views.actor import require_page
from dashboard.views.page_support import show_table
from dashboard.views.url_choices import pick_metric_and_grain

METRIC_KEY = "equity_page_metric"
GRAIN_KEY = "equity_page_grain"
MAP_CAPTION = (
    "Each district's boundary (city.yml) shaded by its value: darker is higher. A red outline "
    "marks a district behind citywide; grey is no value or too little data. The table above "
    "says the same in words. No map tiles are downloaded."
)

require_page()
st.title("Equity")
warehouse = reader.current_warehouse()
if warehouse is None:
    st.stop()

layer = equity.district_layer(warehouse)
names = {str(i): maps.district_name(i, n) for i, n in zip(layer["id"], layer["name"], strict=True)}
has_boundaries = bool(layer["geometry"].notna().any())
metrics = equity.equity_metrics(warehouse).set_index("metric_id", drop=False)


def show_districts() -> None:
    """The districts themselves, when there are no values to compare: their residents in a
    table and on the map of their boundaries."""
    if layer.empty:
        return
    st.subheader("The districts")
    st.markdown(words.population_note(layer))
    show_table(words.layer_table(layer, names))
    if has_boundaries:
        people = bool(layer["population"].notna().any())
        title = "Districts by residents" if people else "The districts"
        st.plotly_chart(
            maps.district_choropleth(layer, words.layer_rows(layer), UNIT_RESIDENTS, title),
            key="district_map",
        )
        st.caption(
            "Each district's boundary (city.yml) shaded by its residents: darker is more; grey "
            "has no population. The table above says the same in words. No map tiles are "
            "downloaded."
        )


if metrics.empty:
    st.info(f"No metric is broken down by {md(words.layer_label(layer)).lower()}.")
    show_districts()
    st.stop()
metric_id, grain = pick_metric_and_grain(warehouse, metrics, METRIC_KEY, GRAIN_KEY)

label = str(metrics.at[metric_id, "label"])
unit = str(metrics.at[metric_id, "unit"])
records = table_words(metrics.at[metric_id, "canonical_table"]).many
st.caption(f"How it is computed: {md(metrics.at[metric_id, 'methodology'])}")
rows = equity.district_comparison(warehouse, metric_id, grain)
if rows.empty:
    st.info(f"No complete {grain_label(grain).lower()} has council-district values yet.")
    show_districts()
    st.stop()
basis = str(rows["basis"].iloc[0])
shown_unit = words.display_unit(basis, unit)
min_count = int(rows["min_count"].iloc[0])
threshold = float(rows["gap_threshold"].iloc[0])
st.markdown(words.comparison_rule(basis, min_count, records, threshold))
if basis in ("rate", "per_district"):
    st.caption(words.population_note(layer))

period = str(rows["period_label"].iloc[-1])
latest = rows[rows["period_label"] == period]
flagged = latest[latest["flagged"].fillna(False).astype(bool)]
if basis != "per_district":
    if flagged.empty:
        st.success(f"No district is behind citywide in {md(period)}.")
    else:
        st.warning(words.behind_sentence(flagged, unit, names, period))

st.plotly_chart(
    charts.equity_figure(
        rows, shown_unit, f"{label} by council district, {grain_label(grain).lower()}"
    ),
    key="equity_chart",
)
st.subheader(f"Districts in {period}")
table = words.district_table(latest, unit, names, records)
if has_boundaries:
    show_table(table)
    st.plotly_chart(
        maps.district_choropleth(layer, latest, shown_unit, f"{label}, {period}"),
        key="district_map",
    )
    st.caption(MAP_CAPTION)
else:
    table_col, map_col = st.columns([3, 2])
    with table_col:
        show_table(table)
    with map_col:
        centroids = equity.district_centroids(warehouse)
        if centroids.empty:
            st.info("The data has no coordinates to place the districts on a map.")
        else:
            st.plotly_chart(
                charts.district_map_figure(centroids, latest, shown_unit, f"{label}, {period}"),
                key="district_map",
            )
            st.caption(
                "Each district at the average position of its located requests; a red ring "
                "marks a district behind citywide; red is worse than citywide, blue better, "
                "grey not compared. No map tiles or boundaries are downloaded."
            )

all_flags = rows[rows["flagged"].fillna(False).astype(bool)]
with st.expander(f"Every flagged district and period ({len(all_flags)})"):
    if all_flags.empty:
        st.write("None.")
    else:
        flags = words.district_table(all_flags, unit, names, records)
        show_table(flags.assign(Period=list(all_flags["period_label"])))
