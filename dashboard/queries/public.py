"""What the public site reads: the city's languages, each public metric's plain-language
text in the visitor's language, the latest values, and the open data.

A text missing in the visitor's language falls back to the city's first language, then to the
metric's label and description (a warehouse published before public texts existed).
"""

from __future__ import annotations

import pandas as pd

from dashboard.queries.metric_info import has_column, missing_tables
from dashboard.queries.reader import Warehouse, run_query

_LANGUAGES_SQL = "SELECT languages FROM city_profile LIMIT 1"


def city_languages(wh: Warehouse) -> list[str]:
    """The public site's languages from the city profile, the first the default (English
    for a warehouse without them)."""
    if missing_tables(wh, ["city_profile"]) or not has_column(wh, "city_profile", "languages"):
        return ["en"]
    frame = run_query(wh, _LANGUAGES_SQL)
    if frame.empty or frame["languages"].iloc[0] is None:
        return ["en"]
    return [str(code) for code in frame["languages"].iloc[0]] or ["en"]


_TEXTS_SQL = """
SELECT d.metric_id,
       coalesce(t.name, f.name, d.label) AS name,
       coalesce(t.about, f.about, d.description) AS about,
       d.unit, d.direction, d.grains, d.canonical_table,
       list_contains(d.dimensions, 'council_district') AS by_district
FROM metric_definitions d
LEFT JOIN metric_public_texts t ON t.metric_id = d.metric_id AND t.language = $language
LEFT JOIN metric_public_texts f ON f.metric_id = d.metric_id AND f.language = $first
WHERE d.public
ORDER BY d.rowid
"""

_LABELS_SQL = """
SELECT metric_id, label AS name, description AS about, unit, direction, grains, canonical_table,
       list_contains(dimensions, 'council_district') AS by_district
FROM metric_definitions WHERE public ORDER BY rowid
"""


def public_metrics(wh: Warehouse, language: str) -> pd.DataFrame:
    """Every public metric, in metrics.yml order: its name and paragraph in ``language``,
    unit, direction, grains and whether it has council-district values."""
    if not has_column(wh, "metric_definitions", "public"):
        return pd.DataFrame(
            columns=[
                "metric_id",
                "name",
                "about",
                "unit",
                "direction",
                "grains",
                "canonical_table",
                "by_district",
            ]
        )
    if missing_tables(wh, ["metric_public_texts"]):
        return run_query(wh, _LABELS_SQL)
    return run_query(wh, _TEXTS_SQL, language=language, first=city_languages(wh)[0])


# Per public metric at one grain: the latest complete citywide period and the one before.
_LATEST_SQL = """
WITH complete AS (
    SELECT v.metric_id, v.period_start, v.period_label, v.value, v.target, v.status,
           row_number() OVER (PARTITION BY v.metric_id ORDER BY v.period_start DESC) AS recency
    FROM metric_values v JOIN metric_definitions d USING (metric_id)
    WHERE d.public AND v.grain = $grain AND v.dimension = 'citywide' AND v.is_complete
)
SELECT cur.metric_id, cur.period_start, cur.period_label, cur.value, cur.target, cur.status,
       prev.period_start AS prior_start, prev.period_label AS prior_label,
       prev.value AS prior_value
FROM complete cur
LEFT JOIN complete prev ON prev.metric_id = cur.metric_id AND prev.recency = 2
WHERE cur.recency = 1
"""


def latest_values(wh: Warehouse, grain: str) -> pd.DataFrame:
    """Each public metric's latest complete citywide value at ``grain``, with the one before."""
    return run_query(wh, _LATEST_SQL, grain=grain)


_SERIES_SQL = """
SELECT period_start, period_label, value, target, status
FROM metric_values v JOIN metric_definitions d USING (metric_id)
WHERE d.public AND v.metric_id = $metric_id AND v.grain = $grain
  AND v.dimension = 'citywide' AND v.is_complete
ORDER BY period_start
"""


def series(wh: Warehouse, metric_id: str, grain: str) -> pd.DataFrame:
    """A public metric's complete citywide periods at ``grain``, oldest first."""
    return run_query(wh, _SERIES_SQL, metric_id=metric_id, grain=grain)


_DISTRICTS_SQL = """
SELECT v.dimension_value AS district, coalesce(n.name, v.dimension_value) AS name,
       v.value, v.status
FROM metric_values v
JOIN metric_definitions d USING (metric_id)
LEFT JOIN (SELECT id, name FROM districts) n ON n.id = v.dimension_value
WHERE d.public AND v.metric_id = $metric_id AND v.grain = $grain
  AND v.period_start = $period_start AND v.dimension = 'council_district'
ORDER BY try_cast(v.dimension_value AS INTEGER) NULLS LAST, v.dimension_value
"""

_DISTRICTS_NO_NAMES_SQL = """
SELECT v.dimension_value AS district, v.dimension_value AS name, v.value, v.status
FROM metric_values v JOIN metric_definitions d USING (metric_id)
WHERE d.public AND v.metric_id = $metric_id AND v.grain = $grain
  AND v.period_start = $period_start AND v.dimension = 'council_district'
ORDER BY try_cast(v.dimension_value AS INTEGER) NULLS LAST, v.dimension_value
"""


def district_values(
    wh: Warehouse, metric_id: str, grain: str, period_start: object
) -> pd.DataFrame:
    """Each council district's value of a public metric in one period, with its name."""
    sql = _DISTRICTS_NO_NAMES_SQL if missing_tables(wh, ["districts"]) else _DISTRICTS_SQL
    return run_query(wh, sql, metric_id=metric_id, grain=grain, period_start=period_start)


# The open data: percentages as percentages (0-100), never fractions; names in the visitor's
# language; the metric's code is a stable key for joining releases, not a page's wording.
_OPEN_DATA_SQL = """
WITH texts AS (SELECT unnest($ids) AS metric_id, unnest($names) AS name)
SELECT v.metric_id AS metric_code, t.name AS metric, d.unit AS unit, v.grain AS period_type,
       v.period_label AS period, v.period_start, v.period_end - 1 AS period_last_day,
       v.is_complete AS period_complete,
       CASE WHEN v.dimension = 'citywide' THEN 'citywide' ELSE 'council district' END AS area,
       CASE WHEN v.dimension = 'citywide' THEN NULL ELSE v.dimension_value END AS district,
       CASE WHEN d.unit = 'percent' THEN round(v.value * 100, 4) ELSE v.value END AS value,
       CASE WHEN d.unit = 'percent' THEN round(v.target * 100, 4) ELSE v.target END AS target,
       v.status, v.count AS observations
FROM metric_values v
JOIN metric_definitions d USING (metric_id)
JOIN texts t USING (metric_id)
WHERE d.public AND v.dimension IN ('citywide', 'council_district')
ORDER BY d.rowid, v.grain, v.period_start, v.dimension <> 'citywide',
         try_cast(v.dimension_value AS INTEGER) NULLS LAST, v.dimension_value
"""


def open_data(wh: Warehouse, language: str) -> pd.DataFrame:
    """Every value of every public metric, citywide and by council district, one row per
    metric, period and area, as the open-data files hold it (see ``DATA_DICTIONARY``)."""
    texts = public_metrics(wh, language)[["metric_id", "name"]]
    return run_query(wh, _OPEN_DATA_SQL, ids=list(texts["metric_id"]), names=list(texts["name"]))
