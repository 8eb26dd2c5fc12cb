"""From a city's extract files to staged, typed rows and merged records, every row accounted for.

Mappings:
- ``mapping``: ``SourceMapping`` and its parts, the typed model of one mapping file.
- ``mapping_rules``: ``mapping_problems``, the rules a mapping's sections must agree on.
- ``mapping_files``: ``load_mapping``, ``load_source``, ``mapping_path``, ``available_sources``.
- ``columns``: which canonical columns a kind's mapping may fill (``mappable_columns``).
- ``check``: ``check_mapping_file``, behind ``citystat sources check``.

Reading and staging (``extract`` is the entry point):
- ``extract``: ``resolve_files``, ``read_raw``, ``stage``, ``apply_district_lookup``.
- ``matching``: ``match_files``: what a pattern matches, confined to its root; folders, FIFOs,
  sockets, devices and broken links skipped unopened with a reason.
- ``readers``: DuckDB CSV and JSON readers that number every physical line.
- ``header``: a CSV file's header, read before DuckDB reads a row (no dialect sniffing).
- ``lines``: physical line numbers past rejected lines, quoted line breaks and blank
  lines; the pass that finds lines over the length limit.
- ``joins``: related files joined to the main one, aggregated when one-to-many.
- ``expressions``: SQL expressions typing raw text (timestamps, numbers, zips, statuses).
- ``staging``: typed staging, quarantine of values that do not parse, due rules.
- ``common``: ``LoadError``, ``FileCount`` and small SQL helpers the readers share.

Merging and provenance:
- ``merge``: ``merge_staged``, by record id; the newest version wins, every version is kept.
- ``provenance``: file hashes, ``load_files`` rows (``record_file``), step times (``StepClock``).
"""
