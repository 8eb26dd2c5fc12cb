"""The briefing memo: its draft worked out by hand on a packet built here, stored and edited
against versions, frozen by leadership (both backends), and printed into the packet's PDF on US
Letter (its text read back with pypdf, its pages rendered to PNG under tests/artifacts)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pypdf
import pypdfium2
import pytest

from dashboard.meetings import actions as meeting_actions
from dashboard.meetings import schema as meeting_schema
from dashboard.meetings import store
from dashboard.meetings.database import MeetingError, StaleEdit
from dashboard.meetings.memo import freeze_memo, memo, save_memo
from dashboard.meetings.memo_draft import MEMO_HEADINGS, draft_memo, target_moves
from dashboard.meetings.packet import packet_html
from dashboard.meetings.packet_pdf import packet_pdf
from dashboard.meetings.permissions import PermissionDenied
from tests.meetings_support import ANALYST, LEAD, ON_TIME, STREETS_HEAD, department_meeting

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def _metric(metric_id: str, label: str, unit: str, direction: str | None, position: int) -> dict:
    return {
        "metric_id": metric_id,
        "label": label,
        "department": "streets",
        "owner": "Ops",
        "unit": unit,
        "direction": direction,
        "position": position,
        "methodology": "By hand.",
    }


def _value(metric_id: str, month: str, value: float, target: float | None, status: str) -> dict:
    return {
        "metric_id": metric_id,
        "period_label": month,
        "period_start": f"{month}-01",
        "value": value,
        "target": target,
        "status": status,
    }


def _hand_packet() -> store.Packet:
    metrics = pd.DataFrame(
        [
            _metric("on_time", "Potholes closed on time", "percent", "higher_is_better", 0),
            _metric("days", "Days to close", "days", "lower_is_better", 1),
            _metric("count", "Requests", "count", None, 2),
        ]
    )
    values = pd.DataFrame(
        [
            _value("on_time", "2025-02", 0.80, 0.8, "on_track"),
            _value("on_time", "2025-03", 0.70, 0.8, "off_track"),
            _value("days", "2025-02", 10.0, 8.0, "off_track"),
            _value("days", "2025-03", 8.0, 8.0, "on_track"),
            _value("count", "2025-02", 100.0, None, "no_target"),
            _value("count", "2025-03", 300.0, None, "no_target"),
        ]
    )
    commentary = pd.DataFrame(
        [
            {"metric_id": "on_time", "period_label": "2025-02", "drivers": "Old note."},
            {"metric_id": "on_time", "period_label": "2025-03", "drivers": "Snow <in> March."},
        ]
    ).assign(why_it_matters=None, barriers=None, improvement_plan="Two night crews.")
    actions = pd.DataFrame(
        [
            {
                "action_id": 7,
                "description": "Hire crews",
                "metric_label": "Potholes closed on time",
                "metric_id": "on_time",
                "owner": "Highways",
                "due_date": "2025-04-01",
                "raised_on": "2025-03-15",
                "status": "open",
                "overdue": True,
                "carried_over": True,
            },
            {
                "action_id": 8,
                "description": "Not yet due",
                "metric_label": "Days to close",
                "metric_id": "days",
                "owner": "Ops",
                "due_date": "2025-05-01",
                "raised_on": "2025-03-15",
                "status": "open",
                "overdue": False,
                "carried_over": True,
            },
        ]
    )
    meeting = {"meeting_id": 3, "meeting_date": "2025-04-20", "scope_name": "Streets"}
    return store.Packet(meeting, metrics, values, commentary, actions, None, pd.DataFrame())


def test_moves_against_target_are_worked_out_by_hand() -> None:
    packet = _hand_packet()
    moves = target_moves(packet.values, packet.metrics)
    # days (lower is better): gap -(10-8)/8 = -0.25 in Feb, -(8-8)/8 = 0 in Mar: +0.25.
    # on_time (higher is better): (0.8-0.8)/0.8 = 0 in Feb, (0.7-0.8)/0.8 = -0.125: -0.125.
    # count has no target and no direction: left out.
    assert moves["metric_id"].tolist() == ["days", "on_time"]
    assert moves["move"].round(6).tolist() == [0.25, -0.125]


def test_the_draft_names_moves_off_track_commentary_overdue_items_and_late_sources() -> None:
    late = pd.DataFrame(
        [
            {
                "source_id": "permits",
                "source_name": "Building permits",
                "last_arrived": "2025-04-01",
                "expected_every": "1 day",
                "days_late": 18,
            }
        ]
    )
    text = draft_memo(_hand_packet(), late, date(2025, 4, 18))
    lines = text.splitlines()
    assert lines[0] == "Briefing memo: Streets, meeting of 2025-04-20"
    assert [line[3:] for line in lines if line.startswith("## ")] == list(MEMO_HEADINGS)
    assert (
        "- Days to close: 10.0 days in 2025-02 → 8.0 days in 2025-03 (target 8.0 days): moved "
        "25.0% of target toward or past target." in lines
    )
    assert (
        "- Potholes closed on time: 80.0% in 2025-02 → 70.0% in 2025-03 (target 80.0%): moved "
        "12.5% of target away from target." in lines
    )
    # Only on_time is off track in its latest period; its latest commentary is March's.
    assert (
        "- Potholes closed on time: 70.0% in 2025-03 against a target of 80.0%. Commentary "
        "(2025-03): What drives performance: Snow <in> March. Improvement plan: Two night crews."
        in lines
    )
    assert "Old note." not in text and "Days to close: 8.0 days in 2025-03 against" not in text
    assert (
        "- #7 Hire crews (Potholes closed on time): owner Highways, due 2025-04-01, raised at "
        "the meeting of 2025-03-15." in lines
    )
    assert "Not yet due" not in text
    assert (
        "- Building permits: last arrived 2025-04-01, expected every 1 day; 18 days late. Its "
        "metrics may show old values as current." in lines
    )


def test_a_draft_without_the_arrival_schedule_says_so() -> None:
    text = draft_memo(_hand_packet(), None, date(2025, 4, 18))
    assert "Not checked: this packet was drafted without the sources' arrival schedule." in text
    empty = draft_memo(_hand_packet(), pd.DataFrame(columns=["days_late"]), date(2025, 4, 18))
    assert "Every source arrived when expected." in empty


def test_the_memo_is_versioned_frozen_once_and_audited(meetings_target: Path | str) -> None:
    with meeting_schema.connect(meetings_target) as db:
        meeting_id = department_meeting(db)
        with pytest.raises(PermissionDenied):
            save_memo(db, STREETS_HEAD, meeting_id, "Mine.", read_version=0)
        assert save_memo(db, ANALYST, meeting_id, "  Draft one.  ", read_version=0) == 1
        assert save_memo(db, LEAD, meeting_id, "Draft two.", read_version=1) == 2
        with pytest.raises(StaleEdit, match="Cherelle Parker"):
            save_memo(db, ANALYST, meeting_id, "From an old page.", read_version=1)
        with pytest.raises(PermissionDenied):
            freeze_memo(db, ANALYST, meeting_id, read_version=2)
        with pytest.raises(StaleEdit):
            freeze_memo(db, LEAD, meeting_id, read_version=1)
        freeze_memo(db, LEAD, meeting_id, read_version=2)
        with pytest.raises(MeetingError, match="frozen"):
            save_memo(db, LEAD, meeting_id, "Too late.", read_version=2)
        with pytest.raises(MeetingError, match="frozen"):
            freeze_memo(db, LEAD, meeting_id, read_version=2)
        saved = memo(db, meeting_id)
        assert saved is not None
        assert (saved["body"], saved["version"], saved["frozen_by"]) == (
            "Draft two.",
            2,
            LEAD.user,
        )
        trail = store.load_packet(db, meeting_id).audit
        memo_rows = trail[trail["entity_kind"] == "memo"]
        assert memo_rows["action"].tolist() == ["created", "edited", "froze"]
        assert memo_rows["actor_user"].tolist() == [ANALYST.user, LEAD.user, LEAD.user]


def test_the_packet_pdf_is_letter_and_holds_memo_metrics_commentary_actions_and_trail(
    tmp_path: Path,
) -> None:
    with meeting_schema.connect(tmp_path / "m.sqlite") as db:
        meeting_id = department_meeting(db)
        store.save_commentary(
            db, LEAD, meeting_id, ON_TIME, "2025-03", {"drivers": "<b>Rain</b>"}, read_version=0
        )
        item = meeting_actions.add_action(
            db, LEAD, meeting_id, ON_TIME, "Night patching", "Highways", date(2025, 5, 1)
        )
        meeting_actions.edit_action(db, LEAD, item, {"owner": "Streets ops"}, read_version=1)
        body = draft_memo(store.load_packet(db, meeting_id), None, date(2025, 4, 18))
        save_memo(db, ANALYST, meeting_id, body, read_version=0)
        packet = store.load_packet(db, meeting_id)
    html = packet_html(packet)
    assert "&lt;b&gt;Rain&lt;/b&gt;" in html and "<b>Rain" not in html
    pdf = packet_pdf(packet)
    reader = pypdf.PdfReader(__import__("io").BytesIO(pdf))
    # US Letter: 8.5 by 11 inches, 612 by 792 points.
    assert {(round(p.mediabox.width), round(p.mediabox.height)) for p in reader.pages} == {
        (612, 792)
    }
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)
    for heading in ("Briefing memo", *MEMO_HEADINGS):
        assert heading in text, heading
    for shown in ("Street defects closed on time", "<b>Rain</b>", "Night patching", "Streets ops"):
        assert shown in text, shown
    assert "Audit trail" in text and "Cherelle Parker" in text
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "packet.pdf").write_bytes(pdf)
    document = pypdfium2.PdfDocument(pdf)
    for number in range(len(document)):
        image = document[number].render(scale=1.4).to_pil()
        image.save(ARTIFACTS / f"packet-page-{number + 1}.png")
    assert len(document) == len(reader.pages) >= 2
