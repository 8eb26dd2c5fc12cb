"""A tiny city written into tmp_path for ingest tests (no tests here): mappings, extracts and a
metrics.yml, with the environment pointing every command at them."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

METRIC_TEXT = """\
    description: A metric for tests.
    methodology: Worked out by hand.
    department: {department}
    owner: Director
"""


def metric(
    metric_id: str, body: str, label: str = "Test metric", department: str = "Licenses"
) -> str:
    """One metrics.yml entry: id, label, the common text fields, then ``body``."""
    common = METRIC_TEXT.format(department=department)
    return f"  - id: {metric_id}\n    label: {label}\n{common}" + textwrap.indent(
        textwrap.dedent(body), "    "
    )


class Town:
    """The city folder: sources/, data/town/ and metrics.yml under one tmp_path."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root = root
        self.sources = root / "sources"
        self.data = root / "data"
        self.extracts = self.data / "town"
        self.sources.mkdir(parents=True, exist_ok=True)
        self.extracts.mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv("CITYSTAT_CITY", str(root))
        monkeypatch.setenv("CITYSTAT_SOURCES_DIR", str(self.sources))
        monkeypatch.setenv("CITYSTAT_DATA_DIR", str(self.data))
        for name in ("CITYSTAT_METRICS_FILE", "CITYSTAT_SERVICES_FILE", "CITYSTAT_WAREHOUSE"):
            monkeypatch.delenv(name, raising=False)

    @property
    def warehouse(self) -> Path:
        """Where a run publishes."""
        return self.data / "citystat.duckdb"

    def mapping(self, name: str, text: str) -> Path:
        """Write sources/<name>.yml."""
        path = self.sources / f"{name}.yml"
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def extract(self, name: str, text: str) -> Path:
        """Write data/town/<name>."""
        path = self.extracts / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def metrics(self, sources: list[str], *metrics: str, name: str = "metrics.yml") -> Path:
        """Write a metrics.yml naming its city and sources (no city.yml: the one-file form)."""
        path = self.root / name
        path.write_text(
            f"city: {{name: Town, sources: [{', '.join(sources)}]}}\nmetrics:\n" + "".join(metrics),
            encoding="utf-8",
        )
        return path
