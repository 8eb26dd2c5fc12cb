"""How numbers, dates, periods, changes and directions read on a page."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

import numpy as np
import pandas as pd

from pipelines.warehouse.words import COUNT_UNITS as RECORD_COUNT_UNITS
from pipelines.warehouse.words import RecordWords, record_words

GRAIN_ORDER = ("week", "month", "quarter", "fiscal_year")


_GRAIN_LABELS = {
    "week": "Week",
    "month": "Month",
    "quarter": "Quarter",
    "fiscal_year": "Fiscal year",
}


UNIT_PERCENT = "percent"


UNIT_DAYS = "days"


UNIT_RATIO = "ratio"


# Units that count things (requests, permits, cases): whole numbers with thousands separators.
COUNT_UNITS = RECORD_COUNT_UNITS


# Units the Equity page shows that no metric has: a count per 1,000 residents, and residents.
UNIT_PER_1000 = "per 1,000 residents"
UNIT_RESIDENTS = "residents"
MISSING = "—"


def is_missing(value: object) -> bool:
    """True for None, NaN, NaT and pd.NA (pandas hands SQL NULLs over as any of them)."""
    if value is None:
        return True
    scalar: Any = value  # pd.isna's stubs only accept known scalar types
    missing = pd.isna(scalar)
    return bool(missing) if isinstance(missing, bool | np.bool_) else False


def table_words(table: object) -> RecordWords:
    """The words for the records of a canonical table as a query returns it (NULL in a
    warehouse from before permits and inspections: service requests)."""
    return record_words(None if is_missing(table) else str(table))


def format_value(value: float | None, unit: str | None) -> str:
    """Format a metric value by unit: '82.4%', '3.2 days', '1,234', ratio '0.97'."""
    if is_missing(value):
        return MISSING
    number = float(value)  # type: ignore[arg-type]
    if unit == UNIT_PERCENT:
        return f"{number * 100:.1f}%"
    if unit == UNIT_DAYS:
        return f"{number:,.1f} days"
    if unit in COUNT_UNITS:
        return f"{round(number):,}"
    if unit == UNIT_RATIO:
        return f"{number:,.2f}"
    if unit == UNIT_PER_1000:
        return f"{number:,.2f} per 1,000 residents"
    if unit == UNIT_RESIDENTS:
        return f"{round(number):,} residents"
    return f"{number:,.2f}"


def format_delta(delta: float, unit: str | None) -> str:
    """Signed difference between two values in the metric's unit ('+4.4 pts', '-0.3 days')."""
    sign = "+" if delta > 0 else "-" if delta < 0 else "±"
    size = abs(delta)
    if unit == UNIT_PERCENT:
        # A change in a percentage is shown in percentage points, not a relative percent.
        return f"{sign}{size * 100:.1f} pts"
    if unit == UNIT_DAYS:
        return f"{sign}{size:,.1f} days"
    if unit in COUNT_UNITS:
        return f"{sign}{round(size):,}"
    return f"{sign}{size:,.2f}"


@dataclass(frozen=True)
class Change:
    """A period-over-period change ready to show: arrow, signed delta and verdict."""

    arrow: str
    delta: str
    verdict: str  # better | worse | no change | "" when the metric has no direction

    @property
    def delta_text(self) -> str:
        """Signed delta with its verdict and no arrow, e.g. '+4.4 pts (better)'."""
        if not self.delta:
            return ""
        return f"{self.delta} ({self.verdict})" if self.verdict else self.delta

    @property
    def text(self) -> str:
        """One-line form, e.g. '↑ +4.4 pts (better)'."""
        if not self.delta:
            return MISSING
        suffix = f" ({self.verdict})" if self.verdict else ""
        return f"{self.arrow} {self.delta}{suffix}"


