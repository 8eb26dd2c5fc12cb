"""The ``citystat`` command (click): one-line errors, tracebacks only with ``--debug``.

- ``main``: ``main``, the group, and ``demo-data``, ``run``, ``rollback``.
- ``init``: ``citystat init DIR``, a new city's folder (pipelines/city/scaffold.py).
- ``metrics``: ``citystat metrics check | explain | preview``; ``drafts``: what
  ``metrics preview --draft`` prints and saves.
- ``lake``: ``citystat export --parquet DIR`` and ``citystat metrics compute --engine spark``.
- ``schema``: ``citystat schema``, JSON Schemas of the city's files from the models.
- ``services``: ``citystat services check``.
- ``sources``: ``citystat sources list | check``.
- ``nothing_new``: whether ``citystat run`` has anything new to do, from plain files, before
  the heavy imports; ``run_inputs``: the fingerprint a publishing run leaves for it.
"""
