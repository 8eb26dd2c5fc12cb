-- metric: illegal_dumping_backlog
WITH metric_core AS (
    WITH missing_columns AS (
        SELECT DISTINCT source, column_name FROM source_columns
        WHERE canonical_table = $table_1 AND NOT mapped AND source IS NOT NULL
    ),
    left_out_sources AS (
        SELECT DISTINCT source FROM missing_columns
        WHERE column_name IN ($needed_2, $needed_3, $needed_4)
    ),
    record_versions AS (
        WITH revised AS (
            SELECT source, "request_id" FROM "service_requests_versions" GROUP BY ALL HAVING count(*) > 1
        )
        SELECT "request_id", "source", "opened_at", "closed_at", "service_name", "status", "council_district", "zip", version_at, run_id,
            CASE WHEN row_number() OVER w = 1 THEN NULL ELSE version_at END AS valid_from,
            lead(version_at) OVER w AS valid_to
        FROM "service_requests_versions" AS v SEMI JOIN revised AS r ON v.source IS NOT DISTINCT FROM r.source AND v."request_id" = r."request_id"
        WINDOW w AS (PARTITION BY source, "request_id" ORDER BY version_at NULLS FIRST, run_id)
        UNION ALL BY NAME
        SELECT "request_id", "source", "opened_at", "closed_at", "service_name", "status", "council_district", "zip", version_at, run_id, CAST(NULL AS TIMESTAMP) AS valid_from, CAST(NULL AS TIMESTAMP) AS valid_to
        FROM "service_requests_versions" AS v ANTI JOIN revised AS r ON v.source IS NOT DISTINCT FROM r.source AND v."request_id" = r."request_id"
        UNION ALL BY NAME
        SELECT "request_id", "source", "opened_at", "closed_at", "service_name", "status", "council_district", "zip", CAST(NULL AS TIMESTAMP) AS valid_from, CAST(NULL AS TIMESTAMP) AS valid_to
        FROM "service_requests" AS c
        WHERE NOT EXISTS (SELECT 1 FROM "service_requests_versions" AS v
            WHERE v.source IS NOT DISTINCT FROM c.source AND v."request_id" = c."request_id")
    ),
    backlog_rows AS (
        SELECT
            greatest("opened_at", valid_from - INTERVAL 1 MICROSECOND) AS entered_at,
            least(CASE WHEN status IN ($waiting_7) THEN NULL ELSE "closed_at" END, valid_to - INTERVAL 1 MICROSECOND) AS left_at,
            "opened_at" AS started_at,
            CASE WHEN source IN (SELECT source FROM missing_columns WHERE column_name = $dimension_council_district) THEN NULL
                ELSE COALESCE(CAST("council_district" AS VARCHAR), 'Unknown') END AS "d_council_district",
            CASE WHEN source IN (SELECT source FROM missing_columns WHERE column_name = $dimension_zip) THEN NULL
                ELSE COALESCE(CAST("zip" AS VARCHAR), 'Unknown') END AS "d_zip"
        FROM record_versions AS r
        WHERE ("service_name" IN ($value_5))
          AND ("opened_at" IS NOT NULL)
          AND (NOT EXISTS (SELECT 1 FROM left_out_sources AS l WHERE l.source = r.source))
          AND (status IS NULL OR status NOT IN ($withdrawn_6))
          AND (status IN ($waiting_7) OR "closed_at" IS NOT NULL)
    ),
    stints AS (
        SELECT * FROM backlog_rows
        WHERE left_at IS NULL OR left_at > entered_at
    ),
    events AS (
        SELECT entered_at AS ts, 1 AS delta, "d_council_district", "d_zip" FROM stints
        UNION ALL
        SELECT left_at AS ts, -1 AS delta, "d_council_district", "d_zip" FROM stints
        WHERE left_at IS NOT NULL
    ),
    source_rows AS (
        SELECT * FROM events WHERE ts <= $as_of
    ),
    periods AS (
        SELECT *,
            date_trunc('week', ts) AS "p_week",
            date_trunc('month', ts) AS "p_month",
            date_trunc('quarter', ts) AS "p_quarter",
            (date_trunc('year', ts - INTERVAL 6 MONTH) + INTERVAL 6 MONTH) AS "p_fiscal_year"
        FROM source_rows
    ),
    grouped AS (
        SELECT
            CASE
                WHEN GROUPING("p_week") = 0 THEN 'week'
                WHEN GROUPING("p_month") = 0 THEN 'month'
                WHEN GROUPING("p_quarter") = 0 THEN 'quarter'
                WHEN GROUPING("p_fiscal_year") = 0 THEN 'fiscal_year'
            END AS grain,
            CAST(COALESCE("p_week", "p_month", "p_quarter", "p_fiscal_year") AS DATE) AS period_start,
            CASE
                WHEN GROUPING("d_council_district") = 0 THEN 'council_district'
                WHEN GROUPING("d_zip") = 0 THEN 'zip'
                ELSE 'citywide'
            END AS dimension,
            CASE
                WHEN GROUPING("d_council_district") = 0 THEN "d_council_district"
                WHEN GROUPING("d_zip") = 0 THEN "d_zip"
                ELSE 'Citywide'
            END AS dimension_value,
            sum(delta) AS change
        FROM periods
        GROUP BY GROUPING SETS (
            ("p_week"),
            ("p_week", "d_council_district"),
            ("p_week", "d_zip"),
            ("p_month"),
            ("p_month", "d_council_district"),
            ("p_month", "d_zip"),
            ("p_quarter"),
            ("p_quarter", "d_council_district"),
            ("p_quarter", "d_zip"),
            ("p_fiscal_year"),
            ("p_fiscal_year", "d_council_district"),
            ("p_fiscal_year", "d_zip")
        )
        HAVING NOT ((GROUPING("d_council_district") = 0 AND "d_council_district" IS NULL) OR (GROUPING("d_zip") = 0 AND "d_zip" IS NULL))
    ),
    data_span AS (
        SELECT min("opened_at") AS first_ts FROM "service_requests" WHERE "opened_at" <= $as_of
    ),
    spine AS (
        SELECT 'week' AS grain, CAST(unnest(generate_series(
            COALESCE(CAST(first_period AS TIMESTAMP), date_trunc('week', first_ts)),
            date_trunc('week', CAST($as_of AS TIMESTAMP)),
            INTERVAL 7 DAY
        )) AS DATE) AS period_start
        FROM (SELECT min(period_start) AS first_period FROM grouped WHERE grain = 'week') AS f, data_span
        UNION ALL
        SELECT 'month' AS grain, CAST(unnest(generate_series(
            COALESCE(CAST(first_period AS TIMESTAMP), date_trunc('month', first_ts)),
            date_trunc('month', CAST($as_of AS TIMESTAMP)),
            INTERVAL 1 MONTH
        )) AS DATE) AS period_start
        FROM (SELECT min(period_start) AS first_period FROM grouped WHERE grain = 'month') AS f, data_span
        UNION ALL
        SELECT 'quarter' AS grain, CAST(unnest(generate_series(
            COALESCE(CAST(first_period AS TIMESTAMP), date_trunc('quarter', first_ts)),
            date_trunc('quarter', CAST($as_of AS TIMESTAMP)),
            INTERVAL 3 MONTH
        )) AS DATE) AS period_start
        FROM (SELECT min(period_start) AS first_period FROM grouped WHERE grain = 'quarter') AS f, data_span
        UNION ALL
        SELECT 'fiscal_year' AS grain, CAST(unnest(generate_series(
            COALESCE(CAST(first_period AS TIMESTAMP), (date_trunc('year', first_ts - INTERVAL 6 MONTH) + INTERVAL 6 MONTH)),
            (date_trunc('year', CAST($as_of AS TIMESTAMP) - INTERVAL 6 MONTH) + INTERVAL 6 MONTH),
            INTERVAL 1 YEAR
        )) AS DATE) AS period_start
        FROM (SELECT min(period_start) AS first_period FROM grouped WHERE grain = 'fiscal_year') AS f, data_span
    ),
    members AS (
        SELECT DISTINCT dimension, dimension_value FROM grouped
        UNION
        SELECT 'citywide', 'Citywide'
    )
    SELECT grain, period_start, dimension, dimension_value,
        CAST(running AS DOUBLE) AS value, CAST(NULL AS DOUBLE) AS numerator,
        CAST(NULL AS DOUBLE) AS denominator, CAST(running AS BIGINT) AS count
    FROM (
        SELECT s.grain, s.period_start, m.dimension, m.dimension_value,
            sum(COALESCE(g.change, 0)) OVER (
                PARTITION BY s.grain, m.dimension, m.dimension_value
                ORDER BY s.period_start ROWS UNBOUNDED PRECEDING
            ) AS running
        FROM spine AS s
        CROSS JOIN members AS m
        LEFT JOIN grouped AS g USING (grain, period_start, dimension, dimension_value)
    ) AS backlog
),
history_target AS (
    SELECT c.grain, c.period_start, c.dimension, c.dimension_value, avg(h.value ORDER BY h.period_start) - stddev_samp(h.value ORDER BY h.period_start) AS target
    FROM metric_core AS c
    JOIN metric_core AS h
        ON h.grain = c.grain AND h.dimension = c.dimension
        AND h.dimension_value = c.dimension_value
        AND h.period_start >= c.period_start - INTERVAL 1 YEAR
        AND h.period_start < c.period_start
        AND c.dimension = 'citywide'
    GROUP BY ALL
),
with_target AS (
    SELECT c.*, t.target
    FROM metric_core AS c
    LEFT JOIN history_target AS t USING (grain, period_start, dimension, dimension_value)
),
labelled AS (
    SELECT *,
        CASE grain
            WHEN 'week' THEN CAST(period_start + INTERVAL 7 DAY AS DATE)
            WHEN 'month' THEN CAST(period_start + INTERVAL 1 MONTH AS DATE)
            WHEN 'quarter' THEN CAST(period_start + INTERVAL 3 MONTH AS DATE)
            WHEN 'fiscal_year' THEN CAST(period_start + INTERVAL 1 YEAR AS DATE)
        END AS period_end,
        CASE grain
            WHEN 'week' THEN strftime(period_start, '%G-W%V')
            WHEN 'month' THEN strftime(period_start, '%Y-%m')
            WHEN 'quarter' THEN ('FY' || CAST(year((period_start - INTERVAL 6 MONTH)) + 1 AS VARCHAR) || ' Q' || CAST(quarter((period_start - INTERVAL 6 MONTH)) AS VARCHAR))
            WHEN 'fiscal_year' THEN ('FY' || CAST(year((period_start - INTERVAL 6 MONTH)) + 1 AS VARCHAR))
        END AS period_label
    FROM with_target
)
SELECT
    $metric_id AS metric_id,
    grain,
    period_start,
    period_end,
    period_label,
    period_end <= CAST($as_of AS DATE) AS is_complete,
    dimension,
    dimension_value,
    CAST(value AS DOUBLE) AS value,
    numerator,
    denominator,
    CAST(count AS BIGINT) AS count,
    target,
    CASE
            WHEN target IS NULL THEN 'no_target'
            WHEN value IS NULL THEN 'too_little_data'
            WHEN value <= target THEN 'on_track'
            WHEN value <= target + abs(target) * $watch_band THEN 'watch'
            ELSE 'off_track'
        END AS status
FROM labelled
ORDER BY grain, period_start, dimension, dimension_value

-- parameters:
--   $as_of = <the data's as-of timestamp, supplied at run time>
--   $table_1 = 'service_requests'
--   $needed_2 = 'opened_at'
--   $needed_3 = 'closed_at'
--   $needed_4 = 'service_name'
--   $value_5 = 'Illegal Dumping'
--   $withdrawn_6 = 'cancelled'
--   $waiting_7 = 'open'
--   $dimension_council_district = 'council_district'
--   $dimension_zip = 'zip'
--   $metric_id = 'illegal_dumping_backlog'
--   $watch_band = 0.0
