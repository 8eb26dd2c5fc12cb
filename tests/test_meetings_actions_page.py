"""The meeting page's memo and action items through AppTest: read the drafted memo, edit and
freeze it; a refused action keeps what was typed; edit an action item and see its history;
export the packet as PDF and find the memo and the edit in its text."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pypdf
import pytest

from dashboard.meetings.memo_draft import MEMO_HEADINGS
from tests.dashboard_fixture import DownloadCapture
from tests.tables_support import shown_tables
from tests.test_meetings_page import ON_TIME, _create, _ok, _open, _texts, env

__all__ = ["env"]  # the fixture, shared with the meeting flow's tests


def test_memo_action_history_and_pdf_export(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    downloads = DownloadCapture().install(monkeypatch)
    at = _open("meetings")
    _create(at, "Streets Department", date(2025, 4, 20))

    # The memo, drafted from the packet, under its four headings.
    memo = at.text_area(key="memo_body_1")
    assert [line[3:] for line in memo.value.splitlines() if line.startswith("## ")] == list(
        MEMO_HEADINGS
    )
    memo.input(memo.value + "\nAnalyst note: crews are short in April.")
    at.button(key="memo_save_1").click().run()
    _ok(at)
    assert "Briefing memo saved." in _texts(at)
    at.button(key="memo_freeze_1").click().run()
    _ok(at)
    assert "Final: frozen" in _texts(at)
    assert any("Analyst note: crews are short in April." in t.value for t in at.text)

    # A refused item keeps what was typed (no owner given).
    suffix = f"1_{ON_TIME}"
    at.text_input(key=f"action_text_{suffix}").input("Pilot night patching")
    at.button(key=f"action_add_{suffix}").click().run()
    assert "Not added: name the action's owner" in at.error[0].value
    assert at.text_input(key=f"action_text_{suffix}").value == "Pilot night patching"
    at.text_input(key=f"action_owner_{suffix}").input("Highways crew chief")
    at.date_input(key=f"action_due_{suffix}").set_value(date(2025, 5, 1))
    at.button(key=f"action_add_{suffix}").click().run()
    _ok(at)
    assert at.text_input(key=f"action_text_{suffix}").value == ""  # saved: cleared

    # Edit its owner and due date; the history beside it shows both changes.
    at.text_input(key="agenda_owner_1").input("Dana Ruiz")
    at.date_input(key="agenda_due_1").set_value(date(2025, 6, 1))
    at.button(key="agenda_save_1").click().run()
    _ok(at)
    assert "Action item #1 saved." in _texts(at)
    history = shown_tables(at)[-1].value
    assert history["Change"].tolist() == ["Created", "Edited"]
    assert "owner: Dana Ruiz" in history["After"].iloc[1]
    assert "due_date: 2025-06-01" in history["After"].iloc[1]
    assert "owner: Highways crew chief" in history["Before"].iloc[1]
    assert at.text_input(key="agenda_owner_1").value == ""  # saved: the field starts afresh

    # The packet as PDF: the memo's headings and note, the edited item, the trail.
    pdf = downloads.content(at, "Download the packet (PDF, US Letter)")
    pages = pypdf.PdfReader(io.BytesIO(pdf)).pages
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in pages)
    for heading in MEMO_HEADINGS:
        assert heading in text
    assert "Analyst note: crews are short in April." in text
    assert "Dana Ruiz" in text and "Audit trail" in text

    # Handed to the signed-in person (here the local user, sign-in id "local"): their list.
    at.text_input(key="agenda_owner_1").input("local")
    at.button(key="agenda_save_1").click().run()
    _ok(at)
    mine = next(f.value for f in shown_tables(at) if "Overdue" in f.value.columns)
    assert mine["Action"].tolist() == ["Pilot night patching"]
    assert mine["Overdue"].tolist() == [""]  # due 1 June; the data runs to 14 April 2025
