"""Words follow the kind (issue 14, item 3.3): messages and pages name a table's records by
pipelines.warehouse.words (requests, permits, inspections counted in cases), never "requests"
for all of them; and what treats counts as counts (district gaps) knows every table's unit."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from pipelines.cli.metrics import metrics as metrics_group
from pipelines.config.issues import MetricsFileError
from pipelines.metrics import load_metrics_text
from pipelines.validate.sql_rules import reason_expression
from pipelines.validate.suite import NOT_NULL, Rule
from pipelines.warehouse.schema import CANONICAL_TABLES, create_schema
from pipelines.warehouse.words import COUNT_UNITS, record_words
from tests.kind_town import build_kind_town, open_page, use_site
from tests.metrics_support import config_text, metric_yaml


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_kind_town(tmp_path_factory.mktemp("kind_town"))


def test_each_table_has_its_words() -> None:
    assert [(w.one, w.many, w.unit) for w in map(record_words, CANONICAL_TABLES)] == [
        ("request", "requests", "requests"),
        ("permit", "permits", "permits"),
        ("inspection", "inspections", "cases"),
    ]
    assert record_words(None).many == "requests"  # a warehouse from before permits
    assert record_words("licences").many == "records"
    assert record_words("permits").count(1) == "1 permit"
    assert record_words("inspections").counted(12034) == "12,034 cases"
    assert record_words("inspections").counted(1) == "1 case"
    assert {"requests", "permits", "cases"} == COUNT_UNITS


def test_a_quarantine_reason_names_an_inspection() -> None:
    rule = Rule(1, NOT_NULL, {"column": "case_id"}, True, "quarantine", ("case_id",))
    reason = reason_expression(rule, {}, CANONICAL_TABLES["inspections"])
    (text,) = duckdb.execute(f"SELECT {reason.text}", list(reason.params)).fetchone() or ("",)
    assert text == (
        "case_id is empty but every inspection needs it; fill it in the source system or map it "
        "in the city's source mapping"
    )


def test_a_count_in_another_tables_unit_is_named_at_its_line() -> None:
    text = config_text(
        metric_yaml("issued", "unit: requests\nkind: count\ntable: permits\ndimensions: []\n")
    )
    with pytest.raises(MetricsFileError) as err:
        load_metrics_text(text)
    # The metric starts on line 4; unit is its 7th line.
    assert [str(i) for i in err.value.issues] == [
        "metrics.yml:10: metric 'issued' counts permits records, which are permits, not "
        "requests; write 'unit: permits'"
    ]


def test_preview_of_an_empty_table_names_its_records(tmp_path: Path) -> None:
    path = tmp_path / "citystat.duckdb"
    with duckdb.connect(str(path)) as con:
        create_schema(con)
        con.execute(
            "INSERT INTO service_requests (request_id, opened_at) VALUES ('R1', ?)",
            [datetime(2024, 2, 10)],
        )
    metrics = tmp_path / "metrics.yml"
    metrics.write_text(
        config_text(metric_yaml("cases", "unit: cases\nkind: count\ntable: inspections\n"))
    )
    args = ["preview", "cases", "--file", str(metrics), "--warehouse", str(path)]
    result = CliRunner().invoke(metrics_group, args)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == (
        "cases: no values at grain month (no inspections loaded yet)"
    )


def test_a_permit_count_is_compared_per_district_not_flagged(warehouse: Path) -> None:
    # March: 2 permits citywide, 1 in each of districts 1 and 2. Compared with the citywide
    # total (2), each district would be 50% off and flagged; a count is compared with the
    # citywide total per district (2 / 2 = 1) and never flagged.
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "SELECT council_district, value, reference_value, reference_kind, flagged "
            "FROM district_gaps WHERE metric_id = 'permits_applied' AND period_label = '2024-03' "
            "ORDER BY council_district"
        ).fetchall()
    assert rows == [
        ("1", 1.0, 1.0, "citywide_per_district", False),
        ("2", 1.0, 1.0, "citywide_per_district", False),
    ]


@pytest.mark.parametrize(
    ("metric_id", "noun"), [("permits_applied", "permits"), ("requests_opened", "requests")]
)
def test_the_equity_page_says_what_a_count_counts(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch, metric_id: str, noun: str
) -> None:
    use_site(monkeypatch, warehouse, public=False)
    at = open_page("equity", metric=metric_id, grain="month")
    assert (
        f"This metric counts {noun}. Without district populations a count cannot be a rate: "
        "each district is shown against the citywide total divided by the number of districts, "
        "and no gap is flagged (a district's size, not its service, would drive it)."
    ) in [str(m.value) for m in at.markdown]
