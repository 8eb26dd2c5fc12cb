"""Hostile or odd files cannot hurt a run: the bad-input catalogue's cases for files built to
hurt (or merely odd), each with the exact outcome a user sees.

The same town and the same outcomes as tests/test_bad_input_catalogue.py (``Stops``,
``Loads``: read = staged + quarantined + rejected, each set-aside row with its line).

- Configuration (metrics.yml, city.yml, services.yml, a mapping) is held to limits before a
  tree is built: 1 MiB, 50 levels of nesting, aliases expanding to at most 10,000 values.
- The run lock is an OS lock on open descriptors (the lock file and the data folder):
  deleting the lock file while a run holds it does not let a second run in.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import tests.test_bad_input_catalogue as catalogue
from pipelines.cli.main import main
from pipelines.warehouse.pause import PAUSE_ENV, PAUSE_MARKER
from tests.test_bad_input_catalogue import (
    MAPPING,
    _config_case_town,
    _error_line,
    _run_fails_and_changes_nothing,
)

# Module-scoped: day 1 published once for this module's cases.
published_day1 = catalogue.published_day1


def _laughs(levels: int) -> str:
    """A 'billion laughs' block: each anchor holds nine aliases of the one before."""
    lines = ["lol0: &lol0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"lol{i}: &lol{i} [{', '.join([f'*lol{i - 1}'] * 9)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def _nested(depth: int) -> str:
    """A value nested ``depth`` mappings deep, one key per line."""
    return "".join("  " * i + f"k{i}:\n" for i in range(depth)) + "  " * depth + "v\n"


LIMIT_FIX = "write the values out, or use fewer and smaller aliases"
DEPTH_FIX = "flatten the structure; configuration needs only a few levels"

# (case, file written beside metrics.yml, its text, the exact error line; {path}: its path)
CONFIG_CASES = [
    (
        "billion laughs in metrics.yml",
        "metrics.yml",
        None,  # the town's metrics.yml with the block appended
        "metrics.yml:{laughs}: aliases (*name) up to this line expand to 15,670 values, more "
        f"than the 10,000 a configuration file may hold; {LIMIT_FIX}",
    ),
    (
        "billion laughs in services.yml",
        "services.yml",
        _laughs(8),
        "services.yml:5: aliases (*name) up to this line expand to 15,670 values, more than "
        f"the 10,000 a configuration file may hold; {LIMIT_FIX}",
    ),
    (
        "an alias inside its own anchor in city.yml",
        "city.yml",
        "name: Town\ntimezone: America/Chicago\nfolders: &f {a: [1, *f]}\n",
        "city.yml:3: alias *f is inside the value it refers to (&f), so it never ends; write "
        "the value out instead of *f",
    ),
    (
        "nesting 60 levels deep in city.yml",
        "city.yml",
        "name: Town\n" + _nested(60),
        f"city.yml:51: the values here are nested more than 50 levels deep; {DEPTH_FIX}",
    ),
    (
        "a 2 MB services.yml",
        "services.yml",
        "channels: []\n" + "# padding\n" * 200_000,
        "services.yml:1: the file is 2,000,013 bytes, more than the 1,048,576 (1 MiB) a "
        "configuration file may hold; check that this is the right file; a city's "
        "configuration is far smaller",
    ),
    (
        "billion laughs in a mapping",
        "sources/town.yml",
        MAPPING + _laughs(8),
        "{path}:16: aliases (*name) up to this line expand to 15,670 values, more than the "
        f"10,000 a configuration file may hold; {LIMIT_FIX}",
    ),
]


@pytest.mark.parametrize(
    ("name", "file", "text", "expected"), CONFIG_CASES, ids=[c[0] for c in CONFIG_CASES]
)
def test_hostile_configuration(
    name: str,
    file: str,
    text: str | None,
    expected: str,
    published_day1: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    town = _config_case_town(published_day1, tmp_path, monkeypatch)
    path = town.root / file
    if text is None:
        original = path.read_text(encoding="utf-8")
        text = original + _laughs(8)
        expected = expected.replace("{laughs}", str(original.count("\n") + 5))
    path.write_text(text, encoding="utf-8")
    output = _run_fails_and_changes_nothing(town)
    # The first problem is the file's (a city.yml case goes on to metrics.yml's city: section).
    assert _error_line(output).splitlines()[0] == expected.replace("{path}", str(path)), name


# --- the run lock ------------------------------------------------------------------------------


def test_deleting_the_lock_file_does_not_admit_a_second_run(
    published_day1: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    town = _config_case_town(published_day1, tmp_path, monkeypatch)
    env = {
        **os.environ,
        "CITYSTAT_SOURCES_DIR": str(town.sources),
        "CITYSTAT_DATA_DIR": str(town.data),
        PAUSE_ENV: "run:locked",
    }
    citystat = Path(sys.executable).parent / "citystat"
    args = ["run", "--metrics", str(town.metrics), "--warehouse", str(town.warehouse)]
    first = subprocess.Popen(
        [str(citystat), *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        assert first.stderr is not None
        # The first run holds the lock and sleeps (pipelines.warehouse.pause).
        assert first.stderr.readline().decode().strip() == f"{PAUSE_MARKER}run:locked"
        (town.data / ".citystat.duckdb.lock").unlink()
        second = CliRunner().invoke(main, args)
    finally:
        first.kill()
        first.wait()
    assert second.exit_code == 1
    assert _error_line(second.output) == (
        f"{town.warehouse}: another citystat run or rollback is publishing it; wait for it to "
        "finish and run again"
    )
