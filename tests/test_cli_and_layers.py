"""The command line documents itself and README; the layers keep their imports apart."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from pipelines.cli.main import main

ROOT = Path(__file__).resolve().parent.parent


def _commands(group: click.Group, prefix: str = "") -> list[str]:
    names = []
    # list_commands/get_command, not .commands: the groups' modules are imported lazily.
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, name
        full = f"{prefix}{name}"
        if isinstance(command, click.Group):
            names.extend(_commands(command, full + " "))
        else:
            names.append(full)
    return names


COMMANDS = _commands(main)


def test_the_commands_the_issue_asks_for_exist() -> None:
    assert {"demo-data", "run", "metrics check", "metrics explain", "metrics preview"} <= set(
        COMMANDS
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_and_is_in_the_readme(command: str) -> None:
    result = CliRunner().invoke(main, [*command.split(), "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage: main " + command in result.output or "Usage: citystat " + command in (
        result.output
    )
    assert f"citystat {command}" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_run_with_a_broken_metrics_file_is_one_clean_error(tmp_path: Path) -> None:
    bad = tmp_path / "metrics.yml"
    bad.write_text("city: [unclosed\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["run", "--metrics", str(bad)])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert f"{bad}:" in result.output or "metrics.yml:" in result.output


def _modules_after_import(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print('\\n'.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    return set(out.split())


def test_dashboard_never_imports_great_expectations(tmp_path: Path) -> None:
    # Run every page in a fresh interpreter, then look at what it imported.
    code = f"""
from streamlit.testing.v1 import AppTest
from tests.dashboard_fixture import build_fixture_warehouse
import os
build_fixture_warehouse(__import__("pathlib").Path({str(tmp_path / "wh.duckdb")!r}))
os.environ["CITYSTAT_WAREHOUSE"] = {str(tmp_path / "wh.duckdb")!r}
for page in ("views/scorecard.py", "views/metric.py", "views/data_quality.py"):
    at = AppTest.from_file("dashboard/app.py", default_timeout=60).run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
"""
    loaded = _modules_after_import(code)
    assert "dashboard.queries.reader" in loaded  # the pages really ran
    assert "great_expectations" not in loaded


def test_pipelines_never_import_streamlit() -> None:
    code = "import pipelines.cli.main, pipelines.run, pipelines.metrics, pipelines.validate"
    assert "streamlit" not in _modules_after_import(code)
