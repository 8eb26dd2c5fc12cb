"""Pure presentation helpers: status icons/words/colours, number formatting, grain labels.

Nothing here imports Streamlit, so every helper is unit-testable on its own.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal
from urllib.parse import urlencode

import numpy as np
import pandas as pd
from pandas.io.formats.style import Styler

STATUS_ORDER = (
    "on_track",
    "watch",
    "off_track",
    "no_target",
    "too_little_data",
    "not_available",
)

# Icon AND word AND colour, so status never depends on colour vision alone.
_STATUS_STYLES: dict[str, tuple[str, str, str]] = {
    "on_track": ("●", "On track", "#1a7f37"),
    "watch": ("▲", "Watch", "#b7791f"),
    "off_track": ("■", "Off track", "#c62828"),
    "no_target": ("○", "No target", "#6b7280"),
    "too_little_data": ("…", "Too little data", "#6b7280"),
    # The source lacks a field the metric needs: no number rather than a wrong one.
    "not_available": ("⊘", "Not available for this source", "#6b7280"),
}
_NO_DATA_STYLE = ("–", "No data", "#9ca3af")

GRAIN_ORDER = ("week", "month", "quarter", "fiscal_year")
_GRAIN_LABELS = {
    "week": "Week",
    "month": "Month",
    "quarter": "Quarter",
    "fiscal_year": "Fiscal year",
}

UNIT_PERCENT = "percent"
UNIT_DAYS = "days"
UNIT_REQUESTS = "requests"
UNIT_RATIO = "ratio"

MISSING = "—"


def _is_missing(value: object) -> bool:
    """True for None, NaN, NaT and pd.NA (pandas hands SQL NULLs over as any of them)."""
    if value is None:
        return True
    scalar: Any = value  # pd.isna's stubs only accept known scalar types
    missing = pd.isna(scalar)
    return bool(missing) if isinstance(missing, bool | np.bool_) else False


def _style(status: str | None) -> tuple[str, str, str]:
    if status is None or _is_missing(status):
        return _NO_DATA_STYLE
    return _STATUS_STYLES.get(str(status), _NO_DATA_STYLE)


def status_icon(status: str | None) -> str:
    """Shape shown before the status word (● ▲ ■ ○ …; – when there is no value)."""
    return _style(status)[0]


def status_word(status: str | None) -> str:
    """Human word for a status code, e.g. 'Off track'."""
    return _style(status)[1]


def status_colour(status: str | None) -> str:
    """Hex colour for a status code; grey for no target, too little data and no data."""
    return _style(status)[2]


def status_label(status: str | None) -> str:
    """Icon and word together, e.g. '● On track'."""
    icon, word, _ = _style(status)
    return f"{icon} {word}"


def format_value(value: float | None, unit: str | None) -> str:
    """Format a metric value by unit: '82.4%', '3.2 days', '1,234', ratio '0.97'."""
    if _is_missing(value):
        return MISSING
    number = float(value)  # type: ignore[arg-type]
    if unit == UNIT_PERCENT:
        return f"{number * 100:.1f}%"
    if unit == UNIT_DAYS:
        return f"{number:,.1f} days"
    if unit == UNIT_REQUESTS:
        return f"{round(number):,}"
    if unit == UNIT_RATIO:
        return f"{number:,.2f}"
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
    if unit == UNIT_REQUESTS:
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
    if _is_missing(current) or _is_missing(prior):
        return Change(arrow="", delta="", verdict="")
    delta = float(current) - float(prior)  # type: ignore[arg-type]
    if math.isclose(delta, 0.0, abs_tol=1e-12):
        return Change(arrow="→", delta=format_delta(0.0, unit), verdict="no change")
    arrow = "↑" if delta > 0 else "↓"
    if direction == "higher_is_better":
        verdict = "better" if delta > 0 else "worse"
    elif direction == "lower_is_better":
        verdict = "better" if delta < 0 else "worse"
    else:
        verdict = ""
    return Change(arrow=arrow, delta=format_delta(delta, unit), verdict=verdict)


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
    if value is None or _is_missing(value):
        return MISSING
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    return str(value)


def format_count(value: int | float | None) -> str:
    """Row counts with thousands separators."""
    if _is_missing(value):
        return MISSING
    return f"{round(float(value)):,}"  # type: ignore[arg-type]


_MARKDOWN_COLOURS = {
    "on_track": "green",
    "watch": "orange",
    "off_track": "red",
}


def status_markdown(status: str | None) -> str:
    """Status as Streamlit markdown with a named colour, e.g. ':red[■ Off track]'."""
    colour = _MARKDOWN_COLOURS.get(str(status), "gray")
    return f":{colour}[{status_label(status)}]"


def metric_link(metric_id: str, grain: str) -> str:
    """Relative link to the metric page with the metric and grain in the query string."""
    return f"metric?{urlencode({'metric': metric_id, 'grain': grain})}"


def status_counts(statuses: Iterable[str | None]) -> dict[str, int]:
    """How many metrics are in each status (every status present, zero when none)."""
    counts = dict.fromkeys(STATUS_ORDER, 0)
    for status in statuses:
        if status in counts:
            counts[str(status)] += 1
    return counts


SCORECARD_COLUMNS = ("Metric", "Period", "Value", "Target", "Status", "Change", "Trend", "Details")


def scorecard_table(board: pd.DataFrame, grain: str) -> pd.DataFrame:
    """Display rows for scorecard metrics (one per metric) from `dashboard.data.scorecard`."""
    changes = [
        describe_change(value, prior, unit, direction).text
        for value, prior, unit, direction in zip(
            board["value"], board["prior_value"], board["unit"], board["direction"], strict=True
        )
    ]
    return pd.DataFrame(
        {
            "Metric": board["label"].astype(str).tolist(),
            "Period": [MISSING if _is_missing(p) else str(p) for p in board["period_label"]],
            "Value": [
                format_value(v, u) for v, u in zip(board["value"], board["unit"], strict=True)
            ],
            "Target": [
                format_value(t, u) for t, u in zip(board["target"], board["unit"], strict=True)
            ],
            "Status": [status_label(s) for s in board["status"]],
            "Change": changes,
            "Trend": list(board["trend"]),
            "Details": [metric_link(str(m), grain) for m in board["metric_id"]],
        },
        columns=list(SCORECARD_COLUMNS),
    )


def district_table(comparison: pd.DataFrame, unit: str | None) -> pd.DataFrame:
    """Display rows for the citywide and council-district values of one period."""
    return pd.DataFrame(
        {
            "Area": [
                "Citywide" if dimension == "citywide" else f"District {area}"
                for dimension, area in zip(comparison["dimension"], comparison["area"], strict=True)
            ],
            "Value": [format_value(value, unit) for value in comparison["value"]],
            "Target": [format_value(value, unit) for value in comparison["target"]],
            "Status": [status_label(status) for status in comparison["status"]],
            "Observations": [format_count(count) for count in comparison["count"]],
        }
    )


def describe_targets(targets: pd.DataFrame, unit: str | None) -> str:
    """Targets in force over time, e.g. '75.0% (2024-Q4); 80.0% (2025-Q1–2025-Q2)'."""
    if targets.empty:
        return "No target set"
    spans = []
    for first, last, target in zip(
        targets["first_period"], targets["last_period"], targets["target"], strict=True
    ):
        periods = first if first == last else f"{first}–{last}"
        spans.append(f"{format_value(target, unit)} ({periods})")
    return "; ".join(spans)


def check_mark(passed: object) -> str:
    """'✔ Passed' / '✖ Failed' / '—' for a boolean that may be NULL."""
    if _is_missing(passed):
        return MISSING
    return "✔ Passed" if bool(passed) else "✖ Failed"


def accounting_problems(files: pd.DataFrame) -> list[str]:
    """One sentence per file whose rows read ≠ staged + quarantined + rejected."""
    broken = files[~files["adds_up"].fillna(False).astype(bool)]
    return [
        f"{file}: {format_count(read)} rows read but {format_count(accounted)} accounted for "
        "(staged + quarantined + rejected)"
        for file, read, accounted in zip(
            broken["file"], broken["rows_read"], broken["rows_accounted"], strict=True
        )
    ]


def file_accounting_table(files: pd.DataFrame) -> pd.DataFrame:
    """Display rows for per-file row accounting from `dashboard.data.file_accounting`."""
    return pd.DataFrame(
        {
            "Source": files["source"].astype(str).tolist(),
            "File": files["file"].astype(str).tolist(),
            "Read": [format_count(n) for n in files["rows_read"]],
            "Staged": [format_count(n) for n in files["rows_staged"]],
            "Quarantined": [format_count(n) for n in files["rows_quarantined"]],
            "Rejected": [format_count(n) for n in files["rows_rejected"]],
            "Adds up": [
                "✔ Yes" if ok else f"✖ No ({format_count(read - accounted)} unaccounted)"
                for ok, read, accounted in zip(
                    files["adds_up"].fillna(False).astype(bool),
                    files["rows_read"],
                    files["rows_accounted"],
                    strict=True,
                )
            ],
        }
    )


def validation_table(results: pd.DataFrame) -> pd.DataFrame:
    """Display rows for expectation outcomes from `dashboard.data.validation_results`."""
    return pd.DataFrame(
        {
            "Source": results["source"].astype(str).tolist(),
            "Expectation": results["expectation_type"].astype(str).tolist(),
            "Column": [MISSING if _is_missing(c) else str(c) for c in results["column_name"]],
            "Critical": ["Critical" if c else "Warning only" for c in results["critical"]],
            "Result": [check_mark(s) for s in results["success"]],
            "Rows checked": [format_count(n) for n in results["element_count"]],
            "Unexpected": [format_count(n) for n in results["unexpected_count"]],
            "Unexpected %": [format_value(s, UNIT_PERCENT) for s in results["unexpected_share"]],
        }
    )


def style_status_column(table: pd.DataFrame, statuses: Iterable[str | None]) -> Styler:
    """Colour the table's Status cells by status code (the icon and word stay as text)."""
    css = [f"color: {status_colour(status)}; font-weight: 600" for status in statuses]
    return table.style.apply(lambda _column: css, subset=["Status"])
