"""The metric SQL for Spark: each rewrite on a small query, and golden Spark SQL for one metric
of every kind (regenerate with CITYSTAT_UPDATE_SNAPSHOTS=1). Pure: no Spark runs here
(tests/test_spark_engine.py runs the emitted SQL on Spark and compares values with DuckDB's)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlglot

from pipelines.metrics import load_metrics
from pipelines.metrics.compiler import compile_spark, explain
from pipelines.metrics.spark_sql import SparkTranslationError, to_spark

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOTS = Path(__file__).resolve().parent / "snapshots" / "spark"
CONFIG = load_metrics(ROOT / "metrics.yml")
UPDATE = os.environ.get("CITYSTAT_UPDATE_SNAPSHOTS") == "1"

# One metric of every kind in the demo's metrics.yml (a backlog with age bands beside).
ONE_OF_EACH_KIND = {
    "count": "street_defect_requests",
    "share": "street_defect_on_time",
    "duration_percentile": "street_defect_median_days",
    "backlog": "street_defect_backlog",
    "backlog_by_age": "permits_in_review",
    "ratio": "cohort_closed_per_opened",
}


def _spark(sql: str) -> str:
    """The emitted SQL without its comment lines, on one line, for comparisons."""
    body = "\n".join(line for line in to_spark(sql).splitlines() if not line.startswith("--"))
    return " ".join(body.split()).replace("( ", "(").replace(" )", ")")


def test_every_kind_has_a_golden_metric() -> None:
    kinds = {metric.kind for metric in CONFIG.metrics}
    covered = {CONFIG.metric(metric_id).kind for metric_id in ONE_OF_EACH_KIND.values()}
    assert covered == kinds


@pytest.mark.parametrize("metric_id", sorted(ONE_OF_EACH_KIND.values()))
def test_spark_sql_matches_snapshot(metric_id: str) -> None:
    text = explain(CONFIG, metric_id, engine="spark")
    golden = SNAPSHOTS / f"{metric_id}.sql"
    if UPDATE:
        SNAPSHOTS.mkdir(parents=True, exist_ok=True)
        golden.write_text(text)
    assert golden.exists(), f"no snapshot for {metric_id}; run with CITYSTAT_UPDATE_SNAPSHOTS=1"
    assert text == golden.read_text(), (
        f"Spark SQL of {metric_id} changed; review the diff and rerun with "
        "CITYSTAT_UPDATE_SNAPSHOTS=1"
    )


def test_no_stale_spark_snapshots() -> None:
    expected = {f"{metric_id}.sql" for metric_id in ONE_OF_EACH_KIND.values()}
    assert sorted(p.name for p in SNAPSHOTS.glob("*.sql")) == sorted(expected)


@pytest.mark.parametrize("metric_id", [metric.id for metric in CONFIG.metrics])
def test_every_demo_metric_translates_and_parses_as_spark(metric_id: str) -> None:
    for available in (True, False):
        query = compile_spark(CONFIG, metric_id, available=available)
        sqlglot.parse_one(query.sql, read="spark")  # well-formed Spark SQL
        # Values stay bound parameters: named markers, never inlined.
        assert "$" not in query.sql
        for name in query.params:
            assert f":{name}" in query.sql
    assert "'Street Defect'" not in compile_spark(CONFIG, "street_defect_on_time").sql


def test_each_rewrite_says_so_at_the_top() -> None:
    said = {}
    for metric_id in ONE_OF_EACH_KIND.values():
        sql = compile_spark(CONFIG, metric_id).sql
        header = [line for line in sql.splitlines() if line.startswith("--")]
        assert header[0] == "-- Spark SQL transpiled from the DuckDB SQL with SQLGlot"
        said[metric_id] = " ".join(header)
    # Every rewrite the kinds need is named where it was used, and only there.
    assert "UNION ALL BY NAME" in said["street_defect_on_time"]
    assert "UNION ALL BY NAME" not in said["street_defect_requests"]
    assert "quantile_cont" in said["street_defect_median_days"]
    assert "epoch(ts)" in said["street_defect_median_days"]
    assert "to_days" in said["permits_in_review"]
    assert "nested WITH" in said["cohort_closed_per_opened"]
    assert "RAND() >= 0" in said["street_defect_backlog"]
    for text in said.values():
        for words in ("%G-W%V", "GROUPING SETS", "CAST(unnest(list)"):
            assert words in text, words


def test_by_name_union_puts_each_branch_in_the_first_ones_order() -> None:
    got = _spark("SELECT 1 AS a, 2 AS b FROM t UNION ALL BY NAME SELECT 3 AS b, 4 AS c FROM u")
    assert got == (
        "SELECT 1 AS a, 2 AS b, NULL AS `c` FROM t "
        "UNION ALL SELECT NULL AS `a`, 3 AS b, 4 AS c FROM u"
    )


def test_by_name_union_reads_a_ctes_columns_for_its_star() -> None:
    got = _spark(
        "WITH g AS (SELECT 1 AS a, 2 AS b) SELECT * FROM g UNION ALL BY NAME SELECT 5 AS b"
    )
    assert "SELECT `a`, `b` FROM g UNION ALL SELECT NULL AS `a`, 5 AS b" in got


def test_by_name_union_over_an_unknown_star_is_refused() -> None:
    with pytest.raises(SparkTranslationError, match="explicit columns"):
        to_spark("SELECT * FROM t UNION ALL BY NAME SELECT 1 AS a")


def test_iso_week_label_uses_the_week_based_year() -> None:
    got = _spark("SELECT strftime(d, '%G-W%V') AS w FROM t")
    assert got == (
        "SELECT CAST(EXTRACT(YEAROFWEEK FROM d) AS STRING) || '-W' || "
        "LPAD(CAST(WEEKOFYEAR(d) AS STRING), 2, '0') AS w FROM t"
    )
    # Other formats are SQLGlot's own translation.
    assert _spark("SELECT strftime(d, '%Y-%m') AS m FROM t") == (
        "SELECT DATE_FORMAT(d, 'yyyy-MM') AS m FROM t"
    )


def test_epoch_keeps_fractions_of_a_second() -> None:
    got = _spark("SELECT (epoch(b) - epoch(a)) / 86400.0 AS days FROM t")
    assert got == (
        "SELECT (UNIX_MICROS(CAST(b AS TIMESTAMP)) / 1000000.0 - "
        "UNIX_MICROS(CAST(a AS TIMESTAMP)) / 1000000.0) / 86400.0 AS days FROM t"
    )


def test_an_ordered_aggregate_is_the_plain_one() -> None:
    got = _spark("SELECT avg(v ORDER BY p) - stddev_samp(v ORDER BY p) AS t FROM h")
    assert got == "SELECT AVG(v) - STDDEV_SAMP(v) AS t FROM h"


def test_percentile_interpolates_as_quantile_cont() -> None:
    got = _spark("SELECT quantile_cont(days, $p) AS v FROM t")
    assert got == "SELECT PERCENTILE(days, :p) AS v FROM t"


def test_having_over_grouping_sets_becomes_a_where_around_it() -> None:
    got = _spark(
        "SELECT CASE WHEN GROUPING(d) = 0 THEN d END AS v, count(*) AS n FROM t "
        "GROUP BY GROUPING SETS ((d), ()) HAVING NOT (GROUPING(d) = 0 AND d IS NULL)"
    )
    assert got == (
        "SELECT `v`, `n` FROM (SELECT CASE WHEN GROUPING(d) = 0 THEN d END AS v, "
        "COUNT(*) AS n, GROUPING(d) AS `_having_1`, d AS `_having_2` FROM t "
        "GROUP BY GROUPING SETS ((d), ())) AS aggregated "
        "WHERE NOT (`_having_1` = 0 AND `_having_2` IS NULL)"
    )


def test_a_generator_inside_a_cast_maps_its_elements() -> None:
    got = _spark("SELECT CAST(unnest(generate_series(a, b, INTERVAL 1 DAY)) AS DATE) AS d FROM t")
    assert got == (
        "SELECT EXPLODE(TRANSFORM(SEQUENCE(a, b, INTERVAL '1' DAY), "
        "element -> CAST(element AS DATE))) AS d FROM t"
    )


def test_to_days_is_a_day_interval() -> None:
    assert _spark("SELECT ts + to_days(n) AS e FROM t") == (
        "SELECT ts + MAKE_DT_INTERVAL(n) AS e FROM t"
    )


def test_nested_ctes_are_prefixed_with_their_scope() -> None:
    got = _spark(
        "WITH a AS (WITH g AS (SELECT 1 AS x) SELECT * FROM g), "
        "b AS (WITH g AS (SELECT 2 AS x) SELECT * FROM g AS other) "
        "SELECT * FROM a UNION ALL SELECT * FROM b"
    )
    assert "a__g AS (SELECT 1 AS x)" in got and "b__g AS (SELECT 2 AS x)" in got
    assert "FROM a__g AS g" in got and "FROM b__g AS other" in got


def test_a_cte_read_twice_is_computed_once_and_one_read_once_is_left_alone() -> None:
    got = _spark(
        "WITH g AS (SELECT d, count(*) AS n FROM t GROUP BY d), "
        "once AS (SELECT max(n) AS top FROM g) "
        "SELECT * FROM g, once WHERE g.n = once.top"
    )
    assert got == (
        "WITH g AS (SELECT * FROM (SELECT d, COUNT(*) AS n FROM t GROUP BY d) AS computed_once "
        "WHERE RAND() >= 0), once AS (SELECT MAX(n) AS top FROM g) "
        "SELECT * FROM g, once WHERE g.n = once.top"
    )
    # A table of the database read twice is no CTE: nothing to wrap.
    assert "RAND" not in _spark("SELECT * FROM t AS a JOIN t AS b USING (k)")


def test_the_duckdb_path_never_imports_spark_or_sqlglot() -> None:
    # `citystat --help` and `metrics check` load the CLI and compile nothing for Spark.
    code = (
        "import sys; from click.testing import CliRunner; "
        "from pipelines.cli.main import main; "
        "r = CliRunner().invoke(main, ['metrics', 'check']); "
        "assert r.exit_code == 0, r.output; "
        "from pipelines.metrics.compiler import compile_metric; "
        "import pipelines.run.pipeline, dashboard.queries.reader; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pyspark', 'sqlglot', 'py4j')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]", done.stdout + done.stderr
