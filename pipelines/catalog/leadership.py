"""The CityScore-style leadership index, district gaps and district centroids, all in SQL."""

from __future__ import annotations

import duckdb

from pipelines.catalog.model import ServicesConfig
from pipelines.warehouse.replace import replace_rows
from pipelines.warehouse.schema import has_column
from pipelines.warehouse.words import COUNT_UNITS

SCORED_STATUSES = ("on_track", "watch", "off_track")


# Each citywide value against its target: value/target when higher is better, target/value
# when lower is better, capped so one metric far above target cannot hide others below it.
# Only values judged against a target score (not no_target, too_little_data, not_available).
# A lower-is-better value of 0 (nothing overdue) and a higher-is-better target of 0 meet any
# target, so they score the cap rather than divide by zero.
def score_sql(value: str, target: str, status: str, direction: str) -> str:
    """The score of one value against its target (NULL when it is not judged), capped at
    ``$cap``; the arguments are SQL expressions."""
    return f"""CASE WHEN {status} IN ('on_track', 'watch', 'off_track')
          AND {value} IS NOT NULL AND {target} IS NOT NULL THEN
    CASE {direction}
        WHEN 'higher_is_better' THEN
            CASE WHEN {target} <= 0 THEN $cap
                 ELSE least($cap, greatest({value}, 0) / {target}) END
        WHEN 'lower_is_better' THEN
            CASE WHEN {value} <= 0 THEN $cap
                 ELSE least($cap, greatest({target}, 0) / {value}) END
    END
END"""


_METRIC_SCORES_SQL = """
WITH scored AS (
    SELECT v.metric_id, d.label, d.department, d.cohort_service, d.unit, d.direction, v.grain,
           v.period_start, v.period_end, v.period_label, v.is_complete, v.value, v.target,
           v.status,
           {score} AS score
    FROM metric_values v
    JOIN metric_definitions d USING (metric_id)
    WHERE v.dimension = 'citywide'
)
SELECT *,
       CASE WHEN is_complete THEN lag(period_label) OVER w END AS prior_period_label,
       CASE WHEN is_complete THEN lag(value) OVER w END AS prior_value,
       CASE WHEN is_complete THEN lag(score) OVER w END AS prior_score,
       CASE WHEN is_complete THEN score - lag(score) OVER w END AS score_change
FROM scored
WINDOW w AS (PARTITION BY metric_id, grain, is_complete ORDER BY period_start)
""".replace("{score}", score_sql("v.value", "v.target", "v.status", "d.direction"))

# The metrics of each scope: every metric for the city, a department's, a cohort service's,
# and for a quarterly cohort the metrics of the services assigned to it.
_SCOPED_SQL = """
    SELECT 'city' AS scope, 'Citywide' AS scope_name, s.* FROM metric_index_scores s
    UNION ALL
    SELECT 'department', s.department, s.* FROM metric_index_scores s
    WHERE s.department IS NOT NULL
    UNION ALL
    SELECT 'cohort_service', s.cohort_service, s.* FROM metric_index_scores s
    WHERE s.cohort_service IS NOT NULL
    UNION ALL
    SELECT 'cohort', p.cohort_label, s.*
    FROM metric_index_scores s
    JOIN services sv ON sv.cohort_service = s.cohort_service
    JOIN service_priorities p ON p.service = sv.service
"""

# Each member's contribution is its score over the number of scored members, so a scope's
# contributions add up to its index and their differences between two periods to its change.
_MEMBERS_SQL = """
WITH scoped AS ({scoped})
SELECT scope, scope_name, grain, period_start, period_label, is_complete, metric_id, status,
       score, score / count(score) OVER (PARTITION BY scope, scope_name, grain, period_start)
           AS contribution
FROM scoped
""".replace("{scoped}", _SCOPED_SQL)

# The index of a scope is the mean score of its scored metrics in a period, added in metric
# order: a float sum depends on its order, and a daily run leaves the rows in another order
# than a rebuild (the last bit differed).
_INDEX_SQL = """
WITH scoped AS ({scoped}),
grouped AS (
    SELECT scope, scope_name, grain, period_start, any_value(period_end) AS period_end,
           any_value(period_label) AS period_label, bool_and(is_complete) AS is_complete,
           avg(score ORDER BY metric_id) AS index_value, count(*) AS metrics_total,
           count(score) AS metrics_scored,
           count_if(status = 'on_track') AS on_track,
           count_if(status = 'watch') AS watch,
           count_if(status = 'off_track') AS off_track
    FROM scoped
    GROUP BY scope, scope_name, grain, period_start
)
SELECT *,
       CASE WHEN is_complete THEN lag(period_label) OVER w END AS prior_period_label,
       CASE WHEN is_complete THEN lag(index_value) OVER w END AS prior_index_value,
       CASE WHEN is_complete THEN index_value - lag(index_value) OVER w END AS index_change
FROM grouped
WINDOW w AS (PARTITION BY scope, scope_name, grain, is_complete ORDER BY period_start)
""".replace("{scoped}", _SCOPED_SQL)

