"""`citystat init DIR`: write a new city's folder from the commented templates."""

from __future__ import annotations

import shlex
from pathlib import Path

import click


@click.command("init")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", default=None, help="The city's name (default: from the folder's name).")
@click.option(
    "--timezone",
    default=None,
    metavar="ZONE",
    help="The city's IANA time zone, such as America/Chicago (without it, city.yml says "
    "where to fill it in).",
)
@click.option(
    "--fiscal-year-start",
    type=click.IntRange(1, 12),
    default=7,
    show_default=True,
    metavar="MONTH",
    help="The month (1-12) the city's fiscal year starts in.",
)
@click.option("--force", is_flag=True, help="Overwrite the city's files if they exist.")
def init(
    folder: Path, name: str | None, timezone: str | None, fiscal_year_start: int, force: bool
) -> None:
    """Write a new city in FOLDER: city.yml, metrics.yml, services.yml, a source mapping to
    edit (sources/example_311.yml), data/ and a README.md saying what to fill in, in order."""
    from pipelines.city.scaffold import (
        EXTRACT_FOLDER,
        ZONE_PLACEHOLDER,
        InitError,
        NewCity,
        write_city,
        zone_line,
    )

    city = NewCity(folder, name, timezone, fiscal_year_start)
    try:
        written = write_city(city, force=force)
    except InitError as exc:
        raise click.ClickException(str(exc)) from exc
    for path in written:
        click.echo(f"wrote {path}")
    shown = shlex.quote(str(folder))
    if timezone is None:
        line = zone_line((folder / "city.yml").read_text(encoding="utf-8"))
        click.echo(
            f"{folder / 'city.yml'}:{line}: fill in the city's time zone in place of "
            f"{ZONE_PLACEHOLDER} (an IANA name such as America/Chicago)"
        )
    click.echo(
        f"Next: read {folder / 'README.md'}; put the city's 311 extract in "
        f"{folder / EXTRACT_FOLDER}/, edit {folder / 'sources/example_311.yml'} to its header "
        f"and check it with `.venv/bin/citystat --city {shown} sources check`."
    )
