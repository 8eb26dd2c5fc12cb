"""Line-aware YAML loading: parse with ruamel.yaml and find the line of any key path."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from pipelines.config.issues import Issue

Loc = Sequence[str | int]


class YamlSyntaxError(Exception):
    """The file is not valid YAML; ``issue`` says where the parser stopped."""

    def __init__(self, issue: Issue) -> None:
        self.issue = issue
        super().__init__(str(issue))


def parse_yaml(text: str, file_label: str) -> Any:
    """Parse YAML text into ruamel's round-trip nodes, which remember their line numbers."""
    yaml = YAML(typ="rt")
    try:
        return yaml.load(text)
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
