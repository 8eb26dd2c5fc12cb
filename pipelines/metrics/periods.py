"""SQL expressions that cut timestamps into weeks, months, quarters and fiscal years.

Periods are half-open ``[period_start, period_end)``. Weeks are ISO weeks starting on Monday.
A fiscal year is named after the calendar year it ends in when it does not start in January
(with ``fiscal_year_start_month: 7``, FY2025 runs from 1 July 2024 to 30 June 2025).
"""

from __future__ import annotations

GRAIN_STEP = {
    "week": "INTERVAL 7 DAY",
    "month": "INTERVAL 1 MONTH",
    "quarter": "INTERVAL 3 MONTH",
    "fiscal_year": "INTERVAL 1 YEAR",
}


def period_start_sql(grain: str, expr: str, fiscal_year_start_month: int) -> str:
    """SQL for the start (TIMESTAMP) of the ``grain`` period containing ``expr``."""
    if grain in ("week", "month", "quarter"):
        return f"date_trunc('{grain}', {expr})"
    if grain != "fiscal_year":
        raise ValueError(f"unknown grain {grain!r}")
    shift = _fiscal_shift(fiscal_year_start_month)
    if shift == 0:
        return f"date_trunc('year', {expr})"
    # Shift back so the fiscal year start lands on 1 January, truncate, shift forward again.
    return f"(date_trunc('year', {expr} - INTERVAL {shift} MONTH) + INTERVAL {shift} MONTH)"


def period_end_sql(grain: str, start_expr: str) -> str:
    """SQL for the exclusive end (DATE) of the period starting at ``start_expr``."""
    return f"CAST({start_expr} + {GRAIN_STEP[grain]} AS DATE)"


def period_label_sql(grain: str, start_expr: str, fiscal_year_start_month: int) -> str:
    """SQL for the label of a period: 2025-W07, 2025-03, 2025-Q1 or FY2025."""
    if grain == "week":
        return f"strftime({start_expr}, '%G-W%V')"
    if grain == "month":
        return f"strftime({start_expr}, '%Y-%m')"
    if grain == "quarter":
        return f"(strftime({start_expr}, '%Y') || '-Q' || CAST(quarter({start_expr}) AS VARCHAR))"
    if grain == "fiscal_year":
        offset = 1 if _fiscal_shift(fiscal_year_start_month) else 0
        return f"('FY' || CAST(year({start_expr}) + {offset} AS VARCHAR))"
    raise ValueError(f"unknown grain {grain!r}")


def _fiscal_shift(month: int) -> int:
    if not 1 <= month <= 12:
        raise ValueError(f"fiscal_year_start_month must be 1..12, not {month!r}")
    return int(month) - 1
