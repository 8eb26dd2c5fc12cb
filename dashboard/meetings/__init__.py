"""Stat review meetings: the dashboard's own store (SQLite or PostgreSQL), never the warehouse,
and the printable packet.

- ``database``: where the store lives, ``MeetingsDB`` (read and write transactions on SQLite
  or PostgreSQL) and the errors ``MeetingError``, ``StoreUnavailable`` and ``StaleEdit``.
- ``schema``: the numbered migrations and ``connect``, which applies them under a lock.
- ``store``: ``create_meeting`` (freezing its packet), closing and reopening, ``load_packet``;
  the store's API, with ``commentary``: ``save_commentary`` against the version read.
- ``checks``: what every write checks first (the meeting, open, the metric's department).
- ``actions``: action items: ``add_action``, ``edit_action`` (owner, due date, status) and
  ``action_history``, ``open_actions`` and ``overdue_actions``.
- ``memo``: the briefing memo stored, versioned and frozen (``save_memo``, ``freeze_memo``);
  ``memo_draft``: ``draft_memo``, its first draft from the packet, a pure function.
- ``audit``: the append-only audit trail every write records its change in.
- ``packet``: ``packet_html`` and ``packet_csv``, the packet as a document and as data.
- ``packet_chart``: ``trend_svg``, the packet's inline SVG charts.
- ``packet_pdf``: ``packet_pdf``, the packet printed to PDF on US Letter by WeasyPrint.
- ``permissions``: ``Actor`` (who is signed in, their role) and ``PermissionDenied``; the
  rules every write checks.
- ``tables``: display rows of a meeting (``action_rows``, ``packet_summary``).
"""
