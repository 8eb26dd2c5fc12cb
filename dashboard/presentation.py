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
# Units that count things: shown as whole numbers with thousands separators.
COUNT_UNITS = frozenset({UNIT_REQUESTS, "permits", "cases"})

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
    if unit in COUNT_UNITS:
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
    if _is_missing(current) or _is_missing(prior):
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
    if _is_missing(baseline) or _is_missing(latest):
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
    """Display rows for scorecard metrics (one per metric) from ``scorecard``."""
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
    """Display rows for per-file row accounting from ``file_accounting``."""
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
    """Display rows for expectation outcomes from ``validation_results``."""
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


# ------------------------------------------------------------------ services and leadership


def department_link(department: str) -> str:
    """Relative link to the department page for one department."""
    return f"department?{urlencode({'department': department})}"


def equity_link(metric_id: str, grain: str) -> str:
    """Relative link to the equity page for one metric and grain."""
    return f"equity?{urlencode({'metric': metric_id, 'grain': grain})}"


def filter_catalog(catalog: pd.DataFrame, query: str) -> pd.DataFrame:
    """Services whose name, department or a channel contains the query (any case)."""
    needle = query.strip().casefold()
    if not needle:
        return catalog
    keep = [
        needle in str(name).casefold()
        or needle in str(department).casefold()
        or any(needle in str(label).casefold() for label in labels)
        or any(needle in str(channel).casefold() for channel in channels)
        for name, department, labels, channels in zip(
            catalog["service"],
            catalog["department"],
            catalog["channel_labels"],
            catalog["channels"],
            strict=True,
        )
    ]
    return catalog[keep]


def _text(value: object) -> str:
    return MISSING if _is_missing(value) or value == "" else str(value)


def catalog_table(catalog: pd.DataFrame) -> pd.DataFrame:
    """Display rows for the service catalog from ``service_catalog``."""
    return pd.DataFrame(
        {
            "Service": catalog["service"].astype(str).tolist(),
            "Department": catalog["department"].astype(str).tolist(),
            "Channels": [", ".join(labels) for labels in catalog["channel_labels"]],
            "How it is delivered": [_text(v) for v in catalog["mechanism"]],
            "Fees": [_text(v) for v in catalog["fees"]],
            "What a resident must do": [
                _text(must) + (" Application required." if bool(application) else "")
                for must, application in zip(
                    catalog["resident_must"], catalog["application"], strict=True
                )
            ],
            "Documents": [", ".join(docs) if docs else MISSING for docs in catalog["documents"]],
            "Rank": [MISSING if _is_missing(r) else str(int(r)) for r in catalog["rank"]],
            "Cohort": [_text(v) for v in catalog["cohort_label"]],
        }
    )


def format_date(value: object) -> str:
    """A date (or the date of a timestamp) as '2025-07-01'; '—' when missing."""
    if value is None or _is_missing(value):
        return MISSING
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def format_score(value: object) -> str:
    """A 0–1 score or an index as '0.98' ('—' when missing)."""
    if _is_missing(value):
        return MISSING
    return f"{float(value):.2f}"  # type: ignore[arg-type]


def format_signed(value: object) -> str:
    """A signed score change as '+0.06' / '-0.11' / '±0.00' ('—' when missing)."""
    if _is_missing(value):
        return MISSING
    number = float(value)  # type: ignore[arg-type]
    if math.isclose(number, 0.0, abs_tol=0.005):
        return "±0.00"
    return f"{number:+.2f}"


def ranking_table(ranking: pd.DataFrame, factors: pd.DataFrame) -> pd.DataFrame:
    """Rank, service, score, each factor's contribution (in priority order), cohort, reason."""
    contributions = factors.pivot(index="service", columns="factor_label", values="contribution")
    labels = factors.drop_duplicates("factor_order").sort_values("factor_order")["factor_label"]
    table = pd.DataFrame(
        {
            "Rank": ranking["rank"].astype(int).tolist(),
            "Service": ranking["service"].astype(str).tolist(),
            "Department": ranking["department"].astype(str).tolist(),
            "Score": [format_score(s) for s in ranking["score"]],
            "Cohort": ranking["cohort_label"].astype(str).tolist(),
            "Reason": ranking["reason"].astype(str).tolist(),
        }
    )
    for label in labels:
        table[str(label)] = [
            format_score(contributions.at[service, label]) for service in ranking["service"]
        ]
    return table


