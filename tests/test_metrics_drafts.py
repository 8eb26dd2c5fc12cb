"""Draft metrics (issue 16, item 3): checked like metrics.yml, previewed against the published
warehouse with their status and leadership-index moves, and saved for the dashboard."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from pipelines.catalog.drafts import DRAFT_VALUES, IndexMove, index_moves
from pipelines.cli.metrics import metrics
from pipelines.config.issues import MetricsFileError
from pipelines.metrics import load_metrics
from pipelines.metrics.drafts import load_draft
from pipelines.metrics.model import Metric
from pipelines.warehouse.schema import create_schema
from tests.dashboard_fixture import METRICS, build_fixture_warehouse

CITY = """\
name: Testville
timezone: America/New_York
fiscal_year_start_month: 7
departments:
  - {id: streets, name: Streets Department}
  - {id: licenses_inspections, name: Licenses and Inspections}
"""
METRICS_YML = """\
defaults: {min_count: 2, grains: [month], dimensions: []}
metrics:
  - id: permits_received
    label: Permit applications received
    description: d
    methodology: m
    department: licenses_inspections
    owner: o
    unit: permits
    kind: count
    table: permits
"""
DRAFT = """\
metrics:
  - id: permits_within_30_days
    label: Permits issued within 30 days of application
    description: Share of permit applications issued within 30 days.
    methodology: Applications by the month they were made in.
    department: licenses_inspections
    owner: o
    unit: percent
    direction: higher_is_better
    kind: share
    table: permits
    within_days: 30
    targets: [{from: 2024-01-01, value: 0.8}]
