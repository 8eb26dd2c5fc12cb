"""Helpers the pages share: HTML tables and the check for the service tables (the widgets
seeded from the URL are in ``url_choices``)."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import streamlit as st

from dashboard.components.html_table import scrollable_table
from dashboard.queries import metric_info, reader

SERVICE_TABLES = [
    "services",
    "service_priorities",
    "service_priority_factors",
    "service_cohorts",
    "metric_index_scores",
    "leadership_index",
    "district_gaps",
    "district_centroids",
]


def show_table(table: pd.DataFrame, statuses: Iterable[str | None] | None = None) -> None:
    """A table that carries meaning as a real HTML table (header cells, links a keyboard and a
    screen reader reach), every cell escaped but the links this code composed; ``statuses``
    colour its Status column (html_table)."""
    st.html(scrollable_table(table, None if statuses is None else list(statuses)))


def require_service_tables(warehouse: reader.Warehouse) -> None:
    """Stop the page with a clear message when the warehouse predates the service tables."""
    missing = metric_info.missing_tables(warehouse, SERVICE_TABLES)
    if missing:
        st.warning(
            "This page compares districts and ranks services from the city's service catalog, "
            f"which this warehouse does not hold (missing: {', '.join(missing)}). Add a "
            'services.yml beside the city\'s metrics.yml (README, "Add your city") and run '
            "`citystat run`; a warehouse built before services.yml existed gets them the same way."
        )
        st.stop()
