"""Read-only SQL against the published warehouse, grouped by subject; the only cache.

- ``reader``: ``Warehouse`` (one published version), ``pin_warehouse``,
  ``current_warehouse``, and ``run_query`` over one held read-only connection per version.
- ``metric_info``: the metric catalog, definitions, departments (``department_names``),
  grains and scopes.
- ``scorecard``: ``scorecard``, ``leadership_latest``, ``metric_movers``.
- ``trends``: ``metric_series``, ``baseline_comparison``, ``target_history``,
  ``district_comparison``.
- ``equity``: ``equity_metrics``, ``district_comparison``, ``district_layer``,
  ``district_centroids``.
- ``services``: the ranked service catalog and its cohorts.
- ``cohorts``: the cohort calendar (``cohort_calendar``) and a quarter's proposal from the
  ranking (``cohort_proposal``).
- ``freshness``: runs, files loaded, validation, quarantine and step times.
- ``packets``: ``packet_source`` for a meeting.
- ``public``: the public site: the city's languages, each public metric's text in the
  visitor's language (``public_metrics``), latest values, districts and the open data.
- ``drafts``: draft metrics saved by `citystat metrics preview --draft ... --save`, read
  from their own small files (never the warehouse).
- ``compare``: other cities' published warehouses side by side (``load_city``,
  ``comparison``), matched by ``common_id``.
- ``seasonal``: ``same_period_years`` (the same period year by year), ``year_to_date``
  (fiscal year to date against last year's same months), ``fiscal_year_start_month``.
- ``index_history``: the leadership index over time and ``index_moves``, the metrics that
  moved it between two periods.
"""
