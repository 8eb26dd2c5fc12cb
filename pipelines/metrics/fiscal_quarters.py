"""SQL expressions for the city's fiscal quarters: where one starts and what it is called.

A fiscal quarter is three months counted from ``fiscal_year_start_month``; the fiscal year is
named after the calendar year it ends in (with ``fiscal_year_start_month: 7``, October 2026 is
in FY2027 Q2). A city whose fiscal year is the calendar year calls its quarters "2026 Q4".
Pure functions returning SQL text; the month is an int checked here, never user text.
"""

from __future__ import annotations


def _shift(fiscal_year_start_month: int) -> int:
    if not 1 <= fiscal_year_start_month <= 12:
        raise ValueError(f"fiscal_year_start_month must be 1..12, not {fiscal_year_start_month!r}")
    return int(fiscal_year_start_month) - 1


def fiscal_quarter_start_sql(expr: str, fiscal_year_start_month: int) -> str:
    """SQL for the first day (DATE) of the fiscal quarter containing ``expr``."""
    shift = _shift(fiscal_year_start_month)
    # Shift back so the fiscal year starts on 1 January, truncate, shift forward again.
    return (
        f"CAST(date_trunc('quarter', CAST({expr} AS DATE) - INTERVAL {shift} MONTH)"
        f" + INTERVAL {shift} MONTH AS DATE)"
    )


def fiscal_quarter_label_sql(start_expr: str, fiscal_year_start_month: int) -> str:
    """SQL for a fiscal quarter's name from its first day: 'FY2027 Q2', or '2026 Q4' when the
    fiscal year is the calendar year."""
    shift = _shift(fiscal_year_start_month)
    shifted = f"(CAST({start_expr} AS DATE) - INTERVAL {shift} MONTH)"
    quarter = f"CAST(quarter({shifted}) AS VARCHAR)"
    if shift == 0:
        return f"(CAST(year({shifted}) AS VARCHAR) || ' Q' || {quarter})"
    return f"('FY' || CAST(year({shifted}) + 1 AS VARCHAR) || ' Q' || {quarter})"
