"""Draft metrics an analyst saved with `citystat metrics preview --draft FILE ID --save`.

Each is a small DuckDB file, ``data/drafts/<id>.duckdb``, that the pipeline computed (the
dashboard never imports the metric compiler) and renamed into place whole; it is read here
read-only, one connection per query, cached on the file's modification time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from pipelines.warehouse.layout import drafts_dir


@dataclass(frozen=True)
class SavedDraft:
    """One saved draft: its metric id, file, and the file's version (modification time)."""

    metric_id: str
    path: str
    stamp: int


def saved_drafts() -> list[SavedDraft]:
    """Every saved draft, by metric id (none when no draft was saved)."""
    folder = drafts_dir()
    if not folder.is_dir():
        return []
    return [
        SavedDraft(path.stem, str(path), path.stat().st_mtime_ns)
        for path in sorted(folder.glob("*.duckdb"))
        if not path.name.startswith(".")
    ]


@st.cache_data(show_spinner=False, max_entries=64)
def _query(path: str, stamp: int, sql: str, params: dict[str, Any]) -> pd.DataFrame:
    """One read-only query of a draft file; ``stamp`` keys the cache, so a new save is read."""
    del stamp
    with duckdb.connect(path, read_only=True) as con:
        return con.execute(sql, params).df()


def _run(draft: SavedDraft, sql: str, **params: Any) -> pd.DataFrame:
    return _query(draft.path, draft.stamp, sql, params)


_DEFINITION_SQL = "SELECT * FROM draft_definitions LIMIT 1"


def draft_definition(draft: SavedDraft) -> dict[str, Any]:
    """The draft's definition row: as metric_definitions, plus draft_file, saved_at,
    data_as_of and warehouse_version."""
    frame = _run(draft, _DEFINITION_SQL)
    return {str(k): v for k, v in frame.iloc[0].items()} if not frame.empty else {}


_GRAINS_SQL = "SELECT DISTINCT grain FROM draft_values"


def draft_grains(draft: SavedDraft) -> list[str]:
    """Grains the draft was computed at."""
    return [str(g) for g in _run(draft, _GRAINS_SQL)["grain"]]


_SERIES_SQL = """
SELECT period_label, period_start, is_complete, value, numerator, denominator, count, target,
       status
FROM draft_values
WHERE grain = $grain AND dimension = 'citywide'
ORDER BY period_start
"""


def draft_series(draft: SavedDraft, grain: str) -> pd.DataFrame:
    """The draft's citywide values at one grain, oldest first."""
    return _run(draft, _SERIES_SQL, grain=grain)


_INDEX_SQL = """
SELECT scope, scope_name, period_label, published, with_draft, draft_score, draft_status
FROM draft_index
WHERE grain = $grain AND is_complete
ORDER BY scope DESC, scope_name, period_label DESC
"""


def draft_index(draft: SavedDraft, grain: str) -> pd.DataFrame:
    """The department's and cohorts' index per complete period: published and with the draft."""
    return _run(draft, _INDEX_SQL, grain=grain)
