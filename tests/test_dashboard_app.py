"""AppTest tests of the Streamlit dashboard against the hand-made fixture warehouse."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.dashboard_fixture import build_fixture_warehouse
from tests.tables_support import shown_tables

APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
DEMO_NOTICE = "Demo data: generated Philadelphia-style extract, not real city records."


@pytest.fixture(scope="module")
def fixture_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("warehouse") / "citystat.duckdb"
    build_fixture_warehouse(path)
    return path


@pytest.fixture
def warehouse_env(fixture_warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("CITYSTAT_WAREHOUSE", str(fixture_warehouse))
    yield fixture_warehouse


def _app() -> AppTest:
    return AppTest.from_file(str(APP), default_timeout=30)


def _texts(at: AppTest) -> str:
    """Every markdown, caption, title and subheader on the page, as one string."""
    parts = [
        el.value
        for kind in ("markdown", "caption", "title", "subheader")
        for el in getattr(at, kind)
    ]
    return "\n".join(str(part) for part in parts)


def _rows(at: AppTest) -> list[dict[Any, Any]]:
    """Rows of every shown_tables(st) on the page."""
    rows: list[dict[Any, Any]] = []
    for frame in shown_tables(at):
        rows.extend(frame.value.to_dict("records"))
    return rows


def _figures(at: AppTest) -> list[dict[str, Any]]:
    """Plotly figure specs of the page's charts."""
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def _numbers(encoded: Any) -> list[float]:
    """Plotly sends numeric arrays either as lists or as base64 typed arrays ({dtype, bdata})."""
    if isinstance(encoded, list):
        return [float(number) for number in encoded]
    return np.frombuffer(base64.b64decode(encoded["bdata"]), dtype=encoded["dtype"]).tolist()


def test_scorecard_shows_each_metric_with_value_status_and_demo_notice(warehouse_env: Path) -> None:
    at = _app().run()
    assert not at.exception
    assert [info.value for info in at.info] == [DEMO_NOTICE]
    assert [title.value for title in at.title] == ["Scorecard"]
    rows = {row["Metric"]: row for row in _rows(at)}
    assert set(rows) == {
        "Street defects closed on time",
        "Median days to close a street defect",
        "Abandoned vehicle requests",
    }
    on_time = rows["Street defects closed on time"]
    assert (on_time["Period"], on_time["Value"], on_time["Target"]) == ("2025-03", "82.4%", "80.0%")
    assert on_time["Status"] == "● On track"
    assert on_time["Change"] == "↑ +4.4 pts (better)"
    # 0.70, 0.78, 0.824 over the three complete months: the first and the last, in words.
    assert on_time["Trend"] == "70.0% → 82.4%"
    assert on_time["Details"] == "[Open metric →](metric?metric=street_defect_on_time&grain=month)"
    median = rows["Median days to close a street defect"]
    assert (median["Value"], median["Status"]) == ("3.2 days", "■ Off track")
    assert median["Change"] == "↑ +0.3 days (worse)"
    volume = rows["Abandoned vehicle requests"]
    assert (volume["Value"], volume["Target"], volume["Status"]) == ("1,234", "—", "○ No target")
    # Summary counts at the month grain: one on track, none on watch, one off track.
    summary = {metric.label: metric.value for metric in at.metric}
    assert summary["● On track"] == "1"
    assert summary["▲ Watch"] == "0"
    assert summary["■ Off track"] == "1"
    assert "Data as of 2025-04-14 23:58 · last loaded 2025-04-15 06:04 · ✔ passed validation" in (
        _texts(at)
    )
    # Grouped by cohort service, in metrics.yml order.
    assert [header.value for header in at.subheader] == [
        "Street defects and potholes",
        "Abandoned vehicles",
    ]


