"""Publishing a build as the warehouse's new version, all or nothing.

- ``versions``: ``start_build``, ``publish_build`` (an atomic symlink swap), ``rollback``,
  ``clean_leftovers`` after a killed run, ``prune_versions``, ``publish_lock`` (one run at a
  time) and the messages for a full disk or a read-only folder.
- ``compaction``: the build copy, a byte copy of the published version or, once too many of
  its blocks are free, a compacting rewrite (``COPY FROM DATABASE``) into a fresh file.
"""
