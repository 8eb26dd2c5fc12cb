"""Status of a metric against its target, told by icon, word and colour together."""

from __future__ import annotations

from collections.abc import Iterable

from dashboard.components.formats import MISSING, is_missing

STATUS_ORDER = (
    "on_track",
    "watch",
    "off_track",
    "no_target",
    "too_little_data",
    "not_available",
)


# Icon AND word AND colour, so status never depends on colour vision alone. Every colour keeps
# 4.5:1 on white and on the sidebar's grey (WCAG AA for text; tests/test_colour_contrast.py),
# and is the matching named text colour of .streamlit/config.toml.
ON_TRACK_COLOUR = "#1a7f37"
WATCH_COLOUR = "#8a5a00"
OFF_TRACK_COLOUR = "#c62828"
MUTED_COLOUR = "#57606a"
_STATUS_STYLES: dict[str, tuple[str, str, str]] = {
    "on_track": ("●", "On track", ON_TRACK_COLOUR),
    "watch": ("▲", "Watch", WATCH_COLOUR),
    "off_track": ("■", "Off track", OFF_TRACK_COLOUR),
    "no_target": ("○", "No target", MUTED_COLOUR),
    "too_little_data": ("…", "Too little data", MUTED_COLOUR),
    # The source lacks a field the metric needs: no number rather than a wrong one.
    "not_available": ("⊘", "Not available for this source", MUTED_COLOUR),
}


_NO_DATA_STYLE = ("–", "No data", MUTED_COLOUR)


def _style(status: str | None) -> tuple[str, str, str]:
    if status is None or is_missing(status):
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


# Streamlit's named text colours, set to the colours above in .streamlit/config.toml.
_MARKDOWN_COLOURS = {
    "on_track": "green",
    "watch": "orange",
    "off_track": "red",
}


def status_markdown(status: str | None) -> str:
    """Status as Streamlit markdown with a named colour, e.g. ':red[■ Off track]'."""
    colour = _MARKDOWN_COLOURS.get(str(status), "gray")
    return f":{colour}[{status_label(status)}]"


def status_counts(statuses: Iterable[str | None]) -> dict[str, int]:
    """How many metrics are in each status (every status present, zero when none)."""
    counts = dict.fromkeys(STATUS_ORDER, 0)
    for status in statuses:
        if status in counts:
            counts[str(status)] += 1
    return counts


def check_mark(passed: object) -> str:
    """'✔ Passed' / '✖ Failed' / '—' for a boolean that may be NULL."""
    if is_missing(passed):
        return MISSING
    return "✔ Passed" if bool(passed) else "✖ Failed"