def describe_change(
    current: float | None, prior: float | None, unit: str | None, direction: str | None
) -> Change:
    """Compare a value with the prior period's, judging better/worse by the metric's direction."""
    if is_missing(current) or is_missing(prior):
        return Change(arrow="", delta="", verdict="")
    delta = float(current) - float(prior)  # type: ignore[arg-type]
    # A change too small to show in the unit's precision is no change, not "-0.0 (better)".
    if format_delta(delta, unit)[1:] == format_delta(0.0, unit)[1:]:
        return Change(arrow="→", delta=format_delta(0.0, unit), verdict="no change")
    arrow = "↑" if delta > 0 else "↓"
    if direction == "higher_is_better":
        verdict = "better" if delta > 0 else "worse"
    elif direction == "lower_is_better":
        verdict = "better" if delta < 0 else "worse"
    else:
        verdict = ""
    return Change(arrow=arrow, delta=format_delta(delta, unit), verdict=verdict)


def describe_baseline(
    baseline: float | None, latest: float | None, unit: str | None, direction: str | None
) -> str:
    """Change since the baseline period, as Stat programs report it ('-30% (better)').

    Rates change in percentage points; other values by the relative change, the way Boston
    reports "review days cut by 30%" and Atlanta "backlog cut by 70%".
    """
    if is_missing(baseline) or is_missing(latest):
        return ""
    change = describe_change(latest, baseline, unit, direction)
    if change.verdict == "no change" or unit == UNIT_PERCENT or float(baseline) == 0:  # type: ignore[arg-type]
        size = change.delta
    else:
        relative = (float(latest) - float(baseline)) / abs(float(baseline))  # type: ignore[arg-type]
        size = f"{relative:+.0%}"
    verdict = f" ({change.verdict})" if change.verdict and change.verdict != "no change" else ""
    return f"{format_value(baseline, unit)} → {format_value(latest, unit)}, {size}{verdict}"


def direction_text(direction: str | None) -> str:
    """Plain words for a metric's direction."""
    if direction == "higher_is_better":
        return "Higher is better"
    if direction == "lower_is_better":
        return "Lower is better"
    return "No preferred direction"


def delta_colour(direction: str | None) -> Literal["normal", "inverse", "off"]:
    """st.metric delta colouring: rises are green when higher is better, red when lower is."""
    if direction == "higher_is_better":
        return "normal"
    if direction == "lower_is_better":
        return "inverse"
    return "off"


def grain_label(grain: str) -> str:
    """Display name of a grain ('fiscal_year' → 'Fiscal year')."""
    return _GRAIN_LABELS.get(grain, grain.replace("_", " ").capitalize())


def order_grains(grains: Iterable[str]) -> list[str]:
    """Known grains from finest to coarsest; unknown ones after, alphabetically."""
    present = set(grains)
    known = [grain for grain in GRAIN_ORDER if grain in present]
    return known + sorted(present - set(GRAIN_ORDER))


def default_grain(grains: list[str]) -> str | None:
    """The grain a page opens on: month when available, else the first one."""
    if "month" in grains:
        return "month"
    return grains[0] if grains else None


def format_timestamp(value: object) -> str:
    """City-local timestamp as '2025-04-15 06:00'; dates as '2025-04-15'; NULL/NaT as '—'."""
    if value is None or is_missing(value):
        return MISSING
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    return str(value)


def format_count(value: int | float | None) -> str:
    """Row counts with thousands separators."""
    if is_missing(value):
        return MISSING
    return f"{round(float(value)):,}"  # type: ignore[arg-type]


def as_text(value: object) -> str:
    """A text attribute as shown; '—' for a missing or empty one (never 'nan' or 'None')."""
    return MISSING if is_missing(value) or value == "" else str(value)


def format_date(value: object) -> str:
    """A date (or the date of a timestamp) as '2025-07-01'; '—' when missing."""
    if value is None or is_missing(value):
        return MISSING
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def format_score(value: object) -> str:
    """A 0–1 score or an index as '0.98' ('—' when missing)."""
    if is_missing(value):
        return MISSING
    return f"{float(value):.2f}"  # type: ignore[arg-type]


def format_signed(value: object) -> str:
    """A signed score change as '+0.06' / '-0.11' / '±0.00' ('—' when missing)."""
    if is_missing(value):
        return MISSING
    number = float(value)  # type: ignore[arg-type]
    if math.isclose(number, 0.0, abs_tol=0.005):
        return "±0.00"
    return f"{number:+.2f}"


def short_hash(sha256: object) -> str:
    """The first 12 hex digits of a file hash ('—' when unknown)."""
    return MISSING if is_missing(sha256) or not sha256 else str(sha256)[:12]
