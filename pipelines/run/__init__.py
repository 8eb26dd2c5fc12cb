"""One run of the pipeline, from new extract files to a published warehouse version.

- ``pipeline``: ``run_pipeline`` and ``recompute_metrics``, the orchestration of the stages.
- ``sources``: ``load_source_files``, one source's files through read, stage, validate and
  merge, each file's rows accounted for.
- ``ge_gate``: ``GeGate``, each load handed to the Great Expectations worker, and its verdicts
  awaited before publishing.
- ``record``: ``compute_and_record``, metric values and service tables, the ``runs`` row.
- ``build``: ``begin_build``, ``building``, ``check_published``, ``publish_version``.
- ``arrivals``: ``newest_record_times``, the data's as-of and each source's newest record
  instant (late data), on the city's clock; ``record_arrivals`` writes the instants.
- ``outcome``: ``RunResult``, ``SourceResult`` and ``RunError``.
"""