def factor_detail_table(factors: pd.DataFrame, service: str) -> pd.DataFrame:
    """One service's six factors: weight, score, contribution and where each came from."""
    rows = factors[factors["service"] == service]
    return pd.DataFrame(
        {
            "Factor": rows["factor_label"].astype(str).tolist(),
            "Weight": [format_score(w) for w in rows["weight"]],
            "Score": [format_score(s) for s in rows["score"]],
            "Contribution": [format_score(c) for c in rows["contribution"]],
            "From": [
                "Warehouse data" if basis == "warehouse" else "services.yml"
                for basis in rows["basis"]
            ],
            "Detail": [_text(d) for d in rows["detail"]],
        }
    )


def index_table(
    index: pd.DataFrame, name_column: str, links: list[str] | None = None
) -> pd.DataFrame:
    """Display rows for leadership index values from ``leadership_latest``."""
    table = pd.DataFrame(
        {
            name_column: index["scope_name"].astype(str).tolist(),
            "Period": [_text(p) for p in index["period_label"]],
            "Index": [format_score(v) for v in index["index_value"]],
            "Change": [
                MISSING if _is_missing(change) else f"{format_signed(change)} vs {prior}"
                for change, prior in zip(
                    index["index_change"], index["prior_period_label"], strict=True
                )
            ],
            status_label("on_track"): index["on_track"].astype(int).tolist(),
            status_label("watch"): index["watch"].astype(int).tolist(),
            status_label("off_track"): index["off_track"].astype(int).tolist(),
            "Metrics scored": [
                f"{int(scored)} of {int(total)}"
                for scored, total in zip(
                    index["metrics_scored"], index["metrics_total"], strict=True
                )
            ],
        }
    )
    if links is not None:
        table["Open"] = links
    return table


def movers_table(movers: pd.DataFrame, grain: str) -> pd.DataFrame:
    """Display rows for metrics whose score against target moved the most."""
    return pd.DataFrame(
        {
            "Metric": movers["label"].astype(str).tolist(),
            # The link next to the name, so a wide table never pushes it out of sight.
            "Details": [metric_link(str(m), grain) for m in movers["metric_id"]],
            "Department": movers["department"].astype(str).tolist(),
            "Value": [
                f"{format_value(prior, unit)} → {format_value(value, unit)}"
                for prior, value, unit in zip(
                    movers["prior_value"], movers["value"], movers["unit"], strict=True
                )
            ],
            "Target": [
                format_value(t, u) for t, u in zip(movers["target"], movers["unit"], strict=True)
            ],
            "Score vs target": [
                f"{format_score(prior)} → {format_score(score)}"
                for prior, score in zip(movers["prior_score"], movers["score"], strict=True)
            ],
            "Change": [format_signed(c) for c in movers["score_change"]],
            "Status": [status_label(s) for s in movers["status"]],
        }
    )


def gap_table(latest: pd.DataFrame, unit: str | None) -> pd.DataFrame:
    """Display rows for each district's gap against the reference in one period."""
    return pd.DataFrame(
        {
            "District": [f"District {d}" for d in latest["council_district"]],
            "Value": [format_value(v, unit) for v in latest["value"]],
            "Compared with": [
                format_value(ref, unit)
                + (" (citywide)" if kind == "citywide" else " (citywide ÷ districts)")
                for ref, kind in zip(
                    latest["reference_value"], latest["reference_kind"], strict=True
                )
            ],
            "Gap": [
                MISSING if _is_missing(g) else f"{float(g):+.1%} ({'worse' if g > 0 else 'better'})"
                for g in latest["gap"]
            ],
            "Flag": [
                "⚑ Flagged" if bool(flagged) else ("" if bool(comparable) else "Not compared")
                for flagged, comparable in zip(latest["flagged"], latest["comparable"], strict=True)
            ],
            "Status": [status_label(s) for s in latest["status"]],
            "Observations": [format_count(c) for c in latest["count"]],
        }
    )


