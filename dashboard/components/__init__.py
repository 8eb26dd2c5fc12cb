"""How pages show things: no SQL, no session state beyond a widget's own.

- ``status``: status by icon, word and colour together (``status_label``).
- ``formats``: numbers, dates, periods, changes and directions (``format_value``,
  ``describe_change``).
- ``tables``: display tables of each page (``scorecard_table``, ``district_table``, ...).
- ``charts``: Plotly figures (``trend_figure``, ``district_figure``, ...).
- ``maps``: the district map drawn offline (``district_choropleth``, ``outline``).
- ``cohorts``: quarterly cohorts and improvement plans in icon and word (``members_table``,
  ``plan_table``).
- ``equity``: the Equity page's words and district table (``district_table``,
  ``comparison_rule``, ``population_note``).
- ``compare``: the Compare page's table, chart and period notes (``compare_table``).
- ``links``: links between pages that carry the view in the URL.
- ``csv_export``: formula-safe CSV (``csv_bytes``).
- ``set_aside``: the rows quarantined and rejected behind a volume, said beside it
  (``set_aside_note``).
- ``late``: the mark of a metric whose source is late, and the late sources (``late_marks``).
- ``definition_changes``: what changed between two versions of a definition, in words.
- ``safe_text``: untrusted text shown literally (``escape_markdown``, ``plotly_text``).
- ``html_table``: tables as real HTML, every cell escaped (``scrollable_table``,
  ``table_link``).
- ``i18n``: the public site's languages: gettext catalogues read with Babel, ``Language``
  (messages, numbers, dates and periods as the language writes them), ``choose_language``.
- ``public_words``: the public site's status words, glossary and data dictionary;
  ``public_charts``: its trend chart and the sentences that say what a chart shows.
- ``site``: ``is_public``, which site the dashboard runs as, and the public site's options;
  ``city_folder`` and ``compare_cities`` (``--city``, ``--compare``).
- ``seasonal``: the scorecard's comparison choices, the five-year table and fiscal year to
  date wording (``same_period_table``).
- ``index_history``: the index over time and the metrics that moved it
  (``index_history_figure``, ``moves_table``).
"""
