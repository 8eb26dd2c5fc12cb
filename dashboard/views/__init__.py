"""The dashboard's pages: each reads through ``queries`` and draws with ``components``.

Pages: ``scorecard`` (with ``scorecard_cards``, the public site's cards), ``metric`` (with
``metric_sections``, and ``metric_draft`` for an analyst's saved drafts), ``leadership``,
``department``,
``equity``, ``services``, ``meetings`` (with ``meeting_schedule``, ``meeting_packet``,
``meeting_discussion``, ``meeting_commentary``, ``meeting_agenda``, ``meeting_memo``,
``meeting_conflict`` and ``meeting_state``), ``action_lists`` (open, overdue and "my" action
items outside a meeting), ``data_quality``, ``freshness``, ``open_data``, ``compare``
(cities side by side, when two or more are configured). ``page_support``: HTML tables and
pickers that keep
the page's choices in its URL. ``actor``: who is using the dashboard
(``current_actor``, for the meetings store's permission checks too) and the check each page
starts with (``require_page``); ``sign_in``: the sign-in, no-role and refusal pages and the
sidebar's signed-in line.
"""
