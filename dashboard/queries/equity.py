"""District equity: metrics with district breakdowns, each district against citywide (rates
per 1,000 residents, Wilson intervals for shares, gaps read in the metric's direction), the
district layer (names, populations and boundaries from city.yml) and district centroids.

Everything is computed here in SQL from ``metric_values``, ``metric_definitions`` and the
``districts`` table a run publishes, so the page works for a city without a services.yml too.
"""

from __future__ import annotations

import pandas as pd

from dashboard.queries.metric_info import (
    missing_tables,
    public_metric_ids,
    with_department_names,
)
from dashboard.queries.reader import Warehouse, run_query
from pipelines.warehouse.words import COUNT_UNITS

# services.yml's `equity.gap_threshold` default: a median or ratio is flagged when it is more
# than this much worse than citywide. A warehouse built with a services.yml keeps the city's
# own threshold in `district_gaps`, and that one is used instead.
DEFAULT_GAP_THRESHOLD = 0.15
# Two-sided 95%: the standard normal quantile 0.975 (scipy.stats.norm.ppf(0.975)).
Z_95 = 1.959963984540054

_DISTRICT_ROWS = """
    SELECT * FROM metric_values
    WHERE dimension = 'council_district' AND dimension_value IS DISTINCT FROM 'Unknown'
"""

_EQUITY_METRICS_SQL = """
SELECT d.metric_id, d.label, d.department, d.unit, d.direction, d.methodology,
       d.canonical_table, d.kind, d.min_count
FROM metric_definitions d
WHERE d.metric_id IN (SELECT DISTINCT metric_id FROM ({rows}))
  AND (NOT $public_only OR list_contains($public_ids, d.metric_id))
ORDER BY d.rowid
""".replace("{rows}", _DISTRICT_ROWS)


def equity_metrics(wh: Warehouse, public_only: bool = False) -> pd.DataFrame:
    """Metrics that have council-district values (public ones only), in metrics.yml order."""
    frame = run_query(
        wh, _EQUITY_METRICS_SQL, public_only=public_only, public_ids=public_metric_ids(wh)
    )
    return with_department_names(wh, frame)


# The council districts of the profile with their populations; a warehouse from before the
# profile tables has none.
_LAYER_CTE = "SELECT id, population FROM districts WHERE dimension = 'council_district'"
_NO_LAYER_CTE = "SELECT CAST(NULL AS VARCHAR) AS id, CAST(NULL AS BIGINT) AS population LIMIT 0"

# One row per district and complete period. `basis` says how a district is compared:
#   share         a share with its 95% Wilson score interval (numerator of denominator);
#                 behind when the whole interval lies on the worse side of citywide
#   rate          a count per 1,000 residents (every district of the layer has a population),
#                 against the citywide count per 1,000 residents of the districts
#   per_district  a count without populations: against citywide ÷ districts, never flagged
#   value         anything else (medians, ratios): behind when more than $threshold worse
# A district is compared only with a desired direction, a value, and at least the metric's
# min_count observations (requests in a share's denominator, records counted or measured),
# so a district with one request never shows a flagged 100%.
_COMPARISON_SQL = """
WITH layer AS ({layer}),
residents AS (
    SELECT count(*) > 0 AND count(population) = count(*) AS complete,
           sum(population) AS total
    FROM layer
),
definition AS (
    SELECT metric_id, unit, direction, kind, coalesce(min_count, 0) AS min_count
    FROM metric_definitions WHERE metric_id = $metric_id
),
districts AS (
    SELECT v.period_label, v.period_start, v.dimension_value AS council_district,
           v.value AS measured, v.numerator, v.denominator, v.count, v.status,
           c.value AS citywide_value, l.population,
           count(*) OVER (PARTITION BY v.period_start) AS districts
    FROM ({rows}) v
    LEFT JOIN metric_values c
        ON c.metric_id = v.metric_id AND c.grain = v.grain
       AND c.period_start = v.period_start AND c.dimension = 'citywide'
    LEFT JOIN layer l ON l.id = v.dimension_value
    WHERE v.metric_id = $metric_id AND v.grain = $grain AND v.is_complete
),
based AS (
    SELECT t.*, d.direction, d.min_count, r.total AS residents,
           CASE WHEN list_contains($count_units, d.unit) AND r.complete THEN 'rate'
                WHEN list_contains($count_units, d.unit) THEN 'per_district'
                WHEN d.kind = 'share' AND t.denominator IS NOT NULL THEN 'share'
                ELSE 'value' END AS basis
    FROM districts t CROSS JOIN definition d CROSS JOIN residents r
),
valued AS (
    SELECT *,
           CASE basis WHEN 'share' THEN denominator ELSE count END AS observations,
           CASE basis WHEN 'rate' THEN measured * 1000.0 / nullif(population, 0)
                ELSE measured END AS value,
           CASE basis WHEN 'rate' THEN citywide_value * 1000.0 / nullif(residents, 0)
                      WHEN 'per_district' THEN citywide_value / districts
                      ELSE citywide_value END AS reference_value,
           CASE basis WHEN 'rate' THEN 'citywide_per_1000'
                      WHEN 'per_district' THEN 'citywide_per_district'
                      ELSE 'citywide' END AS reference_kind,
           numerator / nullif(denominator, 0) AS p,
           denominator AS n
    FROM based
),
wilson AS (
    -- Wilson score interval: (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n); at
    -- p = 0 or 1 the bound is exactly 0 or 1, which rounding would leave a hair outside.
    SELECT *,
           CASE WHEN basis = 'share' AND n > 0 THEN greatest(0.0,
               (p + $z * $z / (2 * n)
                - $z * sqrt(greatest(p * (1 - p), 0) / n + $z * $z / (4 * n * n)))
               / (1 + $z * $z / n)) END AS ci_low,
           CASE WHEN basis = 'share' AND n > 0 THEN least(1.0,
               (p + $z * $z / (2 * n)
                + $z * sqrt(greatest(p * (1 - p), 0) / n + $z * $z / (4 * n * n)))
               / (1 + $z * $z / n)) END AS ci_high
    FROM valued
),
gaps AS (
    SELECT *,
           -- Relative, positive = worse in the metric's direction (no direction: the size).
           CASE WHEN value IS NULL OR reference_value IS NULL OR reference_value = 0 THEN NULL
                WHEN direction = 'higher_is_better'
                    THEN (reference_value - value) / abs(reference_value)
                WHEN direction = 'lower_is_better'
                    THEN (value - reference_value) / abs(reference_value)
                ELSE abs(value - reference_value) / abs(reference_value)
           END AS gap,
           CASE WHEN value IS NULL OR reference_value IS NULL
                     OR coalesce(status, '') = 'not_available' THEN 'no_value'
                WHEN basis = 'per_district' THEN 'no_population'
                WHEN direction IS NULL THEN 'no_direction'
                WHEN coalesce(observations, 0) < min_count
                     OR coalesce(status, '') = 'too_little_data' THEN 'too_few'
           END AS not_compared
    FROM wilson
)
SELECT period_label, period_start, council_district, basis, measured, value, numerator,
       denominator, count, observations, population, status, citywide_value, reference_value,
       reference_kind, ci_low, ci_high, gap, not_compared, not_compared IS NULL AS comparable,
       not_compared IS NULL AND CASE
           WHEN basis = 'share' AND direction = 'higher_is_better' THEN ci_high < reference_value
           WHEN basis = 'share' AND direction = 'lower_is_better' THEN ci_low > reference_value
           ELSE gap > $threshold
       END AS flagged,
       min_count, $threshold AS gap_threshold, direction
FROM gaps
ORDER BY period_start, try_cast(council_district AS INTEGER) NULLS LAST, council_district
"""


