"""Words and tables of the Equity page: how districts are compared, which are behind, each
district's row, and where the populations come from. Pure: DataFrames in, text out.

Every district name and population source passes through ``escape_markdown`` here or the
page's HTML table (html_table, which escapes every cell): they come from city.yml and the
extracts.
"""

from __future__ import annotations

import pandas as pd

from dashboard.components.formats import (
    MISSING,
    UNIT_PER_1000,
    UNIT_RESIDENTS,
    format_count,
    format_value,
    is_missing,
)
from dashboard.components.safe_text import escape_markdown as md
from dashboard.components.status import status_label

BEHIND = "⚑ Behind citywide"


def display_unit(basis: str, unit: str | None) -> str | None:
    """The unit the compared values are in: per 1,000 residents for a rate, else the
    metric's."""
    return UNIT_PER_1000 if basis == "rate" else unit


def interval_text(low: object, high: object) -> str:
    """A share's 95% interval, '49.0%–94.3%'; '—' for anything that is not a share."""
    if is_missing(low) or is_missing(high):
        return MISSING
    return f"{float(low) * 100:.1f}%–{float(high) * 100:.1f}%"  # type: ignore[arg-type]


def _measured(row: pd.Series, unit: str | None) -> str:
    """What the compared value is made of: '89 of 118', '150 requests, 69,548 residents'."""
    if row["basis"] == "share" and not is_missing(row["denominator"]):
        return f"{format_count(row['numerator'])} of {format_count(row['denominator'])}"
    if row["basis"] == "rate":
        return (
            f"{format_value(row['measured'], unit)} {unit} · "
            f"{format_value(row['population'], UNIT_RESIDENTS)}"
        )
    return format_count(row["observations"])


def not_compared_text(reason: object, min_count: int, records: str) -> str:
    """Why a district is not compared, in words ('' when it is)."""
    return {
        "too_few": f"Not compared: fewer than {min_count:,} {records}",
        "no_direction": "Not compared: the metric has no desired direction",
        "no_population": "Not compared: no district populations",
        "no_value": "Not compared: no value",
    }.get(str(reason), "")


def _gap_parts(basis: str, gap: object, value: object, reference: object) -> tuple[str, str]:
    """The gap's size and side: a share's in percentage points ('-7.9 pts'), anything else
    relative to citywide ('+25.0%'); the side is 'worse' or 'better' in the metric's
    direction."""
    size = float(gap)  # type: ignore[arg-type]
    side = "worse" if size > 0 else "better" if size < 0 else "even"
    if basis == "share":
        points = (float(value) - float(reference)) * 100  # type: ignore[arg-type]
        return f"{points:+.1f} pts", side
    return f"{size:+.1%}", side


def gap_text(basis: str, gap: object, value: object, reference: object) -> str:
    """The gap in the metric's direction: '-7.9 pts (worse)' for a share, '+25.0% (worse)'
    relative to citywide for anything else."""
    if is_missing(gap):
        return MISSING
    size, side = _gap_parts(basis, gap, value, reference)
    return f"{size} ({side})"


def district_table(
    rows: pd.DataFrame, unit: str | None, names: dict[str, str], records: str
) -> pd.DataFrame:
    """Display rows for each district of ``rows`` (district_comparison rows of one period or
    several): value, what it is made of, interval, reference, gap in the metric's direction,
    flag and status. ``records`` names what is counted ('requests')."""
    shown = [display_unit(str(b), unit) for b in rows["basis"]]
    reference = {
        "citywide": "(citywide)",
        "citywide_per_1000": "(citywide)",
        "citywide_per_district": "(citywide ÷ districts)",
    }
    return pd.DataFrame(
        {
            "District": [names.get(str(d)) or f"District {d}" for d in rows["council_district"]],
            "Value": [format_value(v, u) for v, u in zip(rows["value"], shown, strict=True)],
            "Of": [_measured(row, unit) for _, row in rows.iterrows()],
            "95% interval": [
                interval_text(lo, hi)
                for lo, hi in zip(rows["ci_low"], rows["ci_high"], strict=True)
            ],
            "Compared with": [
                f"{format_value(v, u)} {reference.get(str(k), '')}".strip()
                for v, u, k in zip(
                    rows["reference_value"], shown, rows["reference_kind"], strict=True
                )
            ],
            "Gap": [
                gap_text(str(b), g, v, r)
                for b, g, v, r in zip(
                    rows["basis"], rows["gap"], rows["value"], rows["reference_value"], strict=True
                )
            ],
            "Flag": [
                BEHIND if bool(flagged) else not_compared_text(reason, int(minimum), records)
                for flagged, reason, minimum in zip(
                    rows["flagged"], rows["not_compared"], rows["min_count"], strict=True
                )
            ],
            "Status": [status_label(s) for s in rows["status"]],
        }
    )


