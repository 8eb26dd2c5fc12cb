"""Warehouses where metrics have no values, built on the hand-made dashboard fixture.

What the pipeline publishes for a metric whose filter matches nothing (pipelines/metrics/
event_sql.py): a count has value 0 and count 0 in every period; a share has no value, numerator
and denominator 0 and count 0; a duration has no value and count 0. Variants:

  one_empty   the fixture plus three such metrics: ``rooftop_inspections`` (count of
              inspections, public, no cohort service), ``rooftop_on_time`` (share, target 0.8,
              cohort service "Rooftop repairs", which services.yml does not list) and
              ``rooftop_median_days`` (duration, target 5); plus ``never_computed``, a
              definition with no rows at all. District "00" holds the fixture's District 1
              rows of street_defect_on_time, so a page that casts ids to numbers shows "0".
  all_empty   every metric of the fixture in that state: every value gone, counts 0.
  no_values   metric_values has no row at all.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.catalog import compute_service_tables, load_services_text
from tests.dashboard_fixture import AS_OF, METRICS, SERVICES_YML, build_fixture_warehouse

VARIANTS = ("one_empty", "all_empty", "no_values")

EMPTY_METRICS = [
    # id, label, unit, direction, kind, table, cohort service, public, target
    ("rooftop_inspections", "Rooftop inspections", "cases", None, "count", "inspections", None,
     True, None),
    ("rooftop_on_time", "Rooftop repairs on time", "percent", "higher_is_better", "share",
     "service_requests", "Rooftop repairs", True, 0.8),
    ("rooftop_median_days", "Median days to a rooftop repair", "days", "lower_is_better",
     "duration_percentile", "service_requests", "Rooftop repairs", False, 5.0),
]  # fmt: skip

# Every period of the fixture's grains: (grain, start, end, label, complete).
PERIODS = [
    ("month", "2025-01-01", "2025-02-01", "2025-01", True),
    ("month", "2025-02-01", "2025-03-01", "2025-02", True),
    ("month", "2025-03-01", "2025-04-01", "2025-03", True),
    ("month", "2025-04-01", "2025-05-01", "2025-04", False),
    ("quarter", "2024-10-01", "2025-01-01", "2024-Q4", True),
    ("quarter", "2025-01-01", "2025-04-01", "2025-Q1", True),
    ("quarter", "2025-04-01", "2025-07-01", "2025-Q2", False),
]

# A metric with no matching record, as the pipeline publishes it, by kind.
_EMPTY_VALUES = """
UPDATE metric_values AS v SET
    value = CASE d.kind WHEN 'count' THEN 0 END,
    numerator = CASE d.kind WHEN 'share' THEN 0 END,
    denominator = CASE d.kind WHEN 'share' THEN 0 END,
    count = 0,
    -- No count here has a target: without one every kind is no_target.
    status = CASE WHEN v.target IS NULL OR d.direction IS NULL THEN 'no_target'
                  ELSE 'too_little_data' END
FROM metric_definitions AS d
WHERE d.metric_id = v.metric_id AND list_contains($ids, v.metric_id)
"""


def build_empty_warehouse(path: Path, variant: str) -> None:
    """The fixture warehouse at ``path`` turned into ``variant`` (see the module docstring)."""
    assert variant in VARIANTS, variant
    build_fixture_warehouse(path)
    con = duckdb.connect(str(path))
    try:
        if variant == "one_empty":
            _add_empty_metrics(con)
            con.execute(
                "UPDATE metric_values SET dimension_value = '00' "
                "WHERE dimension = 'council_district' AND dimension_value = '1'"
            )
        elif variant == "all_empty":
            con.execute(
                "DELETE FROM metric_values WHERE dimension <> 'citywide'",
            )
            con.execute(_EMPTY_VALUES, {"ids": [m[0] for m in METRICS]})
        else:
            con.execute("DELETE FROM metric_values")
        compute_service_tables(
            con, load_services_text(SERVICES_YML), AS_OF, fiscal_year_start_month=7
        )
    finally:
        con.close()


def _add_empty_metrics(con: duckdb.DuckDBPyConnection) -> None:
    for metric_id, label, unit, direction, kind, table, cohort, public, target in EMPTY_METRICS:
        con.execute(
            "INSERT INTO metric_definitions (metric_id, label, description, methodology, "
            "department, owner, cohort_service, unit, direction, kind, grains, dimensions, "
            "min_count, sql, canonical_table, public) VALUES (?, ?, 'Nothing matches yet.', "
            "'Counts records that match the filter.', 'License & Inspections', 'Director', ?, ?, "
            "?, ?, ['month', 'quarter'], ['council_district'], 30, 'SELECT 1', ?, ?)",
            [metric_id, label, cohort, unit, direction, kind, table, public],
        )
        con.executemany(
            "INSERT INTO metric_values VALUES (?, ?, ?, ?, ?, ?, 'citywide', 'Citywide', "
            "NULL, NULL, NULL, 0, ?, 'no_target')",
            [(metric_id, *period, target) for period in PERIODS],
        )
    con.execute(_EMPTY_VALUES, {"ids": [m[0] for m in EMPTY_METRICS]})
    con.execute(
        "INSERT INTO metric_definitions (metric_id, label, description, methodology, "
        "department, unit, kind, grains, dimensions, min_count, sql, canonical_table, public) "
        "VALUES ('never_computed', 'Never computed', 'No rows.', 'None yet.', "
        "'License & Inspections', 'permits', 'count', ['month'], [], 30, 'SELECT 1', "
        "'permits', true)"
    )