def short_hash(sha256: object) -> str:
    """The first 12 hex digits of a file hash ('—' when unknown)."""
    return MISSING if _is_missing(sha256) or not sha256 else str(sha256)[:12]


def freshness_table(loads: pd.DataFrame) -> pd.DataFrame:
    """Display rows for each source's latest loaded file from ``latest_loads``."""
    return pd.DataFrame(
        {
            "Source": loads["source"].astype(str).tolist(),
            "Table": loads["canonical_table"].astype(str).tolist(),
            "Latest file": loads["file"].astype(str).tolist(),
            "Loaded": [format_timestamp(t) for t in loads["loaded_at"]],
            "SHA-256": [short_hash(h) for h in loads["file_sha256"]],
            "Read": [format_count(n) for n in loads["rows_read"]],
            "Inserted": [format_count(n) for n in loads["rows_inserted"]],
            "Updated": [format_count(n) for n in loads["rows_updated"]],
            "Unchanged": [format_count(n) for n in loads["rows_unchanged"]],
        }
    )


RUN_STEP_ORDER = ("read", "stage", "validate", "merge", "metrics", "publish")


def step_table(steps: pd.DataFrame) -> pd.DataFrame:
    """Seconds per step for each run (rows) and step (columns, pipeline order), summed."""
    totals = steps.groupby(["run_id", "step"], sort=False)["seconds"].sum().unstack("step")
    ordered = [s for s in RUN_STEP_ORDER if s in totals.columns]
    ordered += sorted(set(totals.columns) - set(RUN_STEP_ORDER))
    runs = list(dict.fromkeys(steps["run_id"]))
    totals = totals.reindex(index=runs, columns=ordered)
    table = pd.DataFrame({"Run": runs})
    for step in ordered:
        table[step.capitalize()] = [
            MISSING if _is_missing(s) else f"{float(s):,.1f} s" for s in totals[step]
        ]
    table["Total"] = [f"{float(s):,.1f} s" for s in totals.sum(axis=1)]
    return table


# ------------------------------------------------------------------------- CSV downloads

# A spreadsheet runs a cell that starts with one of these as a formula (tab and carriage
# return too: some programs strip them and read the rest), so a download prefixes such text
# with a quote and the cell is shown as the text it is. OWASP "CSV injection".
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _neutralize(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells cannot run as spreadsheet formulas; numbers stay numbers.

    Every CSV the dashboard offers goes through this (or ``csv_bytes``). Text starting with
    = + - @ tab or CR gets a leading single quote; numeric, boolean and date columns are left
    exactly as they are, so -3.5 is still the number -3.5. Lists become "a; b" text first.
    """
    safe = frame.copy()
    for column in safe.columns:
        values = safe[column]
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
            continue
        if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
            # All text (or missing): one vectorized pass, missing cells stay missing.
            risky = values.str.startswith(FORMULA_TRIGGERS).fillna(False).astype(bool)
            safe[column] = values.where(~risky, "'" + values.astype(str))
            continue
        safe[column] = pd.Series(
            [
                _neutralize("; ".join(str(item) for item in value))
                if isinstance(value, list | tuple | np.ndarray)
                else _neutralize(value)
                for value in values
            ],
            index=safe.index,
            dtype=object,
        )
    # Column names are cells of the first row too.
    safe.columns = [_neutralize(str(name)) for name in safe.columns]
    return safe


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV of a frame, formula-safe (see ``csv_safe``), without the index."""
    return csv_safe(frame).to_csv(index=False).encode("utf-8")
