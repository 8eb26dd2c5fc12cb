"""Filter values against the published warehouse: a value no record holds is most likely a typo.

``service_name: [Street Defects]`` passes every rule and publishes an empty metric when the
extract says ``Street Defect``. With a warehouse at hand, each text value a condition
compares with (``=``, ``!=``, ``in``, ``not_in``) is looked up in the metric's table, and a
value no record holds is reported with the closest values that are there ("did you mean
'Street Defect'?"), found by DuckDB with the values bound as parameters.

These are warnings: a city may define a metric before its first record arrives (a new
service), and the run publishes it with zeros. Status values are checked without a warehouse
(pipelines/metrics/value_rules.py), since statuses come from a fixed vocabulary.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import duckdb

from pipelines.config.hints import Locator
from pipelines.config.issues import Issue
from pipelines.config.yaml_lines import Loc
from pipelines.metrics.model import AS_OF, Metric, MetricsConfig
from pipelines.metrics.tables import metric_table
from pipelines.metrics.value_rules import column_type
from pipelines.warehouse.schema import quote

_TEXT_OPS = ("=", "!=", "in", "not_in")
_SIMILAR = 0.8  # Jaro-Winkler similarity from which a present value is offered
_SHOWN = 3  # closest values offered / present values listed when none is close


def unmatched_values(
    con: duckdb.DuckDBPyConnection,
    config: MetricsConfig,
    at: Locator,
    sites: Mapping[str, Loc],
) -> list[Issue]:
    """A warning for each text value of the located metrics' conditions that no record of the
    metric's table holds (none for a table without records: nothing is loaded yet)."""
    warnings: list[Issue] = []
    loaded: dict[str, bool] = {}
    for metric in config.metrics:
        where = sites.get(metric.id)
        if where is None or metric.kind == "ratio":
            continue
        table = metric_table(metric.table)
        if table.name not in loaded:
            # The table name comes from the fixed registry of canonical tables.
            row = con.execute(f"SELECT EXISTS (SELECT 1 FROM {quote(table.name)})").fetchone()
            loaded[table.name] = bool(row and row[0])
        if not loaded[table.name]:
            continue
        for loc, column, value in _text_values(metric, where, at):
            if not _holds(con, table.name, column, value):
                warnings.append(
                    at.issue(
                        loc,
                        f"metric '{metric.id}': no {table.name} record has {column} "
                        f"'{value}', so this condition matches nothing in the warehouse",
                        _closest(con, table.name, column, value),
                    )
                )
    return warnings


def _text_values(metric: Metric, where: Loc, at: Locator) -> Iterator[tuple[Loc, str, str]]:
    """(location, column, value) of each text value a condition compares a text column
    (status excepted) with, as written in the file."""
    table = metric_table(metric.table)
    for field in ("filter", "numerator", "denominator"):
        if metric.within_days is not None and field != "filter":
            continue  # written by within_days: no text value of the analyst's
        pending = [((*where, field, i), c) for i, c in enumerate(getattr(metric, field) or [])]
        while pending:
            loc, condition = pending.pop(0)
            pending += [((*loc, "any", i), c) for i, c in enumerate(condition.any_of or [])]
            column = condition.column or ""
            if (
                condition.op not in _TEXT_OPS
                or column == "status"
                or column not in table.columns
                or column_type(table, column) != "text"
                or condition.column_ref is not None
            ):
                continue
            at_value = _value_loc(at, loc, column)
            if isinstance(condition.value, list):
                for index, value in enumerate(condition.value):
                    if isinstance(value, str):
                        yield (*at_value, index), column, value
            elif isinstance(condition.value, str) and condition.value != AS_OF:
                yield at_value, column, condition.value


def _value_loc(at: Locator, loc: Loc, column: str) -> Loc:
    """Where a condition's value is written: under ``value:``, or in the shorthand
    ``{column: values}`` under its column's key."""
    node = at.root
    for part in loc[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return (*loc, "value")
    if isinstance(node, dict) and column in node:
        return (*loc[:-1], column)
    return (*loc, "value")


def _holds(con: duckdb.DuckDBPyConnection, table: str, column: str, value: str) -> bool:
    # Identifiers from the registry and checked configuration, quoted; the value is bound.
    row = con.execute(
        f"SELECT EXISTS (SELECT 1 FROM {quote(table)} WHERE {quote(column)} = $value)",
        {"value": value},
    ).fetchone()
    return bool(row and row[0])


_CLOSEST_SQL = """
WITH present AS (
    SELECT DISTINCT CAST({column} AS VARCHAR) AS v FROM {table} WHERE {column} IS NOT NULL
)
SELECT v, jaro_winkler_similarity(lower(v), lower($value)) AS similarity,
       count(*) OVER () AS distinct_values
FROM present
ORDER BY similarity DESC, v
LIMIT $shown
"""


def _closest(con: duckdb.DuckDBPyConnection, table: str, column: str, value: str) -> str:
    """'did you mean ...?' with the closest values present, or some of the values present."""
    sql = _CLOSEST_SQL.format(column=quote(column), table=quote(table))
    rows = con.execute(sql, {"value": value, "shown": _SHOWN}).fetchall()
    if not rows:
        return f"no {table} record has any {column} yet: check the spelling against the extract"
    close = [str(v) for v, similarity, _ in rows if similarity >= _SIMILAR]
    if close:
        options = " or ".join(f"'{v}'" for v in close)
        return f"did you mean {options}?"
    total = int(rows[0][2])
    some = ", ".join(f"'{v}'" for v, _, _ in rows)
    return (
        f"no value is close; {column} holds {total} distinct value"
        f"{'s' if total != 1 else ''}, such as {some} (warning only: a new service may simply "
        "have no record yet)"
    )
