"""What the warehouse is: its tables, where its files live, how a build is opened.

- ``schema``: the canonical tables each kind of extract feeds and every table's DDL
  (``CANONICAL_TABLES``, ``create_schema``).
- ``layout``: the project's folders and files (``DATA_DIR``, ``METRICS_FILE``,
  ``warehouse_path``, ``versions_dir``).
- ``published``: the published-warehouse read API (``published_file``,
  ``published_version``); with ``layout``, ``words`` and ``files``, the only part of
  pipelines the dashboard imports.
- ``words``: what the records of each canonical table are called in messages and pages
  (``record_words``: request, permit, inspection; counted in requests, permits, cases).
- ``files``: reading the city's files safely: what a path is before it is opened (a FIFO
  would block), regular files only, configuration YAML held to limits (size, nesting,
  aliases); the dashboard reads roles.yml through it.
- ``connection``: read-write connections to a build with a memory cap (``connect_build``).
- ``pause``: ``pause_point``, named points where a crash test stops a writer.
- ``rows``: ``insert_rows``, many rows in one INSERT (one commit, not one per row).
- ``replace``: ``replace_rows``, a table made to hold a query's rows by writing only those
  that differ (a daily run changes few rows of the service step's derived tables).
"""
