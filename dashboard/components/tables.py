"""Pure presentation helpers: status icons/words/colours, number formatting, grain labels.

Nothing here imports Streamlit, so every helper is unit-testable on its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

from dashboard.components.formats import (
    MISSING,
    UNIT_PERCENT,
    as_text,
    describe_change,
    format_count,
    format_score,
    format_signed,
    format_timestamp,
    format_value,
    is_missing,
    short_hash,
    table_words,
)
from dashboard.components.html_table import link_column, table_link
from dashboard.components.links import metric_link
from dashboard.components.status import check_mark, status_label


def department_names(frame: pd.DataFrame) -> list[str]:
    """The department names of a query's rows (``department_name``; else the ids)."""
    column = "department_name" if "department_name" in frame.columns else "department"
    return [as_text(name) for name in frame[column]]


# The link beside the name, so a table wider than the screen never hides it.
SCORECARD_COLUMNS = ("Metric", "Details", "Period", "Value", "Target", "Status", "Change", "Trend")
OPEN_METRIC = "Open metric →"


def metric_links(metric_ids: Iterable[object], grain: str) -> pd.Series:
    """'Open metric →' links to each metric's page at ``grain``, for a table column."""
    return link_column(table_link(OPEN_METRIC, metric_link(str(m), grain)) for m in metric_ids)


def describe_trend(values: Sequence[float | None], unit: str | None) -> str:
    """A trend in words for a table cell: its first and last known values, '70.0% → 82.4%'
    (the page says how many periods a trend spans); '—' with fewer than two values."""
    known = [v for v in values if not is_missing(v)]
    if len(known) < 2:
        return MISSING
    return f"{format_value(known[0], unit)} → {format_value(known[-1], unit)}"


def scorecard_table(board: pd.DataFrame, grain: str) -> pd.DataFrame:
    """Display rows for scorecard metrics (one per metric) from ``scorecard``."""
    changes = [
        describe_change(value, prior, unit, direction).text
        for value, prior, unit, direction in zip(
            board["value"], board["prior_value"], board["unit"], board["direction"], strict=True
        )
    ]
    return pd.DataFrame(
        {
            "Metric": board["label"].astype(str).tolist(),
            "Period": [MISSING if is_missing(p) else str(p) for p in board["period_label"]],
            "Value": [
                format_value(v, u) for v, u in zip(board["value"], board["unit"], strict=True)
            ],
            "Target": [
                format_value(t, u) for t, u in zip(board["target"], board["unit"], strict=True)
            ],
            "Status": [status_label(s) for s in board["status"]],
            "Change": changes,
            "Trend": [
                describe_trend(t, u) for t, u in zip(board["trend"], board["unit"], strict=True)
            ],
            "Details": metric_links(board["metric_id"], grain),
        },
        columns=list(SCORECARD_COLUMNS),
    )


def district_table(comparison: pd.DataFrame, unit: str | None) -> pd.DataFrame:
    """Display rows for the citywide and council-district values of one period."""
    return pd.DataFrame(
        {
            "Area": [
                "Citywide" if dimension == "citywide" else f"District {area}"
                for dimension, area in zip(comparison["dimension"], comparison["area"], strict=True)
            ],
            "Value": [format_value(value, unit) for value in comparison["value"]],
            "Target": [format_value(value, unit) for value in comparison["target"]],
            "Status": [status_label(status) for status in comparison["status"]],
            "Observations": [format_count(count) for count in comparison["count"]],
        }
    )


def describe_targets(targets: pd.DataFrame, unit: str | None) -> str:
    """Targets in force over time, e.g. '75.0% (2024-Q4); 80.0% (2025-Q1–2025-Q2)'."""
    if targets.empty:
        return "No target set"
    spans = []
    for first, last, target in zip(
        targets["first_period"], targets["last_period"], targets["target"], strict=True
    ):
        periods = first if first == last else f"{first}–{last}"
        spans.append(f"{format_value(target, unit)} ({periods})")
    return "; ".join(spans)


def accounting_problems(files: pd.DataFrame) -> list[str]:
    """One sentence per file whose rows read ≠ staged + quarantined + rejected."""
    broken = files[~files["adds_up"].fillna(False).astype(bool)]
    return [
        f"{file}: {format_count(read)} rows read but {format_count(accounted)} accounted for "
        "(staged + quarantined + rejected)"
        for file, read, accounted in zip(
            broken["file"], broken["rows_read"], broken["rows_accounted"], strict=True
        )
    ]


