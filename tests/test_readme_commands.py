"""Every command README.md shows works as typed in a new shell after `make demo` and `make test`."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
VENV_BIN = Path(sys.executable).parent
# Words that start a command when they open a code span or a shell line.
PROGRAMS = (
    "make",
    "citystat",
    "streamlit",
    "python",
    "python3",
    "pip",
    "duckdb",
    "lint-imports",
    "spark-submit",
    "pybabel",
)


def _shell_lines() -> list[str]:
    """Commands in ```sh blocks and in inline code spans that start with a program."""
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", README, flags=re.S):
        lines += [line.split("#")[0].strip() for line in block.splitlines()]
    prose = re.sub(r"```.*?```", "", README, flags=re.S)
    # A one-word span (`citystat`) names the program; a command has arguments.
    lines += [span for span in re.findall(r"`([^`\n]+)`", prose) if len(span.split()) > 1]
    return [line for line in lines if line and _program(line) is not None]


def _program(line: str) -> str | None:
    """The program a command line runs, past any VAR=value assignments; None if not one."""
    try:
        words = shlex.split(line)
    except ValueError:
        return None
    words = [w for w in words if not re.fullmatch(r"[A-Z_]+=\S*", w)]
    if not words:
        return None
    name = words[0]
    return name if Path(name).name in PROGRAMS else None


COMMANDS = sorted(set(_shell_lines()))


def test_the_readme_shows_commands() -> None:
    assert any(c.startswith(".venv/bin/citystat ") for c in COMMANDS)
    assert "make demo" in COMMANDS and "make test" in COMMANDS


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_names_a_program_a_new_shell_finds(command: str) -> None:
    program = _program(command)
    assert program is not None
    if program == "make":
        target = shlex.split(command.split("make", 1)[1])[0]
        assert re.search(rf"^{re.escape(target)}:", (ROOT / "Makefile").read_text(), re.M)
        return
    # A bare `citystat` is "command not found" in a new shell: the venv is not on PATH.
    assert program.startswith(".venv/bin/"), f"{command!r}: write .venv/bin/{program}"
    assert (VENV_BIN / Path(program).name).exists(), f"{program} is not installed by make"


def _citystat_commands() -> list[str]:
    return sorted(
        {c for c in COMMANDS if _program(c) == ".venv/bin/citystat" and "COMMAND" not in c}
    )


@pytest.mark.parametrize("command", _citystat_commands())
def test_each_citystat_command_parses(command: str) -> None:
    # --help after the subcommand words proves each word exists; placeholders, options and
    # the folders options name (--city cities/boston) are dropped.
    words = [
        w
        for w in shlex.split(command)[1:]
        if not w.startswith(("-", "[")) and w.islower() and "/" not in w
    ]
    subcommand = []
    for word in words:
        probe = subprocess.run(
            [str(VENV_BIN / "citystat"), *subcommand, word, "--help"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if probe.returncode != 0:
            break
        subcommand.append(word)
    assert subcommand, f"{command!r}: not a citystat command"
    result = subprocess.run(
        [str(VENV_BIN / "citystat"), *subcommand, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
