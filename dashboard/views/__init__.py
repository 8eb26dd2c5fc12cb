"""The dashboard's pages: each reads through ``queries`` and draws with ``components``.

Pages: ``scorecard``, ``metric`` (with ``metric_sections``, and ``metric_draft`` for an
analyst's saved drafts), ``leadership``, ``department``,
``equity``, ``services``, ``meetings`` (with ``meeting_schedule``, ``meeting_packet``,
``meeting_discussion``, ``meeting_commentary``, ``meeting_agenda``, ``meeting_conflict`` and
``meeting_state``), ``data_quality``, ``freshness``, ``open_data``, ``compare`` (cities side by
side, when two or more are configured). ``page_support``: pickers that keep the page's
choices in its URL. ``seasonal``: the scorecard's comparison (``compare`` in the URL) and
the metric page's same period year by year and fiscal year to date; ``index_history``: the
index over time with what moved it (Leadership and Department pages). ``actor``: who is
using the dashboard (``current_actor``, for the meetings store's permission checks too) and
the check each page starts with (``require_page``); ``sign_in``: the sign-in, no-role and
refusal pages and the sidebar's signed-in line.
"""
