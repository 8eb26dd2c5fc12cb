"""Cities side by side: one measure, matched by its common_id, from each configured city's
published warehouse; counts per 1,000 residents, every value with its city, warehouse,
period and freshness."""

from __future__ import annotations

import streamlit as st

from dashboard.components import site
from dashboard.components.compare import (
    compare_figure,
    compare_table,
    period_notes,
    population_note,
)
from dashboard.components.formats import default_grain, grain_label, order_grains
from dashboard.components.safe_text import escape_markdown as md
from dashboard.queries import compare
from dashboard.views.actor import require_page
from dashboard.views.page_support import show_table
from dashboard.views.url_choices import url_choice

require_page()
st.title("Cities side by side")
folders = site.compare_cities()
cities = compare.load_cities(folders)
published = [city for city in cities if city.warehouse is not None]
missing = [city for city in cities if city.warehouse is None]
if missing:
    st.warning(
        "No published warehouse in "
        + ", ".join(md(compare.city_folders_warehouse(c.folder)) for c in missing)
        + ": run `citystat --city DIR run` for each to include it."
    )
if len(published) < 2:
    st.info("Two published cities are needed to compare them.")
    st.stop()

measured = compare.common_ids(published)
if not measured:
    st.info(
        "No metric of these cities has a `common_id`: give the same measure the same "
        "common_id in each city's metrics.yml, then run `citystat run`."
    )
    st.stop()
pick_col, grain_col = st.columns([3, 2])
common_id = url_choice(
    "measure",
    "compare_measure",
    list(measured),
    next(iter(measured)),
    pick_col.selectbox,
    "Measure (matched by common_id)",
    format_func=lambda c: f"{c} · measured in {measured[c]} of {len(cities)} cities",
)
grains = order_grains(compare.grains_of(published, common_id)) or ["month"]
grain = url_choice(
    "grain",
    "compare_grain",
    grains,
    default_grain(grains) or grains[0],
    grain_col.radio,
    "Period",
    format_func=grain_label,
    horizontal=True,
)

rows, common_period = compare.comparison(cities, common_id, grain)
st.caption(
    "Counts are compared per 1,000 residents (the count over the city's population in "
    "city.yml); medians, shares and ratios as each city reports them. A city that does not "
    "measure this shows “Not measured”, never zero, and a period with no record in a city's "
    "data is not one it is compared in."
)
for note in period_notes(rows, grain, common_period):
    (st.caption if common_period else st.warning)(md(note))
units = sorted({str(u) for u in rows["unit"].dropna()})
if len(units) > 1:
    st.warning(
        f"The cities give {md(common_id)} in different units ({md(', '.join(units))}): read "
        "each city's methodology before comparing."
    )
show_table(compare_table(rows, grain))
residents = population_note(rows)
if residents:
    st.caption(md(residents))
st.plotly_chart(
    compare_figure(rows, grain, f"{common_id}, {grain_label(grain).lower()}"),
    key="compare_chart",
)
st.caption(
    "Each bar is one city's value in the period its row names; cities without a value are "
    "in the table only. Data as of: the newest record in that city's warehouse; last run: "
    "when its warehouse was published."
)
