"""Every version of each metric's definition, with the moment it took effect.

``metric_definitions`` holds the definitions of the latest run only; this keeps each
metric's history in ``metric_definition_versions``. A run adds a version for a metric only
when its definition as written in metrics.yml differs from the metric's latest version, so
a run that changes nothing adds nothing. A build starts from a copy of the published
warehouse, which carries the history; a rebuild starts empty, so the history is copied from
the published version first (``carry_definition_history``).

A definition is compared as written, with defaults left out: a later citystat that adds a
field with a default does not give every metric a new version.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

import duckdb

from pipelines.metrics.model import Metric, MetricsConfig
from pipelines.warehouse.rows import insert_rows


def definition_json(metric: Metric) -> str:
    """The metric as written, as canonical JSON (sorted keys, defaults left out)."""
    written = metric.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    return json.dumps(written, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


# The latest version of each metric against the current definitions: a metric new to the
# history, or whose definition changed, gets the next version.
_NEW_VERSIONS_SQL = """
INSERT INTO metric_definition_versions
WITH latest AS (
    SELECT metric_id, version, fingerprint FROM metric_definition_versions
    QUALIFY row_number() OVER (PARTITION BY metric_id ORDER BY version DESC) = 1
)
SELECT c.metric_id, coalesce(l.version, 0) + 1, $effective_from, $run_id, c.fingerprint,
       c.definition
FROM temp.current_definitions c LEFT JOIN latest l USING (metric_id)
WHERE l.fingerprint IS DISTINCT FROM c.fingerprint
"""


def record_definition_versions(
    con: duckdb.DuckDBPyConnection, config: MetricsConfig, run_id: str, effective_from: datetime
) -> int:
    """Add a version for every metric whose definition changed; how many were added."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE current_definitions "
        "(metric_id VARCHAR, fingerprint VARCHAR, definition VARCHAR)"
    )
    rows = []
    for metric in config.metrics:
        text = definition_json(metric)
        rows.append((metric.id, hashlib.sha256(text.encode()).hexdigest(), text))
    insert_rows(con, "INSERT INTO temp.current_definitions", rows)
    (before,) = con.execute("SELECT count(*) FROM metric_definition_versions").fetchone() or (0,)
    con.execute(_NEW_VERSIONS_SQL, {"effective_from": effective_from, "run_id": run_id})
    (after,) = con.execute("SELECT count(*) FROM metric_definition_versions").fetchone() or (0,)
    con.execute("DROP TABLE temp.current_definitions")
    return int(after) - int(before)


def carry_definition_history(con: duckdb.DuckDBPyConnection, previous: Path) -> None:
    """Copy the history of the published version ``previous`` into an empty build."""
    con.execute("ATTACH ? AS previous (READ_ONLY)", [str(previous)])
    try:
        (present,) = con.execute(
            "SELECT count(*) FROM duckdb_tables() "
            "WHERE database_name = 'previous' AND table_name = 'metric_definition_versions'"
        ).fetchone() or (0,)
        if present:
            con.execute(
                "INSERT INTO metric_definition_versions "
                "SELECT * FROM previous.metric_definition_versions"
            )
    finally:
        con.execute("DETACH previous")
