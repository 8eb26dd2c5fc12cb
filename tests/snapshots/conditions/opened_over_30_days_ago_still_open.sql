-- metric: opened_over_30_days_ago_still_open
WITH metric_core AS (
    WITH missing_columns AS (
        SELECT DISTINCT source, column_name FROM source_columns
        WHERE canonical_table = $table_1 AND NOT mapped AND source IS NOT NULL
    ),
    left_out_sources AS (
        SELECT DISTINCT source FROM missing_columns
        WHERE column_name IN ($needed_2, $needed_3)
    ),
    source_rows AS (
        SELECT
            "opened_at" AS ts
        FROM "service_requests" AS r
        WHERE ("status" = $value_4 AND "opened_at" < CAST($as_of AS TIMESTAMP) + to_days(CAST($days_5 AS INTEGER)))
          AND (NOT EXISTS (SELECT 1 FROM left_out_sources AS l WHERE l.source = r.source))
          AND ("opened_at" IS NOT NULL)
          AND ("opened_at" <= $as_of)
    ),
    periods AS (
        SELECT *,
            date_trunc('month', ts) AS "p_month"
        FROM source_rows
    ),
    grouped AS (
        SELECT
            CASE
                WHEN GROUPING("p_month") = 0 THEN 'month'
            END AS grain,
            CAST(COALESCE("p_month") AS DATE) AS period_start,
            'citywide' AS dimension,
            'Citywide' AS dimension_value,
            CAST(count(*) AS DOUBLE) AS value,
            CAST(NULL AS DOUBLE) AS numerator,
            CAST(NULL AS DOUBLE) AS denominator,
            count(*) AS count
        FROM periods
        GROUP BY GROUPING SETS (
            ("p_month")
        )
    ),
    data_span AS (
        SELECT min("opened_at") AS first_ts FROM "service_requests" WHERE "opened_at" <= $as_of
    ),
    spine AS (
        SELECT 'month' AS grain, CAST(unnest(generate_series(
            COALESCE(CAST(first_period AS TIMESTAMP), date_trunc('month', first_ts)),
            date_trunc('month', CAST($as_of AS TIMESTAMP)),
            INTERVAL 1 MONTH
        )) AS DATE) AS period_start
        FROM (SELECT min(period_start) AS first_period FROM grouped WHERE grain = 'month') AS f, data_span
    ),
    members AS (
        SELECT DISTINCT dimension, dimension_value FROM grouped
        UNION
        SELECT 'citywide', 'Citywide'
    )
    SELECT s.grain, s.period_start, m.dimension, m.dimension_value,
        COALESCE(g.value, 0) AS value, g.numerator, g.denominator,
        COALESCE(g.count, 0) AS count
    FROM spine AS s
    CROSS JOIN members AS m
    LEFT JOIN grouped AS g USING (grain, period_start, dimension, dimension_value)
),
labelled AS (
    SELECT *,
        CASE grain
            WHEN 'month' THEN CAST(period_start + INTERVAL 1 MONTH AS DATE)
        END AS period_end,
        CASE grain
            WHEN 'month' THEN strftime(period_start, '%Y-%m')
        END AS period_label
    FROM metric_core
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
    CAST(NULL AS DOUBLE) AS target,
    'no_target' AS status
FROM labelled
ORDER BY grain, period_start, dimension, dimension_value

-- parameters:
--   $as_of = <the data's as-of timestamp, supplied at run time>
--   $table_1 = 'service_requests'
--   $needed_2 = 'opened_at'
--   $needed_3 = 'status'
--   $value_4 = 'open'
--   $days_5 = -30
--   $metric_id = 'opened_over_30_days_ago_still_open'
