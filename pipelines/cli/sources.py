"""The `sources` command group: list the city's source mappings and check them against files."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click


@contextmanager
def _city_problems_as_lines() -> Iterator[None]:
    """A city.yml with problems (a new city's zone not filled in): each problem on its line."""
    from pipelines.config.issues import CityFileError

    try:
        yield
    except CityFileError as exc:
        for issue in exc.issues:
            click.echo(str(issue), err=True)
        raise SystemExit(1) from exc


@click.group("sources")
def sources() -> None:
    """Source mappings: one YAML file per extract, in the city's mappings folder (sources/)."""


@sources.command("list")
def sources_list() -> None:
    """List the city's source mappings and whether their files are present."""
    from pipelines.ingest.extract import LoadError, resolve_files
    from pipelines.ingest.mapping_files import available_sources, load_source

    with _city_problems_as_lines():
        for name in available_sources():
            mapping = load_source(name)
            try:
                found = f"{len(resolve_files(mapping))} file(s)"
            except LoadError:
                found = "files not found"
            click.echo(f"{name:24} {found:16} {mapping.title}")


@sources.command("check")
@click.argument("mappings", nargs=-1)
def sources_check(mappings: tuple[str, ...]) -> None:
    """Check mappings against their files: every problem, with the line to fix.

    MAPPINGS are source names (NAME.yml in the city's mappings folder) or paths to mapping
    files; without any, every mapping of the city is checked.
    """
    from pipelines.ingest.check import check_mapping_file
    from pipelines.ingest.mapping_files import available_sources, mapping_path

    with _city_problems_as_lines():
        paths = [
            Path(m) if m.endswith((".yml", ".yaml")) else mapping_path(m)
            for m in mappings or available_sources()
        ]
        problems_of = {path: check_mapping_file(path) for path in paths}
    found = 0
    for path, problems in problems_of.items():
        found += len(problems)
        for problem in problems:
            click.echo(problem)
        if not problems:
            click.echo(f"{path.stem}: no problems found")
    if found:
        raise SystemExit(1)
