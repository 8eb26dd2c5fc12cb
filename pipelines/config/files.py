"""What kind of file a path is, looked at before anything opens it.

Opening a FIFO blocks until something writes to it, a device may never end, and a folder
cannot be read as text: whatever reads a file named by configuration or found by a pattern
asks ``file_kind`` first (``os.stat`` never opens the file), and opens with ``open_regular``.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

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


class NotAFile(OSError):
    """A path that was to be read is not a regular file (``kind`` says what it is)."""

    def __init__(self, path: Path, kind: str) -> None:
        super().__init__(f"{path}: a {kind}, not a regular file")
        self.kind = kind


def open_regular(path: Path) -> BinaryIO:
    """Open a regular file for reading; NotAFile for anything else, without ever blocking.

    ``O_NONBLOCK`` makes opening a FIFO return at once (a plain open waits for a writer),
    and the descriptor's own ``fstat`` says what was opened, whatever the path held a moment
    before (a file replaced by a FIFO between a check and the open).
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        kind = file_kind(os.fstat(fd).st_mode)
        if kind is not None:
            raise NotAFile(path, kind)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
