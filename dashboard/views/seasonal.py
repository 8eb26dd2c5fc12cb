"""Seasonal comparisons on the pages: the scorecard's comparison choice (kept in the URL),
and the metric page's five-year same-period view and fiscal year to date."""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard.components import charts
from dashboard.components.formats import (
    as_text,
    delta_colour,
    describe_change,
    format_value,
    grain_label,
)
from dashboard.components.safe_text import escape_markdown as md
from dashboard.components.seasonal import (
    COMPARISON_LABELS,
    DEFAULT_COMPARISON,
    same_period_table,
    year_to_date_label,
    year_to_date_note,
)
from dashboard.queries import seasonal
from dashboard.queries.reader import Warehouse
from dashboard.views.page_support import show_table
from dashboard.views.url_choices import choose_from_url

COMPARE_PARAM = "compare"
COMPARE_KEY = "scorecard_compare"
SAME_PERIOD_YEARS = 5


def pick_comparison() -> str:
    """The scorecard's comparison, seeded from the URL's ``compare`` and written back to it
    (the default, the period before, as no parameter). A value the page does not offer is
    named back as text, like every page's, and replaced in the address by the default."""
    requested = st.query_params.get(COMPARE_PARAM)
    unknown = requested is not None and requested not in COMPARISON_LABELS
    choices = list(COMPARISON_LABELS)
    choose_from_url(COMPARE_PARAM, COMPARE_KEY, choices, DEFAULT_COMPARISON, COMPARE_PARAM)
    choice = st.radio(
        "Change compared with",
        list(COMPARISON_LABELS),
        format_func=COMPARISON_LABELS.__getitem__,
        horizontal=True,
        key=COMPARE_KEY,
        on_change=_remember_comparison,
    )
    if unknown:  # the link's value is replaced by the choice the page made
        st.query_params[COMPARE_PARAM] = DEFAULT_COMPARISON
    else:
        _remember_comparison()
    return str(choice)


def _remember_comparison() -> None:
    # The default leaves the address alone, so other pages' links stay as they were.
    if st.session_state[COMPARE_KEY] == DEFAULT_COMPARISON:
        st.query_params.pop(COMPARE_PARAM, None)
    else:
        st.query_params[COMPARE_PARAM] = st.session_state[COMPARE_KEY]


def same_period_section(
    warehouse: Warehouse, metric_id: str, grain: str, definition: dict[str, Any]
) -> None:
    """The latest complete period beside the same period in each of the last years with data."""
    unit, direction = definition.get("unit"), str(definition.get("direction") or "") or None
    years = seasonal.same_period_years(warehouse, metric_id, grain, SAME_PERIOD_YEARS)
    st.subheader(f"Same {grain_label(grain).lower()}, year by year")
    if len(years) < 2:
        st.caption("No earlier year has a value for the same period yet.")
        return
    st.caption(
        "Seasonal work compares like with like: the latest complete period and the same "
        f"period in each earlier year that has data, up to {SAME_PERIOD_YEARS} years"
        + (" (52 weeks apart)." if grain == "week" else ".")
    )
    chart_col, table_col = st.columns([3, 2])
    with chart_col:
        title = f"{definition['label']}, same {grain_label(grain).lower()} each year"
        st.plotly_chart(charts.trend_figure(years, unit, title), key="same_period_chart")
    with table_col:
        show_table(same_period_table(years, unit, direction), years["status"])


def year_to_date_section(warehouse: Warehouse, metric_id: str, definition: dict[str, Any]) -> None:
    """This fiscal year's complete months against the same months of the year before."""
    start_month = seasonal.fiscal_year_start_month(warehouse)
    if start_month is None:
        return  # a warehouse from before the city profile: no fiscal year to count from
    label = year_to_date_label(start_month)
    st.subheader(f"{label} against last year")
    ytd = seasonal.year_to_date(warehouse, metric_id, start_month)
    if ytd is None:
        st.info("This metric has no complete month yet.")
        return
    if not ytd["how"]:
        st.info(
            "A percentile such as a median cannot be put together from monthly values: "
            "compare the same month of each year above instead."
        )
        return
    unit, direction = definition.get("unit"), str(definition.get("direction") or "") or None
    change = describe_change(ytd["current_value"], ytd["last_year_value"], unit, direction)
    tiles = st.columns(2)
    tiles[0].metric(
        f"{label} ({ytd['current_first']} to {ytd['current_last']})",
        format_value(ytd["current_value"], unit),
        delta=change.delta_text or None,
        delta_color=delta_colour(direction),
    )
    tiles[1].metric(
        f"Last year, same months ({as_text(ytd['last_year_first'])} to "
        f"{as_text(ytd['last_year_last'])})",
        format_value(ytd["last_year_value"], unit),
    )
    st.caption(md(year_to_date_note(ytd)))
