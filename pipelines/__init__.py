"""citystat's pipeline, package by package in the order a row goes through them.

Lowest first; each imports only those above it in this list (checked by import-linter,
``make lint``; see ARCHITECTURE.md):

- ``warehouse``: the warehouse's tables, folders, connections, and the published read API.
- ``config``: line-aware YAML, located issues and hints, shared by every configuration file.
- ``ingest``: source mappings, reading extract files, staging, row accounting, merge.
- ``validate``: exact SQL counts of every row rule, Great Expectations on a sample, quarantine.
- ``metrics``: metrics.yml, its checks, the SQL compiler, computing metric values.
- ``catalog``: services.yml, Executive Order 2-24 prioritization, cohorts, leadership index.
- ``publish``: versioned, atomic publishing of a build, rollback, the run lock.
- ``run``: one run, orchestrating the stages above from extract files to a published version.
- ``demo``: the generated demo city's extracts (used only by the command line).
- ``lake``: a city's published warehouse as Parquet (``citystat export --parquet``).
- ``spark``: every city of a lake computed on Apache Spark (the only package importing pyspark).
- ``cli``: the ``citystat`` command.

``sources/`` holds the shipped source mappings (YAML) and their lookup files.
"""
