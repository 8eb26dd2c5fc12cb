"""The naive baseline dashboard: a Streamlit page that reads the 311 CSV with pandas and
computes a scorecard on every rerun, the way many Streamlit dashboards are written.

Per service, for the latest month in the extract: requests received, the on-time share
(closed by the due time, counting open requests already past due as late) and the median
days to close. No warehouse, no cache: every rerun reads the whole file again. It is kept a
little kinder than most such pages (it reads only the columns it needs), so the ratio the
benchmark reports is, if anything, in the naive page's favour.

The benchmark sets BENCH_NAIVE_CSV to the extract; run by hand with
``BENCH_NAIVE_CSV=data/demo/philadelphia_311/public_cases_fc.csv streamlit run
bench/naive_dashboard.py``.
"""

from __future__ import annotations

import os

import pandas as pd
import streamlit as st

COLUMNS = [
    "service_name",
    "status",
    "requested_datetime",
    "expected_datetime",
    "closed_datetime",
]
TIMES = ["requested_datetime", "expected_datetime", "closed_datetime"]

path = os.environ.get("BENCH_NAIVE_CSV", "data/demo/philadelphia_311/public_cases_fc.csv")
st.title("311 scorecard (naive: pandas reads the CSV on every rerun)")
requests = pd.read_csv(path, usecols=COLUMNS, parse_dates=TIMES)

as_of = requests[["requested_datetime", "closed_datetime"]].max().max()
month = as_of.to_period("M")
opened = requests[requests["requested_datetime"].dt.to_period("M") == month]
closed = requests[
    (requests["closed_datetime"].dt.to_period("M") == month) & (requests["status"] == "Closed")
].copy()

due = opened[opened["expected_datetime"].notna() & (opened["status"] != "Cancelled")]
decided = due[due["closed_datetime"].notna() | (due["expected_datetime"] < as_of)].copy()
decided["on_time"] = decided["closed_datetime"] <= decided["expected_datetime"]
closed["days"] = (
    closed["closed_datetime"] - closed["requested_datetime"]
).dt.total_seconds() / 86400

scorecard = pd.DataFrame(
    {
        "Requests received": opened.groupby("service_name").size(),
        "On-time share": decided.groupby("service_name")["on_time"].mean(),
        "Median days to close": closed.groupby("service_name")["days"].median(),
    }
).fillna({"Requests received": 0})
st.caption(f"Latest month: {month}; {len(requests):,} requests read")
st.dataframe(scorecard)
