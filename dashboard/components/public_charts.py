"""The public site's chart and the words that go with it: a trend line in the visitor's
language, a sentence that sums it up, and the rows of its table (pure: no Streamlit)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from babel.numbers import get_decimal_symbol, get_group_symbol

from dashboard.components.formats import UNIT_PERCENT, is_missing
from dashboard.components.i18n import Language
from dashboard.components.safe_text import plotly_text


def periods_in_words(lang: Language, grain: str, series: pd.DataFrame) -> list[str]:
    """Each period of ``series`` (period_start, period_label) as the language says it."""
    return [
        lang.period(grain, start, label)
        for start, label in zip(series["period_start"], series["period_label"], strict=True)
    ]


def trend_chart(
    lang: Language, periods: list[str], series: pd.DataFrame, unit: str | None, title: str
) -> go.Figure:
    """The value by period as a line, the target (when there is one) dashed; numbers use the
    language's separators."""
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(
            x=[plotly_text(p) for p in periods],
            y=series["value"],
            name=plotly_text(lang.gettext("Value")),
            mode="lines+markers",
            line={"color": "#1f4e79", "width": 2},
            hovertext=[plotly_text(lang.value(v, unit)) for v in series["value"]],
            hoverinfo="x+text",
        )
    )
    if series["target"].notna().any():
        figure.add_trace(
            go.Scatter(
                x=[plotly_text(p) for p in periods],
                y=series["target"],
                name=plotly_text(lang.gettext("Target")),
                mode="lines",
                line={"color": "#444444", "dash": "dash", "width": 2},
                hoverinfo="skip",
            )
        )
    figure.update_layout(
        title={"text": plotly_text(title)},
        separators=get_decimal_symbol(lang.code) + get_group_symbol(lang.code),
        xaxis={"type": "category", "title": None},
        yaxis={"title": None, "tickformat": ".0%" if unit == UNIT_PERCENT else ",~r"},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"},
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        height=360,
    )
    return figure


def trend_sentence(
    lang: Language, periods: list[str], values: list[object], unit: str | None
) -> str:
    """The chart in one sentence: first and last value, and the highest and lowest."""
    known = [(p, v) for p, v in zip(periods, values, strict=True) if not is_missing(v)]
    if not known:
        return lang.gettext("There are no figures for these periods yet.")
    if len(known) == 1:
        return lang.gettext("{period}: {value}. There is only one period so far.").format(
            period=known[0][0], value=lang.value(known[0][1], unit)
        )
    high = max(known, key=lambda item: float(item[1]))  # type: ignore[arg-type]
    low = min(known, key=lambda item: float(item[1]))  # type: ignore[arg-type]
    return lang.gettext(
        "From {first_period} to {last_period} the value went from {first} to {last}. The "
        "highest was {high} ({high_period}) and the lowest {low} ({low_period})."
    ).format(
        first_period=known[0][0],
        last_period=known[-1][0],
        first=lang.value(known[0][1], unit),
        last=lang.value(known[-1][1], unit),
        high=lang.value(high[1], unit),
        high_period=high[0],
        low=lang.value(low[1], unit),
        low_period=low[0],
    )


def change_sentence(
    lang: Language,
    value: object,
    prior: object,
    prior_period: str,
    unit: str | None,
    direction: object,
) -> str:
    """The latest value against the period before: 'Up from 78.0% in February 2025
    (better).' ('' without a prior value)."""
    if is_missing(value) or is_missing(prior):
        return ""
    now, before = float(value), float(prior)  # type: ignore[arg-type]
    shown = lang.value(prior, unit)
    if lang.value(value, unit) == shown:
        return lang.gettext("The same as in {period}.").format(period=prior_period)
    rising = now > before
    sentence = (
        lang.gettext("Up from {value} in {period}")
        if rising
        else lang.gettext("Down from {value} in {period}")
    ).format(value=shown, period=prior_period)
    if direction in ("higher_is_better", "lower_is_better"):
        better = rising == (direction == "higher_is_better")
        sentence += " (" + (lang.gettext("better") if better else lang.gettext("worse")) + ")"
    return sentence + "."
