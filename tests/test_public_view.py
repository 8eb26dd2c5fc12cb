"""The public site (CITYSTAT_PUBLIC=1): only public metrics, methodology beside every number,
an open-data CSV, and no record-level text anywhere in what it renders.

The fixture plants recognisable record-level strings where a careless page could pick them up:
an address and a status note in the raw extract and in quarantine reasons
(tests/dashboard_fixture.py), and a meeting with commentary and an action item in the meetings
database. Every public page is rendered with AppTest and everything it outputs (markdown,
captions, alerts, metric tiles, widget options, chart specs, dataframes, downloads) is scanned.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.components import site
from dashboard.meetings import actions as meeting_actions
from dashboard.meetings import schema as meeting_schema
from dashboard.meetings import store
from dashboard.meetings.permissions import SYSTEM
from dashboard.queries import packets, reader
from pipelines.metrics import compute_metrics, load_metrics
from pipelines.warehouse.layout import PROJECT_ROOT
from tests.dashboard_fixture import (
    RECORD_ADDRESS,
    RECORD_NOTE,
    DownloadCapture,
    build_fixture_warehouse,
    walk_elements,
)
from tests.metrics_support import config, metric_yaml, warehouse
from tests.tables_support import shown_cards

APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
COMMENT = "The Fairmount crew lead was off sick for most of March"
ACTION = "Ask Councilmember Quiñones-Sánchez about the Kensington yard"
MEETING_TITLE = "Budget hearing rehearsal"
INTERNAL_LABEL = "Median days to close a street defect"
PUBLIC_PAGES = ["Scorecard", "Metric", "Equity", "Data freshness", "Open data"]


@pytest.fixture(scope="module")
def site_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The fixture warehouse and a meetings database holding internal commentary."""
    folder = tmp_path_factory.mktemp("public")
    warehouse = folder / "wh.duckdb"
    build_fixture_warehouse(warehouse)
    wh = reader.Warehouse(str(warehouse), f"{warehouse.name}@{warehouse.stat().st_mtime_ns}")
    definitions, values = packets.packet_source(wh, ["street_defect_on_time"], "month")
    con = meeting_schema.connect(folder / "meetings.sqlite")
    spec = store.MeetingSpec(
        date(2025, 4, 20), "department", "Streets Department", "month", MEETING_TITLE
    )
    meeting = store.create_meeting(
        con, SYSTEM, spec, definitions, values, store.Provenance("run", None, str(warehouse))
    )
    store.save_commentary(
        con,
        SYSTEM,
        meeting,
        "street_defect_on_time",
        "2025-03",
        {"barriers": COMMENT},
        read_version=0,
    )
    meeting_actions.add_action(
        con, SYSTEM, meeting, "street_defect_on_time", ACTION, "Streets", date(2025, 5, 1)
    )
    con.close()
    return warehouse, folder / "meetings.sqlite"


