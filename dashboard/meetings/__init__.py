"""Stat review meetings: their own SQLite store, never the warehouse, and the printable packet.

- ``schema``: the database file, ``connect`` and the numbered migrations.
- ``store``: ``create_meeting`` (freezing its packet), commentary, ``load_packet``.
- ``actions``: action items: ``add_action``, ``set_action_status``, ``open_actions``.
- ``packet``: ``packet_html`` and ``packet_csv``, the packet as a document and as data.
- ``packet_chart``: ``trend_svg``, the packet's inline SVG charts.
- ``permissions``: ``Actor`` (who is signed in, their role) and ``PermissionDenied``; the
  rules every write checks.
- ``tables``: display rows of a meeting (``action_rows``, ``packet_summary``).
"""
