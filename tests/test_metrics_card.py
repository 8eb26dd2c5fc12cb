"""A metric's card (issue 16, item 5): one pure function writes the metric in plain words;
`citystat metrics explain` prints it above the SQL, and each run publishes it for the metric
page's "How it is computed"."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from click.testing import CliRunner

from pipelines.cli.metrics import metrics
from pipelines.metrics import compute_metrics, load_metrics
from pipelines.metrics.describe import describe_metric
from tests.metrics_support import config, config_text, metric_yaml, warehouse

ROOT = Path(__file__).resolve().parent.parent

WITHIN = metric_yaml(
    "permits_within_30_days",
    "unit: percent\ndirection: higher_is_better\nkind: share\ntable: permits\nwithin_days: 30\n"
    "filter: {permit_type: [Building, Zoning]}\n"
    "targets: [{from: 2024-07-01, value: 0.8}]\nwatch_band: 0.05\ndimensions: [permit_type]\n",
)
BACKLOG = metric_yaml(
    "overdue",
    "unit: requests\ndirection: lower_is_better\nkind: backlog\noverdue: true\n"
    "age_buckets: [30, 60]\nfilter: [{column: opened_at, op: '>=', value: 2024-01-01}]\n"
    "grains: [month]\n",
)


def test_a_within_days_share_in_plain_words() -> None:
    assert describe_metric(config(WITHIN), "permits_within_30_days").splitlines() == [
        "The share of permits whose issued_at came within 30 days of their applied_at, each in "
        "the period of its applied_at. A record still without issued_at more than 30 days "
        "after its applied_at counts as late; one still within its 30 days is not counted yet "
        "(it may still make it). Cancelled permits are left out.",
        "Filters: only permits where permit_type is one of 'Building', 'Zoning'.",
        "Target: at least 80% from 2024-07-01. On track when the value is at or above the "
        "target; watch within 5% of it on the wrong side; off track beyond. A period with "
        "fewer than 1 records in the population is 'too little data'.",
        "Computed by week, month, quarter and fiscal year (the fiscal year starts in July); "
        "citywide and by permit type.",
    ]


def test_a_backlog_in_plain_words() -> None:
    assert describe_metric(config(BACKLOG), "overdue").splitlines() == [
        "The service requests open at the end of each period: those with an opened_at before "
        "it and no closed_at yet, and already past their due_at (cancelled records never "
        "count). On past dates each record is judged by the version loaded on that date; the "
        "current period counts what is open at the data's as-of time. An age breakdown counts "
        "days since opened_at (bounds 30, 60).",
        "Filters: only service requests where opened_at is on or after 2024-01-01.",
        "Target: none, so every period's status is 'no target'.",
        "Computed by month; citywide and by council district.",
    ]


def test_every_demo_metric_has_a_card() -> None:
    demo = load_metrics(ROOT / "metrics.yml")
    for metric in demo.metrics:
        card = describe_metric(demo, metric.id)
        assert len(card.splitlines()) >= 3, metric.id
        assert "None" not in card and "{" not in card, (metric.id, card)
    ratio = describe_metric(demo, "cohort_closed_per_opened").splitlines()[0]
    assert ratio.startswith("Divides Cohort requests closed (cohort_requests_closed) by")


def test_explain_prints_the_card_then_the_sql(tmp_path: Path) -> None:
    path = tmp_path / "metrics.yml"
    path.write_text(config_text(WITHIN))
    result = CliRunner().invoke(metrics, ["explain", "permits_within_30_days", "--file", str(path)])
    assert result.exit_code == 0, result.output
    card, _, sql = result.output.partition("\n\n")
    assert card.splitlines()[0] == "Test metric (permits_within_30_days)"
    assert "counts as late" in card and "Filters: only permits where" in card
    assert sql.startswith("-- metric: permits_within_30_days\nWITH")
    assert "-- parameters:" in sql


def test_each_run_publishes_the_card() -> None:
    cfg = config(WITHIN, BACKLOG)
    con = warehouse([{"opened_at": datetime(2024, 3, 1)}])
    compute_metrics(con, cfg, datetime(2024, 3, 20))
    published = dict(
        con.execute("SELECT metric_id, explanation FROM metric_definitions").fetchall()
    )
    assert published == {m.id: describe_metric(cfg, m.id) for m in cfg.metrics}
