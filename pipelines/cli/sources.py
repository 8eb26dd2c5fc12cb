"""The `sources` command group: list the shipped source mappings and check them against files."""

from __future__ import annotations

from pathlib import Path

import click


@click.group("sources")
def sources() -> None:
    """Source mappings: one YAML file per city extract in pipelines/sources/."""


@sources.command("list")
def sources_list() -> None:
    """List the shipped source mappings and whether their files are present."""
    from pipelines.ingest.extract import LoadError, resolve_files
    from pipelines.ingest.mapping_files import available_sources, load_source

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

    MAPPINGS are source names (pipelines/sources/NAME.yml) or paths to mapping files;
    without any, every shipped mapping is checked.
    """
    from pipelines.ingest.check import check_mapping_file
    from pipelines.ingest.mapping_files import available_sources, mapping_path

    paths = [
        Path(m) if m.endswith((".yml", ".yaml")) else mapping_path(m)
        for m in mappings or available_sources()
    ]
    found = 0
    for path in paths:
        problems = check_mapping_file(path)
        found += len(problems)
        for problem in problems:
            click.echo(problem)
        if not problems:
            click.echo(f"{path.stem}: no problems found")
    if found:
        raise SystemExit(1)