def file_accounting_table(files: pd.DataFrame) -> pd.DataFrame:
    """Display rows for per-file row accounting from ``file_accounting``."""
    return pd.DataFrame(
        {
            "Source": files["source"].astype(str).tolist(),
            "File": files["file"].astype(str).tolist(),
            "Read": [format_count(n) for n in files["rows_read"]],
            "Staged": [format_count(n) for n in files["rows_staged"]],
            "Quarantined": [format_count(n) for n in files["rows_quarantined"]],
            "Rejected": [format_count(n) for n in files["rows_rejected"]],
            "Adds up": [
                "✔ Yes" if ok else f"✖ No ({format_count(read - accounted)} unaccounted)"
                for ok, read, accounted in zip(
                    files["adds_up"].fillna(False).astype(bool),
                    files["rows_read"],
                    files["rows_accounted"],
                    strict=True,
                )
            ],
        }
    )


def validation_table(results: pd.DataFrame) -> pd.DataFrame:
    """Display rows for expectation outcomes from ``validation_results``."""
    return pd.DataFrame(
        {
            "Source": results["source"].astype(str).tolist(),
            "Expectation": results["expectation_type"].astype(str).tolist(),
            "Column": [MISSING if is_missing(c) else str(c) for c in results["column_name"]],
            "Critical": ["Critical" if c else "Warning only" for c in results["critical"]],
            "Result": [check_mark(s) for s in results["success"]],
            "Rows checked": [format_count(n) for n in results["element_count"]],
            "Unexpected": [format_count(n) for n in results["unexpected_count"]],
            "Unexpected %": [format_value(s, UNIT_PERCENT) for s in results["unexpected_share"]],
        }
    )


# ------------------------------------------------------------------ services and leadership


def filter_catalog(catalog: pd.DataFrame, query: str) -> pd.DataFrame:
    """Services whose name, department (id or name) or a channel contains the query (any
    case)."""
    needle = query.strip().casefold()
    if not needle:
        return catalog
    keep = [
        needle in str(name).casefold()
        or needle in str(department).casefold()
        or needle in department_name.casefold()
        or any(needle in str(label).casefold() for label in labels)
        or any(needle in str(channel).casefold() for channel in channels)
        for name, department, department_name, labels, channels in zip(
            catalog["service"],
            catalog["department"],
            department_names(catalog),
            catalog["channel_labels"],
            catalog["channels"],
            strict=True,
        )
    ]
    return catalog[keep]


def catalog_table(catalog: pd.DataFrame) -> pd.DataFrame:
    """Display rows for the service catalog from ``service_catalog``."""
    return pd.DataFrame(
        {
            "Service": catalog["service"].astype(str).tolist(),
            "Department": department_names(catalog),
            "Channels": [", ".join(labels) for labels in catalog["channel_labels"]],
            "How it is delivered": [as_text(v) for v in catalog["mechanism"]],
            "Fees": [as_text(v) for v in catalog["fees"]],
            "What a resident must do": [
                as_text(must) + (" Application required." if bool(application) else "")
                for must, application in zip(
                    catalog["resident_must"], catalog["application"], strict=True
                )
            ],
            "Documents": [", ".join(docs) if docs else MISSING for docs in catalog["documents"]],
            "Rank": [MISSING if is_missing(r) else str(int(r)) for r in catalog["rank"]],
            # The ranking alone; leadership's confirmed cohorts are on the cohort board.
            "Cohort by rank": [as_text(v) for v in catalog["cohort_label"]],
        }
    )


def ranking_table(ranking: pd.DataFrame, factors: pd.DataFrame) -> pd.DataFrame:
    """Rank, service, score, each factor's contribution (in priority order), cohort, reason."""
    contributions = factors.pivot(index="service", columns="factor_label", values="contribution")
    labels = factors.drop_duplicates("factor_order").sort_values("factor_order")["factor_label"]
    table = pd.DataFrame(
        {
            "Rank": ranking["rank"].astype(int).tolist(),
            "Service": ranking["service"].astype(str).tolist(),
            "Department": department_names(ranking),
            "Score": [format_score(s) for s in ranking["score"]],
            "Cohort by rank": [as_text(v) for v in ranking["cohort_label"]],
            "Reason": ranking["reason"].astype(str).tolist(),
        }
    )
    for label in labels:
        table[str(label)] = [
            format_score(contributions.at[service, label]) for service in ranking["service"]
        ]
    return table


def factor_detail_table(factors: pd.DataFrame, service: str) -> pd.DataFrame:
    """One service's six factors: weight, score, contribution and where each came from."""
    rows = factors[factors["service"] == service]
    return pd.DataFrame(
        {
            "Factor": rows["factor_label"].astype(str).tolist(),
            "Weight": [format_score(w) for w in rows["weight"]],
            "Score": [format_score(s) for s in rows["score"]],
            "Contribution": [format_score(c) for c in rows["contribution"]],
            "From": [
                "Warehouse data" if basis == "warehouse" else "services.yml"
                for basis in rows["basis"]
            ],
            "Detail": [as_text(d) for d in rows["detail"]],
        }
    )


