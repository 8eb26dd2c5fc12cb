"""The meeting flow through the Meetings page (AppTest): create a meeting (its packet frozen
while the warehouse changes), comment, add actions, reopen in the next meeting with the open
and overdue items carried over, export the packet as HTML and CSV; and the department view's
open action items."""

from __future__ import annotations

import csv
import io
from contextlib import closing
from datetime import date
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.components.safe_text import escape_markdown
from dashboard.meetings import actions as meeting_actions
from dashboard.meetings import schema as meeting_schema
from dashboard.meetings import store
from dashboard.meetings.permissions import SYSTEM
from tests.dashboard_fixture import DownloadCapture, build_fixture_warehouse
from tests.tables_support import shown_tables

APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
ON_TIME = "street_defect_on_time"
HOSTILE_LABEL = '=HYPERLINK("http://evil.example","Median days")'
COMMENTARY = {
    "why_it_matters": "A pothole left open damages cars and throws cyclists.",
    "drivers": "Two extra crews in March.",
    "barriers": "Asphalt plants close when it freezes.",
    "improvement_plan": "Pre-order cold patch before February.",
}


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A writable copy of the fixture warehouse and an empty meetings database."""
    warehouse = tmp_path / "wh.duckdb"
    build_fixture_warehouse(warehouse)
    # A metric label from metrics.yml that a spreadsheet would run as a formula.
    con = duckdb.connect(str(warehouse))
    con.execute(
        "UPDATE metric_definitions SET label = ? WHERE metric_id = ?",
        [HOSTILE_LABEL, "street_defect_median_days"],
    )
    con.close()
    monkeypatch.setenv("CITYSTAT_WAREHOUSE", str(warehouse))
    monkeypatch.setenv(meeting_schema.MEETINGS_ENV, str(tmp_path / "meetings.sqlite"))
    monkeypatch.delenv("CITYSTAT_PUBLIC", raising=False)
    return warehouse


def _open(page: str, **params: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(f"views/{page}.py").run()
    _ok(at)
    return at


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _create(at: AppTest, department: str, when: date) -> None:
    at.radio(key="meetings_new_kind").set_value("department").run()
    at.selectbox(key="meetings_new_scope").set_value(department)
    at.date_input(key="meetings_new_date").set_value(when)
    at.button(key="meetings_new_submit").click().run()
    _ok(at)


def _texts(at: AppTest) -> str:
    kinds = ("markdown", "caption", "title", "header", "subheader", "success", "warning", "info")
    return "\n".join(str(el.value) for kind in kinds for el in getattr(at, kind))


def _summary(at: AppTest) -> dict[str, dict[str, str]]:
    packet = next(f.value for f in shown_tables(at) if "Commentary" in f.value.columns)
    return {row["Metric"]: row for row in packet.to_dict("records")}


def test_the_whole_meeting_flow(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    downloads = DownloadCapture().install(monkeypatch)
    at = _open("meetings")
    assert "No meeting yet" in _texts(at)

    # 1. Create the April meeting: its packet freezes March at 82.4% on track.
    _create(at, "Streets Department", date(2025, 4, 20))
    assert "Meeting 1 created: 2 metrics and 6 values frozen" in _texts(at)
    summary = _summary(at)
    assert summary["Street defects closed on time"]["Value"] == "82.4%"
    assert summary["Street defects closed on time"]["Status"] == "● On track"
    assert at.query_params["meeting"] == "1"

    # A later run rewrites March: the scorecard shows it, the packet does not.
    con = duckdb.connect(str(env))
    con.execute(
        "UPDATE metric_values SET value = 0.111, status = 'off_track' "
        "WHERE metric_id = ? AND period_label = '2025-03' AND dimension = 'citywide'",
        [ON_TIME],
    )
    con.close()
    board = _open("scorecard")
    assert "11.1%" in shown_tables(board)[0].value["Value"].tolist()
    at = _open("meetings", meeting="1")
    assert _summary(at)["Street defects closed on time"]["Value"] == "82.4%"
    assert "Dry" not in _texts(at)

    # 2. Comment on March (the period under review is selected by default).
    assert at.selectbox(key="meetings_page_period").value == "2025-03"
    suffix = f"1_{ON_TIME}_2025-03"
    for field, text in COMMENTARY.items():
        at.text_area(key=f"comment_{field}_{suffix}").input(text)
    at.button(key=f"comment_save_{suffix}").click().run()
    _ok(at)
    assert "Commentary on 2025-03 saved." in _texts(at)
    assert _summary(at)["Street defects closed on time"]["Commentary"] == "✔"
    assert at.text_area(key=f"comment_drivers_{suffix}").value == COMMENTARY["drivers"]

    # 3. Two action items: one due 1 May, one due 1 July.
    for text, owner, due in [
        ("Re-sequence pothole crews by district", "Deputy Commissioner", date(2025, 5, 1)),
        ("Pilot night patching", "Highways crew chief", date(2025, 7, 1)),
    ]:
        at.text_input(key=f"action_text_1_{ON_TIME}").input(text)
        at.text_input(key=f"action_owner_1_{ON_TIME}").input(owner)
        at.date_input(key=f"action_due_1_{ON_TIME}").set_value(due)
        at.button(key=f"action_add_1_{ON_TIME}").click().run()
        _ok(at)
    agenda = shown_tables(at)[-2].value  # the last table is the chosen item's history
    assert agenda["Action"].tolist() == [
        "Re-sequence pothole crews by district",
        "Pilot night patching",
    ]
    assert agenda["Status"].tolist() == ["Open", "Open"]

    # 4. The May meeting opens with both items; the one due 1 May is overdue on 20 May.
    _create(at, "Streets Department", date(2025, 5, 20))
    assert at.query_params["meeting"] == "2"
    texts = _texts(at)
    assert "Carried over from the meeting of 2025-04-20" in texts
    assert "1 of 2 carried-over action items are overdue (due before 2025-05-20)." in texts
    carried = shown_tables(at)[0].value
    assert carried["Action"].tolist() == [
        "Re-sequence pothole crews by district",
        "Pilot night patching",
    ]
    assert carried["Status"].tolist() == ["⚠ Overdue", "Open"]
    assert carried["Raised on"].tolist() == ["2025-04-20"] * 2
    # May's packet froze the rewritten March value.
    assert _summary(at)["Street defects closed on time"]["Value"] == "11.1%"

    # Closing one item in May's meeting.
    at.selectbox(key="agenda_item").set_value("2").run()
    at.selectbox(key="agenda_status_2").set_value("done")
    at.button(key="agenda_save_2").click().run()
    _ok(at)
    assert "Action item #2 saved." in _texts(at)

    # 5. Export April's packet: the frozen values, the commentary and its actions.
    at = _open("meetings", meeting="1")
    html = downloads.content(at, "Download the packet (printable HTML)").decode("utf-8")
    assert "<title>Stat review: Streets Department, 2025-04-20</title>" in html
    assert "82.4%" in html and "11.1%" not in html
    for text in COMMENTARY.values():
        assert text in html
    assert "Re-sequence pothole crews by district" in html
    assert html.count("<svg") == 2  # one trend per metric, drawn inline
    assert "<script" not in html and " src=" not in html and "<link" not in html
    # The hostile label is shown as text in the document, escaped.
    assert "=HYPERLINK(&quot;http://evil.example&quot;" in html

    rows = list(
        csv.DictReader(
            io.StringIO(downloads.content(at, "Download the packet's values (CSV)").decode())
        )
    )
    assert len(rows) == 6  # 3 months x 2 metrics, as frozen
    march = next(r for r in rows if r["metric_id"] == ON_TIME and r["period"] == "2025-03")
    assert (march["value"], march["status"], march["under_review"]) == ("0.824", "on_track", "True")
    labels = {r["metric"] for r in rows}
    assert labels == {"Street defects closed on time", "'" + HOSTILE_LABEL}


def test_the_department_view_lists_its_open_action_items(env: Path) -> None:
    con = meeting_schema.connect()
    # The packet freezes the department's name, as the schedule form's packet_source does.
    definitions_sql = (
        "SELECT * REPLACE ('Streets Department' AS department) FROM metric_definitions "
        "WHERE department = 'streets'"
    )
    wh = duckdb.connect(str(env), read_only=True)
    definitions = wh.execute(definitions_sql).df()
    values = wh.execute(
        "SELECT metric_id, period_label, period_start, period_end, value, target, status, count "
        "FROM metric_values WHERE dimension = 'citywide' AND grain = 'month' AND is_complete "
        "AND metric_id IN (SELECT metric_id FROM metric_definitions "
        "WHERE department = 'streets')"
    ).df()
    wh.close()
    spec = store.MeetingSpec(date(2025, 4, 20), "department", "Streets Department", "month")
    meeting = store.create_meeting(
        con, SYSTEM, spec, definitions, values, store.Provenance("run", None, str(env))
    )
    meeting_actions.add_action(
        con, SYSTEM, meeting, ON_TIME, "Patch faster", "Highways", date(2020, 5, 1)
    )
    # Due after the date the fixture's data runs to (14 April 2025), though before today's
    # clock: the pages count from the data's date, so it is not overdue.
    meeting_actions.add_action(
        con, SYSTEM, meeting, ON_TIME, "Plan winter", "Highways", date(2025, 5, 1)
    )
    done = meeting_actions.add_action(
        con, SYSTEM, meeting, ON_TIME, "Hire crew", "HR", date(2025, 5, 1)
    )
    meeting_actions.set_action_status(con, SYSTEM, done, "done", read_version=1)
    con.close()

    at = _open("department", department="streets")
    assert "1 of 2 open action items are overdue (due before 2025-04-14)." in _texts(at)
    items = next(f.value for f in shown_tables(at) if "Overdue" in f.value.columns)
    assert items["Action"].tolist() == ["Patch faster", "Plan winter"]
    assert items["Overdue"].tolist() == ["⚠ Overdue", ""]
    assert items["Meeting"].tolist() == [f"[Open meeting →](meetings?meeting={meeting})"] * 2

    police = _open("department", department="police")
    assert "No open action item on Police Department's metrics." in _texts(police)

    # Leadership sees every department's overdue items.
    lead = _open("leadership")
    assert "Open and due before 2025-04-14, the date the data runs to." in _texts(lead)
    late = next(f.value for f in shown_tables(lead) if "Overdue" in f.value.columns)
    assert late["Action"].tolist() == ["Patch faster"]
    assert late["Department"].tolist() == ["Streets Department"]


@pytest.mark.parametrize("requested", ["99", "1 OR 1=1", "'; DROP TABLE meetings; --"])
def test_a_meeting_link_to_an_unknown_meeting_is_ignored(env: Path, requested: str) -> None:
    con = meeting_schema.connect()
    wh = duckdb.connect(str(env), read_only=True)
    definitions = wh.execute("SELECT * FROM metric_definitions").df()
    wh.close()
    spec = store.MeetingSpec(date(2025, 4, 20), "department", "Streets Department", "month")
    store.create_meeting(
        con, SYSTEM, spec, definitions, definitions.iloc[0:0], store.Provenance(None, None, "wh")
    )
    con.close()
    at = _open("meetings", meeting=requested)
    # Echoed as text, never as Markdown (issue 15: echoing it raw was the bug).
    shown = escape_markdown(requested)
    assert at.warning[0].value.startswith(f"Ignored meeting “{shown}” from the link")
    assert at.header[0].value == "Streets Department · 2025-04-20"
    with closing(meeting_schema.connect()) as check:
        assert len(store.list_meetings(check)) == 1
