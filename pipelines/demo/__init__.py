"""The generated demo city: Philadelphia-style extracts, written by ``citystat demo-data``.

- ``city``: ``write_demo_city``, every demo extract in proportion.
- ``service_requests``: ``generate_311``, the 311 extract in the layout of ``public_cases_fc``.
- ``request_model``: the 311 catalog as arrays, numbered texts and the formatting lookups.
- ``request_rows``: one chunk of 311 rows (places, lifecycle, texts, realistic defects).
- ``catalog``: the 311 services, zips and streets the generator draws from.
- ``permits`` and ``inspections``: L&I permits and complaint cases (``generate_permits``,
  ``generate_inspections``), over ``li_catalog`` (their reference tables) and ``li_common``
  (places with districts, waking-hour times, picks and defects they share).
- ``common``: what every generator shares: dates and seed, the zip crosswalk, the day window,
  daily volumes, whole-day chunks and ``write_chunked_csv``.
"""
