"""How seasonal comparisons read on a page: the scorecard's comparison choice, the five-year
same-period view and fiscal-year-to-date (pure: no Streamlit)."""

from __future__ import annotations

import pandas as pd

from dashboard.components.formats import (
    MISSING,
    describe_change,
    format_value,
    grain_label,
    is_missing,
)
from dashboard.components.status import status_label

# The scorecard's change column compares the latest complete period with one of these; the
# key is what the URL's ``compare`` parameter holds.
COMPARISON_LABELS = {
    "prior": "Period before",
    "last_year": "Same period last year",
}
DEFAULT_COMPARISON = "prior"


def comparison_caption(compare: str, grain: str) -> str:
    """The scorecard's caption sentence for what the change column compares."""
    period = grain_label(grain).lower()
    if compare == "last_year":
        before = (
            "the same week 52 weeks earlier" if grain == "week" else "the same period a year before"
        )
        return (
            f"Citywide value for each metric's latest complete {period}; change compares it "
            f"with {before}, so seasonal swings do not read as trends."
        )
    return (
        f"Citywide value for each metric's latest complete {period}; "
        "change compares it with the period before."
    )


def same_period_table(years: pd.DataFrame, unit: str | None, direction: str | None) -> pd.DataFrame:
    """Display rows for the five-year same-period view: each year's value, target, status and
    change from the year before (oldest first)."""
    values = list(years["value"])
    changes = [
        MISSING if index == 0 else describe_change(value, values[index - 1], unit, direction).text
        for index, value in enumerate(values)
    ]
    return pd.DataFrame(
        {
            "Period": years["period_label"].astype(str).tolist(),
            "Value": [format_value(v, unit) for v in values],
            "Target": [format_value(t, unit) for t in years["target"]],
            "Status": [status_label(s) for s in years["status"]],
            "vs year before": changes,
        }
    )


def year_to_date_label(fiscal_year_start_month: int) -> str:
    """'Fiscal year to date', or 'Year to date' where the fiscal year is the calendar year."""
    return "Year to date" if fiscal_year_start_month == 1 else "Fiscal year to date"


def year_to_date_note(ytd: dict[str, object]) -> str:
    """Which months each side covers and how they were added up ('' when nothing to say)."""
    if is_missing(ytd.get("last_year_first")):
        return (
            f"{ytd['current_first']}–{ytd['current_last']}; last year has no values for the "
            "same months."
        )
    return (
        f"{ytd['current_first']}–{ytd['current_last']} against "
        f"{ytd['last_year_first']}–{ytd['last_year_last']}: the same complete months a year "
        f"apart ({ytd['months']} months), {ytd['how']}."
    )
