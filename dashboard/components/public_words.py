"""The public site's fixed wording: status words, the glossary and the open data's data
dictionary, in English and marked for translation (``N_``); pages translate them where they
show them. Nothing here imports Streamlit."""

from __future__ import annotations

from dataclasses import dataclass

from dashboard.components.i18n import N_

# Status in plain words, each with the icon the internal site uses, so it never rests on
# colour (the public site shows no status colour at all).
STATUS_WORDS: dict[str, tuple[str, str]] = {
    "on_track": ("●", N_("Meeting the target")),
    "watch": ("▲", N_("Close to the target")),
    "off_track": ("■", N_("Missing the target")),
    "no_target": ("○", N_("No target set")),
    "too_little_data": ("…", N_("Too few cases to judge")),
    "not_available": ("⊘", N_("Not measured yet")),
}
NO_DATA = ("–", N_("No data yet"))

# Period choices, as a resident says them.
GRAIN_WORDS: dict[str, str] = {
    "week": N_("Weekly"),
    "month": N_("Monthly"),
    "quarter": N_("Every three months"),
    "fiscal_year": N_("Every fiscal year"),
}


@dataclass(frozen=True)
class Term:
    """A word the public pages keep, with its meaning in plain words."""

    key: str  # the glossary's anchor: pages link to glossary#key
    word: str
    meaning: str


GLOSSARY: tuple[Term, ...] = (
    Term(
        "target",
        N_("Target"),
        N_(
            "The level the city has set out to reach for a measure, such as closing 80 out of "
            "every 100 reports on time. A measure meets its target when it is at that level or "
            "better; it is close to the target when it is only a little worse."
        ),
    ),
    Term(
        "on-time",
        N_("On time"),
        N_(
            "Closed by the date the city promised when the report or application came in. "
            "Reports still open after that date count as late."
        ),
    ),
    Term(
        "median",
        N_("Median (typical)"),
        N_(
            "The middle value: half of the cases took this long or less, and half took longer. "
            "A few very slow cases do not pull it up the way they pull up an average."
        ),
    ),
    Term(
        "percentage-points",
        N_("Percentage points"),
        N_(
            "The difference between two percentages. Going from 70 to 75 percent is a rise of "
            "5 percentage points."
        ),
    ),
    Term(
        "district",
        N_("Council district"),
        N_(
            "One of the areas that each elect a member of the city council. Figures by "
            "district show whether service is as good in one part of the city as in another."
        ),
    ),
    Term(
        "fiscal-year",
        N_("Fiscal year"),
        N_(
            "The city's budget year, which does not start in January. It is named after the "
            "calendar year in which it ends."
        ),
    ),
)


@dataclass(frozen=True)
class Column:
    """One column of the open-data files: what it holds and in which unit."""

    name: str
    meaning: str
    unit: str


DATA_DICTIONARY: tuple[Column, ...] = (
    Column(
        "metric_code",
        N_("A short code for the measure that stays the same from one release to the next."),
        N_("text"),
    ),
    Column("metric", N_("The measure's name, in the language of the download."), N_("text")),
    Column(
        "unit",
        N_(
            "What the value counts: requests, permits or cases (a number of them), days, or "
            "percent."
        ),
        N_("text"),
    ),
    Column(
        "period_type",
        N_("How long each period is: week, month, quarter or fiscal_year."),
        N_("text"),
    ),
    Column("period", N_("The period's name, such as 2025-03 or FY2025."), N_("text")),
    Column("period_start", N_("The first day of the period."), N_("date (YYYY-MM-DD)")),
    Column("period_last_day", N_("The last day of the period."), N_("date (YYYY-MM-DD)")),
    Column(
        "period_complete",
        N_("false while the period is still going on: its value may still change."),
        N_("true or false"),
    ),
    Column(
        "area",
        N_("citywide for the whole city, council district for one district."),
        N_("text"),
    ),
    Column("district", N_("The council district's number; empty for citywide rows."), N_("text")),
    Column(
        "value",
        N_(
            "The measure's value. For a measure in percent it is a percentage from 0 to 100 "
            "(82.5 means 82.5 percent), never a fraction."
        ),
        N_("the unit column's unit"),
    ),
    Column(
        "target",
        N_("The target for the period, in the same unit as the value; empty when none is set."),
        N_("the unit column's unit"),
    ),
    Column(
        "status",
        N_(
            "on_track (meeting the target), watch (close to it), off_track (missing it), "
            "no_target, too_little_data or not_available."
        ),
        N_("text"),
    ),
    Column(
        "observations",
        N_("How many requests, permits or cases the value is worked out from."),
        N_("a whole number"),
    ),
)
