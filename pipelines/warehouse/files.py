"""Reading the files a city keeps without letting one hurt the reader.

- ``file_kind`` says what a path is (``os.stat`` never opens it): opening a FIFO blocks until
  something writes to it, a device may never end, a folder cannot be read as text.
- ``open_regular`` opens a regular file and nothing else, without ever blocking.
- ``read_limited_text`` and ``check_yaml_limits`` hold a configuration file (city.yml,
  metrics.yml, services.yml, a source mapping, roles.yml) to limits before a YAML tree is built:
  at most ``MAX_CONFIG_BYTES`` (1 MiB) from a regular file, nesting at most ``MAX_NESTING``
  levels deep, aliases (``*name``) expanding to at most ``MAX_ALIAS_VALUES`` values (a
  "billion laughs" file of nested aliases expands to billions; an alias inside its own anchor
  never ends). The YAML limits are checked on ruamel's event stream, which never expands an
  alias, so a hostile file costs no more than its size. A limit broken raises ``LimitError``
  with the line; pipelines/config/yaml_lines.py and dashboard/auth/roles.py word it as their
  other problems. ``load_tree`` builds ruamel's line-aware round-trip tree, and ``to_plain``
  turns it into plain values for pydantic.

No I/O beyond the file asked for, no database: the dashboard may import this module.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    Event,
    NodeEvent,
)

MAX_CONFIG_BYTES = 1 << 20
MAX_NESTING = 50
MAX_ALIAS_VALUES = 10_000

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


class LimitError(Exception):
    """A configuration file broke a limit: the line, what is wrong, and what to do."""

    def __init__(self, line: int, message: str, hint: str) -> None:
        super().__init__(f"{line}: {message}; {hint}")
        self.line, self.message, self.hint = line, message, hint


def read_limited_text(path: Path) -> str:
    """A configuration file's text (UTF-8), or LimitError when it must not be read whole.

    A FIFO, a socket, a device or a folder is refused unopened (``open_regular``), a file
    over ``MAX_CONFIG_BYTES`` unread, one that is not UTF-8 at the line of its first bad byte.
    OSError (a missing file, no permission) is left to the caller.
    """
    try:
        handle = open_regular(path)
    except NotAFile as exc:
        raise LimitError(
            1, f"this is a {exc.kind}, not a file", "put the YAML file itself here"
        ) from None
    with handle:
        size = os.fstat(handle.fileno()).st_size
        if size > MAX_CONFIG_BYTES:
            raise _too_big(size)
        # One byte past the limit: a file that grew since is still refused.
        data = handle.read(MAX_CONFIG_BYTES + 1)
    if len(data) > MAX_CONFIG_BYTES:
        raise _too_big(len(data))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LimitError(
            data[: exc.start].count(b"\n") + 1,
            f"byte {exc.start + 1} is not UTF-8 text",
            "save the file as UTF-8",
        ) from None


def _too_big(size: int) -> LimitError:
    return LimitError(
        1,
        f"the file is {size:,} bytes, more than the {MAX_CONFIG_BYTES:,} (1 MiB) a "
        "configuration file may hold",
        "check that this is the right file; a city's configuration is far smaller",
    )


@dataclass
class _Frame:
    """A collection being read: its anchor, values (aliases expanded) and height so far."""

    anchor: str | None
    values: int = 1
    height: int = 1


@dataclass
class _Limits:
    """What ``check_yaml_limits`` has seen so far in the event stream."""

    anchors: dict[str, tuple[int, int]] = field(default_factory=dict)  # values, height
    open_anchors: set[str] = field(default_factory=set)
    stack: list[_Frame] = field(default_factory=list)
    alias_values: int = 0

    def add(self, values: int, height: int, line: int) -> None:
        """Count a finished value (scalar, alias, collection) into the enclosing collection."""
        if len(self.stack) + height > MAX_NESTING:
            raise LimitError(
                line,
                f"the values here are nested more than {MAX_NESTING} levels deep",
                "flatten the structure; configuration needs only a few levels",
            )
        if self.stack:
            parent = self.stack[-1]
            parent.values += values
            parent.height = max(parent.height, height + 1)

    def alias(self, name: str, line: int) -> None:
        if name in self.open_anchors:
            raise LimitError(
                line,
                f"alias *{name} is inside the value it refers to (&{name}), so it never ends",
                f"write the value out instead of *{name}",
            )
        values, height = self.anchors.get(name, (1, 1))
        self.alias_values += values
        if self.alias_values > MAX_ALIAS_VALUES:
            raise LimitError(
                line,
                f"aliases (*name) up to this line expand to {self.alias_values:,} values, more "
                f"than the {MAX_ALIAS_VALUES:,} a configuration file may hold",
                "write the values out, or use fewer and smaller aliases",
            )
        self.add(values, height, line)


def check_yaml_limits(text: str) -> None:
    """LimitError when YAML text is too big, too deep, or its aliases expand too far.

    Checked on the event stream, before any tree is built; a syntax error is left to raise
    as ruamel's YAMLError, for the caller to word as it words the others.
    """
    size = len(text.encode("utf-8"))
    if size > MAX_CONFIG_BYTES:
        raise _too_big(size)
    seen = _Limits()
    for event in _events(text):
        line = event.start_mark.line + 1 if event.start_mark is not None else 1
        if isinstance(event, AliasEvent):
            seen.alias(str(event.anchor), line)
        elif isinstance(event, CollectionStartEvent):
            if len(seen.stack) >= MAX_NESTING:
                seen.add(1, 1, line)  # raises: one level too deep
            seen.stack.append(_Frame(event.anchor))
            if event.anchor:
                seen.open_anchors.add(event.anchor)
        elif isinstance(event, CollectionEndEvent):
            frame = seen.stack.pop()
            if frame.anchor:
                seen.open_anchors.discard(frame.anchor)
                seen.anchors[frame.anchor] = (frame.values, frame.height)
            seen.add(frame.values, frame.height, line)
        elif isinstance(event, NodeEvent):  # a scalar
            if event.anchor:
                seen.anchors[event.anchor] = (1, 1)
            seen.add(1, 1, line)


def _c_yaml() -> YAML:
    """ruamel's loader with its C parser (ruamel.yaml.clib; the pure one where it is missing),
    the same YAML 1.2 resolver as the round-trip loader's."""
    return YAML(typ="safe", pure=False)