def test_scorecard_quarter_grain_shows_watch_and_too_little_data(warehouse_env: Path) -> None:
    at = _app().run()
    at.radio(key="scorecard_grain").set_value("quarter").run()
    assert not at.exception
    rows = {row["Metric"]: row for row in _rows(at)}
    assert rows["Street defects closed on time"]["Status"] == "▲ Watch"
    assert rows["Street defects closed on time"]["Value"] == "77.0%"
    # 0.77 - 0.70 = +7.0 points against 2024-Q4.
    assert rows["Street defects closed on time"]["Change"] == "↑ +7.0 pts (better)"
    assert rows["Median days to close a street defect"]["Status"] == "… Too little data"
    assert rows["Abandoned vehicle requests"]["Value"] == "3,500"
    summary = {metric.label: metric.value for metric in at.metric}
    assert (summary["● On track"], summary["▲ Watch"], summary["■ Off track"]) == ("0", "1", "0")


def test_department_filter_narrows_the_scorecard(warehouse_env: Path) -> None:
    at = _app().run()
    department = at.selectbox(key="scorecard_department")
    # Departments are chosen by registry id and shown by name.
    assert department.options == ["All departments", "Police Department", "Streets Department"]
    department.select("police").run()
    assert not at.exception
    assert at.selectbox(key="scorecard_department").value == "police"
    assert [row["Metric"] for row in _rows(at)] == ["Abandoned vehicle requests"]
    assert [header.value for header in at.subheader] == ["Abandoned vehicles"]
    at.selectbox(key="scorecard_department").select("streets").run()
    assert [header.value for header in at.caption if "Department" in header.value] == [
        "Streets Department"
    ]
    assert [row["Metric"] for row in _rows(at)] == [
        "Street defects closed on time",
        "Median days to close a street defect",
    ]


def test_metric_page_honours_query_params(warehouse_env: Path) -> None:
    at = _app().run()
    at.query_params["metric"] = "street_defect_on_time"
    at.query_params["grain"] = "quarter"
    at.switch_page("views/metric.py").run()
    assert not at.exception
    assert not at.warning
    assert [info.value for info in at.info] == [DEMO_NOTICE]
    assert at.selectbox(key="metric_page_metric").value == "street_defect_on_time"
    assert at.radio(key="metric_page_grain").value == "quarter"
    assert [title.value for title in at.title] == ["Street defects closed on time"]
    tiles = {metric.label: metric.value for metric in at.metric}
    assert tiles["Latest complete (2025-Q1)"] == "77.0%"
    assert tiles["Target"] == "80.0%"
    assert "Council districts, 2025-Q1" in _texts(at)
    # District table: citywide first, then districts 1–3 of 2025-Q1.
    districts = [(row["Area"], row["Value"], row["Status"]) for row in _rows(at)]
    assert districts == [
        ("Citywide", "77.0%", "▲ Watch"),
        ("District 1", "85.0%", "● On track"),
        ("District 2", "72.0%", "■ Off track"),
        ("District 3", "78.0%", "▲ Watch"),
    ]
    text = _texts(at)
    assert "Closed on or before due_at, over requests closed or still open past due." in text
    assert "Deputy Commissioner, Highways" in text
    assert "**Targets (quarter):** 75.0% (2024-Q4); 80.0% (2025-Q1–2025-Q2)" in text
    assert "Last loaded **2025-04-15 06:04** · data as of **2025-04-14 23:58**" in text
    assert "✔ passed validation" in text
    assert at.query_params == {"metric": "street_defect_on_time", "grain": "quarter"}


