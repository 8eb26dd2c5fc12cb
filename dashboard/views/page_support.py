"""Helpers the pages share: HTML tables and the check for the service tables (the widgets
seeded from the URL are in ``url_choices``)."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import streamlit as st

from dashboard.components.safe_text import markdown_table
from dashboard.components.status import coloured_status
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


# A width in pixels (held to the page's width) makes Streamlit give a table's scrolling box a tab
# stop and the name "Scrollable table" (its Table component does so only for a pixel width or
# height): a table wider than a phone can then be scrolled from the keyboard (axe-core's
# scrollable-region-focusable, WCAG 2.1.1). The price: Streamlit then does not wrap the cells, so
# a table of long texts scrolls sideways on a laptop too; links sit beside the name they open.
TABLE_WIDTH = 4000


def show_table(table: pd.DataFrame, statuses: Iterable[str | None] | None = None) -> None:
    """A table that carries meaning as a real HTML table (st.table: header cells, links a
    keyboard and a screen reader reach), every cell escaped but the links and coloured statuses
    this code composed; ``statuses`` colour its Status column."""
    if statuses is not None:
        table = coloured_status(table, statuses)
    st.table(markdown_table(table), hide_index=True, width=TABLE_WIDTH)


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
