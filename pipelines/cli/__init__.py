"""The ``citystat`` command (click): one-line errors, tracebacks only with ``--debug``.

- ``main``: ``main``, the group, and ``demo-data``, ``run``, ``rollback``.
- ``metrics``: ``citystat metrics check | explain | preview``.
- ``services``: ``citystat services check``.
- ``sources``: ``citystat sources list | check``.
"""
