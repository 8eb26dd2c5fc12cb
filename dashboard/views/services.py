"""Services: the catalog (searchable), the Executive Order 2-24 ranking, the quarterly cohorts
(leadership confirms a proposal) and each cohort service's improvement plan."""

from __future__ import annotations

import streamlit as st

from dashboard.components import charts
from dashboard.components.formats import format_score
from dashboard.components.safe_text import escape_markdown as md
from dashboard.components.tables import (
    catalog_table,
    factor_detail_table,
    filter_catalog,
    ranking_table,
)
from dashboard.queries import reader, services
from dashboard.views.actor import require_page
from dashboard.views.cohort_board import cohorts_section
from dashboard.views.improvement_plans import plans_section
from dashboard.views.page_support import require_service_tables, show_table
from dashboard.views.url_choices import url_choice, url_text

signed_in = require_page()
st.title("Services")
warehouse = reader.current_warehouse()
if warehouse is None:
    st.stop()
require_service_tables(warehouse)

catalog = services.service_catalog(warehouse)
ranking = services.service_ranking(warehouse)
factors = services.service_factors(warehouse)

st.subheader("Service catalog")
query = url_text(
    "search",
    "services_search",
    st.text_input,
    "Search by service, department or channel",
    placeholder="e.g. Streets, library, 311 app",
)
shown = filter_catalog(catalog, query)
st.caption(f"{len(shown)} of {len(catalog)} services" + (f" match “{md(query)}”" if query else ""))
if shown.empty:
    st.info(f"No service matches “{md(query)}”. Try a department or a channel such as “Website”.")
else:
    show_table(catalog_table(shown))

st.subheader("Priority ranking (Executive Order 2-24)")
weights = factors.drop_duplicates("factor_order").sort_values("factor_order")
st.caption(
    "Each service is scored 0–1 on the order's six factors, in its order of priority; the "
    "score is the weighted sum ("
    + ", ".join(
        f"{md(label.lower())} {format_score(weight)}"
        for label, weight in zip(weights["factor_label"], weights["weight"], strict=True)
    )
    + "). Request volume and district gaps come from the warehouse where a service has them; "
    "the other inputs are services.yml's."
)
st.plotly_chart(charts.priority_figure(ranking, factors), key="priority_chart")
show_table(ranking_table(ranking, factors))
# A link that names a service opens its scoring, so the link shows what was shared.
with st.expander("How each factor was scored", expanded="factor" in st.query_params):
    ranked = ranking["service"].astype(str).tolist()
    service = url_choice("factor", "factor_service", ranked, ranked[0], st.selectbox, "Service")
    show_table(factor_detail_table(factors, service))

st.subheader("Quarterly cohorts")
cohorts_section(warehouse, signed_in, ranking)

st.subheader("Improvement plans")
plans_section(signed_in)
