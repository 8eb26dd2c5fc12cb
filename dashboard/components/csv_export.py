"""CSV downloads that are safe to open in a spreadsheet: formula prefixes neutralised."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.components.formats import UNIT_PERCENT

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


def percent_columns(
    frame: pd.DataFrame, unit: str | None, columns: tuple[str, ...] = ("value", "target")
) -> pd.DataFrame:
    """A percent metric's shares as percentages, 0–100, under names that say so ("value (%)"),
    so a spreadsheet never reads 0.824 as 0.824%; a frame of another unit is returned as it is."""
    if unit != UNIT_PERCENT:
        return frame
    shown = frame.copy()
    for column in columns:
        # 0.824 * 100 is 82.39999999999999 in binary: rounded back to what was stored.
        shown[column] = (shown[column].astype(float) * 100).round(10)
    return shown.rename(columns={column: f"{column} (%)" for column in columns})


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV of a frame, formula-safe (see ``csv_safe``), without the index."""
    return csv_safe(frame).to_csv(index=False).encode("utf-8")
