"""The metric page's drafts: a metric an analyst saved with `citystat metrics preview --draft
FILE ID --save`, shown like a published metric but marked as not published."""

from __future__ import annotations

import streamlit as st

from dashboard.components import charts
from dashboard.components.formats import (
    MISSING,
    as_text,
    default_grain,
    format_score,
    format_timestamp,
    grain_label,
    order_grains,
)
from dashboard.components.safe_text import escape_markdown as md
from dashboard.components.status import status_word
from dashboard.queries import drafts
from dashboard.views.metric_sections import explain_in_words, headline
from dashboard.views.page_support import show_table
from dashboard.views.url_choices import url_choice

DRAFT_KEY = "metric_page_draft"
PUBLISHED = "(the published metrics)"


def pick_draft() -> drafts.SavedDraft | None:
    """A picker over the saved drafts (nothing when there is none); the draft chosen."""
    saved = {d.metric_id: d for d in drafts.saved_drafts()}
    if not saved:
        return None
    with st.expander(f"Drafts not yet published ({len(saved)})"):
        choice = url_choice(
            "draft",
            DRAFT_KEY,
            [PUBLISHED, *saved],
            PUBLISHED,
            st.selectbox,
            "Show a draft instead of a published metric",
            resets=("draft_grain",),
            help="Saved with `citystat metrics preview --draft FILE METRIC_ID --save`.",
        )
    return saved.get(str(choice))


def show_draft(draft: drafts.SavedDraft, published_version: str | None) -> None:
    """The draft's headline, trend, index moves and plain-words card."""
    definition = drafts.draft_definition(draft)
    unit, direction = definition.get("unit"), definition.get("direction") or None
    st.title(f"Draft: {md(as_text(definition.get('label')))}")
    stale = (
        " The warehouse has been published again since: save the draft again for today's data."
        if definition.get("warehouse_version") not in (None, published_version)
        else ""
    )
    st.warning(
        f"Not published. Computed from {md(as_text(definition.get('draft_file')))} on "
        f"{format_timestamp(definition.get('saved_at'))} UTC, with the data as of "
        f"{format_timestamp(definition.get('data_as_of'))}.{stale} To publish it, add it to "
        "metrics.yml and run `citystat run --metrics-only`."
    )
    grains = order_grains(drafts.draft_grains(draft))
    if not grains:
        st.info("The draft has no values.")
        return
    grain = url_choice(
        "draft_grain",
        "metric_page_draft_grain",
        grains,
        default_grain(grains) or grains[0],
        st.radio,
        "Period",
        format_func=grain_label,
        horizontal=True,
    )
    series = drafts.draft_series(draft, grain)
    complete = series[series["is_complete"]]
    if complete.empty:
        st.info(f"No complete {grain_label(grain).lower()} yet for this draft.")
    else:
        headline(complete, unit, direction)
        title = f"{definition.get('label')} by {grain_label(grain).lower()}, citywide (draft)"
        st.plotly_chart(charts.trend_figure(complete, unit, title), key="draft_trend")
    _index_section(draft, grain)
    st.subheader("Definition and methodology")
    st.markdown(md(as_text(definition.get("description"))))
    st.markdown(f"**How it is computed.** {md(definition.get('methodology') or MISSING)}")
    explain_in_words([p for p in str(definition.get("explanation") or "").splitlines() if p])


def _index_section(draft: drafts.SavedDraft, grain: str) -> None:
    st.subheader("How it would move the leadership index")
    moves = drafts.draft_index(draft, grain)
    if moves.empty:
        st.info(
            "No leadership index to move: the city has no services.yml, or no period is complete."
        )
        return
    table = moves.assign(
        published=moves["published"].map(format_score),
        with_draft=moves["with_draft"].map(format_score),
        draft_score=moves["draft_score"].map(format_score),
        draft_status=moves["draft_status"].map(status_word),
    ).rename(
        columns={
            "scope": "Scope",
            "scope_name": "Name",
            "period_label": "Period",
            "published": "Index as published",
            "with_draft": "Index with the draft",
            "draft_score": "The draft's score",
            "draft_status": "The draft's status",
        }
    )
    show_table(table)
