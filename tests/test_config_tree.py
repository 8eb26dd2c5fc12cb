"""Configuration YAML is composed by ruamel's C parser and built by its round-trip constructor
(pipelines.warehouse.files.load_tree): the tree, its values and every key's line must be what
the pure round-trip loader gives, on every YAML file the project ships, and a syntax error
must still be worded as the pure parser words it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError

from pipelines.config.yaml_lines import line_of
from pipelines.warehouse.files import check_yaml_limits, load_tree, to_plain
from pipelines.warehouse.layout import PROJECT_ROOT

SHIPPED = sorted(
    p
    for pattern in ("*.yml", "cities/*/*.yml", "cities/*/sources/*.yml", "expectations/**/*.yml")
    for p in PROJECT_ROOT.glob(pattern)
)


def _paths(node: Any, loc: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    yield loc
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*loc, str(key)))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, (*loc, i))


def test_the_project_ships_yaml_files_to_compare() -> None:
    assert len(SHIPPED) >= 10, SHIPPED


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(PROJECT_ROOT)))
def test_every_shipped_file_loads_as_the_pure_loader_loads_it(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    pure = YAML(typ="rt").load(text)
    fast = load_tree(text)
    assert type(fast) is type(pure)
    assert to_plain(fast) == to_plain(pure)
    locations = list(_paths(pure))
    assert len(locations) > 1
    for loc in locations:
        assert line_of(fast, loc) == line_of(pure, loc), loc


def test_scalars_resolve_as_yaml_1_2_as_before() -> None:
    text = "a: yes\nb: 2024-07-01\nc: 0o17\nd: 1.5\ne: ~\nf: 'x'\ng: [1, on]\n"
    assert to_plain(load_tree(text)) == to_plain(YAML(typ="rt").load(text))
    assert to_plain(load_tree(text))["a"] == "yes"  # YAML 1.2: not a boolean


def test_an_empty_document_is_none() -> None:
    assert load_tree("") is None
    assert load_tree("# only a comment\n") is None


@pytest.mark.parametrize(
    "text",
    ["a: {b: 1: 2}\n", "a: [1, 2\nb: 3\n", "a: 1\n  b: 2\n", "a: 1\na: 2\n"],
    ids=["colon in a flow mapping", "unclosed list", "bad indentation", "duplicate key"],
)
def test_a_syntax_error_is_worded_and_placed_as_the_pure_parser_does(text: str) -> None:
    with pytest.raises(MarkedYAMLError) as pure:
        YAML(typ="rt").load(text)
    with pytest.raises(MarkedYAMLError) as fast:
        check_yaml_limits(text)
        load_tree(text)
    assert type(fast.value) is type(pure.value)
    assert fast.value.problem == pure.value.problem
    assert fast.value.problem_mark is not None and pure.value.problem_mark is not None
    assert fast.value.problem_mark.line == pure.value.problem_mark.line
