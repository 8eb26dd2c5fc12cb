"""Late data in words: the mark beside a metric whose source is late, and the late sources.

Pure (no Streamlit). A mark is an icon and a word, never a colour alone. Source titles come
from the city's mapping files, so every sentence meant for Markdown escapes them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from dashboard.components.formats import format_timestamp, is_missing
from dashboard.components.safe_text import escape_markdown

LATE_MARK = "◷ Late data"
CURRENT_MARK = "✓ Current"


def late_marks(metric_ids: Iterable[object], late: Mapping[str, list[str]]) -> list[str]:
    """Per metric, the mark of its data: late when a source it is computed from is late."""
    return [LATE_MARK if str(m) in late else CURRENT_MARK for m in metric_ids]


def with_late_column(table: pd.DataFrame, marks: list[str], after: str = "Status") -> pd.DataFrame:
    """A display table with a "Data" column of ``marks`` after column ``after`` (or last)."""
    columns = list(table.columns)
    at = columns.index(after) + 1 if after in columns else len(columns)
    marked = table.copy()
    marked.insert(at, "Data", marks)
    return marked


def late_summary(
    shown: Iterable[object], late: Mapping[str, list[str]], public: bool
) -> str | None:
    """One sentence over a list of metrics: how many rest on late data (None when none)."""
    ids = [str(m) for m in shown]
    count = sum(m in late for m in ids)
    if not count:
        return None
    if public:
        return (
            f"{LATE_MARK}: the newest data behind {count} of these {len(ids)} measures has not "
            "arrived when expected, so their latest figures may be out of date."
        )
    sources = sorted({s for m in ids for s in late.get(m, [])})
    return (
        f"{LATE_MARK}: {count} of these {len(ids)} metrics are computed from a late source ("
        + "; ".join(escape_markdown(s) for s in sources)
        + "); their latest values may be out of date."
    )


def late_metric_note(sources: list[str], public: bool) -> str:
    """The metric page's warning, in Markdown (source titles escaped)."""
    if public:
        return (
            f"{LATE_MARK}: the newest data for this measure has not arrived when expected, so "
            "its latest figures may be out of date."
        )
    named = "; ".join(escape_markdown(s) for s in sources)
    return (
        f"{LATE_MARK}: this metric is computed from {named}, whose newest records are older "
        "than city.yml expects; its latest values may be out of date."
    )


def late_sources_table(late: pd.DataFrame) -> pd.DataFrame:
    """Display rows of ``late_sources``: the source, when its data last arrived, how late."""
    return pd.DataFrame(
        {
            "Data": [LATE_MARK] * len(late),
            "Source": late["source_name"].astype(str).tolist(),
            "Newest record (UTC)": [format_timestamp(t) for t in late["last_arrived"]],
            "Expected every": late["expected_every"].astype(str).tolist(),
            "Late by": [late_by(d) for d in late["days_late"]],
        }
    )


def late_by(days: object) -> str:
    """How late, in words: '3 days', '5 hours'; never arrived when there is no record."""
    if days is None or is_missing(days):
        return "no record yet"
    value = float(days)  # type: ignore[arg-type]
    if value < 1:
        hours = max(1, round(value * 24))
        return f"{hours} hour{'s' if hours != 1 else ''}"
    whole = int(value)
    return f"{whole} day{'s' if whole != 1 else ''}"
