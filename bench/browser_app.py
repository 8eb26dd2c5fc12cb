"""Bench-only entry script: dashboard/app.py as it is, plus the pages the browser benchmark needs.

    streamlit run bench/browser_app.py [-- --public]

The app's own navigation gets four extra pages: ``bench-empty``, Streamlit's floor on the same
server (set_page_config, the navigation and nothing else: the app's shell is skipped);
``bench-plotly``, the floor of a page with a chart (one small Plotly chart and nothing else);
``bench-vega``, the same chart drawn with Vega-Lite (Streamlit's built-in charts, through
Altair), what the floor would be without Plotly; and ``bench-clear``, which empties
st.cache_data so the next load meets cold caches. When BENCH_PAGES_FILE is set, the app's own
pages (address and title) are written there, so the benchmark times exactly the pages the
navigation offers. Never part of the dashboard.
"""

from __future__ import annotations

import json
import os
import runpy
from pathlib import Path
from typing import Any

import streamlit as st

# The benchmark runs a copy of this script elsewhere (citystat_bench.browser.Server) and says
# where the app is.
APP = Path(os.environ.get("BENCH_APP") or Path(__file__).resolve().parents[1] / "dashboard/app.py")
EMPTY, PLOTLY, VEGA, CLEAR = "bench-empty", "bench-plotly", "bench-vega", "bench-clear"
BENCH_PAGES = (EMPTY, PLOTLY, VEGA, CLEAR)


def _empty() -> None:
    """Nothing: the least a page of this server costs."""


_MONTHS = list(range(1, 13))
_VALUES = [(m * 7) % 12 for m in _MONTHS]


def _plotly() -> None:
    """One line chart of twelve points: what the browser pays for Plotly itself (its script,
    loaded on the first chart of a page, and one drawing), without any of citystat's work."""
    import plotly.graph_objects as go

    figure = go.Figure(go.Scatter(x=_MONTHS, y=_VALUES, mode="lines"))
    st.plotly_chart(figure, key="bench_plotly")


def _vega() -> None:
    """The same line chart drawn with Vega-Lite, the library of Streamlit's own charts."""
    import altair as alt
    import pandas as pd

    data = pd.DataFrame({"month": _MONTHS, "value": _VALUES})
    st.altair_chart(alt.Chart(data).mark_line().encode(x="month", y="value"), key="bench_vega")


def _clear() -> None:
    """Empty the data caches, so the next page load computes every query again."""
    st.cache_data.clear()
    st.text("caches cleared")


def _record(pages: list[Any]) -> None:
    target = os.environ.get("BENCH_PAGES_FILE")
    if target:
        listed = [{"url_path": p.url_path, "title": p.title} for p in pages]
        Path(target).write_text(json.dumps(listed))


def _navigation(pages: list[Any], **options: Any) -> Any:
    """The app's navigation with the bench pages added; the bench pages stop the app there."""
    _record(pages)
    extra = [st.Page(_empty, title="bench empty", url_path=EMPTY)]
    extra.append(st.Page(_plotly, title="bench plotly", url_path=PLOTLY))
    extra.append(st.Page(_vega, title="bench vega", url_path=VEGA))
    extra.append(st.Page(_clear, title="bench clear", url_path=CLEAR))
    page = _real_navigation([*pages, *extra], **options)
    if page.url_path in BENCH_PAGES:
        page.run()  # a run that never runs its page shows "page not found"
        st.stop()
    return page


_real_navigation = st.navigation
st.navigation = _navigation  # type: ignore[assignment]
try:
    runpy.run_path(str(APP), run_name="__main__")
finally:
    st.navigation = _real_navigation  # type: ignore[assignment]
