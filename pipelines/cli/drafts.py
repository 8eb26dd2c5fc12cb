"""`citystat metrics preview --draft`: a draft's values, status and leadership-index moves, and
the rows and database errors every preview prints."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click
import duckdb

from pipelines.catalog.drafts import DRAFT_VALUES, IndexMove, index_moves, save_draft
from pipelines.catalog.model import LeadershipIndex
from pipelines.config.issues import ConfigFileError
from pipelines.metrics.availability import metric_availability
from pipelines.metrics.compiler import compile_metric, compile_unavailable
from pipelines.metrics.compute import data_as_of, definition_row, latest_rows, materialise_values
from pipelines.metrics.loader import load_metrics, metric_sites
from pipelines.metrics.model import Metric, MetricsConfig
from pipelines.run.record import services_beside
from pipelines.warehouse import layout
from pipelines.warehouse.published import published_version
from pipelines.warehouse.words import record_words

if TYPE_CHECKING:
    import pandas as pd

_STATUS_WORDS = {
    "on_track": "on track",
    "watch": "watch",
    "off_track": "off track",
    "no_target": "no target",
    "too_little_data": "too little data",
    "not_available": "not available",
}


def _fail(line: str) -> NoReturn:
    click.echo(line, err=True)
    raise SystemExit(1)


def db_failure(config: MetricsConfig, metric_id: str, written_in: Path, exc: Exception) -> str:
    """A database error while computing a metric, said at the metric's line (never raw)."""
    line = 0
    try:
        at, sites = metric_sites(written_in.read_text(encoding="utf-8"), written_in.name)
        line = at.issue(sites[metric_id], "", "").line if metric_id in sites else 0
    except OSError:
        pass
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    hint = (
        "a value in its conditions does not fit its column's type"
        if isinstance(exc, duckdb.ConversionException)
        else "the warehouse may predate this citystat: run `citystat run --metrics-only`"
        if isinstance(exc, duckdb.CatalogException | duckdb.BinderException)
        else "run `citystat metrics check`, which checks every column, op and value"
    )
    return (
        f"{written_in.name}:{line}: metric '{metric_id}' could not be computed "
        f"({type(exc).__name__}: {reason}); {hint}"
    )


def print_rows(
    config: MetricsConfig, metric_id: str, frame: pd.DataFrame, grain: str, dimension: str
) -> None:
    """The latest periods of one breakdown, as a table (or why there is none)."""
    if frame.empty:
        # The table's own word: a permit metric matches permits, not requests.
        word = record_words(config.metric(metric_id).table).many
        click.echo(f"{metric_id}: no values at grain {grain} (no {word} loaded yet)")
        return
    shown = frame[frame["dimension"] == dimension]
    if shown.empty:
        known = ", ".join(sorted(frame["dimension"].unique()))
        _fail(f"{metric_id}: no '{dimension}' breakdown; choose one of {known}")
    shown = shown.drop(columns=["metric_id", "period_end", "period_start", "dimension"])
    click.echo(shown.to_string(index=False))


def preview_draft(
    config: MetricsConfig,
    metrics_path: Path,
    draft_file: Path,
    metric_id: str,
    warehouse: Path,
    grain: str,
    periods: int,
    *,
    save: bool = False,
) -> pd.DataFrame:
    """Compute a draft metric against the warehouse, print its status against the draft
    target and its index moves (saved for the dashboard with ``save``); returns the rows of
    its latest periods."""
    metric = config.metric(metric_id)
    if grain not in config.grains(metric):
        allowed = ", ".join(config.grains(metric))
        _fail(f"metric '{metric_id}' has no grain '{grain}'; use one of: {allowed}")
    cap = _index_cap(metrics_path)
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            as_of = data_as_of(con)
            if as_of is None:
                _fail(f"{warehouse}: the warehouse holds no records; run `citystat run` first")
            availability = metric_availability(con, config, metric)
            materialise_values(con, config, metric_id, as_of, DRAFT_VALUES)
            frame = latest_rows(con, DRAFT_VALUES, grain, periods)
            moves = {g: index_moves(con, metric, g, cap) for g in config.grains(metric)}
            if save:
                query = (
                    compile_metric(config, metric_id)
                    if availability.computable
                    else compile_unavailable(config, metric_id)
                )
                definition = {
                    **definition_row(config, metric, query, availability),
                    "draft_file": str(draft_file),
                    "data_as_of": as_of,
                    "warehouse_version": published_version(warehouse),
                }
                every = [move for grain_moves in moves.values() for move in grain_moves]
                saved = save_draft(layout.drafts_dir(), con, definition, every)
    except duckdb.Error as exc:
        _fail(db_failure(config, metric_id, draft_file, exc))
    if availability.note:
        click.echo(f"{metric_id}: {availability.note}")
    click.echo(_status_line(config, metric_id, frame, grain))
    for line in _moves_lines(metric, moves[grain], grain, periods):
        click.echo(line)
    if save:
        click.echo(f"Saved for the dashboard's Metric page (Drafts): {saved}")
    return frame


