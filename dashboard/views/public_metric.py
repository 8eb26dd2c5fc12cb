"""One public measure in detail: what it measures, its latest figure, its history as a chart
with the same data as a sentence and a table, and its figures by council district."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.components.public_charts import (
    change_sentence,
    periods_in_words,
    trend_chart,
    trend_sentence,
)
from dashboard.components.safe_text import escape_markdown as md
from dashboard.queries import public, reader
from dashboard.views.actor import require_page_of_either_site
from dashboard.views.page_support import show_table
from dashboard.views.public_notes import data_as_of, late_warning, set_aside_sentences
from dashboard.views.public_support import (
    current_language,
    glossary_links,
    pick_grain,
    status_text,
    target_line,
)

METRIC_KEY = "public_metric"

require_page_of_either_site()
lang = current_language()
_ = lang.gettext
warehouse = reader.current_warehouse()
if warehouse is None:
    st.stop()
metrics = public.public_metrics(warehouse, lang.code).set_index("metric_id", drop=False)
if metrics.empty:
    st.title(_("A measure in detail"))
    st.info(_("The city has not published any measure yet."))
    st.stop()

ids = [str(m) for m in metrics["metric_id"]]
requested = st.query_params.get("metric")
if requested is not None and requested not in ids:
    # The address is not echoed: it may hold anything.
    st.warning(_("The link named a measure the city does not publish; here is the first one."))
    requested = None
if requested is not None:
    st.session_state[METRIC_KEY] = requested
elif st.session_state.get(METRIC_KEY) not in ids:
    st.session_state[METRIC_KEY] = ids[0]
metric_id = str(
    st.selectbox(
        _("Measure"), ids, format_func=lambda m: str(metrics.at[m, "name"]), key=METRIC_KEY
    )
)
st.query_params["metric"] = metric_id
metric = metrics.loc[metric_id]
unit = str(metric["unit"])
grain = pick_grain(lang, list(metric["grains"]))

st.title(md(metric["name"]))
st.markdown(md(metric["about"]))
data_as_of(lang, warehouse)
late_warning(lang, warehouse, [metric_id])

history = public.series(warehouse, metric_id, grain)
if history.empty:
    st.info(_("No figures for this period yet."))
    st.stop()
periods = periods_in_words(lang, grain, history)
latest = history.iloc[-1]
st.subheader(_("Latest figure"))
st.markdown(
    "  \n".join(
        line
        for line in [
            f"**{md(lang.value(latest['value'], unit))}** · {md(periods[-1])}",
            md(status_text(lang, latest["status"])),
            target_line(lang, latest["target"], unit),
            md(
                change_sentence(
                    lang,
                    latest["value"],
                    history.iloc[-2]["value"] if len(history) > 1 else None,
                    periods[-2] if len(history) > 1 else "",
                    unit,
                    metric["direction"],
                )
            ),
        ]
        if line
    )
)
set_aside_sentences(lang, warehouse, metrics.loc[[metric_id]])

st.subheader(_("Over time"))
st.plotly_chart(
    trend_chart(lang, periods, history, unit, str(metric["name"])), key="public_trend_chart"
)
# The chart's data for anyone who cannot see it: a sentence, then every point in a table.
st.markdown(md(trend_sentence(lang, periods, list(history["value"]), unit)))
table = pd.DataFrame(
    {
        _("Period"): periods,
        _("Value"): [lang.value(v, unit) for v in history["value"]],
        _("Target"): [lang.value(t, unit) for t in history["target"]],
        _("Compared with the target"): [status_text(lang, s) for s in history["status"]],
    }
)
show_table(table.iloc[::-1])

if bool(metric["by_district"]):
    st.subheader(_("By council district, {period}").format(period=periods[-1]))
    districts = public.district_values(warehouse, metric_id, grain, latest["period_start"])
    if districts.empty:
        st.info(_("No district figures for this period."))
    else:
        known = districts.dropna(subset=["value"])
        if not known.empty:
            ranked = known.sort_values("value", kind="stable")
            high, low = ranked.iloc[-1], ranked.iloc[0]
            st.markdown(
                md(
                    _(
                        "Citywide: {citywide}. Highest: {high_name} ({high}). Lowest: "
                        "{low_name} ({low})."
                    ).format(
                        citywide=lang.value(latest["value"], unit),
                        high_name=high["name"],
                        high=lang.value(high["value"], unit),
                        low_name=low["name"],
                        low=lang.value(low["value"], unit),
                    )
                )
            )
        by_district = pd.DataFrame(
            {
                _("Council district"): list(districts["name"]),
                _("Value"): [lang.value(v, unit) for v in districts["value"]],
                _("Compared with the target"): [status_text(lang, s) for s in districts["status"]],
            }
        )
        show_table(by_district)

glossary_links(lang, ["target", "on-time", "median", "percentage-points", "district"])
