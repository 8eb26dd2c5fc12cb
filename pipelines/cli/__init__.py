"""The ``citystat`` command (click): one-line errors, tracebacks only with ``--debug``.

- ``main``: ``main``, the group, and ``demo-data``, ``run``, ``rollback``.
- ``init``: ``citystat init DIR``, a new city's folder (pipelines/city/scaffold.py).
- ``metrics``: ``citystat metrics check | explain | preview``.
- ``services``: ``citystat services check``.
- ``sources``: ``citystat sources list | check``.
"""
