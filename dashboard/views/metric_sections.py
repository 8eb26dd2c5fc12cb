"""Sections of the metric page: headline tiles, districts, definition, and data freshness."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboard.components import charts
from dashboard.components.definition_changes import (
    definition_history_markdown,
    history_rule,
    history_target_text,
)
from dashboard.components.formats import (
    MISSING,
    as_text,
    delta_colour,
    describe_change,
    direction_text,
    format_count,
    format_timestamp,
    format_value,
    grain_label,
    is_missing,
)
from dashboard.components.safe_text import escape_markdown as md
from dashboard.components.set_aside import is_volume, set_aside_note
from dashboard.components.status import status_markdown
from dashboard.components.tables import describe_targets, district_table
from dashboard.queries import freshness, metric_info, reader, trends
from dashboard.views.page_support import show_table


def headline(complete: pd.DataFrame, unit: str | None, direction: str | None) -> None:
    """Latest complete value, target, status and change as tiles."""
    latest = complete.iloc[-1]
    prior = complete.iloc[-2] if len(complete) > 1 else None
    change = describe_change(
        latest["value"], None if prior is None else prior["value"], unit, direction
    )
    # A row that wraps, not four columns that stack: on a phone the tiles take two lines.
    row = st.container(horizontal=True, gap="medium")
    tiles = [row.container(width="content") for _ in range(4)]
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


def volume_note(warehouse: reader.Warehouse, definition: dict[str, Any], latest: pd.Series) -> None:
    """Beside a count's value: the rows of its table's files that were set aside."""
    unit = definition.get("unit")
    if not is_volume(unit):
        return
    note = set_aside_note(
        freshness.set_aside(warehouse),
        "service_requests"
        if is_missing(definition.get("canonical_table"))
        else str(definition["canonical_table"]),
        public=False,
    )
    if note is None:
        return
    # The unit is a metrics.yml label and the period a warehouse value: shown only escaped.
    value = f"{format_value(latest['value'], unit)} {md(unit)} in {md(latest['period_label'])}"
    st.caption(f"{value} · {note}")


def districts_section(
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
    with table_col:
        show_table(district_table(comparison, unit), comparison["status"])


def definition_section(
    warehouse: reader.Warehouse, definition: dict[str, Any], metric_id: str, grain: str
) -> None:
    """Description, methodology and the metric's attributes from metric_definitions."""
    unit = definition["unit"]
    st.subheader("Definition and methodology")
    st.markdown(md(definition["description"] or ""))
    st.markdown(f"**How it is computed.** {md(definition['methodology'] or MISSING)}")
    explain_in_words(metric_info.metric_explanation(warehouse, metric_id))
    versions = metric_info.latest_definition_versions(warehouse, metric_id)
    history = definition_history_markdown(versions)
    if history:
        st.markdown(history)
    in_force = trends.target_history(warehouse, metric_id, grain)
    rule = history_rule(None if versions.empty else str(versions.iloc[0]["definition"]))
    targets = (
        describe_targets(in_force, unit)
        if rule is None
        else history_target_text(rule, in_force, unit)
    )
    st.markdown(
        "\n".join(
            [
                f"- **Department:** {md(as_text(definition['department_name']))}",
                f"- **Owner:** {md(as_text(definition['owner']))}",
                f"- **Cohort service:** {md(as_text(definition['cohort_service']))}",
                f"- **Unit:** {md(as_text(unit))}",
                f"- **Direction:** {direction_text(definition['direction'])}",
                f"- **Targets ({grain_label(grain).lower()}):** {targets}",
                f"- **Metric id:** `{metric_id}`",
            ]
        )
    )


def explain_in_words(paragraphs: list[str]) -> None:
    """The definition that runs, in plain words (written from it at run time)."""
    if paragraphs:
        st.caption("In plain words, from the definition the numbers are computed with:")
        st.markdown("\n\n".join(md(paragraph) for paragraph in paragraphs))


def freshness_section(warehouse: reader.Warehouse) -> None:
    """When the data was loaded, how recent it is, and whether it passed validation."""
    st.subheader("Data freshness")
    run = freshness.published_run(warehouse)
    if run is None:
        st.warning("No published run: these values have not been validated.")
        return
    passed = "✔ passed validation" if run["validation_passed"] else "✖ did not pass validation"
    run_id = f" (run `{run['run_id']}`)"  # the operators' (the public site has its own page)
    st.markdown(
        f"Last loaded **{format_timestamp(run['finished_at'])}** · data as of "
        f"**{format_timestamp(run['data_as_of'])}** · {passed}{run_id}"
    )