@pytest.fixture
def public_env(site_files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    warehouse, meetings = site_files
    monkeypatch.setenv("CITYSTAT_WAREHOUSE", str(warehouse))
    monkeypatch.setenv(meeting_schema.MEETINGS_ENV, str(meetings))
    monkeypatch.setenv(site.PUBLIC_ENV, "1")
    yield warehouse


def rendered_output(at: AppTest, downloads: DownloadCapture | None = None) -> str:
    """Everything a page put on screen or offered for download, as one string."""
    parts: list[str] = []
    for node in walk_elements(at._tree):
        proto = getattr(node, "proto", None)
        if proto is not None:
            # Text format: bodies, labels, options, help, chart specs, metric values.
            parts.append(str(proto))
        if type(node).__name__ in ("Dataframe", "Table"):
            parts.append(node.value.to_csv())
    if downloads is not None:
        for button in at.get("download_button"):
            # A PDF packet is binary (its text compressed): read what text it shows as is.
            content = downloads.content(at, button.proto.label)
            parts.append(content.decode("utf-8", errors="replace"))
    return "\n".join(parts)


def _open(page: str, **params: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(f"views/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _forbidden(warehouse: Path) -> list[str]:
    return [
        RECORD_ADDRESS,
        RECORD_NOTE,
        "Wistful Vista",  # part of the address, however it is cut
        COMMENT,
        ACTION,
        MEETING_TITLE,
        INTERNAL_LABEL,
        "SR-00",  # quarantined record ids
        "SD-2-1",  # the raw extract's request id
        str(warehouse.parent),  # server paths
    ]


def _assert_clean(output: str, warehouse: Path, where: str) -> None:
    leaked = [text for text in _forbidden(warehouse) if text in output]
    assert not leaked, f"{where} shows {leaked}"


def _public_renders(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str]]:
    """(where, output) for every page of the public site in every state a visitor can reach."""
    downloads = DownloadCapture().install(monkeypatch)
    for grain in ("month", "quarter"):
        at = _open("scorecard")
        at.radio(key="scorecard_grain").set_value(grain).run()
        yield f"scorecard ({grain})", rendered_output(at, downloads)
    for metric in ("street_defect_on_time", "abandoned_vehicle_requests"):
        for grain in ("month", "quarter"):
            at = _open("metric", metric=metric, grain=grain)
            yield f"metric {metric} ({grain})", rendered_output(at, downloads)
    for grain in ("month", "quarter"):
        at = _open("equity", metric="street_defect_on_time", grain=grain)
        yield f"equity ({grain})", rendered_output(at, downloads)
    yield "freshness", rendered_output(_open("freshness"), downloads)
    yield "open data", rendered_output(_open("open_data"), downloads)


def test_the_public_site_has_only_the_public_pages(public_env: Path) -> None:
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    pages = [page["page_name"] for page in at._registered_pages.values()]
    assert pages == PUBLIC_PAGES
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("views/meetings.py")
    assert "Public view" in rendered_output(at)


def test_no_public_page_shows_record_level_or_internal_text(
    public_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = 0
    for where, output in _public_renders(monkeypatch):
        _assert_clean(output, public_env, where)
        seen += 1
    assert seen == 10  # 2 scorecards, 4 metric views, 2 equity views, freshness, open data


def test_the_scanner_finds_internal_text_where_it_is_shown(
    site_files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same scan on the internal Meetings page does find the commentary: it can fail."""
    warehouse, meetings = site_files
    monkeypatch.setenv("CITYSTAT_WAREHOUSE", str(warehouse))
    monkeypatch.setenv(meeting_schema.MEETINGS_ENV, str(meetings))
    monkeypatch.delenv(site.PUBLIC_ENV, raising=False)
    downloads = DownloadCapture().install(monkeypatch)
    at = _open("meetings", meeting="1")
    output = rendered_output(at, downloads)
    assert COMMENT in output and ACTION in output and MEETING_TITLE in output
    with pytest.raises(AssertionError, match="shows"):
        _assert_clean(output, warehouse, "meetings")


def test_only_public_metrics_and_a_link_to_another_is_ignored(public_env: Path) -> None:
    board = _open("scorecard")
    # The public scorecard's cards, one per public metric.
    cards = shown_cards(board)
    assert list(cards) == ["Street defects closed on time", "Abandoned vehicle requests"]
    assert cards["Street defects closed on time"].splitlines() == [
        "**Status:** ● On track  ",
        "**Value (2025-03):** 82.4%  ",
        "**Target:** 80.0%  ",
        # 0.70, 0.78, 0.824 over the three complete months; +4.4 points against 2025-02.
        "**Trend:** 70.0% → 82.4% · ↑ +4.4 pts (better)  ",
        # The fixture city's sources declare no cadence: never late.
        "**Data:** ✓ Current",
    ]

    at = _open("metric", metric="street_defect_median_days", grain="month")
    assert at.warning[0].value.startswith("Ignored metric “street_defect_median_days”")
    assert at.title[0].value == "Street defects closed on time"
    equity = _open("equity", metric="street_defect_median_days")
    assert "Ignored metric" in equity.warning[0].value


def test_methodology_is_shown_beside_every_public_number(public_env: Path) -> None:
    on_time = "Closed on or before due_at, over requests closed or still open past due."
    count = "Count of requests opened in the period."
    board = "\n".join(m.value for m in _open("scorecard").markdown)
    assert f"**Street defects closed on time:** {on_time}" in board
    assert f"**Abandoned vehicle requests:** {count}" in board
    metric = "\n".join(m.value for m in _open("metric", metric=ON_TIME_ID).markdown)
    assert f"**How it is computed.** {on_time}" in metric
    equity = [c.value for c in _open("equity", metric=ON_TIME_ID).caption]
    assert f"How it is computed: {on_time}" in equity
    open_data = "\n".join(m.value for m in _open("open_data").markdown)
    assert f"*How it is computed:* {on_time}" in open_data and count in open_data


ON_TIME_ID = "street_defect_on_time"


def test_the_open_data_csv_holds_the_public_values_only(
    public_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    downloads = DownloadCapture().install(monkeypatch)
    at = _open("open_data")
    raw = downloads.content(at, "Download the metric values (CSV)").decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(raw)))
    # On time: 4 months + 3 quarters citywide, 3 districts in 3 months and in 2025-Q1 = 19;
    # abandoned vehicle requests: 4 months + 3 quarters citywide, no districts = 7.
    assert len(rows) == 26
    assert {r["metric_id"] for r in rows} == {ON_TIME_ID, "abandoned_vehicle_requests"}
    march = [
        r
        for r in rows
        if r["metric_id"] == ON_TIME_ID and r["grain"] == "month" and r["period_label"] == "2025-03"
    ]
    assert [(r["dimension_value"], r["value"]) for r in march] == [
        ("Citywide", "0.824"),
        ("1", "0.9"),
        ("2", "0.75"),
        ("3", "0.5"),
    ]
    _assert_clean(raw, public_env, "open-data values CSV")
    definitions = downloads.content(at, "Download the metric definitions and methodology (CSV)")
    assert b"Closed on or before due_at" in definitions
    assert INTERNAL_LABEL.encode() not in definitions


def test_the_switch_reads_the_flag_and_the_environment() -> None:
    assert site.is_public(["--public"], {})
    assert site.is_public([], {"CITYSTAT_PUBLIC": "1"})
    assert site.is_public([], {"CITYSTAT_PUBLIC": "true"})
    assert not site.is_public([], {"CITYSTAT_PUBLIC": "0"})
    assert not site.is_public(["--server.port", "8501"], {})


def test_public_flows_from_metrics_yml_into_metric_definitions() -> None:
    published = metric_yaml("opened", "unit: requests\nkind: count\npublic: true\n")
    internal = metric_yaml("opened_again", "unit: requests\nkind: count\n")
    con = warehouse([{"opened_at": datetime(2024, 1, 5)}])
    compute_metrics(con, config(published, internal), datetime(2024, 2, 10))
    rows = con.execute("SELECT metric_id, public FROM metric_definitions ORDER BY 1").fetchall()
    assert rows == [("opened", True), ("opened_again", False)]


def test_the_city_publishes_its_outcome_metrics_and_keeps_diagnostics_internal() -> None:
    metrics = load_metrics(PROJECT_ROOT / "metrics.yml").metrics
    public = {m.id for m in metrics if m.public}
    assert "street_defect_on_time" in public and "permits_issued" in public
    assert not {m.id for m in metrics if m.id.endswith("_p90_days")} & public
    assert not {m.id for m in metrics if m.id.startswith("cohort_")} & public
    assert len(public) == 32 and len(metrics) == 50


def _operator_details(warehouse: Path) -> list[str]:
    """Run ids, file hashes and step timings: what operators need and residents do not."""
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        run_ids = [str(r) for (r,) in con.execute("SELECT run_id FROM runs").fetchall()]
        hashes = [
            str(h)[:12] for (h,) in con.execute("SELECT file_sha256 FROM load_files").fetchall()
        ]
    return [*run_ids, *hashes, "SHA-256", "Where the time of the last runs went"]


def test_public_freshness_shows_no_run_ids_hashes_or_step_timings(
    site_files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse, meetings = site_files
    monkeypatch.setenv("CITYSTAT_WAREHOUSE", str(warehouse))
    monkeypatch.setenv(meeting_schema.MEETINGS_ENV, str(meetings))
    details = _operator_details(warehouse)
    monkeypatch.delenv(site.PUBLIC_ENV, raising=False)
    internal = rendered_output(_open("freshness"))
    # The internal page shows the run, the step timings and each latest file's hash: the
    # scan can fail. (Older files' hashes are on neither page.)
    shown = [d for d in details if d in internal]
    assert {"SHA-256", "Where the time of the last runs went"} <= set(shown)
    assert len(shown) >= 4  # and a run id and a hash
    monkeypatch.setenv(site.PUBLIC_ENV, "1")
    public = rendered_output(_open("freshness"))
    assert [d for d in shown if d in public] == []
    assert "Data as of" in public


@pytest.mark.parametrize("page", ["scorecard", "metric", "equity", "freshness", "open_data"])
def test_no_public_page_names_a_run_id_or_file_hash(
    page: str, site_files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The metric page's "Data freshness" line named the run on the public site (issue 15).
    warehouse, meetings = site_files
    monkeypatch.setenv("CITYSTAT_WAREHOUSE", str(warehouse))
    monkeypatch.setenv(meeting_schema.MEETINGS_ENV, str(meetings))
    details = _operator_details(warehouse)
    monkeypatch.setenv(site.PUBLIC_ENV, "1")
    public = rendered_output(_open(page))
    assert [d for d in details if d in public] == []
    monkeypatch.delenv(site.PUBLIC_ENV)
    if page == "metric":  # the internal page still names the run, for the operators
        assert any(d in rendered_output(_open(page)) for d in details)
