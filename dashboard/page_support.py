"""Helpers the pages share: URL-seeded widgets and the check for the service tables."""

from __future__ import annotations

import streamlit as st

from dashboard import data

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


def remember_in_url(widget_key: str, param: str) -> None:
    """Write a widget's new value to the URL so the page can be shared as it is."""
    st.query_params[param] = st.session_state[widget_key]


def choose_from_url(
    param: str, widget_key: str, valid: list[str], fallback: str, what: str
) -> None:
    """Seed a widget from the URL; a value that is not one of ``valid`` is ignored with a
    warning, so nothing from the address reaches a query unchecked."""
    requested = st.query_params.get(param)
    if requested is not None and requested not in valid:
        shown = ", ".join(valid)
        st.warning(f"Ignored {what} “{requested}” from the link: it is not one of {shown}.")
        requested = None
    if requested is not None:
        st.session_state[widget_key] = requested
    elif st.session_state.get(widget_key) not in valid:
        st.session_state[widget_key] = fallback


def require_service_tables(warehouse: data.Warehouse) -> None:
    """Stop the page with a clear message when the warehouse predates the service tables."""
    missing = data.missing_tables(warehouse, SERVICE_TABLES)
    if missing:
        st.warning(
            f"This warehouse has no service catalog or leadership index yet (missing: "
            f"{', '.join(missing)}). Run `citystat run` to compute them from services.yml."
        )
        st.stop()
