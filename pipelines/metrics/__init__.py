"""metrics.yml: parse and check metric definitions, compile them to DuckDB SQL, compute them."""

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
