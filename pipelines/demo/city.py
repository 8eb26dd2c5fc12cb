"""The whole generated demo city: 311 requests plus L&I permits and complaint cases."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pipelines.demo import service_requests
from pipelines.demo.common import DEFAULT_SEED, silent
from pipelines.demo.inspections import generate_inspections
from pipelines.demo.permits import generate_permits

# Permits and complaint cases in proportion to 311 volume (60,000 and 40,000 for the default
# 300,000 requests), so a benchmark at 10 million requests scales all three.
PERMITS_PER_REQUEST = 1 / 5
CASES_PER_REQUEST = 2 / 15


def demo_extracts(out_dir: Path) -> dict[str, Path]:
    """Where each demo extract is written under out_dir."""
    return {
        "311 requests": out_dir / "philadelphia_311" / "public_cases_fc.csv",
        "permits": out_dir / "philadelphia_permits" / "permits.csv",
        "complaint cases": out_dir / "philadelphia_inspections" / "case_investigations.csv",
    }


def write_demo_city(
    out_dir: Path,
    rows: int = service_requests.DEFAULT_ROWS,
    seed: int = DEFAULT_SEED,
    force: bool = False,
    progress: Callable[[str], None] = silent,
) -> dict[str, Path | None]:
    """Write every demo extract that is absent (all with force); None for those kept."""
    generators: dict[str, Callable[[], Path]] = {
        "311 requests": lambda: service_requests.generate_311(
            out_dir, rows=rows, seed=seed, progress=progress
        ),
        "permits": lambda: generate_permits(
            out_dir, rows=max(1, round(rows * PERMITS_PER_REQUEST)), seed=seed, progress=progress
        ),
        "complaint cases": lambda: generate_inspections(
            out_dir, rows=max(1, round(rows * CASES_PER_REQUEST)), seed=seed, progress=progress
        ),
    }
    written: dict[str, Path | None] = {}
    for name, path in demo_extracts(out_dir).items():
        written[name] = generators[name]() if force or not path.exists() else None
    return written
