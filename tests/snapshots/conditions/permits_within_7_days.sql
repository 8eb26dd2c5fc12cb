-- metric: permits_within_7_days
WITH metric_core AS (
    WITH missing_columns AS (
        SELECT DISTINCT source, column_name FROM source_columns
        WHERE canonical_table = $table_1 AND NOT mapped AND source IS NOT NULL
    ),
    left_out_sources AS (
        SELECT DISTINCT source FROM missing_columns
        WHERE column_name IN ($needed_2, $needed_3, $needed_4)
    ),
    source_rows AS (
        SELECT
            "applied_at" AS ts,
            COALESCE("issued_at" <= "applied_at" + to_days(CAST($days_7 AS INTEGER)), FALSE) AS is_success
        FROM "permits" AS r
        WHERE (NOT EXISTS (SELECT 1 FROM left_out_sources AS l WHERE l.source = r.source))
          AND ("applied_at" IS NOT NULL AND "status" NOT IN ($value_5) AND ("issued_at" IS NOT NULL OR "applied_at" < CAST($as_of AS TIMESTAMP) + to_days(CAST($days_6 AS INTEGER))))
          AND ("applied_at" IS NOT NULL)
          AND ("applied_at" <= $as_of)
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
            count(*) FILTER (WHERE is_success) / count(*) AS value,
            CAST(count(*) FILTER (WHERE is_success) AS DOUBLE) AS numerator,
            CAST(count(*) AS DOUBLE) AS denominator,
            count(*) AS count
        FROM periods
        GROUP BY GROUPING SETS (
            ("p_month")
        )
    ),
    data_span AS (
        SELECT min("applied_at") AS first_ts FROM "permits" WHERE "applied_at" <= $as_of
    ),
    spine AS (
        SELECT 'month' AS grain, CAST(unnest(generate_series(
            COALESCE(CAST(first_period AS TIMESTAMP), date_trunc('month', first_ts)),
            date_trunc('month', CAST($as_of AS TIMESTAMP)),
            INTERVAL 1 MONTH
        )) AS DATE) AS period_start
        FROM (SELECT min(period_start) AS first_period FROM grouped WHERE grain = 'month') AS f, data_span
    )
    SELECT * FROM grouped
    UNION ALL BY NAME
    SELECT grain, period_start, 'citywide' AS dimension, 'Citywide' AS dimension_value,
        CAST(NULL AS DOUBLE) AS value, CAST(0 AS DOUBLE) AS numerator, CAST(0 AS DOUBLE) AS denominator,
        CAST(0 AS BIGINT) AS count
    FROM spine WHERE NOT EXISTS (SELECT 1 FROM grouped)
),
targets AS (
    SELECT * FROM (VALUES
        (CAST($target_1_from AS DATE), CAST($target_1_value AS DOUBLE), CAST(NULL AS VARCHAR))
    ) AS t(target_from, target_value, target_grain)
),
with_target AS (
    SELECT c.*, t.target_value AS target
    FROM metric_core AS c
    LEFT JOIN targets AS t
        ON t.target_from <= c.period_start
        AND (t.target_grain IS NULL OR t.target_grain = c.grain)
    QUALIFY row_number() OVER (
        PARTITION BY c.grain, c.period_start, c.dimension, c.dimension_value
        ORDER BY t.target_from DESC NULLS LAST, t.target_grain NULLS LAST
    ) = 1
),
labelled AS (
    SELECT *,
        CASE grain
            WHEN 'month' THEN CAST(period_start + INTERVAL 1 MONTH AS DATE)
        END AS period_end,
        CASE grain
            WHEN 'month' THEN strftime(period_start, '%Y-%m')
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
            WHEN COALESCE(denominator, 0) < $min_count THEN 'too_little_data'
            WHEN value IS NULL THEN 'too_little_data'
            WHEN value >= target THEN 'on_track'
            WHEN value >= target - abs(target) * $watch_band THEN 'watch'
            ELSE 'off_track'
        END AS status
FROM labelled
ORDER BY grain, period_start, dimension, dimension_value

-- parameters:
--   $as_of = <the data's as-of timestamp, supplied at run time>
--   $table_1 = 'permits'
--   $needed_2 = 'applied_at'
--   $needed_3 = 'issued_at'
--   $needed_4 = 'status'
--   $value_5 = 'cancelled'
--   $days_6 = -7
--   $days_7 = 7
--   $target_1_from = datetime.date(2024, 1, 1)
--   $target_1_value = 0.8
--   $metric_id = 'permits_within_7_days'
--   $min_count = 1
--   $watch_band = 0.0