def test_metric_page_charts_have_target_line_and_citywide_reference(warehouse_env: Path) -> None:
    at = _app().run()
    at.query_params["metric"] = "street_defect_on_time"
    at.query_params["grain"] = "month"
    at.switch_page("views/metric.py").run()
    trend, districts = _figures(at)
    traces = {trace["name"]: trace for trace in trend["data"]}
    # Complete months only: 2025-04 is in progress and left out.
    assert traces["Value"]["x"] == ["2025-01", "2025-02", "2025-03"]
    assert _numbers(traces["Value"]["y"]) == pytest.approx([0.70, 0.78, 0.824])
    assert traces["Value"]["marker"]["color"] == ["#c62828", "#8a5a00", "#1a7f37"]
    assert _numbers(traces["Target"]["y"]) == pytest.approx([0.80, 0.80, 0.80])
    assert traces["Target"]["line"]["dash"] == "dash"
    assert traces["Target"]["line"]["shape"] == "hvh"
    bars = districts["data"][0]
    assert bars["x"] == ["District 1", "District 2", "District 3"]
    assert _numbers(bars["y"]) == pytest.approx([0.90, 0.75, 0.50])
    (reference,) = districts["layout"]["shapes"]
    assert (reference["y0"], reference["y1"]) == (pytest.approx(0.824), pytest.approx(0.824))
    assert districts["layout"]["annotations"][0]["text"] == "Citywide 82.4%"


def test_metric_page_download_is_the_series_shown(warehouse_env: Path) -> None:
    at = _app().run()
    at.query_params["metric"] = "abandoned_vehicle_requests"
    at.switch_page("views/metric.py").run()
    assert not at.exception
    assert at.radio(key="metric_page_grain").value == "month"
    assert len(at.get("download_button")) == 1
    # No council-district rows for this metric: the page says so instead of an empty chart.
    assert "This metric is not broken down by council district." in [i.value for i in at.info]
    assert len(at.get("plotly_chart")) == 1


def test_invalid_query_params_warn_and_fall_back(warehouse_env: Path) -> None:
    at = _app().run()
    at.query_params["metric"] = "'; DROP TABLE metric_values; --"
    at.query_params["grain"] = "decade"
    at.switch_page("views/metric.py").run()
    assert not at.exception
    warnings = [warning.value for warning in at.warning]
    assert len(warnings) == 2
    assert warnings[0].startswith("Ignored metric “'; DROP TABLE metric_values; --” from the link")
    assert warnings[1].startswith("Ignored grain “decade” from the link")
    assert at.selectbox(key="metric_page_metric").value == "street_defect_on_time"
    assert at.radio(key="metric_page_grain").value == "month"
    assert at.query_params == {"metric": "street_defect_on_time", "grain": "month"}


def test_metric_page_writes_changes_to_the_url(warehouse_env: Path) -> None:
    at = _app().run()
    at.switch_page("views/metric.py").run()
    at.selectbox(key="metric_page_metric").select("street_defect_median_days").run()
    at.radio(key="metric_page_grain").set_value("quarter").run()
    assert not at.exception
    assert at.query_params == {"metric": "street_defect_median_days", "grain": "quarter"}
    assert [title.value for title in at.title] == ["Median days to close a street defect"]
    assert {metric.label: metric.value for metric in at.metric}["Latest complete (2025-Q1)"] == (
        "3.4 days"
    )


