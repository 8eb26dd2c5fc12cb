"""The packet as a PDF on US Letter, printed by WeasyPrint from the same escaped HTML the
packet download gives (``packet.packet_html``): memo, metrics with their charts, commentary,
action items and the audit trail. Offline: the HTML references no file or URL, and WeasyPrint
is given no base URL, so nothing is fetched. Nothing here imports Streamlit."""

from __future__ import annotations

from weasyprint import HTML

from dashboard.meetings.packet import packet_html
from dashboard.meetings.store import Packet


def _no_fetch(url: str) -> dict[str, object]:
    """Refuse every resource: a packet carries all it shows inline."""
    raise ValueError(f"the packet fetches nothing ({url[:80]})")


def packet_pdf(packet: Packet) -> bytes:
    """The meeting's packet as PDF bytes (US Letter pages, numbered)."""
    document = HTML(string=packet_html(packet), url_fetcher=_no_fetch)
    return bytes(document.write_pdf())
