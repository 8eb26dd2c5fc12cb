"""The dashboard's pages: each reads through ``queries`` and draws with ``components``.

Pages: ``scorecard``, ``metric`` (with
``metric_sections``, and ``metric_draft`` for an analyst's saved drafts), ``leadership``,
``department``, ``equity``, ``services`` (with ``cohort_board``: the cohorts and leadership's
confirmation, and ``improvement_plans``), ``meetings`` (with ``meeting_schedule``,
``meeting_packet``, ``meeting_discussion``, ``meeting_commentary``, ``meeting_agenda``,
``meeting_memo``, ``meeting_conflict`` and ``meeting_state``), ``action_lists`` (open, overdue
and "my" action items outside a meeting), ``data_quality``, ``freshness``, ``compare`` (cities
side by side, when two or more are configured). The public site's own pages, in the visitor's
language: ``public_scorecard``, ``public_metric``, ``open_data``, ``public_glossary``, over
``public_support`` (the language in the URL, the period switch, status and glossary words) and
``public_notes`` (data as of, late data, rows set aside). ``seasonal``: the scorecard's
comparison (``compare`` in the URL) and the metric page's same period year by year and fiscal
year to date; ``index_history``: the index over time with what moved it (Leadership and
Department pages). ``page_support``: HTML tables and the service tables' check;
``url_choices``: the pickers that keep the page's choices in its URL. ``actor``: who is using
the dashboard (``current_actor``, for the meetings store's permission checks too) and the check
each page starts with (``require_page``); ``sign_in``: the sign-in, no-role and refusal pages
and the sidebar's signed-in line.
"""
