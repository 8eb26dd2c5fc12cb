"""The light CLI commands never import Great Expectations (seconds to import) nor pandas."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pipelines.warehouse.layout import PROJECT_ROOT

# Runs the real click group in a fresh interpreter, then says which heavy modules it loaded.
PROBE = """
import sys
from pipelines.cli.main import main
try:
    main(sys.argv[1:], prog_name="citystat")
except SystemExit:
    pass
print("loaded:", "great_expectations" in sys.modules, "pandas" in sys.modules, file=sys.stderr)
"""


@pytest.mark.parametrize(
    "arguments", [["--help"], ["sources", "list"], ["metrics", "check"]], ids=" ".join
)
def test_light_commands_do_notimport_great_expectations(arguments: list[str]) -> None:
    probe = subprocess.run(
        [sys.executable, "-c", PROBE, *arguments],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    # Libraries may warn on stderr after the probe's line (GE names optional modules it lacks).
    last = [line for line in probe.stderr.splitlines() if line.startswith("loaded:")][-1]
    # The command itself ran (printed its help or its listing), then the probe line.
    assert probe.stdout.strip() or arguments == ["metrics", "check"]
    assert last == "loaded: False False", probe.stderr


def test_the_probe_sees_great_expectations_when_a_command_imports_it() -> None:
    # Guards the probe itself: importing GE must show up as loaded.
    code = PROBE.replace(
        "pass\n",
        "pass\nfrom pipelines.validate.ge_batches import import_great_expectations\n"
        "import_great_expectations()\n",
        1,
    )
    probe = subprocess.run(
        [sys.executable, "-c", code, "--help"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [line for line in probe.stderr.splitlines() if line.startswith("loaded:")]
    assert lines and lines[-1].startswith("loaded: True"), probe.stderr
