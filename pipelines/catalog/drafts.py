"""A draft metric against the published warehouse: how it would move the leadership index,
and the small file that lets the dashboard's metric page show it.

The draft's values are computed by ``pipelines.metrics.compute.materialise_values`` into a
temporary table of a read-only connection. Its citywide values are scored as a run scores
a published metric (``score_sql``), and the department's and quarterly cohort's index is
averaged again with the draft in (standing in for a published metric of the same id).

The dashboard never imports the metric compiler, so `citystat metrics preview --draft FILE
ID --save` writes what the page shows into ``data/drafts/<ID>.duckdb`` (its definition,
plain-words card, values and index moves), written beside and renamed into place so a
reader never opens half a file. The page reads it read-only (dashboard/queries/drafts.py).
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from pipelines.catalog.leadership import score_sql
from pipelines.metrics.model import Metric
from pipelines.warehouse.schema import quote

if TYPE_CHECKING:
    # pandas costs about 0.45 s to import; every CLI command imports this module.
    import pandas as pd

DRAFT_VALUES = "draft_values"  # temporary: the draft's metric_values rows


@dataclass(frozen=True)
class IndexMove:
    """One scope's index in one period: as published and with the draft in."""

    scope: str  # department | cohort
    scope_name: str
    grain: str
    period_label: str
    is_complete: bool
    published: float | None
    with_draft: float | None
    draft_score: float | None  # the draft's own score (None: not judged against a target)
    draft_status: str | None


_MOVES_SQL = """
WITH draft AS (
    SELECT period_start, period_label, is_complete, status,
           {score} AS score
    FROM {values}
    WHERE grain = $grain AND dimension = 'citywide'
),
scopes AS (
    SELECT 'department' AS scope, $department AS scope_name
    UNION
    SELECT 'cohort', p.cohort_label
    FROM services sv JOIN service_priorities p ON p.service = sv.service
    WHERE sv.cohort_service = $cohort_service
),
members AS (
    SELECT 'department' AS scope, s.department AS scope_name, s.period_start, s.score
    FROM metric_index_scores s
    WHERE s.grain = $grain AND s.metric_id <> $metric_id
    UNION ALL
    SELECT 'cohort', p.cohort_label, s.period_start, s.score
    FROM metric_index_scores s
    JOIN services sv ON sv.cohort_service = s.cohort_service
    JOIN service_priorities p ON p.service = sv.service
    WHERE s.grain = $grain AND s.metric_id <> $metric_id
)
SELECT sc.scope, sc.scope_name, $grain AS grain, d.period_label, d.is_complete,
       li.index_value AS published,
       (SELECT avg(score) FROM (
            SELECT m.score FROM members m
            WHERE m.scope = sc.scope AND m.scope_name = sc.scope_name
              AND m.period_start = d.period_start
            UNION ALL SELECT d.score
       )) AS with_draft,
       d.score AS draft_score, d.status AS draft_status
FROM scopes sc CROSS JOIN draft d
LEFT JOIN leadership_index li
    ON li.scope = sc.scope AND li.scope_name = sc.scope_name AND li.grain = $grain
   AND li.period_start = d.period_start
WHERE sc.scope_name IS NOT NULL
ORDER BY sc.scope DESC, sc.scope_name, d.period_label
"""

_INDEX_TABLES = ("metric_index_scores", "leadership_index", "services", "service_priorities")


def has_index(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the warehouse holds a leadership index (a city with a services.yml)."""
    row = con.execute(
        "SELECT count(DISTINCT table_name) FROM information_schema.tables "
        "WHERE list_contains($names, table_name)",
        {"names": list(_INDEX_TABLES)},
    ).fetchone()
    return bool(row and row[0] == len(_INDEX_TABLES))


def index_moves(
    con: duckdb.DuckDBPyConnection, metric: Metric, grain: str, cap: float
) -> list[IndexMove]:
    """The department's and cohort's index in each period of ``grain``, as published and with
    the draft (whose values are in DRAFT_VALUES); none without a leadership index."""
    if not has_index(con):
        return []
    score = score_sql("value", "target", "status", "$direction")
    sql = _MOVES_SQL.format(score=score, values=quote(DRAFT_VALUES))
    rows = con.execute(
        sql,
        {
            "grain": grain,
            "department": metric.department,
            "cohort_service": metric.cohort_service,
            "metric_id": metric.id,
            "direction": metric.direction,
            "cap": cap,
        },
    ).fetchall()
    return [IndexMove(*row) for row in rows]


def save_draft(
    folder: Path,
    con: duckdb.DuckDBPyConnection,
    definition: dict[str, Any],
    moves: list[IndexMove],
) -> Path:
    """Write the draft (``definition``: a metric_definitions row plus draft_file, data_as_of
    and warehouse_version) with its values from DRAFT_VALUES and its index ``moves`` into
    ``folder/<metric_id>.duckdb``, replacing an earlier save in one rename."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{definition['metric_id']}.duckdb"
    building = folder / f".{target.name}.{os.getpid()}.building"
    building.unlink(missing_ok=True)
    import pandas as pd

    values = con.execute(f"SELECT * FROM {quote(DRAFT_VALUES)}").df()  # noqa: S608 (a constant)
    saved = {**definition, "saved_at": datetime.now(UTC).replace(tzinfo=None)}
    try:
        with duckdb.connect(str(building)) as out:
            out.register("definition_frame", pd.DataFrame([saved]))
            out.execute("CREATE TABLE draft_definitions AS SELECT * FROM definition_frame")
            out.register("values_frame", values)
            out.execute("CREATE TABLE draft_values AS SELECT * FROM values_frame")
            out.register("moves_frame", _moves_frame(moves))
            out.execute("CREATE TABLE draft_index AS SELECT * FROM moves_frame")
        os.replace(building, target)
    finally:
        building.unlink(missing_ok=True)
    return target


def _moves_frame(moves: list[IndexMove]) -> pd.DataFrame:
    import pandas as pd

    columns = list(IndexMove.__dataclass_fields__)
    frame = pd.DataFrame([asdict(m) for m in moves], columns=columns)
    for column in ("published", "with_draft", "draft_score"):
        frame[column] = frame[column].astype("float64")
    return frame
