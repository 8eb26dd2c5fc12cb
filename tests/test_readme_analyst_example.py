"""README's "From a question to a published metric", run as written on a small generated city.

The city: the demo's permit mapping and generated permits, two permit metrics and a one-service
catalog. The draft is the README's YAML block and the commands are its `sh` blocks, run in
order from the city's folder (as `--city`); the one step that is not a command, moving the
entry into metrics.yml, is done as the README says.
"""

from __future__ import annotations

import re
import shlex
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from pipelines.cli.main import main
from pipelines.demo.permits import generate_permits
from pipelines.warehouse.layout import PROJECT_ROOT

pytestmark = pytest.mark.slow
README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
SECTION = README.split("## From a question to a published metric\n", 1)[1].split("\n## ", 1)[0]

CITY = """\
name: Permitville
timezone: America/New_York
fiscal_year_start_month: 7
sources: [philadelphia_permits_demo]
mappings: sources
departments:
  - {id: licenses_inspections, name: Licenses and Inspections}
"""
METRICS = """\
defaults:
  min_count: 20
  grains: [month, quarter]
  dimensions: [council_district]

metrics:
  - id: permits_issued
    label: Permits issued
    description: Permits issued in the period.
    methodology: Counts every permit by the date it was issued.
    department: licenses_inspections
    owner: Deputy Commissioner, Permits
    cohort_service: Building permits
    unit: permits
    direction: higher_is_better
    kind: count
    table: permits
    date: issued_at
    targets: [{from: 2023-07-01, value: 40}]
  - id: permit_review_median_days
    label: Median days from application to issue
    description: Half of the permits issued took at most this many days.
    methodology: Median of the days from application to issue.
    department: licenses_inspections
    owner: Deputy Commissioner, Permits
    cohort_service: Building permits
    unit: days
    direction: lower_is_better
    kind: duration_percentile
    table: permits
    start: applied_at
    end: issued_at
    percentile: 0.5
    targets: [{from: 2023-07-01, value: 6}]
"""
SERVICES = """\
channels: {website: Website}
prioritization:
  weights: {importance: 0.4, life_safety: 0.2, equity: 0.2, time_tax: 0.1, resources: 0.05,
            spillover: 0.05}
  people_served_full_score: 9999
cohorts: {first_start: 2024-07-01, capacity: 2}
services:
  - name: Building permits
    department: licenses_inspections
    description: Permits to build, alter or demolish.
    channels: [website]
    mechanism: Plan review and issue.
    fees: By permit type
    resident_must: Apply online with plans.
    application: true
    cohort_service: Building permits
    priority: {people_served: 5000, life_safety: 0.6, equity: 0.3, time_tax: 0.7,
               resources: 0.5, spillover: 0.4}
"""


def _draft_block() -> tuple[str, str]:
    """The draft's file name (from the prose before it) and its YAML."""
    name = re.search(r"`(drafts/[\w.]+\.yml)`", SECTION)
    (block,) = re.findall(r"```yaml\n(.*?)```", SECTION, flags=re.S)
    assert name is not None
    return name.group(1), block


def _commands() -> list[list[str]]:
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", SECTION, flags=re.S):
        lines += [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert all(line.startswith(".venv/bin/citystat ") for line in lines)
    return [shlex.split(line)[1:] for line in lines]


@pytest.fixture
def city(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "city.yml").write_text(CITY)
    (tmp_path / "metrics.yml").write_text(METRICS)
    (tmp_path / "services.yml").write_text(SERVICES)
    (tmp_path / "sources").mkdir()
    mapping = PROJECT_ROOT / "pipelines" / "sources" / "philadelphia_permits_demo.yml"
    shutil.copy(mapping, tmp_path / "sources" / mapping.name)
    generate_permits(
        tmp_path / "data" / "demo", rows=1_500, seed=7, start=date(2024, 1, 1), end=date(2025, 6, 1)
    )
    for name in ("CITYSTAT_DATA_DIR", "CITYSTAT_WAREHOUSE", "CITYSTAT_METRICS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("CITYSTAT_SERVICES_FILE", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _citystat(city: Path, args: list[str]) -> str:
    result = CliRunner().invoke(main, ["--city", str(city), *args])
    assert result.exit_code == 0, (args, result.output)
    return result.stdout


def test_the_readme_example_publishes_the_metric(city: Path) -> None:
    _citystat(city, ["run"])  # the city's published warehouse, as after `make demo`
    name, draft = _draft_block()
    (city / name).parent.mkdir()
    (city / name).write_text(draft)
    outputs = {}
    for args in _commands():
        if args[:2] == ["metrics", "check"] and "--draft" not in args:
            # Step 5: the entry moves from the draft to the end of metrics.yml.
            entry = draft.split("metrics:\n", 1)[1]
            metrics_yml = city / "metrics.yml"
            metrics_yml.write_text(metrics_yml.read_text() + entry)
        outputs[" ".join(args[:2])] = _citystat(city, args)
    assert outputs["metrics check"] == (
        "metrics.yml: 3 metrics, no problems found (services.yml agrees)\n"
        f"Filter values checked against {city / 'data' / 'citystat.duckdb'}.\n"
    )
    preview = outputs["metrics preview"].splitlines()
    assert (
        "latest complete month" in preview[0]
        and "against the draft target of at least 80.0%" in preview[0]
    )
    assert preview[1] == "Leadership index by month: as published -> with the draft"
    assert preview[2].startswith("  department licenses_inspections, ")
    # Data to 1 Jun 2025: the permits service is proposed for the quarter in progress.
    assert any(line.startswith("  cohort FY2025 Q4") for line in preview)
    assert (city / "data" / "drafts" / "permits_within_30_days.duckdb").exists()
    card = outputs["metrics explain"]
    assert card.startswith(
        "Permits issued within 30 days of application (permits_within_30_days)\n"
    )
    assert "counts as late" in card and "-- parameters:" in card
    # Published: values, and the card for the metric page.
    with duckdb.connect(str(city / "data" / "citystat.duckdb"), read_only=True) as con:
        explanation = con.execute(
            "SELECT explanation FROM metric_definitions WHERE metric_id = 'permits_within_30_days'"
        ).fetchone()
        rows = con.execute(
            "SELECT count(*) FROM metric_values WHERE metric_id = 'permits_within_30_days' "
            "AND dimension = 'citywide' AND grain = 'month' AND value IS NOT NULL"
        ).fetchone()
        index = con.execute(
            "SELECT count(*) FROM metric_index_scores WHERE metric_id = 'permits_within_30_days'"
        ).fetchone()
    assert explanation is not None and "within 30 days of their applied_at" in explanation[0]
    assert rows is not None and rows[0] >= 12
    assert index is not None and index[0] > 0
