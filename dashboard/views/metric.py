"""Metric page: trend against target, districts against citywide, methodology, freshness."""

from __future__ import annotations

import streamlit as st

from dashboard.components import charts
from dashboard.components.csv_export import csv_bytes, percent_columns
from dashboard.components.formats import (
    as_text,
    describe_baseline,
    format_value,
    grain_label,
)
from dashboard.components.late import late_metric_note
from dashboard.components.safe_text import escape_markdown as md
from dashboard.queries import freshness, metric_info, reader, trends
from dashboard.views import metric_draft
from dashboard.views.actor import require_page
from dashboard.views.metric_sections import (
    definition_section,
    districts_section,
    freshness_section,
    headline,
    volume_note,
)
from dashboard.views.seasonal import same_period_section, year_to_date_section
from dashboard.views.url_choices import pick_metric_and_grain

METRIC_KEY = "metric_page_metric"
GRAIN_KEY = "metric_page_grain"


require_page()
warehouse = reader.current_warehouse()
if warehouse is None:
    st.stop()
# An analyst's saved drafts: shown instead of a published metric.
draft = metric_draft.pick_draft()
if draft is not None:
    metric_draft.show_draft(draft, warehouse.version)
    st.stop()
catalog = metric_info.metric_catalog(warehouse).set_index("metric_id", drop=False)
metric_ids = [str(metric_id) for metric_id in catalog["metric_id"]]
if not metric_ids:
    st.warning("The warehouse holds no metric definitions. Run `citystat run` to compute them.")
    st.stop()

metric_id, grain = pick_metric_and_grain(warehouse, catalog, METRIC_KEY, GRAIN_KEY)

definition = metric_info.metric_definition(warehouse, metric_id) or {}
unit: str | None = definition.get("unit")
st.title(md(definition["label"]))
cohort, owner = md(as_text(definition["cohort_service"])), md(as_text(definition["owner"]))
st.caption(f"{md(as_text(definition['department_name']))} · {cohort} · owner: {owner}")

late = freshness.late_metrics(warehouse, freshness.now_to_the_minute())
if metric_id in late:
    st.warning(late_metric_note(late[metric_id], public=False))
if definition.get("availability"):
    # Say plainly why there is no number, rather than show a wrong one.
    st.warning(md(definition["availability"]))

series = trends.metric_series(warehouse, metric_id, grain)
complete = series[series["is_complete"]]
if complete.empty:
    st.info(f"No complete {grain_label(grain).lower()} yet for this metric.")
else:
    headline(complete, unit, str(definition["direction"] or "") or None)
    volume_note(warehouse, definition, complete.iloc[-1])
    baseline = trends.baseline_comparison(warehouse, metric_id)
    if baseline is not None and baseline["latest_label"] != baseline["baseline_label"]:
        st.markdown(
            f"**Since the baseline, {baseline['baseline_label']} → "
            f"{baseline['latest_label']}:** "
            + describe_baseline(
                baseline["baseline_value"],
                baseline["latest_value"],
                unit,
                str(definition["direction"] or "") or None,
            )
        )
    in_progress = series[~series["is_complete"]]
    if not in_progress.empty:
        current = in_progress.iloc[-1]
        st.caption(
            f"{current['period_label']} is still in progress "
            f"({format_value(current['value'], unit)} so far) and is left out of the chart."
        )
    st.plotly_chart(
        charts.trend_figure(
            complete, unit, f"{definition['label']} by {grain_label(grain).lower()}, citywide"
        ),
        key="trend_chart",
    )
    same_period_section(warehouse, metric_id, grain, definition)
    year_to_date_section(warehouse, metric_id, definition)
    districts_section(warehouse, metric_id, grain, unit, str(complete.iloc[-1]["period_label"]))

definition_section(warehouse, definition, metric_id, grain)
freshness_section(warehouse)
st.download_button(
    "Download this series (CSV)",
    data=csv_bytes(percent_columns(complete, unit)),
    file_name=f"{metric_id}_{grain}.csv",
    mime="text/csv",
    on_click="ignore",
)
st.caption("Share this page: its address holds the metric and period you are looking at.")
