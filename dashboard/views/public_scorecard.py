"""Public home: how the city is doing, one card per public measure, in plain words and in
the visitor's language; cards stack one under the other on a phone."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import streamlit as st

from dashboard.components.public_charts import change_sentence
from dashboard.components.safe_text import escape_markdown as md
from dashboard.queries import public, reader
from dashboard.views.actor import require_page_of_either_site
from dashboard.views.public_notes import data_as_of, late_warning, set_aside_sentences
from dashboard.views.public_support import (
    current_language,
    glossary_links,
    pick_grain,
    status_text,
    target_line,
)

CARDS_PER_ROW = 3

require_page_of_either_site()
lang = current_language()
_ = lang.gettext
st.title(_("How the city is doing"))
warehouse = reader.current_warehouse()
if warehouse is None:
    st.stop()
metrics = public.public_metrics(warehouse, lang.code)
if metrics.empty:
    st.info(_("The city has not published any measure yet."))
    st.stop()

st.markdown(
    _(
        "Each card is one of the services the city reports on: its latest figure, how it "
        "compares with the city's target and with the period before. Open a card for its "
        "history and its figures by council district."
    )
)
grain = pick_grain(lang, sorted({g for grains in metrics["grains"] for g in grains}))
data_as_of(lang, warehouse)
late_warning(lang, warehouse, [str(m) for m in metrics["metric_id"]])
latest = {
    str(row["metric_id"]): row for row in public.latest_values(warehouse, grain).to_dict("records")
}


def _figures(metric: dict[Hashable, Any], now: dict[Hashable, Any]) -> str:
    """The card's figure, status, target and change, as Markdown lines."""
    unit = str(metric["unit"])
    period = lang.period(grain, now["period_start"], now["period_label"])
    prior = lang.period(grain, now["prior_start"], now["prior_label"])
    change = change_sentence(
        lang, now["value"], now["prior_value"], prior, unit, metric["direction"]
    )
    lines = [
        f"**{md(lang.value(now['value'], unit))}** · {md(period)}",
        md(status_text(lang, now["status"])),
        target_line(lang, now["target"], unit),
        md(change),
    ]
    return "  \n".join(line for line in lines if line)


cards = metrics.to_dict("records")
for start in range(0, len(cards), CARDS_PER_ROW):
    row = cards[start : start + CARDS_PER_ROW]
    for column, metric in zip(st.columns(CARDS_PER_ROW), row, strict=False):
        with column.container(border=True):
            st.markdown(f"#### {md(metric['name'])}")
            now = latest.get(str(metric["metric_id"]))
            st.markdown(_figures(metric, now) if now else _("No figures for this period yet."))
            with st.expander(_("What this measures")):
                st.markdown(md(metric["about"]))
            st.page_link(
                "views/public_metric.py",
                label=_("See the details"),
                query_params={
                    "metric": str(metric["metric_id"]),
                    "grain": grain,
                    "lang": lang.code,
                },
            )

glossary_links(lang, ["target", "on-time", "median"])
set_aside_sentences(lang, warehouse, metrics)
