"""Every version of a metric's definition, with the date it took effect: a run that changes
nothing adds nothing, a changed filter adds a version, a rebuild keeps the history."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dashboard.components.definition_changes import (
    FieldChange,
    definition_changes,
    definition_history_markdown,
    history_rule,
)
from pipelines.metrics.definition_history import (
    carry_definition_history,
    definition_json,
    record_definition_versions,
)
from pipelines.run.pipeline import recompute_metrics, run_pipeline
from pipelines.warehouse.schema import create_schema
from tests.metrics_support import config, metric_yaml

POTHOLES = metric_yaml(
    "potholes", "unit: requests\nkind: count\nfilter: {service_name: [Pothole]}\n"
)
OPENED = metric_yaml("opened", "unit: requests\nkind: count\n")
FIRST, SECOND, THIRD = (datetime(2026, 12, d, 6, 0) for d in (1, 2, 3))


def _versions(con: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    return con.execute(
        "SELECT metric_id, version, effective_from, run_id FROM metric_definition_versions "
        "ORDER BY metric_id, version"
    ).fetchall()


def test_an_unchanged_run_adds_nothing_and_a_changed_filter_adds_a_version() -> None:
    con = duckdb.connect()
    create_schema(con)
    # Run 1 publishes both metrics: version 1 of each, effective from run 1's start.
    assert record_definition_versions(con, config(POTHOLES, OPENED), "run-1", FIRST) == 2
    # Run 2 with the same definitions: nothing new.
    assert record_definition_versions(con, config(POTHOLES, OPENED), "run-2", SECOND) == 0
    # Run 3 counts graffiti instead: potholes gets version 2, effective from run 3's start;
    # opened is unchanged and keeps version 1.
    graffiti = POTHOLES.replace("[Pothole]", "[Graffiti]")
    assert record_definition_versions(con, config(graffiti, OPENED), "run-3", THIRD) == 1
    assert _versions(con) == [
        ("opened", 1, FIRST, "run-1"),
        ("potholes", 1, FIRST, "run-1"),
        ("potholes", 2, THIRD, "run-3"),
    ]
    before, after = (
        r[0]
        for r in con.execute(
            "SELECT definition FROM metric_definition_versions WHERE metric_id = 'potholes' "
            "ORDER BY version"
        ).fetchall()
    )
    assert definition_changes(before, after) == [
        FieldChange(
            "filter",
            '[{"column": "service_name", "op": "in", "value": ["Pothole"]}]',
            '[{"column": "service_name", "op": "in", "value": ["Graffiti"]}]',
        )
    ]


def test_a_definition_is_compared_as_written_without_defaults() -> None:
    # watch_band: 0 is the default, so writing it out is no change of definition.
    explicit = POTHOLES + "    watch_band: 0\n"
    assert definition_json(config(explicit).metrics[0]) == definition_json(
        config(POTHOLES).metrics[0]
    )


def test_a_rebuild_carries_the_history_of_the_published_version(tmp_path: Path) -> None:
    published = tmp_path / "published.duckdb"
    with duckdb.connect(str(published)) as con:
        create_schema(con)
        record_definition_versions(con, config(POTHOLES), "run-1", FIRST)
    with duckdb.connect(str(tmp_path / "build.duckdb")) as con:
        create_schema(con)
        carry_definition_history(con, published)
        assert _versions(con) == [("potholes", 1, FIRST, "run-1")]
        assert con.execute(
            "SELECT count(*) FROM duckdb_databases() WHERE database_name = 'previous'"
        ).fetchone() == (0,)


def test_the_page_says_when_and_how_the_definition_changed() -> None:
    versions = pd.DataFrame(
        {
            "version": [2, 1],
            "effective_from": [THIRD, FIRST],
            "definition": [
                '{"filter": [{"value": ["Graffiti"]}], "label": "Requests *new*", '
                '"target": {"from_history": "last_year_median"}}',
                '{"filter": [{"value": ["Pothole"]}], "label": "Requests\\nold"}',
            ],
        }
    )
    # Label text from metrics.yml is escaped; a multi-line value stays on one line.
    assert definition_history_markdown(versions) == (
        "**Definition history.** Last changed on 2026-12-03 (version 2):\n"
        '- filter: was \\[\\{"value": \\["Pothole"\\]\\}\\]; '
        'now \\[\\{"value": \\["Graffiti"\\]\\}\\]\n'
        "- label: was Requests old; now Requests \\*new\\*\n"
        "- target.from_history: was (not set); now last_year_median"
    )
    assert definition_history_markdown(versions.iloc[1:]) == (
        "**Definition history.** Unchanged since it was first published on 2026-12-01."
    )
    assert definition_history_markdown(versions.iloc[:0]) is None
    assert history_rule(str(versions.iloc[0]["definition"])) == "last_year_median"
    assert history_rule(str(versions.iloc[1]["definition"])) is None


ROWS = "".join(f"T{i},2024-01-{i:02d} 08:00,,Open\n" for i in range(1, 21))


@pytest.mark.slow
def test_whole_runs_keep_each_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sources, data = tmp_path / "sources", tmp_path / "data"
    sources.mkdir()
    (data / "town").mkdir(parents=True)
    monkeypatch.setenv("CITYSTAT_SOURCES_DIR", str(sources))
    monkeypatch.setenv("CITYSTAT_DATA_DIR", str(data))
    (sources / "town.yml").write_text(
        "source: town\ntitle: Town 311\ncity: Town\nfiles: {pattern: town/*.csv}\n"
        "timezone: America/Chicago\ntimestamps: {formats: ['%Y-%m-%d %H:%M']}\n"
        "columns: {request_id: id, opened_at: opened, closed_at: closed, status: state}\n"
        "statuses: {Open: open, Closed: closed}\n",
        encoding="utf-8",
    )
    (data / "town" / "extract.csv").write_text("id,opened,closed,state\n" + ROWS, "utf-8")
    metrics = tmp_path / "metrics.yml"
    metrics.write_text(
        "city: {name: Town, sources: [town]}\nmetrics:\n"
        + OPENED.replace("Streets Department", "Public Works")
        + "    grains: [month]\n    dimensions: []\n",
        encoding="utf-8",
    )
    warehouse = data / "citystat.duckdb"

    def versions() -> list[tuple[object, ...]]:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            return con.execute(
                "SELECT version, run_id, effective_from FROM metric_definition_versions "
                "ORDER BY version"
            ).fetchall()

    def runs() -> list[tuple[object, ...]]:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            return con.execute("SELECT run_id, started_at FROM runs ORDER BY started_at").fetchall()

    assert run_pipeline(metrics, warehouse).published
    assert run_pipeline(metrics, warehouse).published  # nothing changed: no new version
    first_run, _ = runs()
    assert versions() == [(1, *first_run)]
    metrics.write_text(
        metrics.read_text().replace("kind: count", "kind: count\n    filter: {status: open}")
    )
    assert recompute_metrics(metrics, warehouse).published
    # Version 2 took effect with the --metrics-only run that first computed the new filter.
    *_, recompute_run = runs()
    assert versions() == [(1, *first_run), (2, *recompute_run)]
    # A rebuild starts from an empty warehouse (its runs table too) but keeps the history, and
    # adds no version: the definitions are those of version 2.
    assert run_pipeline(metrics, warehouse, rebuild=True).published
    assert len(runs()) == 1
    assert versions() == [(1, *first_run), (2, *recompute_run)]
