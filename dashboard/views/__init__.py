"""The dashboard's pages: each reads through ``queries`` and draws with ``components``.

Pages: ``scorecard``, ``metric`` (with ``metric_sections``), ``leadership``, ``department``,
``equity``, ``services``, ``meetings`` (with ``meeting_schedule``, ``meeting_packet``,
``meeting_discussion``, ``meeting_commentary``, ``meeting_agenda``, ``meeting_conflict`` and
``meeting_state``), ``data_quality``, ``freshness``, ``open_data``. ``page_support``: pickers
that keep the page's choices in its URL. ``actor``: ``current_actor``, who is using the
dashboard, for the meetings store's permission checks.
"""
