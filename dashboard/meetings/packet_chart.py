"""The packet's trend charts as inline SVG: printable, no script, axis ticks that never collide."""

from __future__ import annotations

import math
from html import escape

import pandas as pd

from dashboard.components.formats import (
    format_value,
)
from dashboard.components.status import status_colour, status_label

_WIDTH, _HEIGHT = 640, 248
_LEFT, _RIGHT, _TOP, _BOTTOM = 78, 40, 14, 84
# Period labels sit this far below the plot (clear of the lowest value label) and, when more
# than a few are shown, turn 35 degrees so neighbours never touch.
_LABEL_DROP, _TURN_ABOVE = 22, 5


def nice_ticks(low: float, high: float, count: int = 4) -> list[float]:
    """Round axis ticks covering low..high: steps of 1, 2, 2.5 or 5 times a power of ten."""
    span = high - low or abs(high) or 1.0
    raw = span / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw * 0.999)
    # A hair of slack so 0.7 / 0.05 = 13.999... still starts the axis at 0.70.
    first = math.floor(low / step + 1e-9)
    last = math.ceil(high / step - 1e-9)
    if last == first:
        last += 1
    return [round(n * step, 12) for n in range(first, last + 1)]


def trend_svg(series: pd.DataFrame, unit: str | None, title: str) -> str:
    """Inline SVG: the values as a line with status-coloured markers, the target dashed.

    ``series`` has period_label, value, target and status, oldest first. Returns "" when no
    period has a value.
    """
    rows = series[series["value"].notna()]
    if rows.empty:
        return ""
    numbers = [float(v) for v in rows["value"]] + [
        float(t) for t in series["target"] if pd.notna(t)
    ]
    ticks = nice_ticks(min(numbers), max(numbers))
    low, high = ticks[0], ticks[-1]
    labels = series["period_label"].astype(str).tolist()
    plot_right = _WIDTH - _RIGHT
    step = (plot_right - _LEFT) / max(1, len(labels) - 1)

    def x(index: int) -> float:
        return _LEFT + (index * step if len(labels) > 1 else (plot_right - _LEFT) / 2)

    def y(value: float) -> float:
        return _TOP + (high - value) / (high - low) * (_HEIGHT - _TOP - _BOTTOM)

    parts = [
        f'<svg class="trend" viewBox="0 0 {_WIDTH} {_HEIGHT}" width="{_WIDTH}" '
        f'height="{_HEIGHT}" role="img" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for tick in ticks:
        parts.append(
            f'<line x1="{_LEFT}" x2="{plot_right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            'stroke="#e5e7eb"/>'
            f'<text x="{_LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" class="tick">'
            f"{escape(format_value(tick, unit))}</text>"
        )
    # At most about eight period labels, always the first and the last.
    every = max(1, -(-len(labels) // 8))
    shown = list(range(0, len(labels), every))
    last = len(labels) - 1
    if shown[-1] != last:
        # The last period is always labelled; a neighbour closer than a full step gives way.
        if last - shown[-1] < every and len(shown) > 1:
            shown.pop()
        shown.append(last)
    turned = len(shown) > _TURN_ABOVE
    base = _HEIGHT - _BOTTOM + _LABEL_DROP
    for index in shown:
        where = f'x="{x(index):.1f}" y="{base}"'
        turn = (
            f'text-anchor="end" transform="rotate(-35 {x(index):.1f} {base})"'
            if turned
            else 'text-anchor="middle"'
        )
        parts.append(f'<text {where} {turn} class="tick">{escape(labels[index])}</text>')
    targets = [(i, float(t)) for i, t in enumerate(series["target"]) if pd.notna(t)]
    if targets:
        # A step line: a target holds from one period to the next, like the dashboard's.
        # Each target spans half a period either side of its point, inside the plot.
        half = step / 2 if len(labels) > 1 else 20
        path = []
        for i, target in targets:
            left, right = max(_LEFT, x(i) - half), min(plot_right, x(i) + half)
            path.append(f"{left:.1f},{y(target):.1f} {right:.1f},{y(target):.1f}")
        parts.append(
            f'<polyline points="{" ".join(path)}" fill="none" stroke="#444" '
            'stroke-dasharray="6 4" stroke-width="2"><title>Target</title></polyline>'
        )
    points = [
        (index, float(value), status)
        for index, (value, status) in enumerate(zip(series["value"], series["status"], strict=True))
        if pd.notna(value)
    ]
    parts.append(
        '<polyline points="'
        + " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v, _ in points)
        + '" fill="none" stroke="#1f4e79" stroke-width="2.5"/>'
    )
    for index, value, status in points:
        parts.append(
            f'<circle cx="{x(index):.1f}" cy="{y(value):.1f}" r="5.5" '
            f'fill="{status_colour(status)}" stroke="#fff" stroke-width="1.5">'
            f"<title>{escape(labels[index])}: {escape(format_value(value, unit))}, "
            f"{escape(status_label(status))}</title></circle>"
        )
    parts.append("</svg>")
    return "".join(parts)