# Each council district against citywide, the gap signed so that positive means worse.
# Counts and backlogs are citywide totals, so a district is compared with the citywide
# average per district and never flagged (a district's size, not its service, drives them).
_GAPS_SQL = """
WITH districts AS (
    SELECT v.metric_id, v.grain, v.period_start, v.period_label, v.is_complete,
           v.dimension_value AS council_district, v.value, v.count, v.denominator, v.status,
           count(*) OVER (PARTITION BY v.metric_id, v.grain, v.period_start) AS districts
    FROM metric_values v
    -- 'Unknown' gathers records without a district: not a place to compare or flag.
    WHERE v.dimension = 'council_district' AND v.dimension_value IS DISTINCT FROM 'Unknown'
),
joined AS (
    SELECT t.*, c.value AS citywide_value, d.unit, d.direction, d.min_count,
           CASE WHEN d.kind = 'share' THEN t.denominator ELSE t.count END AS observations,
           CASE WHEN list_contains($count_units, d.unit) THEN c.value / t.districts
                ELSE c.value END AS reference_value,
           CASE WHEN list_contains($count_units, d.unit) THEN 'citywide_per_district'
                ELSE 'citywide' END AS reference_kind
    FROM districts t
    JOIN metric_definitions d USING (metric_id)
    LEFT JOIN metric_values c
        ON c.metric_id = t.metric_id AND c.grain = t.grain
       AND c.period_start = t.period_start AND c.dimension = 'citywide'
),
gaps AS (
    SELECT *,
           CASE WHEN value IS NULL OR reference_value IS NULL OR reference_value = 0 THEN NULL
                WHEN direction = 'higher_is_better'
                    THEN (reference_value - value) / abs(reference_value)
                WHEN direction = 'lower_is_better'
                    THEN (value - reference_value) / abs(reference_value)
                ELSE abs(value - reference_value) / abs(reference_value)
           END AS gap,
           NOT list_contains($count_units, unit) AND value IS NOT NULL
               AND coalesce(status, '') NOT IN ('too_little_data', 'not_available')
               -- A district with fewer observations than the metric's min_count is not
               -- compared even without a target (one request is no 100%), as on the
               -- Equity page (dashboard/queries/equity.py).
               AND coalesce(observations, 0) >= coalesce(min_count, 0)
               AS comparable
    FROM joined
)
SELECT metric_id, grain, period_start, period_label, is_complete, council_district, value,
       count, status, citywide_value, reference_value, reference_kind, gap, comparable,
       coalesce(comparable AND gap > $threshold, false) AS flagged,
       $threshold AS gap_threshold
FROM gaps
"""

# Where each district lies, for a map drawn without boundaries or tiles: the average
# position of its located 311 requests (0/0 and out-of-range coordinates left out). A scan
# of every request, so it is left out when the city's districts have boundaries.
_CENTROIDS_SQL = """
INSERT INTO district_centroids BY NAME
SELECT council_district, avg(latitude) AS latitude, avg(longitude) AS longitude,
       count(*) AS records
FROM service_requests
WHERE council_district IS NOT NULL AND latitude IS NOT NULL AND longitude IS NOT NULL
  AND latitude BETWEEN -90 AND 90 AND longitude BETWEEN -180 AND 180
  AND NOT (latitude = 0 AND longitude = 0)
GROUP BY council_district
"""


def compute_metric_scores(con: duckdb.DuckDBPyConnection, config: ServicesConfig) -> None:
    """Fill metric_index_scores: every citywide value scored against its target."""
    cap = config.leadership_index.cap
    replace_rows(con, "metric_index_scores", _METRIC_SCORES_SQL, {"cap": cap})


def compute_leadership_index(con: duckdb.DuckDBPyConnection) -> None:
    """Fill leadership_index per city, department, cohort service and quarterly cohort, and
    leadership_index_members with the metrics each index averages."""
    replace_rows(con, "leadership_index", _INDEX_SQL, {})
    replace_rows(con, "leadership_index_members", _MEMBERS_SQL, {})


def compute_district_gaps(con: duckdb.DuckDBPyConnection, config: ServicesConfig) -> None:
    """Fill district_gaps: each district against citywide, flagged above the threshold."""
    # Counts of any table (requests, permits, cases) are citywide totals.
    replace_rows(
        con,
        "district_gaps",
        _GAPS_SQL,
        {"threshold": config.equity.gap_threshold, "count_units": sorted(COUNT_UNITS)},
    )


def compute_district_centroids(con: duckdb.DuckDBPyConnection) -> None:
    """Fill district_centroids from the located service requests, unless the city's
    districts have boundaries (the equity page then draws those, never the centroids)."""
    if not has_boundaries(con):
        con.execute(_CENTROIDS_SQL)


def has_boundaries(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether any council district of the city profile's layer has a boundary (the
    ``districts`` table written from city.yml; a warehouse without it has none)."""
    if not has_column(con, "districts", "geometry"):
        return False
    row = con.execute(
        "SELECT count(*) FROM districts "
        "WHERE dimension = 'council_district' AND geometry IS NOT NULL"
    ).fetchone()
    return bool(row and row[0])
