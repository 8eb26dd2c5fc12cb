-- metric: cohort_closed_per_opened (Spark SQL)
-- Spark SQL transpiled from the DuckDB SQL with SQLGlot
-- Spark equivalent: nested WITH (DuckDB) -> one top-level WITH, each nested CTE prefixed with the CTE it belongs to, so two scopes' names cannot collide
-- Spark equivalent: HAVING over GROUPING SETS naming grouped columns (DuckDB) -> the same condition as a WHERE around the aggregate, which carries those columns under hidden names (Spark resolves such a HAVING only against the SELECT list)
-- Spark equivalent: CAST(unnest(list) AS t) (DuckDB) -> explode(transform(list, element -> CAST(element AS t))) (Spark allows no generator inside an expression)
-- Spark equivalent: strftime(d, '%G-W%V') (DuckDB) -> extract(YEAROFWEEK) and weekofyear (Spark's date_format has no week-based patterns)
-- Spark equivalent: a CTE read more than once -> the same CTE under a filter no row fails, RAND() >= 0 (Spark inlines a deterministic CTE into every place that reads it and computes it that many times; a non-deterministic one it computes once and reuses)
WITH numerator_values__missing_columns AS (
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
), numerator_values__left_out_sources AS (
  SELECT DISTINCT
    source
  FROM numerator_values__missing_columns AS missing_columns
  WHERE
    column_name IN (:needed_2, :needed_3, :needed_4)
), numerator_values__source_rows AS (
  SELECT
    `closed_at` AS ts,
    CASE
      WHEN source IN (
        SELECT
          source
        FROM numerator_values__missing_columns AS missing_columns
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
        FROM numerator_values__missing_columns AS missing_columns
        WHERE
          column_name = :dimension_zip
      )
      THEN NULL
      ELSE COALESCE(CAST(`zip` AS STRING), 'Unknown')
    END AS `d_zip`
  FROM `service_requests` AS r
  WHERE
    (
      `service_name` IN (:value_5, :value_6, :value_7, :value_8, :value_9, :value_10)
      AND `status` = :value_11
    )
    AND (
      NOT EXISTS(
        SELECT
          1
        FROM numerator_values__left_out_sources AS l
        WHERE
          l.source = r.source
      )
    )
    AND (
      NOT `closed_at` IS NULL
    )
    AND (
      `closed_at` <= :as_of
    )
), numerator_values__periods AS (
  SELECT
    *,
    DATE_TRUNC('WEEK', ts) AS `p_week`,
    DATE_TRUNC('MONTH', ts) AS `p_month`,
    DATE_TRUNC('QUARTER', ts) AS `p_quarter`,
    (
      DATE_TRUNC('YEAR', ts - INTERVAL '6' MONTH) + INTERVAL '6' MONTH
    ) AS `p_fiscal_year`
  FROM numerator_values__source_rows AS source_rows
), numerator_values__grouped AS (
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
      FROM numerator_values__periods AS periods
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
), numerator_values__data_span AS (
  SELECT
    *
  FROM (
    SELECT
      MIN(`closed_at`) AS first_ts
    FROM `service_requests`
    WHERE
      `closed_at` <= :as_of
  ) AS computed_once
  WHERE
    RAND() >= 0
), numerator_values__spine AS (
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
    FROM numerator_values__grouped AS grouped
    WHERE
      grain = 'week'
  ) AS f, numerator_values__data_span AS data_span
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
    FROM numerator_values__grouped AS grouped
    WHERE
      grain = 'month'
  ) AS f, numerator_values__data_span AS data_span
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
    FROM numerator_values__grouped AS grouped
    WHERE
      grain = 'quarter'
  ) AS f, numerator_values__data_span AS data_span
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
    FROM numerator_values__grouped AS grouped
    WHERE
      grain = 'fiscal_year'
  ) AS f, numerator_values__data_span AS data_span
), numerator_values__members AS (
  SELECT DISTINCT
    dimension,
    dimension_value
  FROM numerator_values__grouped AS grouped
  UNION
  SELECT
    'citywide',
    'Citywide'
), metric_core__numerator_values AS (
  SELECT
    s.grain,
    s.period_start,
    m.dimension,
    m.dimension_value,
    COALESCE(g.value, 0) AS value,
    g.numerator,
    g.denominator,
    COALESCE(g.count, 0) AS count
  FROM numerator_values__spine AS s
  CROSS JOIN numerator_values__members AS m
  LEFT JOIN numerator_values__grouped AS g
    USING (grain, period_start, dimension, dimension_value)
), denominator_values__missing_columns AS (
  SELECT
    *
  FROM (
    SELECT DISTINCT
      source,
      column_name
    FROM source_columns
    WHERE
      canonical_table = :table_14 AND NOT mapped AND NOT source IS NULL
  ) AS computed_once
  WHERE
    RAND() >= 0
), denominator_values__left_out_sources AS (
  SELECT DISTINCT
    source
  FROM denominator_values__missing_columns AS missing_columns
  WHERE
    column_name IN (:needed_15, :needed_16)
), denominator_values__source_rows AS (
  SELECT
    `opened_at` AS ts,
    CASE
      WHEN source IN (
        SELECT
          source
        FROM denominator_values__missing_columns AS missing_columns
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
        FROM denominator_values__missing_columns AS missing_columns
        WHERE
          column_name = :dimension_zip
      )
      THEN NULL
      ELSE COALESCE(CAST(`zip` AS STRING), 'Unknown')
    END AS `d_zip`
  FROM `service_requests` AS r
  WHERE
    (
      `service_name` IN (:value_17, :value_18, :value_19, :value_20, :value_21, :value_22)
    )
    AND (
      NOT EXISTS(
        SELECT
          1
        FROM denominator_values__left_out_sources AS l
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
), denominator_values__periods AS (
  SELECT
    *,
    DATE_TRUNC('WEEK', ts) AS `p_week`,
    DATE_TRUNC('MONTH', ts) AS `p_month`,
    DATE_TRUNC('QUARTER', ts) AS `p_quarter`,
    (
      DATE_TRUNC('YEAR', ts - INTERVAL '6' MONTH) + INTERVAL '6' MONTH
    ) AS `p_fiscal_year`
  FROM denominator_values__source_rows AS source_rows
), denominator_values__grouped AS (
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
      FROM denominator_values__periods AS periods
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
), denominator_values__data_span AS (
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
), denominator_values__spine AS (
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
    FROM denominator_values__grouped AS grouped
    WHERE
      grain = 'week'
  ) AS f, denominator_values__data_span AS data_span
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
    FROM denominator_values__grouped AS grouped
    WHERE
      grain = 'month'
  ) AS f, denominator_values__data_span AS data_span
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
    FROM denominator_values__grouped AS grouped
    WHERE
      grain = 'quarter'
  ) AS f, denominator_values__data_span AS data_span
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
    FROM denominator_values__grouped AS grouped
    WHERE
      grain = 'fiscal_year'
  ) AS f, denominator_values__data_span AS data_span
), denominator_values__members AS (
  SELECT DISTINCT
    dimension,
    dimension_value
  FROM denominator_values__grouped AS grouped
  UNION
  SELECT
    'citywide',
    'Citywide'
), metric_core__denominator_values AS (
  SELECT
    s.grain,
    s.period_start,
    m.dimension,
    m.dimension_value,
    COALESCE(g.value, 0) AS value,
    g.numerator,
    g.denominator,
    COALESCE(g.count, 0) AS count
  FROM denominator_values__spine AS s
  CROSS JOIN denominator_values__members AS m
  LEFT JOIN denominator_values__grouped AS g
    USING (grain, period_start, dimension, dimension_value)
), metric_core AS (
  SELECT
    grain,
    period_start,
    dimension,
    dimension_value,
    n.value / NULLIF(d.value, 0) AS value,
    n.value AS numerator,
    d.value AS denominator,
    CAST(NULL AS BIGINT) AS count
  FROM metric_core__numerator_values AS n
  FULL JOIN metric_core__denominator_values AS d
    USING (grain, period_start, dimension, dimension_value)
), targets AS (
  SELECT
    *
  FROM VALUES
    (
      CAST(:target_1_from AS DATE),
      CAST(:target_1_value AS DOUBLE),
      CAST(NULL AS STRING)
    ) AS t(target_from, target_value, target_grain)
), with_target AS (
  SELECT
    *,
    target
  FROM (
    SELECT
      c.*,
      t.target_value AS target,
      ROW_NUMBER() OVER (
        PARTITION BY c.grain, c.period_start, c.dimension, c.dimension_value
        ORDER BY t.target_from DESC, t.target_grain NULLS LAST
      ) AS _w
    FROM metric_core AS c
    LEFT JOIN targets AS t
      ON t.target_from <= c.period_start
      AND (
        t.target_grain IS NULL OR t.target_grain = c.grain
      )
  ) AS _t
  WHERE
    _w = 1
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
  FROM with_target
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
  target,
  CASE
    WHEN target IS NULL
    THEN 'no_target'
    WHEN value IS NULL
    THEN 'too_little_data'
    WHEN value >= target
    THEN 'on_track'
    WHEN value >= target - ABS(target) * :watch_band
    THEN 'watch'
    ELSE 'off_track'
  END AS status
FROM labelled
ORDER BY
  grain NULLS LAST,
  period_start NULLS LAST,
  dimension NULLS LAST,
  dimension_value NULLS LAST

-- parameters:
--   :as_of = <the data's as-of timestamp, supplied at run time>
--   :table_1 = 'service_requests'
--   :needed_2 = 'closed_at'
--   :needed_3 = 'service_name'
--   :needed_4 = 'status'
--   :value_5 = 'Street Defect'
--   :value_6 = 'Illegal Dumping'
--   :value_7 = 'Abandoned Vehicle'
--   :value_8 = 'Street Light Outage'
--   :value_9 = 'Rubbish/Recyclable Material Collection'
--   :value_10 = 'Maintenance Complaint'
--   :value_11 = 'closed'
--   :dimension_council_district = 'council_district'
--   :dimension_zip = 'zip'
--   :table_14 = 'service_requests'
--   :needed_15 = 'opened_at'
--   :needed_16 = 'service_name'
--   :value_17 = 'Street Defect'
--   :value_18 = 'Illegal Dumping'
--   :value_19 = 'Abandoned Vehicle'
--   :value_20 = 'Street Light Outage'
--   :value_21 = 'Rubbish/Recyclable Material Collection'
--   :value_22 = 'Maintenance Complaint'
--   :target_1_from = datetime.date(2023, 7, 1)
--   :target_1_value = 1.0
--   :metric_id = 'cohort_closed_per_opened'
--   :watch_band = 0.05
