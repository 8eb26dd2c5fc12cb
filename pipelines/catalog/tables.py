"""DDL of the tables the service catalog, prioritization and leadership index write.

Kept here, not in pipelines/warehouse.py, so the service layer owns its own tables; every
table is small (services, periods, districts) and recomputed on each run. The catalog's are
written whole; those derived from metric_values (scores, index, gaps) only where they
differ (pipelines/warehouse/replace.py), since a daily run changes few of their rows.
"""

from __future__ import annotations

import duckdb

SERVICE_TABLES = (
    "services",
    "service_priority_factors",
    "service_priorities",
    "service_cohorts",
    "metric_index_scores",
    "leadership_index",
    "leadership_index_members",
    "district_gaps",
    "district_centroids",
)

SERVICE_DDL = """
CREATE TABLE IF NOT EXISTS services (
    service VARCHAR PRIMARY KEY,
    position INTEGER,            -- order in services.yml
    department VARCHAR,
    description VARCHAR,
    channels VARCHAR[],          -- channel ids
    channel_labels VARCHAR[],    -- their display names, same order
    mechanism VARCHAR,
    fees VARCHAR,
    costs VARCHAR,
    resident_must VARCHAR,
    application BOOLEAN,
    documents VARCHAR[],
    cohort_service VARCHAR,      -- the metrics.yml cohort_service it links to, if any
    service_names VARCHAR[]      -- 311 request types that are this service
);
CREATE TABLE IF NOT EXISTS service_priority_factors (
    service VARCHAR,
    factor VARCHAR,              -- importance | life_safety | equity | time_tax | resources
                                 -- | spillover
    factor_label VARCHAR,
    factor_order INTEGER,        -- 1 = first in Executive Order 2-24's order of priority
    weight DOUBLE,
    score DOUBLE,                -- 0..1
    contribution DOUBLE,         -- weight * score
    basis VARCHAR,               -- warehouse | services.yml
    detail VARCHAR               -- where the score came from, in words
);
CREATE TABLE IF NOT EXISTS service_priorities (
    service VARCHAR PRIMARY KEY,
    department VARCHAR,
    rank INTEGER,                -- 1 = highest priority; ties broken by factor order, then name
    score DOUBLE,                -- sum of contributions, 0..1
    people_served BIGINT,        -- a year: 311 requests in the last 12 months, or configured
    people_served_basis VARCHAR, -- warehouse | services.yml
    cohort INTEGER,              -- the current or next cohort the ranking alone proposes it
                                 -- for (service_cohorts.cohort); NULL: neither
    cohort_label VARCHAR,
    cohort_start DATE,
    cohort_end DATE,             -- exclusive
    reason VARCHAR               -- plain-language reason for the rank
);
CREATE TABLE IF NOT EXISTS service_cohorts (
    cohort INTEGER PRIMARY KEY,  -- 1 = the fiscal quarter of cohorts.first_start
    cohort_label VARCHAR,        -- the fiscal quarter: 'FY2027 Q2' ('2026 Q4' in a city whose
                                 -- fiscal year is the calendar year)
    cohort_start DATE,
    cohort_end DATE,             -- exclusive
    capacity INTEGER,            -- services it can take: an assessment's, or the default
    capacity_assessed BOOLEAN,   -- true when a capacity assessment set it (services.yml)
    capacity_note VARCHAR,       -- the assessment's note
    state VARCHAR,               -- history | current | next, from the data's current date
    data_as_of DATE,             -- the data's current date the states were counted from
    services INTEGER,            -- services the ranking alone proposes (current and next)
    ranks_before INTEGER         -- ranks proposed for open cohorts before it (NULL: history)
);
CREATE TABLE IF NOT EXISTS metric_index_scores (
    metric_id VARCHAR,
    label VARCHAR,
    department VARCHAR,
    cohort_service VARCHAR,
    unit VARCHAR,
    direction VARCHAR,
    grain VARCHAR,
    period_start DATE,
    period_end DATE,
    period_label VARCHAR,
    is_complete BOOLEAN,
    value DOUBLE,
    target DOUBLE,
    status VARCHAR,
    score DOUBLE,                -- value/target (target/value when lower is better), capped;
                                 -- NULL unless the status is on_track, watch or off_track
    prior_period_label VARCHAR,  -- the complete period before (complete rows only)
    prior_value DOUBLE,
    prior_score DOUBLE,
    score_change DOUBLE          -- score - prior_score: positive is better either direction
);
CREATE TABLE IF NOT EXISTS leadership_index (
    scope VARCHAR,               -- city | department | cohort_service | cohort
    scope_name VARCHAR,          -- 'Citywide', the department, the service or the cohort label
    grain VARCHAR,
    period_start DATE,
    period_end DATE,
    period_label VARCHAR,
    is_complete BOOLEAN,
    index_value DOUBLE,          -- mean score of the metrics scored; NULL when none is
    metrics_total INTEGER,       -- metrics in scope with a value row for the period
    metrics_scored INTEGER,
    on_track INTEGER,
    watch INTEGER,
    off_track INTEGER,
    prior_period_label VARCHAR,  -- the complete period before (complete rows only)
    prior_index_value DOUBLE,
    index_change DOUBLE
);
-- Which metrics each scope's index averages in each period, and each one's share of it: the
-- drill-down from an index's move to the metrics that moved it.
CREATE TABLE IF NOT EXISTS leadership_index_members (
    scope VARCHAR,
    scope_name VARCHAR,
    grain VARCHAR,
    period_start DATE,
    period_label VARCHAR,
    is_complete BOOLEAN,
    metric_id VARCHAR,
    status VARCHAR,
    score DOUBLE,                -- NULL when the metric is not scored in the period
    contribution DOUBLE          -- score / metrics scored in scope: the index is their sum
);
CREATE TABLE IF NOT EXISTS district_gaps (
    metric_id VARCHAR,
    grain VARCHAR,
    period_start DATE,
    period_label VARCHAR,
    is_complete BOOLEAN,
    council_district VARCHAR,
    value DOUBLE,
    count BIGINT,
    status VARCHAR,
    citywide_value DOUBLE,
    reference_value DOUBLE,      -- citywide, or citywide / districts for counts
    reference_kind VARCHAR,      -- citywide | citywide_per_district
    gap DOUBLE,                  -- relative, positive = worse than the reference
    comparable BOOLEAN,          -- a rate with enough data: counts and thin districts are not
    flagged BOOLEAN,             -- comparable and gap above the threshold
    gap_threshold DOUBLE
);
CREATE TABLE IF NOT EXISTS district_centroids (
    council_district VARCHAR PRIMARY KEY,
    latitude DOUBLE,
    longitude DOUBLE,
    records BIGINT               -- located records the average is over
);
"""

CLEAR_SERVICE_TABLES_SQL = """
DELETE FROM services;
DELETE FROM service_priority_factors;
DELETE FROM service_priorities;
DELETE FROM service_cohorts;
DELETE FROM district_centroids;
"""


# A warehouse from before the cohort calendar has a service_cohorts without its state; the
# table is rebuilt whole on every run, so it is made again with today's columns.
_OLD_COHORTS_SQL = """
SELECT count(*) FROM duckdb_columns()
WHERE database_name = current_database() AND table_name = 'service_cohorts'
GROUP BY table_name HAVING count_if(column_name = 'state') = 0
"""


def create_service_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the service, priority, cohort, index, gap and centroid tables if missing."""
    if con.execute(_OLD_COHORTS_SQL).fetchone() is not None:
        con.execute("DROP TABLE service_cohorts")
    con.execute(SERVICE_DDL)
