"""Line-aware YAML loading: parse with ruamel.yaml and find the line of any key path.

Configuration is read by people but may be written by anyone with access to the city's
folder, so every file is held to limits before ruamel builds a tree of it: read only from a
regular file of at most 1 MiB (``read_config_text``), nested at most 50 levels deep, its
aliases (``*name``) expanding to at most 10,000 values (``check_limits``, which
``parse_yaml`` calls first). The limits live in ``pipelines.warehouse.files``, where the
dashboard's roles.yml reads them too; here they become located ``Issue`` values.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from pipelines.config.issues import Issue
from pipelines.warehouse.files import LimitError, check_yaml_limits, load_tree, read_limited_text
from pipelines.warehouse.files import to_plain as to_plain  # the config loaders' import

Loc = Sequence[str | int]


class YamlSyntaxError(Exception):
    """The file is not valid YAML; ``issue`` says where the parser stopped."""

    def __init__(self, issue: Issue) -> None:
        self.issue = issue
        super().__init__(str(issue))


def read_config_text(path: Path, file_label: str | None = None) -> str:
    """The text of a configuration file, or YamlSyntaxError when it must not be read.

    Only a regular file of at most 1 MiB is read, looked at before it is opened (a FIFO
    would block the read forever): ``pipelines.warehouse.files.read_limited_text``. OSError
    (a missing file, no permission) is left to the caller.
    """
    try:
        return read_limited_text(path)
    except LimitError as exc:
        raise YamlSyntaxError(_issue(file_label or path.name, exc)) from None


def check_limits(text: str, file_label: str) -> None:
    """YamlSyntaxError when the text is too big, too deep, or its aliases expand too far
    (``pipelines.warehouse.files.check_yaml_limits``); a syntax error raises as ruamel's
    YAMLError, which ``parse_yaml`` reports at its line."""
    try:
        check_yaml_limits(text)
    except LimitError as exc:
        raise YamlSyntaxError(_issue(file_label, exc)) from None


def _issue(file_label: str, exc: LimitError) -> Issue:
    return Issue(file_label, exc.line, exc.message, exc.hint)


def parse_yaml(text: str, file_label: str) -> Any:
    """Parse YAML text into ruamel's round-trip nodes, which remember their line numbers.

    The text is held to the limits of ``check_limits`` first.
    """
    with _located(file_label):
        check_limits(text, file_label)
        root = load_tree(text)
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
