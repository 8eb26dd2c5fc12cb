"""metrics.yml: parse and check metric definitions, compile them to DuckDB SQL, compute them.

Definitions:
- ``model``: ``MetricsConfig``, ``Metric``, ``Condition``: the typed metrics.yml.
- ``department_rules``: department ids against city.yml's registry (``check_departments``).
- ``public_rules``: a public metric's plain-language text and its translation into each of
  the city's languages (``check_public_texts``).
- ``loader``: ``load_metrics``, ``check_metrics_file``, ``load_metrics_text`` (three stages).
- ``rules`` and ``table_rules``: the rules of one metric; ``value_rules``: every comparison
  type-checked; ``cross_rules``: across metrics; ``lenient``: a metric that does not
  type-check is repaired so the rules still see its other mistakes.
- ``within``: ``within_days`` shares as conditions (the open-and-already-late rule).
- ``describe``: ``describe_metric``, a metric's card in plain words.
- ``drafts``: ``load_draft``, draft metrics checked and joined to the city's metrics.
- ``mistakes``: ``likely_mistakes``, warnings on valid metrics; ``value_check``:
  ``unmatched_values``, filter values no record of the warehouse holds.
- ``tables``: which canonical table and columns each metric may read (``metric_table``).
- ``availability``: ``metric_availability``, whether the sources hold what a metric needs;
  ``source_rules``: `metrics check`'s warning when no source maps a column a metric reads.

SQL, pure functions that never touch a database:
- ``compiler``: ``compile_metric``, ``compile_incremental``, ``compile_family`` (percentiles
  of the same rows, or a daily run's counts, shares or backlogs of a table, in one query),
  ``compile_spark``, ``explain``.
- ``spark_sql``: the compiled DuckDB SQL transpiled for Spark with SQLGlot (``to_spark``).
- ``core_sql``: any kind's core query; ``event_sql``: counts, shares and percentiles;
  ``backlog``: backlogs over version spans; ``backlog_check``: whether a backlog may be
  updated from the changes; ``backlog_update``: updated backlogs' changed periods, their
  previous levels plus the changes' running sums, several of a table in one query;
  ``status_sql``: targets and statuses.
- ``incremental``: the daily run's changed rows and periods; ``delta_counts``: counts and
  shares updated by difference, several of a table in one query; ``periods``: grains as SQL;
  ``fiscal_quarters``: the city's fiscal quarters and their names (FY2027 Q2) as SQL;
  ``sql_parts``: parameters, conditions, grouping and the period spine.

Computing:
- ``compute``: ``compute_metrics`` (full or incremental), ``preview``, ``data_as_of``,
  ``materialise_values`` (one metric into a temporary table, for previews and drafts).
- ``compute_state``: what each metric was last computed from; ``version_spans``: the
  temporary tables of version spans backlogs read; ``value_writes``: the
  metric_values writes (inserted, or replaced from an incremental query's fresh rows).
- ``definition_history``: ``record_definition_versions``, every version of a definition.
"""

from pipelines.config.issues import Issue, MetricsFileError
from pipelines.metrics.availability import Availability, metric_availability
from pipelines.metrics.compiler import CompiledQuery, compile_metric, compile_unavailable, explain
from pipelines.metrics.compute import compute_metrics, data_as_of, preview
from pipelines.metrics.loader import check_metrics_file, load_metrics, load_metrics_text
from pipelines.metrics.model import Metric, MetricsConfig

__all__ = [
    "Availability",
    "CompiledQuery",
    "Issue",
    "Metric",
    "MetricsConfig",
    "MetricsFileError",
    "check_metrics_file",
    "compile_metric",
    "compile_unavailable",
    "compute_metrics",
    "data_as_of",
    "explain",
    "load_metrics",
    "load_metrics_text",
    "metric_availability",
    "preview",
]
