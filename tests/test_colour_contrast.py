"""Colours pass WCAG 2.1 AA, worked out from the colour constants with WCAG's own formula.

Text (status words, captions, the named text colours of status Markdown) needs 4.5:1 against
the page (white) and the sidebar; lines, bars and outlines that carry meaning in a chart need
3:1 against the white plot (WCAG 1.4.11, non-text contrast). Status is never told by colour
alone: every status has its own icon and word.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from dashboard.components import charts, maps
from dashboard.components.status import STATUS_ORDER, status_colour, status_icon, status_word

ROOT = Path(__file__).resolve().parent.parent
THEME = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["theme"]
TEXT = 4.5
GRAPHIC = 3.0


def _linear(channel: int) -> float:
    value = channel / 255
    return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4


def luminance(colour: str) -> float:
    """WCAG relative luminance of '#rrggbb'."""
    red, green, blue = (int(colour.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * _linear(red) + 0.7152 * _linear(green) + 0.0722 * _linear(blue)


def contrast(first: str, second: str) -> float:
    """WCAG contrast ratio (L1 + 0.05) / (L2 + 0.05), the lighter colour's luminance on top."""
    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def over(colour: str, opacity: float, background: str) -> str:
    """``colour`` drawn at ``opacity`` over ``background``, as the browser blends it."""
    blend = [
        round(int(colour[i : i + 2], 16) * opacity + int(background[i : i + 2], 16) * (1 - opacity))
        for i in (1, 3, 5)
    ]
    return "#" + "".join(f"{channel:02x}" for channel in blend)


def test_the_formula_against_known_ratios() -> None:
    # Black on white is (1 + 0.05) / (0 + 0.05) = 21; a colour against itself is 1.
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#777777") == pytest.approx(1.0)
    # #767676 is the lightest grey with 4.5:1 on white, #777777 just misses (4.48).
    assert contrast("#767676", "#ffffff") >= TEXT > contrast("#777777", "#ffffff")
    # The amber the issue measured: 3.6:1 on white, below AA for text.
    assert contrast("#b7791f", "#ffffff") == pytest.approx(3.64, abs=0.01)
    # 60% of #111111 over white: 0.6 * 17 + 0.4 * 255 = 112.2, so #707070.
    assert over("#111111", 0.6, "#ffffff") == "#707070"


BACKGROUNDS = (THEME["backgroundColor"], THEME["secondaryBackgroundColor"])


@pytest.mark.parametrize("status", [*STATUS_ORDER, None])
@pytest.mark.parametrize("background", BACKGROUNDS)
def test_every_status_colour_is_readable_text(status: str | None, background: str) -> None:
    assert contrast(status_colour(status), background) >= TEXT


def test_status_is_never_told_by_colour_alone() -> None:
    statuses = [*STATUS_ORDER, None]
    assert len({status_icon(s) for s in statuses}) == len(statuses)
    assert len({status_word(s) for s in statuses}) == len(statuses)


@pytest.mark.parametrize("background", BACKGROUNDS)
def test_body_text_and_its_faded_grey_are_readable(background: str) -> None:
    # Streamlit draws captions, help and inline code in captions at 60% of the body colour.
    assert contrast(THEME["textColor"], background) >= TEXT
    assert contrast(over(THEME["textColor"], 0.6, background), background) >= TEXT
    assert contrast(over(THEME["codeTextColor"], 0.6, background), background) >= TEXT


@pytest.mark.parametrize(
    ("name", "status"),
    [("greenTextColor", "on_track"), ("orangeTextColor", "watch"), ("redTextColor", "off_track")]
    + [("grayTextColor", s) for s in ("no_target", "too_little_data", "not_available", None)],
)
def test_status_markdown_colours_are_the_status_colours(name: str, status: str | None) -> None:
    # ":orange[▲ Watch]" is drawn in the theme's named colour: the same checked colour.
    assert THEME[name].lower() == status_colour(status).lower()


CHART_COLOURS = {
    **{f"factor {i}": colour for i, colour in enumerate(charts.FACTOR_COLOURS)},
    **{f"step {step}": colour for step, colour in charts.STEP_COLOURS.items()},
    "step (other)": charts.OTHER_STEP_COLOUR,
    "flag": charts.FLAG_COLOUR,
    "trend line": charts.VALUE_LINE_COLOUR,
    "target line": charts.TARGET_LINE_COLOUR,
    "not compared outline": charts.NOT_COMPARED_OUTLINE,
    "map flag outline": maps.FLAG_OUTLINE,
    "map boundary": maps.BOUNDARY_LINE,
}


@pytest.mark.parametrize("name", CHART_COLOURS)
def test_chart_colours_that_carry_meaning_stand_out(name: str) -> None:
    assert contrast(CHART_COLOURS[name], "#ffffff") >= GRAPHIC, name
