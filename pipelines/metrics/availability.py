"""Which loaded sources can feed a metric, from the run's ``source_columns`` coverage.

A source whose extract has no field for a column a metric needs (an application date, a
due time...) would give a wrong number, so its rows are left out of that metric; when no
loaded source of the metric's table has the columns, the metric is "not available".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import duckdb

from pipelines.metrics.model import Condition, Metric, MetricsConfig
from pipelines.metrics.tables import metric_table


def resolved_columns(metric: Metric) -> dict[str, str]:
    """The timestamp columns a (non-ratio) metric reads, by role, with table defaults filled."""
    table = metric_table(metric.table)
    if metric.kind in ("count", "share"):
        return {"date": metric.date or table.start}
    columns = {"start": metric.start or table.start, "end": metric.end or table.end}
    if metric.kind == "backlog" and metric.overdue:
        columns["due"] = metric.due or table.due
    return columns


def needed_columns(metric: Metric) -> tuple[str, ...]:
    """Columns without which a source's rows would give this metric a wrong number."""
    needed = list(resolved_columns(metric).values())
    for conditions in (metric.filter, metric.numerator, metric.denominator):
        needed += condition_columns(conditions or [])
    return tuple(dict.fromkeys(needed))


def condition_columns(conditions: Iterable[Condition]) -> list[str]:
    """Every column the conditions (and any nested any: lists) read."""
    columns: list[str] = []
    for condition in conditions:
        if condition.any_of is not None:
            columns += condition_columns(condition.any_of)
        columns += [c for c in (condition.column, condition.column_ref) if c]
    return columns


@dataclass(frozen=True)
class Availability:
    """Whether a metric can be computed from the loaded sources, and why not (or what is left
    out) in words for ``metric_definitions.availability``."""

    computable: bool
    note: str | None = None


def metric_availability(
    con: duckdb.DuckDBPyConnection, config: MetricsConfig, metric: Metric
) -> Availability:
    """Availability of one metric given the run's ``source_columns`` (a ratio: of its parts)."""
    return _availability(config, metric, _coverage(con))


def all_availability(
    con: duckdb.DuckDBPyConnection, config: MetricsConfig
) -> dict[str, Availability]:
    """Availability of every metric, from one read of ``source_columns``."""
    coverage = _coverage(con)
    return {m.id: _availability(config, m, coverage) for m in config.metrics}


def _availability(
    config: MetricsConfig, metric: Metric, coverage: dict[str, dict[str, set[str]]] | None
) -> Availability:
    """Availability of one metric given the coverage of every table (see ``_coverage``)."""
    if metric.kind == "ratio":
        parts = [
            _availability(config, config.metric(ref), coverage)
            for ref in (metric.numerator_metric or "", metric.denominator_metric or "")
        ]
        combined = "; ".join(dict.fromkeys(p.note for p in parts if p.note))
        return Availability(all(p.computable for p in parts), combined or None)
    if coverage is None:  # no coverage recorded (a warehouse from before issue 3, tests)
        return Availability(True)
    sources = coverage.get(metric.table, {})
    table = metric.table
    if not sources:
        return Availability(False, f"not available: no {table} source is loaded")
    needed = needed_columns(metric)
    lacking = {source: [c for c in needed if c in missing] for source, missing in sources.items()}
    left_out = {source: cols for source, cols in lacking.items() if cols}
    dims = config.dimensions(metric)
    no_breakdown = {
        source: [d for d in dims if d in missing]
        for source, missing in sources.items()
        if source not in left_out
    }
    notes = _left_out_notes(left_out, computable=len(left_out) < len(sources))
    notes += [
        f"{', '.join(cols)} breakdown leaves out {source} (it has no {', '.join(cols)})"
        for source, cols in sorted(no_breakdown.items())
        if cols
    ]
    return Availability(len(left_out) < len(sources), "; ".join(notes) or None)


def _left_out_notes(left_out: dict[str, list[str]], *, computable: bool) -> list[str]:
    reasons = "; ".join(
        f"{source} has no {', '.join(cols)}" for source, cols in sorted(left_out.items())
    )
    if not reasons:
        return []
    if computable:
        return [f"left out (not available for this source): {reasons}"]
    return [f"not available for this source: {reasons}"]


def _coverage(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, set[str]]] | None:
    """Canonical table -> its loaded sources -> the canonical columns their extracts lack;
    None when the run recorded no coverage at all."""
    rows = con.execute(
        "SELECT canonical_table, source, list(column_name) FILTER (WHERE NOT mapped)\n"
        "FROM source_columns GROUP BY ALL"
    ).fetchall()
    if not rows:
        return None
    coverage: dict[str, dict[str, set[str]]] = {}
    for table, source, missing in rows:
        if source is not None:
            coverage.setdefault(str(table), {})[str(source)] = set(missing or [])
    return coverage
