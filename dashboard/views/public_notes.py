"""The public site's notes on its data, in the visitor's language: when it was last updated,
whether it is late, and how many rows were set aside beside the counts (no file, path or id)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.components.i18n import N_, Language
from dashboard.components.set_aside import volume_tables
from dashboard.queries import freshness, reader

_WORDS = {
    "service_requests": N_("311 service requests"),
    "permits": N_("permits"),
    "inspections": N_("inspections"),
}


def data_as_of(lang: Language, warehouse: reader.Warehouse) -> None:
    """When the data was last updated, as a date in the visitor's language."""
    run = freshness.published_run(warehouse)
    if run is not None:
        st.caption(
            lang.gettext("Figures include data up to {date}; last updated {updated}.").format(
                date=lang.date(run["data_as_of"]), updated=lang.date(run["finished_at"])
            )
        )


def late_warning(lang: Language, warehouse: reader.Warehouse, metric_ids: list[str]) -> None:
    """Say when the newest data behind the shown measures has not arrived when expected."""
    late = freshness.late_metrics(warehouse, freshness.now_to_the_minute())
    count = sum(m in late for m in metric_ids)
    if not count:
        return
    if len(metric_ids) == 1:
        st.warning(
            lang.gettext(
                "◷ Late data: the newest data for this measure has not arrived when expected, "
                "so its latest figures may be out of date."
            )
        )
        return
    st.warning(
        lang.gettext(
            "◷ Late data: the newest data behind {count} of these {total} measures has not "
            "arrived when expected, so their latest figures may be out of date."
        ).format(count=lang.number(count), total=lang.number(len(metric_ids)))
    )


def set_aside_sentences(lang: Language, warehouse: reader.Warehouse, metrics: pd.DataFrame) -> None:
    """Beside the counts of ``metrics`` (unit, canonical_table): how many rows of each
    counted table's files were set aside, one sentence each, with no file, path or id."""
    totals = freshness.set_aside(warehouse)
    for table in volume_tables(metrics):
        rows = totals[totals["canonical_table"] == table]
        if rows.empty:
            continue
        row = rows.iloc[0]
        read, aside, unread = (
            int(row[c]) for c in ("rows_read", "rows_quarantined", "rows_rejected")
        )
        records = lang.gettext(_WORDS.get(table, table))
        if not aside and not unread:
            sentence = lang.gettext(
                "None of the {read} rows in the city's files of {records} was set aside for "
                "data problems."
            )
        else:
            # Worded so that any number reads right ("1 of 4", "3 of 9").
            sentence = lang.gettext(
                "Rows of the city's files of {records} set aside for data problems: {aside} of "
                "{read}; {unread} more could not be read. They are not counted."
            )
        st.caption(
            sentence.format(
                read=lang.number(read),
                records=records,
                aside=lang.number(aside),
                unread=lang.number(unread),
            )
        )
