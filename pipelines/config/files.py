"""What kind of file a path is, looked at before anything opens it.

Opening a FIFO blocks until something writes to it, a device may never end, and a folder
cannot be read as text: whatever reads a file named by configuration or found by a pattern
asks ``file_kind`` first (``os.stat`` never opens the file).
"""

from __future__ import annotations

import stat

_KINDS = (
    (stat.S_ISDIR, "folder"),
    (stat.S_ISFIFO, "FIFO (named pipe)"),
    (stat.S_ISSOCK, "socket"),
    (stat.S_ISCHR, "character device"),
    (stat.S_ISBLK, "block device"),
)


def file_kind(mode: int) -> str | None:
    """None for a regular file; else what it is ('folder', 'FIFO (named pipe)', ...)."""
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "special file")
