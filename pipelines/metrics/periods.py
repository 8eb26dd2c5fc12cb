"""SQL expressions that cut timestamps into weeks, months, quarters and fiscal years.

Periods are half-open ``[period_start, period_end)``. Weeks are ISO weeks starting on Monday.
A fiscal year is named after the calendar year it ends in when it does not start in January
(with ``fiscal_year_start_month: 7``, FY2025 runs from 1 July 2024 to 30 June 2025).

Quarters are the city's fiscal quarters: three months counted from the fiscal year start, so a
city whose year starts in February has quarters Feb-Apr, May-Jul, ... (not calendar quarters),
labelled by fiscal year, "FY2027 Q1" for Jul-Sep 2026 when the year starts in July. A
calendar-year city (start month 1) keeps calendar quarters labelled "2026-Q3".
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
    if grain in ("week", "month"):
        return f"date_trunc('{grain}', {expr})"
    if grain not in ("quarter", "fiscal_year"):
        raise ValueError(f"unknown grain {grain!r}")
    unit = "quarter" if grain == "quarter" else "year"
    shift = _fiscal_shift(fiscal_year_start_month)
    # A year starting in April, July or October has the calendar quarters' boundaries.
    if shift == 0 or (grain == "quarter" and shift % 3 == 0):
        return f"date_trunc('{unit}', {expr})"
    # Shift back so the fiscal year start lands on 1 January, truncate, shift forward again.
    return f"(date_trunc('{unit}', {expr} - INTERVAL {shift} MONTH) + INTERVAL {shift} MONTH)"


def period_end_sql(grain: str, start_expr: str) -> str:
    """SQL for the exclusive end (DATE) of the period starting at ``start_expr``."""
    return f"CAST({start_expr} + {GRAIN_STEP[grain]} AS DATE)"


def period_label_sql(grain: str, start_expr: str, fiscal_year_start_month: int) -> str:
    """SQL for the label of a period: 2025-W07, 2025-03, 2025-Q1 (FY2025 Q3 in a fiscal
    city) or FY2025."""
    if grain == "week":
        return f"strftime({start_expr}, '%G-W%V')"
    if grain == "month":
        return f"strftime({start_expr}, '%Y-%m')"
    shift = _fiscal_shift(fiscal_year_start_month)
    if grain == "quarter" and shift == 0:
        return f"(strftime({start_expr}, '%Y') || '-Q' || CAST(quarter({start_expr}) AS VARCHAR))"
    # Shifted back by the fiscal year start, a fiscal period is a calendar one: its year is
    # the fiscal year's but one (FY named for the year it ends in), its quarter the same.
    shifted = f"({start_expr} - INTERVAL {shift} MONTH)" if shift else start_expr
    fiscal_year = f"CAST(year({shifted}) + {1 if shift else 0} AS VARCHAR)"
    if grain == "quarter":
        return f"('FY' || {fiscal_year} || ' Q' || CAST(quarter({shifted}) AS VARCHAR))"
    if grain == "fiscal_year":
        return f"('FY' || {fiscal_year})"
    raise ValueError(f"unknown grain {grain!r}")


def _fiscal_shift(month: int) -> int:
    if not 1 <= month <= 12:
        raise ValueError(f"fiscal_year_start_month must be 1..12, not {month!r}")
    return int(month) - 1
