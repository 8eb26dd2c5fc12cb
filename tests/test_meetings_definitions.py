"""A frozen packet keeps the definition it was computed with (issue 17 item 8): the meeting
page shows its version and says when the warehouse's definition has changed since, and the
printable packet (HTML and PDF) carries the version line."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import duckdb
import pypdf
import pypdfium2

from dashboard.meetings import schema as meeting_schema
from dashboard.meetings import store
from dashboard.meetings.packet import packet_html
from dashboard.meetings.packet_pdf import packet_pdf
from tests.test_meetings_page import ON_TIME, _create, _ok, _open, _texts, env

__all__ = ["env"]  # the page tests' fixture: a writable warehouse and an empty store

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
VERSION_1 = "definition version 1, in effect since 2025-04-01"


def _publish(warehouse: Path, version: int, day: int, label: str) -> None:
    # What a run that changed the metric's definition leaves in the warehouse.
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "INSERT INTO metric_definition_versions VALUES (?, ?, ?, ?, ?, ?)",
            [ON_TIME, version, f"2025-04-{day:02d} 06:00", f"run-{day}", "x", label],
        )


def test_the_meeting_page_and_packet_show_the_frozen_definition(env: Path) -> None:
    _publish(env, 1, 1, '{"label": "On time", "unit": "percent"}')
    at = _open("meetings")
    _create(at, "Streets Department", date(2025, 4, 20))
    at.selectbox(key="meetings_page_metric").set_value(ON_TIME).run()
    _ok(at)
    assert VERSION_1 in _texts(at)
    assert "changed since this packet froze" not in _texts(at)

    # A later run changes the definition (YAML-derived text, hostile): the packet keeps v1.
    _publish(env, 2, 20, '{"label": "On time <script>", "unit": "percent"}')
    at = _open("meetings", meeting="1")
    at.selectbox(key="meetings_page_metric").set_value(ON_TIME).run()
    _ok(at)
    assert VERSION_1 in _texts(at)
    warning = "\n".join(str(w.value) for w in at.warning)
    assert "The definition has changed since this packet froze" in warning
    assert "version 2, in effect since 2025-04-20" in warning
    assert "- label: was On time; now On time \\<script\\>" in warning

    with meeting_schema.connect(Path(str(env.parent / "meetings.sqlite"))) as db:
        packet = store.load_packet(db, 1)
    html = packet_html(packet)
    assert f"Computed with {VERSION_1}." in html
    # The other metric had no history in the warehouse when the packet froze.
    assert "Computed with definition not recorded" in html
    pdf = packet_pdf(packet)
    pdf_text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert VERSION_1 in " ".join(pdf_text.split())
    # Pages as images, to look at (tests/artifacts is not committed).
    ARTIFACTS.mkdir(exist_ok=True)
    document = pypdfium2.PdfDocument(pdf)
    for number in range(len(document)):
        image = document[number].render(scale=1.4).to_pil()
        image.save(ARTIFACTS / f"packet_definition_p{number + 1}.png")
