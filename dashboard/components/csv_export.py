"""CSV downloads that are safe to open in a spreadsheet: formula prefixes neutralised."""

from __future__ import annotations

import numpy as np
import pandas as pd

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