def index_table(
    index: pd.DataFrame, name_column: str, links: list[str] | None = None
) -> pd.DataFrame:
    """Display rows for leadership index values from ``leadership_latest``; ``links``: each
    row's department page, shown as 'Department view →'."""
    table = pd.DataFrame(
        {
            name_column: (
                index["scope_label"] if "scope_label" in index.columns else index["scope_name"]
            )
            .astype(str)
            .tolist(),
            "Period": [as_text(p) for p in index["period_label"]],
            "Index": [format_score(v) for v in index["index_value"]],
            "Change": [
                MISSING if is_missing(change) else f"{format_signed(change)} vs {prior}"
                for change, prior in zip(
                    index["index_change"], index["prior_period_label"], strict=True
                )
            ],
            status_label("on_track"): index["on_track"].astype(int).tolist(),
            status_label("watch"): index["watch"].astype(int).tolist(),
            status_label("off_track"): index["off_track"].astype(int).tolist(),
            "Metrics scored": [
                f"{int(scored)} of {int(total)}"
                for scored, total in zip(
                    index["metrics_scored"], index["metrics_total"], strict=True
                )
            ],
        }
    )
    if links is not None:
        table["Open"] = link_column(
            (table_link("Department view →", link) for link in links), table.index
        )
    return table


def movers_table(movers: pd.DataFrame, grain: str) -> pd.DataFrame:
    """Display rows for metrics whose score against target moved the most."""
    return pd.DataFrame(
        {
            "Metric": movers["label"].astype(str).tolist(),
            # The link next to the name, so a wide table never pushes it out of sight.
            "Details": metric_links(movers["metric_id"], grain),
            "Department": department_names(movers),
            "Value": [
                f"{format_value(prior, unit)} → {format_value(value, unit)}"
                for prior, value, unit in zip(
                    movers["prior_value"], movers["value"], movers["unit"], strict=True
                )
            ],
            "Target": [
                format_value(t, u) for t, u in zip(movers["target"], movers["unit"], strict=True)
            ],
            "Score vs target": [
                f"{format_score(prior)} → {format_score(score)}"
                for prior, score in zip(movers["prior_score"], movers["score"], strict=True)
            ],
            "Change": [format_signed(c) for c in movers["score_change"]],
            "Status": [status_label(s) for s in movers["status"]],
        }
    )


def freshness_table(loads: pd.DataFrame) -> pd.DataFrame:
    """Display rows for each source's latest loaded file from ``latest_loads``."""
    return pd.DataFrame(
        {
            "Source": loads["source"].astype(str).tolist(),
            "Table": loads["canonical_table"].astype(str).tolist(),
            "Latest file": loads["file"].astype(str).tolist(),
            "Loaded": [format_timestamp(t) for t in loads["loaded_at"]],
            "SHA-256": [short_hash(h) for h in loads["file_sha256"]],
            "Read": [format_count(n) for n in loads["rows_read"]],
            "Quarantined": [format_count(n) for n in loads["rows_quarantined"]],
            "Rejected": [format_count(n) for n in loads["rows_rejected"]],
            "Inserted": [format_count(n) for n in loads["rows_inserted"]],
            "Updated": [format_count(n) for n in loads["rows_updated"]],
            "Unchanged": [format_count(n) for n in loads["rows_unchanged"]],
        }
    )


def set_aside_table(totals: pd.DataFrame) -> pd.DataFrame:
    """Display rows for every file behind the published data, per table, from ``set_aside``."""
    return pd.DataFrame(
        {
            "Records": [table_words(t).many.capitalize() for t in totals["canonical_table"]],
            "Files": [format_count(n) for n in totals["files"]],
            "Read": [format_count(n) for n in totals["rows_read"]],
            "Staged": [format_count(n) for n in totals["rows_staged"]],
            "Quarantined": [format_count(n) for n in totals["rows_quarantined"]],
            "Rejected": [format_count(n) for n in totals["rows_rejected"]],
        }
    )


RUN_STEP_ORDER = ("read", "stage", "validate", "merge", "metrics", "publish")


def step_table(steps: pd.DataFrame) -> pd.DataFrame:
    """Seconds per step for each run (rows) and step (columns, pipeline order), summed."""
    totals = steps.groupby(["run_id", "step"], sort=False)["seconds"].sum().unstack("step")
    ordered = [s for s in RUN_STEP_ORDER if s in totals.columns]
    ordered += sorted(set(totals.columns) - set(RUN_STEP_ORDER))
    runs = list(dict.fromkeys(steps["run_id"]))
    totals = totals.reindex(index=runs, columns=ordered)
    table = pd.DataFrame({"Run": runs})
    for step in ordered:
        table[step.capitalize()] = [
            MISSING if is_missing(s) else f"{float(s):,.1f} s" for s in totals[step]
        ]
    table["Total"] = [f"{float(s):,.1f} s" for s in totals.sum(axis=1)]
    return table


# ------------------------------------------------------------------------- CSV downloads
