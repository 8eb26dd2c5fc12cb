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
    """List the city's source mappings and whether their files are present.

    A mapping that does not load is listed with its problems (file:line), and the others
    still are; the command then exits with status 1.
    """
    from pipelines.ingest.extract import LoadError, resolve_files
    from pipelines.ingest.mapping_files import MappingError, available_sources, load_source

    broken = 0
    with _city_problems_as_lines():
        names = available_sources()
        width = max((len(n) for n in names), default=0)
        for name in names:
            try:
                mapping = load_source(name)
            except MappingError as exc:
                broken += 1
                click.echo(f"{name:{width}} {'does not load':16} {exc.problems[0]}")
                for problem in exc.problems[1:]:
                    click.echo(f"{'':{width + 17}} {problem}")
                continue
            try:
                found = f"{len(resolve_files(mapping))} file(s)"
            except (LoadError, ValueError):
                found = "files not found"
            click.echo(f"{name:{width}} {found:16} {mapping.title}")
    if broken:
        plural = "s" if broken != 1 else ""
        click.echo(
            f"{broken} mapping{plural} did not load; `citystat sources check NAME` lists every "
            "problem with its line",
            err=True,
        )
        raise SystemExit(1)


@sources.command("check")
@click.argument("mappings", nargs=-1)
def sources_check(mappings: tuple[str, ...]) -> None:
    """Check mappings against their files: every problem, with the line to fix.

    It checks what `citystat run` checks: the mapping, the city's time zone, every file the
    mapping names (main files, joined files, the district crosswalk) and their headers, and a
    sample of the first file's timestamps and status words. MAPPINGS are source names (NAME.yml
    in the city's mappings folder) or paths to mapping files; without any, every mapping of the
    city is checked.
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