def test_data_quality_page_shows_row_accounting(warehouse_env: Path) -> None:
    at = _app().run()
    at.switch_page("views/data_quality.py").run()
    assert not at.exception
    assert [info.value for info in at.info] == [DEMO_NOTICE]
    text = _texts(at)
    assert "**2025-04-15 06:04**" in text
    assert "**✔ Passed**" in text
    (problem,) = [error.value for error in at.error]
    assert "city_311_2025b.csv: 500 rows read but 499 accounted for" in problem
    files, behind, validation, quarantine, _runs = (frame.value for frame in shown_tables(at))
    # Every file behind the published data: 1,000 + 500 read, 990 + 495 staged, 8 + 3
    # quarantined, 2 + 1 rejected.
    assert behind.to_dict("records") == [
        {
            "Records": "Requests",
            "Files": "2",
            "Read": "1,500",
            "Staged": "1,485",
            "Quarantined": "11",
            "Rejected": "3",
        }
    ]
    assert files[["File", "Read", "Staged", "Quarantined", "Rejected", "Adds up"]].to_dict(
        "records"
    ) == [
        {
            "File": "city_311_2025a.csv",
            "Read": "1,000",
            "Staged": "990",
            "Quarantined": "8",
            "Rejected": "2",
            "Adds up": "✔ Yes",
        },
        {
            "File": "city_311_2025b.csv",
            "Read": "500",
            "Staged": "495",
            "Quarantined": "3",
            "Rejected": "1",
            "Adds up": "✖ No (1 unaccounted)",
        },
    ]
    # Failures first: the non-critical latitude range check failed on 4 of 1,500 rows.
    assert validation.iloc[0][["Expectation", "Critical", "Result", "Unexpected"]].tolist() == [
        "expect_column_values_to_be_between",
        "Warning only",
        "✖ Failed",
        "4",
    ]
    assert "3 expectations checked; 1 failed, 0 of them critical." in text
    assert quarantine[["Rule", "Column", "Rows"]].to_dict("records") == [
        {"Rule": "expect_column_values_to_be_unique", "Column": "request_id", "Rows": "6"},
        {
            "Rule": "expect_column_pair_values_a_to_be_greater_than_b",
            "Column": "closed_at",
            "Rows": "5",
        },
    ]


def test_missing_warehouse_shows_error_not_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "nowhere.duckdb"
    monkeypatch.setenv("CITYSTAT_WAREHOUSE", str(missing))
    for page in (None, "views/metric.py", "views/data_quality.py"):
        at = _app().run()
        if page is not None:
            at.switch_page(page).run()
        assert not at.exception
        (error,) = [error.value for error in at.error]
        assert str(missing) in error
        assert "citystat run" in error
        assert "make demo" in error
        assert not shown_tables(at)


def test_new_published_warehouse_is_read_on_rerun(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "citystat.duckdb"
    build_fixture_warehouse(path)
    monkeypatch.setenv("CITYSTAT_WAREHOUSE", str(path))
    at = _app().run()
    assert {row["Metric"]: row["Value"] for row in _rows(at)}["Abandoned vehicle requests"] == (
        "1,234"
    )
    con = duckdb.connect(str(path))
    con.execute(
        "UPDATE metric_values SET value = 2000 WHERE metric_id = 'abandoned_vehicle_requests' "
        "AND grain = 'month' AND period_label = '2025-03'"
    )
    con.close()
    stat = path.stat()
    # Make sure the modification time moves even on coarse-grained filesystems.
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    at.run()
    assert {row["Metric"]: row["Value"] for row in _rows(at)}["Abandoned vehicle requests"] == (
        "2,000"
    )


def test_a_published_version_is_read_through_one_held_connection_a_plain_file_is_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A version file is never written again, so one read-only connection serves every query
    (opening the file cost more than the queries); a plain file may be rewritten in place."""
    import streamlit as st

    from dashboard.queries import freshness, reader

    version = tmp_path / "versions" / "citystat-20250401T000000.000000Z-aaaaaa.duckdb"
    version.parent.mkdir()
    build_fixture_warehouse(version)
    published = tmp_path / "citystat.duckdb"
    published.symlink_to(version.relative_to(tmp_path))
    plain = tmp_path / "plain.duckdb"
    build_fixture_warehouse(plain)
    for path, held in ((published, True), (plain, False)):
        monkeypatch.setenv("CITYSTAT_WAREHOUSE", str(path))
        st.cache_data.clear()
        st.cache_resource.clear()
        warehouse = reader.resolve_warehouse()
        assert warehouse is not None
        for _ in range(2):
            st.cache_data.clear()
            assert freshness.published_run(warehouse) is not None
        # A read-write open in this process conflicts only with a connection still held.
        if held:
            with pytest.raises(duckdb.ConnectionException):
                duckdb.connect(str(version)).close()
        else:
            duckdb.connect(str(plain)).close()
    st.cache_resource.clear()
