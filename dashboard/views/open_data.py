"""Open data (public site): every value of the public measures as CSV and JSON, the measures
themselves, and a data dictionary saying what each column holds and in which unit."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from dashboard.components.csv_export import csv_bytes
from dashboard.components.public_words import DATA_DICTIONARY
from dashboard.components.safe_text import escape_markdown as md
from dashboard.queries import public, reader
from dashboard.views.actor import require_page_of_either_site
from dashboard.views.page_support import show_table
from dashboard.views.public_notes import data_as_of
from dashboard.views.public_support import current_language

require_page_of_either_site()
lang = current_language()
_ = lang.gettext
st.title(_("Open data"))
warehouse = reader.current_warehouse()
if warehouse is None:
    st.stop()
metrics = public.public_metrics(warehouse, lang.code)
if metrics.empty:
    st.info(_("The city has not published any measure yet."))
    st.stop()

data_as_of(lang, warehouse)
st.markdown(
    _(
        "Every figure of the {count} measures on this site, for the whole city and for each "
        "council district, for every week, month, quarter and fiscal year. One row per "
        "measure, period and area. The figures are totals and rates: no individual request, "
        "address or note is included. Percentages are given from 0 to 100."
    ).format(count=lang.number(len(metrics)))
)
dictionary = pd.DataFrame(
    {
        _("Column"): [column.name for column in DATA_DICTIONARY],
        _("What it holds"): [_(column.meaning) for column in DATA_DICTIONARY],
        _("Unit"): [_(column.unit) for column in DATA_DICTIONARY],
    }
)
measures = metrics[["metric_id", "name", "about", "unit"]].rename(
    columns={"metric_id": "metric_code", "name": "metric"}
)


def _values_csv(wh: reader.Warehouse = warehouse, code: str = lang.code) -> bytes:
    """Built when the button is pressed: the file is large and most visitors never ask."""
    return csv_bytes(public.open_data(wh, code))


def _values_json(wh: reader.Warehouse = warehouse, code: str = lang.code) -> bytes:
    """The values with the dictionary and the measures, in one self-describing document."""
    values = public.open_data(wh, code)
    document = {
        "columns": [
            {"name": c.name, "meaning": _(c.meaning), "unit": _(c.unit)} for c in DATA_DICTIONARY
        ],
        "measures": measures.to_dict(orient="records"),
        "values": json.loads(values.to_json(orient="records", date_format="iso")),
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


downloads = st.columns(3)
downloads[0].download_button(
    _("Download the figures (CSV)"),
    data=_values_csv,
    file_name=f"city_measures_{lang.code}.csv",
    mime="text/csv",
    on_click="ignore",
    key="open_data_values",
)
downloads[1].download_button(
    _("Download the figures (JSON)"),
    data=_values_json,
    file_name=f"city_measures_{lang.code}.json",
    mime="application/json",
    on_click="ignore",
    key="open_data_json",
)
downloads[2].download_button(
    _("Download the list of measures (CSV)"),
    data=csv_bytes(measures),
    file_name=f"city_measures_list_{lang.code}.csv",
    mime="text/csv",
    on_click="ignore",
    key="open_data_measures",
)

st.subheader(_("What each column holds"))
show_table(dictionary)

st.subheader(_("The measures"))
for metric in metrics.itertuples():
    st.markdown(f"**{md(metric.name)}.** {md(metric.about)}")