def comparison_rule(basis: str, min_count: int, records: str, threshold: float) -> str:
    """How districts are compared and when one is flagged, for the page's caption."""
    few = (
        f"A district with fewer than {min_count:,} {records} in a period is shown but not "
        "compared (the metric's min_count in metrics.yml)."
    )
    if basis == "share":
        return (
            "Each district's share has a 95% confidence interval (Wilson score). A district is "
            "flagged behind when its whole interval is on the worse side of the citywide share, "
            f"in the metric's desired direction. {few}"
        )
    if basis == "rate":
        return (
            "Counts are compared per 1,000 residents: each district's count over its "
            "population, against the citywide count over the districts' residents. A district "
            f"is flagged behind when its rate is more than {threshold:.0%} worse than "
            f"citywide, in the metric's desired direction. {few}"
        )
    if basis == "per_district":
        return (
            f"This metric counts {records}. Without district populations a count cannot be a "
            "rate: each district is shown against the citywide total divided by the number of "
            "districts, and no gap is flagged (a district's size, not its service, would "
            "drive it)."
        )
    return (
        f"A district is flagged behind when its value is more than {threshold:.0%} worse than "
        f"citywide, in the metric's desired direction (the threshold is equity.gap_threshold "
        f"in services.yml). {few}"
    )


def population_note(layer: pd.DataFrame) -> str:
    """Where the district populations come from, or that there are none and whether the
    districts are drawn to equal population (Markdown, escaped)."""
    label = md(layer_label(layer)).lower()
    with_people = layer[layer["population"].notna()] if not layer.empty else layer
    if not layer.empty and len(with_people) == len(layer):
        sources = with_people[["population_source", "population_year"]].drop_duplicates()
        said = "; ".join(
            f"{md(s)}, {int(y)}" if not is_missing(y) else md(s)
            for s, y in zip(sources["population_source"], sources["population_year"], strict=True)
        )
        total = format_value(with_people["population"].sum(), UNIT_RESIDENTS)
        return f"District populations ({total} in all): {said}."
    equal = layer["equal_population"].dropna() if "equal_population" in layer else layer
    none = "city.yml gives no population for every district, so counts are not rates."
    if equal.empty:
        return f"{none} It does not say whether the {label}s are drawn to equal population."
    if bool(equal.iloc[0]):
        return (
            f"{none} The {label}s are drawn to near-equal population, so a district's count "
            "still compares roughly like a rate."
        )
    return (
        f"{none} The {label}s are not drawn to equal population: a district's count reflects "
        "how many people live there as much as the service they get."
    )


def layer_label(layer: pd.DataFrame) -> str:
    """What the city calls a district ('Ward'), from the layer; 'district' without one."""
    labels = layer["label"].dropna() if "label" in layer else pd.Series(dtype=object)
    return str(labels.iloc[0]) if not labels.empty else "Council district"


def behind_sentence(
    flagged: pd.DataFrame, unit: str | None, names: dict[str, str], period: str
) -> str:
    """'2025-03: District 2 is behind citywide: 75.0% (95% interval 66.5%–81.9%) against
    82.4% (-7.4 pts, worse).' for the flagged rows of one period (Markdown, escaped)."""
    parts = []
    for _, row in flagged.iterrows():
        shown = display_unit(str(row["basis"]), unit)
        name = md(names.get(str(row["council_district"])) or f"District {row['council_district']}")
        interval = interval_text(row["ci_low"], row["ci_high"])
        within = f" (95% interval {interval})" if interval != MISSING else ""
        size, side = _gap_parts(str(row["basis"]), row["gap"], row["value"], row["reference_value"])
        parts.append(
            f"{name} is behind citywide: {format_value(row['value'], shown)}{within} against "
            f"{format_value(row['reference_value'], shown)} ({size}, {side})"
        )
    return f"{md(period)}: " + "; ".join(parts) + "."


def layer_rows(layer: pd.DataFrame) -> pd.DataFrame:
    """The district layer as rows the map draws when no metric is broken down by district:
    each district shaded by its population (grey without one)."""
    return pd.DataFrame(
        {
            "council_district": layer["id"].astype(str).tolist(),
            "value": layer["population"].tolist(),
            "status": [None] * len(layer),
            "gap": [None] * len(layer),
            "comparable": [False] * len(layer),
            "flagged": [False] * len(layer),
        }
    )


def layer_table(layer: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """Each district of the layer with its population, the map's text alternative."""
    return pd.DataFrame(
        {
            "District": [names.get(str(i)) or f"District {i}" for i in layer["id"]],
            "Residents": [format_value(p, UNIT_RESIDENTS) for p in layer["population"]],
        }
    )
