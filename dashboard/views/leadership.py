"""Leadership overview: the CityScore-style index by cohort, department and service, and the
metrics that moved most against target since the prior period."""

from __future__ import annotations

import streamlit as st

from dashboard.components.formats import (
    MISSING,
    default_grain,
    format_score,
    format_signed,
    grain_label,
    order_grains,
)
from dashboard.components.late import (
    LATE_MARK,
    late_marks,
    late_sources_table,
    with_late_column,
)
from dashboard.components.links import department_link
from dashboard.components.status import status_label
from dashboard.components.tables import index_table, movers_table
from dashboard.queries import freshness, metric_info, reader, scorecard
from dashboard.views.action_lists import data_date, overdue_items
from dashboard.views.actor import require_page
from dashboard.views.cohort_board import cohorts_section
from dashboard.views.index_history import INDEX_PERIODS, index_history_section
from dashboard.views.page_support import require_service_tables, show_table
from dashboard.views.url_choices import url_choice

MOVERS_SHOWN = 5

signed_in = require_page()
st.title("Leadership overview")
warehouse = reader.current_warehouse()
if warehouse is None:
    st.stop()
require_service_tables(warehouse)

grains = order_grains(metric_info.available_grains(warehouse))
if not grains:
    st.warning("The warehouse holds no metric values yet. Run `citystat run` to compute them.")
    st.stop()
grain = url_choice(
    "grain",
    "leadership_grain",
    grains,
    default_grain(grains) or grains[0],
    st.radio,
    "Period",
    format_func=grain_label,
    horizontal=True,
    resets=(*INDEX_PERIODS, "index_member"),
)

city = scorecard.leadership_latest(warehouse, "city", grain)
if city.empty:
    st.info(f"No complete {grain_label(grain).lower()} has an index yet.")
    st.stop()
headline = city.iloc[0]
change = format_signed(headline["index_change"])
tiles = st.columns(4)
tiles[0].metric(
    f"City index ({headline['period_label']})",
    format_score(headline["index_value"]),
    delta=None if change == MISSING else f"{change} vs {headline['prior_period_label']}",
    help="Mean over every metric with a target of its value divided by the target "
    "(inverted where lower is better), capped; 1.00 means on target on average.",
)
tiles[1].metric(status_label("on_track"), int(headline["on_track"]))
tiles[2].metric(status_label("watch"), int(headline["watch"]))
tiles[3].metric(status_label("off_track"), int(headline["off_track"]))
st.caption(
    "In the manner of Boston's CityScore: each metric's latest complete value divided by its "
    "target (target divided by value where lower is better), capped, then averaged. Above 1.00 "
    "is better than target. Metrics without a target or with too little data are not scored."
)

now = freshness.now_to_the_minute()
late_sources = freshness.late_sources(warehouse, now)
if not late_sources.empty:
    st.subheader("Late data")
    st.warning(
        f"{len(late_sources)} source(s) have not delivered new data when city.yml expects it; "
        f"metrics computed from them are marked {LATE_MARK} on every page."
    )
    show_table(late_sources_table(late_sources))
late = freshness.late_metrics(warehouse, now)

st.subheader("Quarterly cohorts")
cohorts_section(warehouse, signed_in, states=("current", "next"))
st.caption("Leadership confirms a proposal on the Services page, where each plan is kept.")

st.subheader("Index by quarterly cohort")
cohorts = scorecard.leadership_latest(warehouse, "cohort", grain)
if cohorts.empty:
    st.info("No cohort service has metrics with targets yet.")
else:
    show_table(index_table(cohorts, "Cohort"))

st.subheader("By department")
by_department = scorecard.leadership_latest(warehouse, "department", grain)
show_table(
    index_table(
        by_department,
        "Department",
        links=[department_link(str(name)) for name in by_department["scope_name"]],
    )
)

st.subheader("By service")
show_table(index_table(scorecard.leadership_latest(warehouse, "cohort_service", grain), "Service"))

index_history_section(warehouse, grain)

movers = scorecard.metric_movers(warehouse, grain)
st.subheader("Biggest improvements since the prior period")
periods = (
    f" ({movers['prior_period_label'].iloc[0]} → {movers['period_label'].iloc[0]})"
    if not movers.empty
    else ""
)
st.caption(
    f"Change in each metric's score against its target from the prior complete period{periods}: "
    "positive is better whichever way the metric should move."
)
improved = movers[movers["score_change"] > 0].head(MOVERS_SHOWN)
if improved.empty:
    st.info("No metric improved against its target since the prior period.")
else:
    show_table(
        with_late_column(
            movers_table(improved, grain), late_marks(improved["metric_id"], late), "Metric"
        ),
        improved["status"],
    )
st.subheader("Biggest declines since the prior period")
declined = movers[movers["score_change"] < 0].sort_values("score_change").head(MOVERS_SHOWN)
if declined.empty:
    st.info("No metric declined against its target since the prior period.")
else:
    show_table(
        with_late_column(
            movers_table(declined, grain), late_marks(declined["metric_id"], late), "Metric"
        ),
        declined["status"],
    )

overdue_items(data_date(warehouse))