def comparison_sql(with_layer: bool) -> str:
    """The district comparison's SQL (parameters metric_id, grain, count_units, z,
    threshold), over the ``districts`` table or, ``with_layer`` False, without populations."""
    layer = _LAYER_CTE if with_layer else _NO_LAYER_CTE
    return _COMPARISON_SQL.format(layer=layer, rows=_DISTRICT_ROWS)


_THRESHOLD_SQL = "SELECT any_value(gap_threshold) AS threshold FROM district_gaps"


def gap_threshold(wh: Warehouse) -> float:
    """The relative gap that flags a median or ratio: services.yml's, else the default."""
    if missing_tables(wh, ["district_gaps"]):
        return DEFAULT_GAP_THRESHOLD
    value = run_query(wh, _THRESHOLD_SQL)["threshold"].iloc[0]
    return DEFAULT_GAP_THRESHOLD if pd.isna(value) else float(value)


def district_comparison(wh: Warehouse, metric_id: str, grain: str) -> pd.DataFrame:
    """Each council district against citywide in every complete period, oldest first: its
    value (per 1,000 residents for a count with populations), interval, gap and flag."""
    return run_query(
        wh,
        comparison_sql(not missing_tables(wh, ["districts"])),
        metric_id=metric_id,
        grain=grain,
        count_units=sorted(COUNT_UNITS),
        z=Z_95,
        threshold=gap_threshold(wh),
    )


_CENTROIDS_SQL = """
SELECT council_district, latitude, longitude, records
FROM district_centroids
ORDER BY try_cast(council_district AS INTEGER) NULLS LAST, council_district
"""

_CENTROID_COLUMNS = ["council_district", "latitude", "longitude", "records"]


def district_centroids(wh: Warehouse) -> pd.DataFrame:
    """Where each council district lies: the average position of its located requests
    (empty when the warehouse has no service tables, or its districts have boundaries)."""
    if missing_tables(wh, ["district_centroids"]):
        return pd.DataFrame(columns=_CENTROID_COLUMNS)
    return run_query(wh, _CENTROIDS_SQL)


# The districts the values are kept by (council districts), as city.yml lists them. A
# warehouse from before `equal_population` lacks that column: it reads as not known.
_DISTRICTS_SQL = """
SELECT * FROM districts
WHERE dimension = 'council_district'
ORDER BY position
"""

_LAYER_COLUMNS = ["id", "name", "population", "population_source", "population_year", "geometry"]
_LAYER_COLUMNS += ["label", "equal_population"]


def district_layer(wh: Warehouse) -> pd.DataFrame:
    """The council districts of the city's profile: id, name, population (source, year),
    boundary (GeoJSON text), label and equal_population; empty for a warehouse published
    before the city profile or without one."""
    if missing_tables(wh, ["districts"]):
        return pd.DataFrame(columns=_LAYER_COLUMNS)
    return run_query(wh, _DISTRICTS_SQL).reindex(columns=_LAYER_COLUMNS)