def _events(text: str) -> Iterable[Event]:
    """The YAML event stream, parsed in C; a syntax error raises as the pure parser words it."""
    try:
        return list(_c_yaml().parse(text))
    except YAMLError:
        return _pure_yaml().parse(text)  # raises at the same line, worded as it always was


def _pure_yaml() -> YAML:
    """ruamel's round-trip loader, pure Python: its constructor, and its words for errors."""
    return YAML(typ="rt")


def load_tree(text: str) -> Any:
    """The round-trip tree of YAML text (CommentedMap and CommentedSeq, which know the line
    of every key and item), or None for an empty document; call ``check_yaml_limits`` first.

    The nodes are composed by the C parser and built by the round-trip constructor: the same
    tree, values and lines as ``YAML(typ="rt").load``, 6x faster (0.47 -> 0.07 s for the
    demo's metrics.yml), which every run and command pays. Comments are not kept: nothing
    writes a tree back.
    """
    try:
        node = _c_yaml().compose(text)
    except YAMLError:
        return _pure_yaml().load(text)  # raises, worded as the pure parser words it
    if node is None:
        return None
    return _pure_yaml().constructor.construct_document(node)


def to_plain(node: Any) -> Any:
    """Convert ruamel nodes and scalar subclasses into plain Python values."""
    if isinstance(node, dict):
        return {str(key): to_plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [to_plain(item) for item in node]
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, datetime):
        return datetime.fromisoformat(node.isoformat())
    if isinstance(node, date):
        return date(node.year, node.month, node.day)
    for kind in (int, float, str):
        if isinstance(node, kind):
            return kind(node)
    return node
