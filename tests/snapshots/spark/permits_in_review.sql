-- metric: permits_in_review (Spark SQL)
-- Spark SQL transpiled from the DuckDB SQL with SQLGlot
-- Spark equivalent: nested WITH (DuckDB) -> one top-level WITH, each nested CTE prefixed with the CTE it belongs to, so two scopes' names cannot collide
-- Spark equivalent: UNION ALL BY NAME (DuckDB) -> UNION ALL with every branch's columns in the first branch's order, NULL where a branch lacks one (Spark SQL has no BY NAME)
-- Spark equivalent: HAVING over GROUPING SETS naming grouped columns (DuckDB) -> the same condition as a WHERE around the aggregate, which carries those columns under hidden names (Spark resolves such a HAVING only against the SELECT list)
-- Spark equivalent: CAST(unnest(list) AS t) (DuckDB) -> explode(transform(list, element -> CAST(element AS t))) (Spark allows no generator inside an expression)
-- Spark equivalent: strftime(d, '%G-W%V') (DuckDB) -> extract(YEAROFWEEK) and weekofyear (Spark's date_format has no week-based patterns)
-- Spark equivalent: to_days(n) (DuckDB) -> make_dt_interval(n) (an interval of n days)
-- Spark equivalent: a CTE read more than once -> the same CTE under a filter no row fails, RAND() >= 0 (Spark inlines a deterministic CTE into every place that reads it and computes it that many times; a non-deterministic one it computes once and reuses)
WITH metric_core__missing_columns AS (
  SELECT
    *
  FROM (
    SELECT DISTINCT
      source,
      column_name
    FROM source_columns
    WHERE
      canonical_table = :table_1 AND NOT mapped AND NOT source IS NULL
  ) AS computed_once
  WHERE
    RAND() >= 0
), metric_core__left_out_sources AS (
  SELECT DISTINCT
    source
  FROM metric_core__missing_columns AS missing_columns
  WHERE
    column_name IN (:needed_2, :needed_3)
), record_versions__revised AS (
  SELECT
    *
  FROM (
    SELECT
      source,
      `permit_id`
    FROM `permits_versions`
    GROUP BY ALL
    HAVING
      COUNT(*) > 1
  ) AS computed_once
  WHERE
    RAND() >= 0
), metric_core__record_versions AS (
  SELECT
    `permit_id`,
    `source`,
    `applied_at`,
    `issued_at`,
    `completed_at`,
    `status`,
    `permit_type`,
    `council_district`,
    `zip`,
    version_at,
    run_id,
    CASE WHEN ROW_NUMBER() OVER w = 1 THEN NULL ELSE version_at END AS valid_from,
    LEAD(version_at) OVER w AS valid_to
  FROM `permits_versions` AS v
  SEMI JOIN record_versions__revised AS r
    ON v.source IS NOT DISTINCT FROM r.source AND v.`permit_id` = r.`permit_id`
  WINDOW w AS (PARTITION BY source, `permit_id` ORDER BY version_at, run_id NULLS LAST)
  UNION ALL
  SELECT
    `permit_id`,
    `source`,
    `applied_at`,
    `issued_at`,
    `completed_at`,
    `status`,
    `permit_type`,
    `council_district`,
    `zip`,
    version_at,
    run_id,
    CAST(NULL AS TIMESTAMP_NTZ) AS valid_from,
    CAST(NULL AS TIMESTAMP_NTZ) AS valid_to
  FROM `permits_versions` AS v
  ANTI JOIN record_versions__revised AS r
    ON v.source IS NOT DISTINCT FROM r.source AND v.`permit_id` = r.`permit_id`
  UNION ALL
  SELECT
    `permit_id`,
    `source`,
    `applied_at`,
    `issued_at`,
    `completed_at`,
    `status`,
    `permit_type`,
    `council_district`,
    `zip`,
    NULL AS `version_at`,
    NULL AS `run_id`,
    CAST(NULL AS TIMESTAMP_NTZ) AS valid_from,
    CAST(NULL AS TIMESTAMP_NTZ) AS valid_to
  FROM `permits` AS c
  WHERE
    NOT EXISTS(
      SELECT
        1
      FROM `permits_versions` AS v
      WHERE
        v.source IS NOT DISTINCT FROM c.source AND v.`permit_id` = c.`permit_id`
    )
), metric_core__backlog_rows AS (
  SELECT
    GREATEST(`applied_at`, valid_from - INTERVAL '1' MICROSECOND) AS entered_at,
    LEAST(
      CASE
        WHEN NOT `issued_at` IS NULL
        THEN `issued_at`
        WHEN status IN (:waiting_5)
        THEN NULL
        ELSE `completed_at`
      END,
      valid_to - INTERVAL '1' MICROSECOND
    ) AS left_at,
    `applied_at` AS started_at,
    CASE
      WHEN source IN (
        SELECT
          source
        FROM metric_core__missing_columns AS missing_columns
        WHERE
          column_name = :dimension_permit_type
      )
      THEN NULL
      ELSE COALESCE(CAST(`permit_type` AS STRING), 'Unknown')
    END AS `d_permit_type`,
    CASE
      WHEN source IN (
        SELECT
          source
        FROM metric_core__missing_columns AS missing_columns
        WHERE
          column_name = :dimension_council_district
      )
      THEN NULL
      ELSE COALESCE(CAST(`council_district` AS STRING), 'Unknown')
    END AS `d_council_district`,
    CASE
      WHEN source IN (
        SELECT
          source
        FROM metric_core__missing_columns AS missing_columns
        WHERE
          column_name = :dimension_zip
      )
      THEN NULL
      ELSE COALESCE(CAST(`zip` AS STRING), 'Unknown')
    END AS `d_zip`
  FROM metric_core__record_versions AS r
  WHERE
    (
      NOT `applied_at` IS NULL
    )
    AND (
      NOT EXISTS(
        SELECT
          1
        FROM metric_core__left_out_sources AS l
        WHERE
          l.source = r.source
      )
    )
    AND (
      status IS NULL OR NOT status IN (:withdrawn_4)
    )
    AND (
      status IN (:waiting_5) OR NOT COALESCE(`issued_at`, `completed_at`) IS NULL
    )
), metric_core__stints AS (
  SELECT
    *
  FROM (
    SELECT
      *
    FROM metric_core__backlog_rows AS backlog_rows
    WHERE
      left_at IS NULL OR left_at > entered_at
  ) AS computed_once
  WHERE
    RAND() >= 0
), metric_core__events AS (
  SELECT
    entered_at AS ts,
    1 AS delta,
    `d_permit_type`,
    `d_council_district`,
    `d_zip`
  FROM metric_core__stints AS stints
  UNION ALL
  SELECT
    left_at AS ts,
    -1 AS delta,
    `d_permit_type`,
    `d_council_district`,
    `d_zip`
  FROM metric_core__stints AS stints
  WHERE
    NOT left_at IS NULL
), metric_core__source_rows AS (
  SELECT
    *
  FROM metric_core__events AS events
  WHERE
    ts <= :as_of
), metric_core__periods AS (
  SELECT
    *,
    DATE_TRUNC('WEEK', ts) AS `p_week`,
    DATE_TRUNC('MONTH', ts) AS `p_month`,
    DATE_TRUNC('QUARTER', ts) AS `p_quarter`,
    (
      DATE_TRUNC('YEAR', ts - INTERVAL '6' MONTH) + INTERVAL '6' MONTH
    ) AS `p_fiscal_year`
  FROM metric_core__source_rows AS source_rows
), metric_core__grouped AS (
  SELECT
    *
  FROM (
    SELECT
      `grain`,
      `period_start`,
      `dimension`,
      `dimension_value`,
      `change`
    FROM (
      SELECT
        CASE
          WHEN GROUPING(`p_week`) = 0
          THEN 'week'
          WHEN GROUPING(`p_month`) = 0
          THEN 'month'
          WHEN GROUPING(`p_quarter`) = 0
          THEN 'quarter'
          WHEN GROUPING(`p_fiscal_year`) = 0
          THEN 'fiscal_year'
        END AS grain,
        CAST(COALESCE(`p_week`, `p_month`, `p_quarter`, `p_fiscal_year`) AS DATE) AS period_start,
        CASE
          WHEN GROUPING(`d_permit_type`) = 0
          THEN 'permit_type'
          WHEN GROUPING(`d_council_district`) = 0
          THEN 'council_district'
          WHEN GROUPING(`d_zip`) = 0
          THEN 'zip'
          ELSE 'citywide'
        END AS dimension,
        CASE
          WHEN GROUPING(`d_permit_type`) = 0
          THEN `d_permit_type`
          WHEN GROUPING(`d_council_district`) = 0
          THEN `d_council_district`
          WHEN GROUPING(`d_zip`) = 0
          THEN `d_zip`
          ELSE 'Citywide'
        END AS dimension_value,
        SUM(delta) AS change,
        GROUPING(`d_permit_type`) AS `_having_1`,
        `d_permit_type` AS `_having_2`,
        GROUPING(`d_council_district`) AS `_having_3`,
        `d_council_district` AS `_having_4`,
        GROUPING(`d_zip`) AS `_having_5`,
        `d_zip` AS `_having_6`
      FROM metric_core__periods AS periods
      GROUP BY
        GROUPING SETS (
          (
            `p_week`
          ),
          (`p_week`, `d_permit_type`),
          (`p_week`, `d_council_district`),
          (`p_week`, `d_zip`),
          (
            `p_month`
          ),
          (`p_month`, `d_permit_type`),
          (`p_month`, `d_council_district`),
          (`p_month`, `d_zip`),
          (
            `p_quarter`
          ),
          (`p_quarter`, `d_permit_type`),
          (`p_quarter`, `d_council_district`),
          (`p_quarter`, `d_zip`),
          (
            `p_fiscal_year`
          ),
          (`p_fiscal_year`, `d_permit_type`),
          (`p_fiscal_year`, `d_council_district`),
          (`p_fiscal_year`, `d_zip`)
        )
    ) AS aggregated
    WHERE
      NOT (
        (
          `_having_1` = 0 AND `_having_2` IS NULL
        )
        OR (
          `_having_3` = 0 AND `_having_4` IS NULL
        )
        OR (
          `_having_5` = 0 AND `_having_6` IS NULL
        )
      )
  ) AS computed_once
  WHERE
    RAND() >= 0
), metric_core__age_buckets AS (
  SELECT
    *
  FROM (
    SELECT
      *
    FROM VALUES
      (CAST(:age_label_9 AS STRING), CAST(:age_from_10 AS INT), CAST(:age_to_11 AS INT)),
      (
        CAST(:age_label_12 AS STRING),
        CAST(:age_from_13 AS INT),
        CAST(:age_to_14 AS INT)
      ),
      (
        CAST(:age_label_15 AS STRING),
        CAST(:age_from_16 AS INT),
        CAST(:age_to_17 AS INT)
      ),
      (CAST(:age_label_18 AS STRING), CAST(:age_from_19 AS INT), CAST(NULL AS INT)) AS b(label, from_days, to_days)
  ) AS computed_once
  WHERE
    RAND() >= 0
), metric_core__age_stints AS (
  SELECT
    *
  FROM (
    SELECT
      *
    FROM (
      SELECT
        GREATEST(
          s.entered_at,
          s.started_at + MAKE_DT_INTERVAL(b.from_days) - INTERVAL '1' MICROSECOND
        ) AS entered_at,
        LEAST(s.left_at, s.started_at + MAKE_DT_INTERVAL(b.to_days) - INTERVAL '1' MICROSECOND) AS left_at,
        b.label AS `d_age`
      FROM metric_core__stints AS s
      CROSS JOIN metric_core__age_buckets AS b
    )
    WHERE
      left_at IS NULL OR left_at > entered_at
  ) AS computed_once
  WHERE
    RAND() >= 0
), metric_core__age_rows AS (
  SELECT
    *
  FROM (
    SELECT
      entered_at AS ts,
      1 AS delta,
      `d_age`
    FROM metric_core__age_stints AS age_stints
    UNION ALL
    SELECT
      left_at AS ts,
      -1 AS delta,
      `d_age`
    FROM metric_core__age_stints AS age_stints
    WHERE
      NOT left_at IS NULL
  )
  WHERE
    ts <= :as_of
), metric_core__age_periods AS (
  SELECT
    *,
    DATE_TRUNC('WEEK', ts) AS `p_week`,
    DATE_TRUNC('MONTH', ts) AS `p_month`,
    DATE_TRUNC('QUARTER', ts) AS `p_quarter`,
    (
      DATE_TRUNC('YEAR', ts - INTERVAL '6' MONTH) + INTERVAL '6' MONTH
    ) AS `p_fiscal_year`
  FROM metric_core__age_rows AS age_rows
), metric_core__age_grouped AS (
  SELECT
    `grain`,
    `period_start`,
    `dimension`,
    `dimension_value`,
    `change`
  FROM (
    SELECT
      CASE
        WHEN GROUPING(`p_week`) = 0
        THEN 'week'
        WHEN GROUPING(`p_month`) = 0
        THEN 'month'
        WHEN GROUPING(`p_quarter`) = 0
        THEN 'quarter'
        WHEN GROUPING(`p_fiscal_year`) = 0
        THEN 'fiscal_year'
      END AS grain,
      CAST(COALESCE(`p_week`, `p_month`, `p_quarter`, `p_fiscal_year`) AS DATE) AS period_start,
      CASE WHEN GROUPING(`d_age`) = 0 THEN 'age' ELSE 'citywide' END AS dimension,
      CASE WHEN GROUPING(`d_age`) = 0 THEN `d_age` ELSE 'Citywide' END AS dimension_value,
      SUM(delta) AS change,
      GROUPING(`d_age`) AS `_having_1`,
      `d_age` AS `_having_2`
    FROM metric_core__age_periods AS age_periods
    GROUP BY
      GROUPING SETS (
        (`p_week`, `d_age`),
        (`p_month`, `d_age`),
        (`p_quarter`, `d_age`),
        (`p_fiscal_year`, `d_age`)
      )
  ) AS aggregated
  WHERE
    NOT (
      (
        `_having_1` = 0 AND `_having_2` IS NULL
      )
    )
), metric_core__all_grouped AS (
  SELECT
    *
  FROM (
    SELECT
      *
    FROM metric_core__grouped AS grouped
    UNION ALL
    SELECT
      *
    FROM metric_core__age_grouped AS age_grouped
  ) AS computed_once
  WHERE
    RAND() >= 0
), metric_core__data_span AS (
  SELECT
    *
  FROM (
    SELECT
      MIN(`applied_at`) AS first_ts
    FROM `permits`
    WHERE
      `applied_at` <= :as_of
  ) AS computed_once
  WHERE
    RAND() >= 0
), metric_core__spine AS (
  SELECT
    'week' AS grain,
    EXPLODE(
      TRANSFORM(
        SEQUENCE(
          COALESCE(CAST(first_period AS TIMESTAMP_NTZ), DATE_TRUNC('WEEK', first_ts)),
          DATE_TRUNC('WEEK', CAST(:as_of AS TIMESTAMP_NTZ)),
          INTERVAL '7' DAY
        ),
        element -> CAST(element AS DATE)
      )
    ) AS period_start
  FROM (
    SELECT
      MIN(period_start) AS first_period
    FROM metric_core__grouped AS grouped
    WHERE
      grain = 'week'
  ) AS f, metric_core__data_span AS data_span
  UNION ALL
  SELECT
    'month' AS grain,
    EXPLODE(
      TRANSFORM(
        SEQUENCE(
          COALESCE(CAST(first_period AS TIMESTAMP_NTZ), DATE_TRUNC('MONTH', first_ts)),
          DATE_TRUNC('MONTH', CAST(:as_of AS TIMESTAMP_NTZ)),
          INTERVAL '1' MONTH
        ),
        element -> CAST(element AS DATE)
      )
    ) AS period_start
  FROM (
    SELECT
      MIN(period_start) AS first_period
    FROM metric_core__grouped AS grouped
    WHERE
      grain = 'month'
  ) AS f, metric_core__data_span AS data_span
  UNION ALL
  SELECT
    'quarter' AS grain,
    EXPLODE(
      TRANSFORM(
        SEQUENCE(
          COALESCE(CAST(first_period AS TIMESTAMP_NTZ), DATE_TRUNC('QUARTER', first_ts)),
          DATE_TRUNC('QUARTER', CAST(:as_of AS TIMESTAMP_NTZ)),
          INTERVAL '3' MONTH
        ),
        element -> CAST(element AS DATE)
      )
    ) AS period_start
  FROM (
    SELECT
      MIN(period_start) AS first_period
    FROM metric_core__grouped AS grouped
    WHERE
      grain = 'quarter'
  ) AS f, metric_core__data_span AS data_span
  UNION ALL
  SELECT
    'fiscal_year' AS grain,
    EXPLODE(
      TRANSFORM(
        SEQUENCE(
          COALESCE(
            CAST(first_period AS TIMESTAMP_NTZ),
            (
              DATE_TRUNC('YEAR', first_ts - INTERVAL '6' MONTH) + INTERVAL '6' MONTH
            )
          ),
          (
            DATE_TRUNC('YEAR', CAST(:as_of AS TIMESTAMP_NTZ) - INTERVAL '6' MONTH) + INTERVAL '6' MONTH
          ),
          INTERVAL '1' YEAR
        ),
        element -> CAST(element AS DATE)
      )
    ) AS period_start
  FROM (
    SELECT
      MIN(period_start) AS first_period
    FROM metric_core__grouped AS grouped
    WHERE
      grain = 'fiscal_year'
  ) AS f, metric_core__data_span AS data_span
), metric_core__members AS (
  SELECT DISTINCT
    dimension,
    dimension_value
  FROM metric_core__all_grouped AS all_grouped
  UNION
  SELECT
    'citywide',
    'Citywide'
  UNION
  SELECT
    'age',
    label
  FROM metric_core__age_buckets AS age_buckets
), metric_core AS (
  SELECT
    grain,
    period_start,
    dimension,
    dimension_value,
    CAST(running AS DOUBLE) AS value,
    CAST(NULL AS DOUBLE) AS numerator,
    CAST(NULL AS DOUBLE) AS denominator,
    CAST(running AS BIGINT) AS count
  FROM (
    SELECT
      s.grain,
      s.period_start,
      m.dimension,
      m.dimension_value,
      SUM(COALESCE(g.change, 0)) OVER (
        PARTITION BY s.grain, m.dimension, m.dimension_value
        ORDER BY s.period_start NULLS LAST
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
      ) AS running
    FROM metric_core__spine AS s
    CROSS JOIN metric_core__members AS m
    LEFT JOIN metric_core__all_grouped AS g
      USING (grain, period_start, dimension, dimension_value)
  ) AS backlog
), labelled AS (
  SELECT
    *,
    CASE grain
      WHEN 'week'
      THEN CAST(period_start + INTERVAL '7' DAY AS DATE)
      WHEN 'month'
      THEN CAST(period_start + INTERVAL '1' MONTH AS DATE)
      WHEN 'quarter'
      THEN CAST(period_start + INTERVAL '3' MONTH AS DATE)
      WHEN 'fiscal_year'
      THEN CAST(period_start + INTERVAL '1' YEAR AS DATE)
    END AS period_end,
    CASE grain
      WHEN 'week'
      THEN CAST(EXTRACT(YEAROFWEEK FROM period_start) AS STRING) || '-W' || LPAD(CAST(WEEKOFYEAR(period_start) AS STRING), 2, '0')
      WHEN 'month'
      THEN DATE_FORMAT(period_start, 'yyyy-MM')
      WHEN 'quarter'
      THEN (
        'FY' || CAST(YEAR((
          period_start - INTERVAL '6' MONTH
        )) + 1 AS STRING) || ' Q' || CAST(QUARTER((
          period_start - INTERVAL '6' MONTH
        )) AS STRING)
      )
      WHEN 'fiscal_year'
      THEN (
        'FY' || CAST(YEAR((
          period_start - INTERVAL '6' MONTH
        )) + 1 AS STRING)
      )
    END AS period_label
  FROM metric_core
)
SELECT
  :metric_id AS metric_id,
  grain,
  period_start,
  period_end,
  period_label,
  period_end <= CAST(:as_of AS DATE) AS is_complete,
  dimension,
  dimension_value,
  CAST(value AS DOUBLE) AS value,
  numerator,
  denominator,
  CAST(count AS BIGINT) AS count,
  CAST(NULL AS DOUBLE) AS target,
  'no_target' AS status
FROM labelled
ORDER BY
  grain NULLS LAST,
  period_start NULLS LAST,
  dimension NULLS LAST,
  dimension_value NULLS LAST

-- parameters:
--   :as_of = <the data's as-of timestamp, supplied at run time>
--   :table_1 = 'permits'
--   :needed_2 = 'applied_at'
--   :needed_3 = 'issued_at'
--   :withdrawn_4 = 'cancelled'
--   :waiting_5 = 'in_review'
--   :dimension_permit_type = 'permit_type'
--   :dimension_council_district = 'council_district'
--   :dimension_zip = 'zip'
--   :age_label_9 = '0-29 days'
--   :age_from_10 = 0
--   :age_to_11 = 30
--   :age_label_12 = '30-59 days'
--   :age_from_13 = 30
--   :age_to_14 = 60
--   :age_label_15 = '60-89 days'
--   :age_from_16 = 60
--   :age_to_17 = 90
--   :age_label_18 = '90+ days'
--   :age_from_19 = 90
--   :metric_id = 'permits_in_review'
