"""Line-aware YAML loading: parse with ruamel.yaml and find the line of any key path.

Configuration is read by people but may be written by anyone with access to the city's
folder, so every file is held to limits before ruamel builds a tree of it (``check_limits``):
at most ``MAX_CONFIG_BYTES`` (1 MiB, read only from a regular file: ``read_config_text``),
nesting at most ``MAX_NESTING`` levels deep, and aliases (``*name``) adding at most
``MAX_ALIAS_VALUES`` values when expanded (a "billion laughs" file of nested aliases expands
to billions; an alias of itself never ends). The limits are checked on ruamel's event
stream, which never expands an alias, so a hostile file costs no more than its size.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    NodeEvent,
)

from pipelines.config.files import file_kind
from pipelines.config.issues import Issue

Loc = Sequence[str | int]

MAX_CONFIG_BYTES = 1 << 20
MAX_NESTING = 50
MAX_ALIAS_VALUES = 10_000


class YamlSyntaxError(Exception):
    """The file is not valid YAML; ``issue`` says where the parser stopped."""

    def __init__(self, issue: Issue) -> None:
        self.issue = issue
        super().__init__(str(issue))


def read_config_text(path: Path, file_label: str | None = None) -> str:
    """The text of a configuration file, or YamlSyntaxError when it must not be read.

    The file is looked at (``os.stat``) before it is opened: a FIFO would block the read
    forever, a device could be endless, and a file over ``MAX_CONFIG_BYTES`` is refused
    unread. OSError (a missing file, no permission) is left to the caller.
    """
    label = file_label or path.name
    info = os.stat(path)
    kind = file_kind(info.st_mode)
    if kind is not None:
        raise YamlSyntaxError(
            Issue(label, 1, f"this is a {kind}, not a file", "put the YAML file itself here")
        )
    if info.st_size > MAX_CONFIG_BYTES:
        raise YamlSyntaxError(_too_big(label, info.st_size))
    with open(path, encoding="utf-8") as handle:
        # Read one character past the limit: a file that grew since stat is still refused.
        text = handle.read(MAX_CONFIG_BYTES + 1)
    if len(text.encode("utf-8")) > MAX_CONFIG_BYTES:
        raise YamlSyntaxError(_too_big(label, len(text.encode("utf-8"))))
    return text


def _too_big(label: str, size: int) -> Issue:
    return Issue(
        label,
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
    """What ``check_limits`` has seen so far in the event stream."""

    label: str
    anchors: dict[str, tuple[int, int]] = field(default_factory=dict)  # values, height
    open_anchors: set[str] = field(default_factory=set)
    stack: list[_Frame] = field(default_factory=list)
    alias_values: int = 0

    def add(self, values: int, height: int, line: int) -> None:
        """Count a finished value (scalar, alias, collection) into the enclosing collection."""
        if len(self.stack) + height > MAX_NESTING:
            raise YamlSyntaxError(
                Issue(
                    self.label,
                    line,
                    f"the values here are nested more than {MAX_NESTING} levels deep",
                    "flatten the structure; configuration needs only a few levels",
                )
            )
        if self.stack:
            parent = self.stack[-1]
            parent.values += values
            parent.height = max(parent.height, height + 1)

    def alias(self, name: str, line: int) -> None:
        if name in self.open_anchors:
            raise YamlSyntaxError(
                Issue(
                    self.label,
                    line,
                    f"alias *{name} is inside the value it refers to (&{name}), so it never ends",
                    f"write the value out instead of *{name}",
                )
            )
        values, height = self.anchors.get(name, (1, 1))
        self.alias_values += values
        if self.alias_values > MAX_ALIAS_VALUES:
            raise YamlSyntaxError(
                Issue(
                    self.label,
                    line,
                    f"aliases (*name) up to this line expand to {self.alias_values:,} values, more "
                    f"than the {MAX_ALIAS_VALUES:,} a configuration file may hold",
                    "write the values out, or use fewer and smaller aliases",
                )
            )
        self.add(values, height, line)


def check_limits(text: str, file_label: str) -> None:
    """Raise YamlSyntaxError when the text is too big, too deep, or its aliases expand too far.

    Checked on the event stream, before any tree is built; a syntax error is left to raise
    as ruamel's YAMLError (``parse_yaml`` reports it at its line).
    """
    size = len(text.encode("utf-8"))
    if size > MAX_CONFIG_BYTES:
        raise YamlSyntaxError(_too_big(file_label, size))
    seen = _Limits(file_label)
    for event in YAML(typ="rt").parse(text):
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


def parse_yaml(text: str, file_label: str) -> Any:
    """Parse YAML text into ruamel's round-trip nodes, which remember their line numbers.

    The text is held to the limits of ``check_limits`` first.
    """
    with _located(file_label):
        check_limits(text, file_label)
        root = YAML(typ="rt").load(text)
    return root


@contextmanager
def _located(file_label: str) -> Iterator[None]:
    """Turn ruamel's errors into YamlSyntaxError with the line the parser stopped at."""
    try:
        yield
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = (exc.problem or exc.context or "cannot be parsed").strip()
        raise YamlSyntaxError(
            Issue(
                file_label,
                line,
                f"invalid YAML: {problem}",
                "check indentation, colons and quotes on this line or the one above",
            )
        ) from exc
    except YAMLError as exc:
        raise YamlSyntaxError(
            Issue(file_label, 1, f"invalid YAML: {exc}", "fix the YAML syntax")
        ) from exc


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


def line_of(root: Any, loc: Loc) -> int:
    """1-based line of the deepest node of ``loc`` that exists under ``root``."""
    node = root
    line = _own_line(root)
    for part in loc:
        if isinstance(node, CommentedMap) and isinstance(part, str) and part in node:
            line = node.lc.key(part)[0] + 1
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            line = node.lc.item(part)[0] + 1
            node = node[part]
        else:
            break
    return line


def _own_line(node: Any) -> int:
    lc = getattr(node, "lc", None)
    return lc.line + 1 if lc is not None and lc.line is not None else 1
