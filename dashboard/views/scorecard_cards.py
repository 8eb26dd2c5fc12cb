"""The public scorecard as cards: one per metric, with its status, value, target and trend in
words, three to a row on a wide screen and one under the other on a phone (Streamlit stacks
columns on a narrow screen), so nothing needs sideways scrolling."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.components.safe_text import escape_markdown as md
from dashboard.components.status import status_markdown
from dashboard.components.tables import OPEN_METRIC

CARDS_PER_ROW = 3


def _card_text(row: pd.Series, status: str | None) -> str:
    """The card's four lines; every value escaped, the status composed from constants."""
    return "  \n".join(
        [
            f"**Status:** {status_markdown(status)}",
            f"**Value ({md(row['Period'])}):** {md(row['Value'])}",
            f"**Target:** {md(row['Target'])}",
            f"**Trend:** {md(row['Trend'])}"
            + (f" · {md(row['Change'])}" if str(row["Change"]) else ""),
            # Whether the metric's sources have delivered when expected (a constant mark).
            *([f"**Data:** {md(row['Data'])}"] if "Data" in row.index else []),
        ]
    )


def metric_cards(table: pd.DataFrame, board: pd.DataFrame, grain: str) -> None:
    """One card per row of ``scorecard_table`` (``board`` its query rows, same order): the
    metric's name as a heading, its four fields, and a link to its page."""
    for start in range(0, len(table), CARDS_PER_ROW):
        columns = st.columns(CARDS_PER_ROW)
        for column, position in zip(columns, range(start, len(table)), strict=False):
            row, metric = table.iloc[position], board.iloc[position]
            with column.container(border=True):
                st.markdown(f"#### {md(row['Metric'])}")
                st.markdown(_card_text(row, metric["status"]))
                st.page_link(
                    "views/metric.py",
                    label=OPEN_METRIC,
                    query_params={"metric": str(metric["metric_id"]), "grain": grain},
                )