"""
T = datetime.fromisoformat


@pytest.fixture
def city(tmp_path: Path) -> Path:
    (tmp_path / "city.yml").write_text(CITY)
    (tmp_path / "metrics.yml").write_text(METRICS_YML)
    (tmp_path / "draft.yml").write_text(DRAFT)
    return tmp_path


def _draft_issues(city: Path, text: str) -> list[str]:
    (city / "draft.yml").write_text(text)
    with pytest.raises(MetricsFileError) as raised:
        load_draft(city / "draft.yml", load_metrics(city / "metrics.yml"))
    return [str(issue) for issue in raised.value.issues]


def test_a_draft_joins_the_city_s_metrics_with_its_defaults(city: Path) -> None:
    config = load_draft(city / "draft.yml", load_metrics(city / "metrics.yml"))
    assert [m.id for m in config.metrics] == ["permits_received", "permits_within_30_days"]
    draft = config.metric("permits_within_30_days")
    assert draft.grains == ["month"] and draft.min_count == 2
    assert draft.numerator is not None  # within_days written out
    assert config.file_label == "draft.yml"


def test_a_draft_is_checked_at_its_own_lines_with_the_city_s_registry(city: Path) -> None:
    text = DRAFT.replace("licenses_inspections", "Licenses and Inspections").replace(
        "kind: share", "kind: shares"
    )
    assert _draft_issues(city, text) == [
        "draft.yml:6: metric 'permits_within_30_days': department 'Licenses and Inspections' "
        "is not a department id in city.yml; write its id 'licenses_inspections'",
        "draft.yml:10: metric 'permits_within_30_days': unknown kind 'shares'; did you mean "
        "'share'?",
    ]


def test_a_draft_holds_only_metrics(city: Path) -> None:
    assert _draft_issues(city, "defaults: {min_count: 5}\n" + DRAFT) == [
        "draft.yml:1: a draft holds only 'metrics:', not 'defaults'; remove it: the defaults "
        "and the city come from metrics.yml and city.yml"
    ]
    assert _draft_issues(city, "permits_within_30_days: {}\n") == [
        "draft.yml:1: a draft is a 'metrics:' list, as in metrics.yml; start the file with "
        "'metrics:' and list the draft metrics under it"
    ]


def test_a_draft_may_divide_and_replace_the_city_s_metrics(city: Path) -> None:
    ratio = DRAFT + (
        "  - id: within_per_received\n    label: r\n    description: d\n    methodology: m\n"
        "    department: licenses_inspections\n    owner: o\n    unit: ratio\n    kind: ratio\n"
        "    numerator_metric: permits_within_30_days\n"
        "    denominator_metric: permits_received\n"
        "  - id: permits_received\n    label: Permits received (issued date)\n"
        "    description: d\n    methodology: m\n    department: licenses_inspections\n"
        "    owner: o\n    unit: permits\n    kind: count\n    table: permits\n"
        "    date: issued_at\n"
    )
    (city / "draft.yml").write_text(ratio)
    config = load_draft(city / "draft.yml", load_metrics(city / "metrics.yml"))
    assert [m.id for m in config.metrics] == [
        "permits_within_30_days",
        "within_per_received",
        "permits_received",
    ]
    assert config.metric("permits_received").date == "issued_at"  # the draft's stands in


def _warehouse(city: Path) -> Path:
    path = city / "data" / "citystat.duckdb"
    path.parent.mkdir()
    permits = [
        # March 2024: on time, late, open and already late; open and not yet due (April)
        ("p1", "issued", T("2024-03-01"), T("2024-03-10")),
        ("p2", "issued", T("2024-03-02"), T("2024-04-20")),
        ("p3", "in_review", T("2024-03-03"), None),
        ("p4", "in_review", T("2024-04-25"), None),
    ]
    with duckdb.connect(str(path)) as con:
        create_schema(con)
        con.executemany(
            "INSERT INTO permits (permit_id, status, applied_at, issued_at) VALUES (?, ?, ?, ?)",
            permits,
        )
    return path


def test_preview_of_a_draft_prints_values_status_and_saves_it(
    city: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = _warehouse(city)
    monkeypatch.setenv("CITYSTAT_DATA_DIR", str(city / "data"))
    args = [
        "preview",
        "permits_within_30_days",
        "--draft",
        str(city / "draft.yml"),
        "--file",
        str(city / "metrics.yml"),
        "--warehouse",
        str(warehouse),
        "--save",
    ]
    result = CliRunner().invoke(metrics, args)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    # As of 25 April (the latest record): March is complete, 1 on time of 3 decided.
    assert lines[0] == (
        "permits_within_30_days, 2024-03 (latest complete month): 33.3% against the draft "
        "target of at least 80.0%: off track."
    )
    assert lines[1] == ("Leadership index: none in this warehouse (the city has no services.yml).")
    saved = city / "data" / "drafts" / "permits_within_30_days.duckdb"
    assert lines[2] == f"Saved for the dashboard's Metric page (Drafts): {saved}"
    rows = [line.split() for line in lines[4:]]
    # April's one application is still within its 30 days: no April row yet.
    assert [(r[1], r[4], r[5], r[6]) for r in rows] == [("2024-03", "0.333333", "1.0", "3.0")]
    with duckdb.connect(str(saved), read_only=True) as con:
        definition = con.execute(
            "SELECT metric_id, kind, draft_file, explanation FROM draft_definitions"
        ).fetchone()
        assert definition is not None and definition[:3] == (
            "permits_within_30_days",
            "share",
            str(city / "draft.yml"),
        )
        assert "within 30 days" in definition[3]
        assert con.execute(
            "SELECT count(*) FROM draft_values WHERE dimension = 'citywide'"
        ).fetchone() == (1,)
    # The published warehouse was only read.
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM metric_values").fetchone() == (0,)


def test_save_needs_a_draft(city: Path) -> None:
    result = CliRunner().invoke(
        metrics, ["preview", "permits_received", "--file", str(city / "metrics.yml"), "--save"]
    )
    assert result.exit_code == 2 and "--save keeps a draft for the dashboard" in result.output


def test_preview_never_shows_a_raw_database_error(city: Path) -> None:
    # A warehouse from an older citystat, without a column the metric reads.
    warehouse = _warehouse(city)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("ALTER TABLE permits DROP COLUMN issued_at")
    args = ["preview", "permits_within_30_days", "--draft", str(city / "draft.yml")]
    args += ["--file", str(city / "metrics.yml"), "--warehouse", str(warehouse)]
    result = CliRunner().invoke(metrics, args)
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith("draft.yml:2: metric 'permits_within_30_days' could not be computed (")
    assert line.endswith(
        "the warehouse may predate this citystat: run `citystat run --metrics-only`"
    )
    assert "Traceback" not in result.output


# ---------------------------------------------------------------- the index, worked out by hand
# The fixture warehouse's Streets index (tests/dashboard_fixture.py), month grain:
#   2025-02: on time 0.78/0.80 = 0.975, median 3.0/2.9 = 1.0345  -> 1.00474
#   2025-03: on time 0.824/0.80 = 1.03,  median 3.0/3.2 = 0.9375 -> 0.98375
DEPARTMENT = str(METRICS[0][4])


def _moves(tmp_path: Path, metric_id: str, values: list[tuple[str, float, str]]) -> list[IndexMove]:
    path = tmp_path / "citystat.duckdb"
    build_fixture_warehouse(path)
    metric = Metric.model_validate(
        {
            "id": metric_id,
            "label": "l",
            "description": "d",
            "methodology": "m",
            "department": DEPARTMENT,
            "owner": "o",
            "cohort_service": "Street defects and potholes",
            "unit": "percent",
            "direction": "higher_is_better",
            "kind": "share",
        }
    )
    with duckdb.connect(str(path), read_only=True) as con:
        con.execute(
            f"CREATE TEMP TABLE {DRAFT_VALUES} (grain VARCHAR, period_start DATE, "
            "period_label VARCHAR, is_complete BOOLEAN, dimension VARCHAR, value DOUBLE, "
            "target DOUBLE, status VARCHAR)"
        )
        for label, value, status in values:
            con.execute(
                f"INSERT INTO {DRAFT_VALUES} VALUES ('month', CAST(? || '-01' AS DATE), ?, "
                "true, 'citywide', ?, 0.8, ?)",
                [label, label, value, status],
            )
        return index_moves(con, metric, "month", cap=1.5)


def test_a_new_draft_joins_its_department_and_cohort_index(tmp_path: Path) -> None:
    moves = _moves(
        tmp_path,
        "street_defect_within_5_days",
        [("2025-02", 0.85, "on_track"), ("2025-03", 0.9, "on_track")],
    )
    got = {(m.scope, m.period_label): (m.published, m.with_draft, m.draft_score) for m in moves}
    # 2025-03: (1.03 + 0.9375 + 0.9/0.8) / 3 = 1.030833; 2025-02: (0.975 + 1.0345 + 1.0625) / 3
    assert got[("department", "2025-03")] == pytest.approx((0.98375, 1.0308333, 1.125), abs=1e-4)
    assert got[("department", "2025-02")] == pytest.approx((1.00474, 1.02400, 1.0625), abs=1e-4)
    # The street defect service is in FY2025 Q4, whose only metrics are the same two.
    cohorts = {m.scope_name for m in moves if m.scope == "cohort"}
    assert cohorts == {"FY2025 Q4"}
    assert got[("cohort", "2025-03")] == got[("department", "2025-03")]


def test_a_draft_with_a_published_id_stands_in_for_it(tmp_path: Path) -> None:
    # street_defect_on_time at 0.60 of 0.80: 0.75, beside the median's 0.9375 -> 0.84375.
    moves = _moves(tmp_path, "street_defect_on_time", [("2025-03", 0.6, "off_track")])
    (department,) = [m for m in moves if m.scope == "department"]
    assert (department.published, department.with_draft) == pytest.approx((0.98375, 0.84375))


def test_an_unscored_draft_leaves_the_index_as_it_is(tmp_path: Path) -> None:
    moves = _moves(tmp_path, "street_defect_within_5_days", [("2025-03", 0.9, "too_little_data")])
    (department,) = [m for m in moves if m.scope == "department"]
    assert department.draft_score is None
    assert department.with_draft == pytest.approx(department.published)
