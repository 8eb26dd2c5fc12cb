"""Widgets seeded from the URL and written back to it, so a link reproduces the view: every
value from the address is checked against the choices, and an unknown one is named back."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboard.components.formats import default_grain, grain_label, order_grains
from dashboard.components.safe_text import escape_markdown
from dashboard.queries import metric_info, reader


def remember_in_url(widget_key: str, param: str, *resets: str) -> None:
    """Write a widget's new value to the URL so the page can be shared as it is; the
    parameters in ``resets`` depend on it (a grain's periods) and leave the URL, so a stale
    one is not named back as unknown."""
    st.query_params[param] = st.session_state[widget_key]
    for reset in resets:
        st.query_params.pop(reset, None)


def pick_by_name(
    column: Any, param: str, widget_key: str, ids: list[str], names: dict[str, str]
) -> str:
    """A picker of ids (departments) shown by their names, seeded from and written to the
    URL's ``param``. A link from before the page took ids names its choice: it reads as
    that name's id."""
    by_name = {names.get(key, key): key for key in ids}
    requested = st.query_params.get(param)
    if requested is not None and requested not in ids and requested in by_name:
        st.query_params[param] = by_name[requested]
    choose_from_url(param, widget_key, ids, ids[0], param)
    chosen = column.selectbox(
        param.capitalize(),
        ids,
        format_func=lambda key: names.get(key, key),
        key=widget_key,
        on_change=remember_in_url,
        args=(widget_key, param),
    )
    st.query_params[param] = chosen
    return str(chosen)


def choose_from_url(
    param: str, widget_key: str, valid: list[str], fallback: str, what: str
) -> None:
    """Seed a widget from the URL; a value that is not one of ``valid`` is ignored with a
    warning, so nothing from the address reaches a query unchecked."""
    requested = st.query_params.get(param)
    if requested is not None and requested not in valid:
        # Both come from outside the code (the address, the warehouse): shown as text.
        shown = escape_markdown(", ".join(valid))
        why = f"it is not one of {shown}." if valid else f"there is no {what} to show yet."
        st.warning(f"Ignored {what} “{escape_markdown(requested)}” from the link: {why}")
        requested = None
    if requested is not None:
        st.session_state[widget_key] = requested
    elif st.session_state.get(widget_key) not in valid:
        st.session_state[widget_key] = fallback


def url_choice(
    param: str,
    widget_key: str,
    options: list[str],
    default: str,
    widget: Any,
    label: str,
    resets: tuple[str, ...] = (),
    **kwargs: Any,
) -> str:
    """A choice widget (``st.selectbox``, ``column.radio``...) over ``options``, seeded from
    the URL's ``param`` (an unknown value named back and replaced by ``default``) and written
    back to it (the default as no parameter), so a link reproduces the view; a change drops
    the parameters in ``resets``."""
    choose_from_url(param, widget_key, options, default, param)
    chosen = widget(
        label,
        options,
        key=widget_key,
        on_change=remember_in_url,
        args=(widget_key, param, *resets),
        **kwargs,
    )
    # The default leaves the address alone (as the scorecard's comparison does), so a page's
    # link stays short and other pages' links stay as they were.
    if chosen == default:
        st.query_params.pop(param, None)
    else:
        st.query_params[param] = chosen
    return str(chosen)


def url_text(param: str, widget_key: str, widget: Any, label: str, **kwargs: Any) -> str:
    """A free-text filter seeded from the URL's ``param`` and written back to it; the text is
    only ever matched and shown escaped, so any value is allowed."""
    requested = st.query_params.get(param)
    if requested is not None:
        st.session_state[widget_key] = requested
    typed = widget(
        label, key=widget_key, on_change=remember_in_url, args=(widget_key, param), **kwargs
    )
    if typed:
        st.query_params[param] = typed
    else:
        st.query_params.pop(param, None)
    return str(typed)


def pick_metric_and_grain(
    warehouse: reader.Warehouse, catalog: pd.DataFrame, metric_key: str, grain_key: str
) -> tuple[str, str]:
    """Metric picker and grain switch, seeded from the URL and written back to it.

    ``catalog`` is indexed by metric_id with label and department_name columns.
    """
    metric_ids = [str(metric_id) for metric_id in catalog["metric_id"]]
    choose_from_url("metric", metric_key, metric_ids, metric_ids[0], "metric")
    pick_col, grain_col = st.columns([3, 2])
    metric_id = pick_col.selectbox(
        "Metric",
        metric_ids,
        key=metric_key,
        format_func=lambda key: (
            f"{catalog.at[key, 'label']!s} · {catalog.at[key, 'department_name']!s}"
        ),
        on_change=remember_in_url,
        args=(metric_key, "metric"),
    )
    grains = order_grains(metric_info.available_grains(warehouse, metric_id))
    if not grains:
        st.warning("This metric has no computed values yet. Run `citystat run` to compute them.")
        st.stop()
    choose_from_url("grain", grain_key, grains, default_grain(grains) or grains[0], "grain")
    grain = grain_col.radio(
        "Period",
        grains,
        key=grain_key,
        format_func=grain_label,
        horizontal=True,
        on_change=remember_in_url,
        args=(grain_key, "grain"),
    )
    st.query_params["metric"] = metric_id
    st.query_params["grain"] = grain
    return str(metric_id), str(grain)