def _index_cap(metrics_path: Path) -> float:
    """The leadership index's cap from services.yml (its default without one)."""
    try:
        services = services_beside(metrics_path, load_metrics(metrics_path))
    except ConfigFileError:
        services = None  # `citystat metrics check` reports it
    return (services.leadership_index if services else LeadershipIndex()).cap


def _status_line(config: MetricsConfig, metric_id: str, frame: pd.DataFrame, grain: str) -> str:
    """The latest complete period's value against the draft target, in words."""
    metric = config.metric(metric_id)
    citywide = frame[(frame["dimension"] == "citywide") & frame["is_complete"]]
    if citywide.empty:
        return f"{metric_id}: no complete {grain.replace('_', ' ')} yet, so no status yet."
    latest = citywide.iloc[-1]
    value = _amount(latest["value"], metric.unit)
    status = _STATUS_WORDS.get(str(latest["status"]), str(latest["status"]))
    if latest["target"] is None or _missing(latest["target"]):
        return f"{metric_id}, {latest['period_label']}: {value}; {status}."
    side = "at least" if metric.direction == "higher_is_better" else "at most"
    target = _amount(latest["target"], metric.unit)
    return (
        f"{metric_id}, {latest['period_label']} (latest complete {grain.replace('_', ' ')}): "
        f"{value} against the draft target of {side} {target}: {status}."
    )


def _moves_lines(metric: Metric, moves: list[IndexMove], grain: str, periods: int) -> list[str]:
    """The department's and cohorts' index in the last complete periods, before and after."""
    if not moves:
        return ["Leadership index: none in this warehouse (the city has no services.yml)."]
    lines = [f"Leadership index by {grain.replace('_', ' ')}: as published -> with the draft"]
    for scope in dict.fromkeys((m.scope, m.scope_name) for m in moves):
        shown = [m for m in moves if (m.scope, m.scope_name) == scope and m.is_complete]
        for move in shown[-min(periods, 3) :]:
            status = _STATUS_WORDS.get(str(move.draft_status), str(move.draft_status))
            score = (
                f"{status}, not scored"
                if _missing(move.draft_score)
                else f"{status}, scores {move.draft_score:.2f}"
            )
            lines.append(
                f"  {move.scope} {move.scope_name}, {move.period_label}: "
                f"{_index(move.published)} -> {_index(move.with_draft)} (the draft: {score})"
            )
    if metric.cohort_service and not any(m.scope == "cohort" for m in moves):
        lines.append(
            f"  cohort: no service of services.yml has cohort_service '{metric.cohort_service}', "
            "so the draft is in no quarterly cohort"
        )
    return lines


def _index(value: float | None) -> str:
    return "—" if _missing(value) else f"{value:.3f}"


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _amount(value: object, unit: str) -> str:
    if _missing(value) or not isinstance(value, int | float):
        return "no value"
    if unit == "percent":
        return f"{value:.1%}"
    if unit == "days":
        return f"{value:.1f} days"
    return f"{value:,.2f}".rstrip("0").rstrip(".") + ("" if unit == "ratio" else f" {unit}")
