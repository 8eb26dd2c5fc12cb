"""The generated demo city: Philadelphia-style extracts, written by ``citystat demo-data``.

- ``city``: ``write_demo_city``, every demo extract in proportion.
- ``service_requests``: ``generate_311``, the 311 extract in the layout of ``public_cases_fc``.
- ``request_rows``: one chunk of 311 rows (places, lifecycle, texts, realistic defects).
- ``catalog``: the 311 services, zips and streets the generator draws from.
- ``permits`` and ``inspections``: L&I permits and complaint cases (``generate_permits``,
  ``generate_inspections``), over ``li_catalog`` (their reference tables) and ``li_common``
  (places, volumes and the chunked CSV writer they share).
- ``common``: the demo's dates and seed, the zip crosswalk and whole-day chunks.
"""
