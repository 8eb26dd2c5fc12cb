"""The `services` command group: check services.yml against itself and metrics.yml."""

from __future__ import annotations

from pathlib import Path

import click

from pipelines.catalog.loader import (
    check_services_against_metrics,
    load_services,
)
from pipelines.config.issues import MetricsFileError, ServicesFileError
from pipelines.metrics.loader import load_metrics
from pipelines.warehouse import layout


@click.group("services")
def services() -> None:
    """Check the service catalog in services.yml."""


@services.command("check")
@click.option(
    "--file",
    "services_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="services.yml to read (default: the city's services.yml or $CITYSTAT_SERVICES_FILE).",
)
def check(services_file: Path | None) -> None:
    """Check services.yml and print every problem as FILE:LINE: problem; fix."""
    path = services_file if services_file is not None else layout.services_file()
    try:
        config = load_services(path)
        issues = check_services_against_metrics(config, load_metrics(layout.metrics_file()))
    except (ServicesFileError, MetricsFileError) as exc:
        issues = exc.issues
    for issue in issues:
        click.echo(str(issue), err=True)
    if issues:
        raise SystemExit(1)
    click.echo(f"{path.name}: {len(config.services)} services, no problems found")
