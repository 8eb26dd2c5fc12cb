-- metric: street_defect_requests (Spark SQL)
-- Spark SQL transpiled from the DuckDB SQL with SQLGlot
-- Spark equivalent: nested WITH (DuckDB) -> one top-level WITH, each nested CTE prefixed with the CTE it belongs to, so two scopes' names cannot collide
-- Spark equivalent: HAVING over GROUPING SETS naming grouped columns (DuckDB) -> the same condition as a WHERE around the aggregate, which carries those columns under hidden names (Spark resolves such a HAVING only against the SELECT list)
-- Spark equivalent: CAST(unnest(list) AS t) (DuckDB) -> explode(transform(list, element -> CAST(element AS t))) (Spark allows no generator inside an expression)
-- Spark equivalent: strftime(d, '%G-W%V') (DuckDB) -> extract(YEAROFWEEK) and weekofyear (Spark's date_format has no week-based patterns)
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
), metric_core__source_rows AS (
  SELECT
    `opened_at` AS ts,
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
  FROM `service_requests` AS r
  WHERE
    (
      `service_name` IN (:value_4)
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
      NOT `opened_at` IS NULL
    )
    AND (
      `opened_at` <= :as_of
    )
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
      `value`,
      `numerator`,
      `denominator`,
      `count`
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
          WHEN GROUPING(`d_council_district`) = 0
          THEN 'council_district'
          WHEN GROUPING(`d_zip`) = 0
          THEN 'zip'
          ELSE 'citywide'
        END AS dimension,
        CASE
          WHEN GROUPING(`d_council_district`) = 0
          THEN `d_council_district`
          WHEN GROUPING(`d_zip`) = 0
          THEN `d_zip`
          ELSE 'Citywide'
        END AS dimension_value,
        CAST(COUNT(*) AS DOUBLE) AS value,
        CAST(NULL AS DOUBLE) AS numerator,
        CAST(NULL AS DOUBLE) AS denominator,
        COUNT(*) AS count,
        GROUPING(`d_council_district`) AS `_having_1`,
        `d_council_district` AS `_having_2`,
        GROUPING(`d_zip`) AS `_having_3`,
        `d_zip` AS `_having_4`
      FROM metric_core__periods AS periods
      GROUP BY
        GROUPING SETS (
          (
            `p_week`
          ),
          (`p_week`, `d_council_district`),
          (`p_week`, `d_zip`),
          (
            `p_month`
          ),
          (`p_month`, `d_council_district`),
          (`p_month`, `d_zip`),
          (
            `p_quarter`
          ),
          (`p_quarter`, `d_council_district`),
          (`p_quarter`, `d_zip`),
          (
            `p_fiscal_year`
          ),
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
      )
  ) AS computed_once
  WHERE
    RAND() >= 0
), metric_core__data_span AS (
  SELECT
    *
  FROM (
    SELECT
      MIN(`opened_at`) AS first_ts
    FROM `service_requests`
    WHERE
      `opened_at` <= :as_of
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
  FROM metric_core__grouped AS grouped
  UNION
  SELECT
    'citywide',
    'Citywide'
), metric_core AS (
  SELECT
    s.grain,
    s.period_start,
    m.dimension,
    m.dimension_value,
    COALESCE(g.value, 0) AS value,
    g.numerator,
    g.denominator,
    COALESCE(g.count, 0) AS count
  FROM metric_core__spine AS s
  CROSS JOIN metric_core__members AS m
  LEFT JOIN metric_core__grouped AS g
    USING (grain, period_start, dimension, dimension_value)
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
--   :table_1 = 'service_requests'
--   :needed_2 = 'opened_at'
--   :needed_3 = 'service_name'
--   :value_4 = 'Street Defect'
--   :dimension_council_district = 'council_district'
--   :dimension_zip = 'zip'
--   :metric_id = 'street_defect_requests'
