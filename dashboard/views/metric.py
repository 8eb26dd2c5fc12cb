"""Metric page: trend against target, districts against citywide, methodology, freshness."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboard.components import charts, site
from dashboard.components.csv_export import csv_bytes
from dashboard.components.formats import (
    MISSING,
    delta_colour,
    describe_baseline,
    describe_change,
    direction_text,
    format_count,
    format_timestamp,
    format_value,
    grain_label,
)
from dashboard.components.status import status_markdown, style_status_column
from dashboard.components.tables import describe_targets, district_table
from dashboard.queries import freshness, metric_info, reader, trends
from dashboard.views.page_support import pick_metric_and_grain

METRIC_KEY = "metric_page_metric"
GRAIN_KEY = "metric_page_grain"


def _headline(complete: pd.DataFrame, unit: str | None, direction: str | None) -> None:
    """Latest complete value, target, status and change as tiles."""
    latest = complete.iloc[-1]
    prior = complete.iloc[-2] if len(complete) > 1 else None
    change = describe_change(
        latest["value"], None if prior is None else prior["value"], unit, direction
    )
    tiles = st.columns(4)
    tiles[0].metric(
        f"Latest complete ({latest['period_label']})",
        format_value(latest["value"], unit),
        delta=change.delta_text or None,
        delta_color=delta_colour(direction),
        help=None if prior is None else f"Change compared with {prior['period_label']}",
    )
    tiles[1].metric("Target", format_value(latest["target"], unit))
    with tiles[2]:
        st.markdown("Status")
        st.markdown(f"#### {status_markdown(latest['status'])}")
    tiles[3].metric("Observations", format_count(latest["count"]))


def _districts(
    warehouse: reader.Warehouse, metric_id: str, grain: str, unit: str | None, period: str
) -> None:
    """Each council district against the citywide value: bar chart and table."""
    comparison = trends.district_comparison(warehouse, metric_id, grain)
    citywide = comparison[comparison["dimension"] == "citywide"]
    districts = comparison[comparison["dimension"] == "council_district"]
    st.subheader(f"Council districts, {period}")
    if districts.empty:
        st.info("This metric is not broken down by council district.")
        return
    chart_col, table_col = st.columns([3, 2])
    with chart_col:
        st.plotly_chart(
            charts.district_figure(
                districts,
                citywide["value"].iloc[0] if not citywide.empty else None,
                unit,
                "Each district against the citywide value",
            ),
            key="district_chart",
        )
    table_col.dataframe(
        style_status_column(district_table(comparison, unit), comparison["status"]),
        hide_index=True,
        width="stretch",
    )


def _definition(
    warehouse: reader.Warehouse, definition: dict[str, Any], metric_id: str, grain: str
) -> None:
    """Description, methodology and the metric's attributes from metric_definitions."""
    unit = definition["unit"]
    st.subheader("Definition and methodology")
    st.markdown(str(definition["description"] or ""))
    st.markdown(f"**How it is computed.** {definition['methodology'] or MISSING}")
    targets = describe_targets(trends.target_history(warehouse, metric_id, grain), unit)
    st.markdown(
        "\n".join(
            [
                f"- **Department:** {definition['department']}",
                f"- **Owner:** {definition['owner']}",
                f"- **Cohort service:** {definition['cohort_service']}",
                f"- **Unit:** {unit}",
                f"- **Direction:** {direction_text(definition['direction'])}",
                f"- **Targets ({grain_label(grain).lower()}):** {targets}",
                f"- **Metric id:** `{metric_id}`",
            ]
        )
    )


def _freshness(warehouse: reader.Warehouse) -> None:
    """When the data was loaded, how recent it is, and whether it passed validation."""
    st.subheader("Data freshness")
    run = freshness.published_run(warehouse)
    if run is None:
        st.warning("No published run: these values have not been validated.")
        return
    passed = "✔ passed validation" if run["validation_passed"] else "✖ did not pass validation"
    st.markdown(
        f"Last loaded **{format_timestamp(run['finished_at'])}** · data as of "
        f"**{format_timestamp(run['data_as_of'])}** · {passed} (run `{run['run_id']}`)"
    )


warehouse = reader.current_warehouse()
if warehouse is None:
    st.stop()
public = site.is_public()
# On the public site only public metrics exist: any other id from a link is ignored.
catalog = metric_info.metric_catalog(warehouse, public_only=public).set_index(
    "metric_id", drop=False
)
metric_ids = [str(metric_id) for metric_id in catalog["metric_id"]]
if not metric_ids:
    if public:
        st.info("The city has not published any metric yet.")
        st.stop()
    st.warning("The warehouse holds no metric definitions. Run `citystat run` to compute them.")
    st.stop()

metric_id, grain = pick_metric_and_grain(warehouse, catalog, METRIC_KEY, GRAIN_KEY)

definition = metric_info.metric_definition(warehouse, metric_id, public_only=public) or {}
unit: str | None = definition.get("unit")
st.title(str(definition["label"]))
st.caption(
    f"{definition['department']} · {definition['cohort_service']} · owner: {definition['owner']}"
)

if definition.get("availability"):
    # Say plainly why there is no number, rather than show a wrong one.
    st.warning(str(definition["availability"]))

series = trends.metric_series(warehouse, metric_id, grain)
complete = series[series["is_complete"]]
if complete.empty:
    st.info(f"No complete {grain_label(grain).lower()} yet for this metric.")
else:
    _headline(complete, unit, str(definition["direction"] or "") or None)
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
    _districts(warehouse, metric_id, grain, unit, str(complete.iloc[-1]["period_label"]))

_definition(warehouse, definition, metric_id, grain)
_freshness(warehouse)
st.download_button(
    "Download this series (CSV)",
    data=csv_bytes(complete),
    file_name=f"{metric_id}_{grain}.csv",
    mime="text/csv",
    on_click="ignore",
)
st.caption("Share this page: its address holds the metric and period you are looking at.")
