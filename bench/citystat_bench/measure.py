"""Run one measured operation in its own process: wall time, peak memory, what it reported.

Each operation is a separate process so its peak resident memory (``ru_maxrss`` from
``os.wait4``) is its own, not the harness's. An operation run by ``bench/run.py op ...``
prints one ``BENCH-RESULT {json}`` line with the seconds it timed inside itself (the work
alone, without interpreter start-up and imports).

Linux gives a child the peak RSS of the process that forked it as a floor (``ru_maxrss``
survives fork and exec), so the harness process stays small: it imports neither DuckDB nor
pandas and does every database read in a child too. Its own peak is reported beside the
figures as that floor.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RESULT_PREFIX = "BENCH-RESULT "


class MeasureError(Exception):
    """A measured process failed; the message names the command and its log."""


@dataclass(frozen=True)
class Measurement:
    """One run of one operation."""

    wall_seconds: float  # the whole process, start-up included
    peak_rss_bytes: int
    reported: dict[str, Any] = field(default_factory=dict)  # the process's BENCH-RESULT


def run_measured(
    command: Sequence[str], log: Path, env: Mapping[str, str] | None = None
) -> Measurement:
    """Run ``command`` to completion in a child process and measure it; output goes to ``log``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        out.write("$ " + " ".join(command) + "\n")
        out.flush()
        started = time.perf_counter()
        child = subprocess.Popen(
            list(command), stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
        )
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    child.returncode = code  # reaped by wait4; tell Popen so it does not wait again
    if code != 0:
        raise MeasureError(f"{' '.join(command)} exited with {code}; see {log}")
    return Measurement(wall, usage.ru_maxrss * 1024, _reported(log))  # Linux: KiB


def _reported(log: Path) -> dict[str, Any]:
    for line in reversed(log.read_text(errors="replace").splitlines()):
        if line.startswith(RESULT_PREFIX):
            result: dict[str, Any] = json.loads(line.removeprefix(RESULT_PREFIX))
            return result
    return {}


def own_peak_rss_bytes() -> int:
    """This process's peak RSS: the floor under every child's ``ru_maxrss``."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def report_result(result: Mapping[str, Any]) -> None:
    """Called inside a measured process: hand its own timings back to the harness."""
    print(RESULT_PREFIX + json.dumps(result, default=str), flush=True)


@dataclass(frozen=True)
class Summary:
    """Median and spread of several runs of one figure."""

    median: float
    low: float
    high: float
    runs: int

    @property
    def spread(self) -> float:
        """(max - min) / median: how noisy the figure was."""
        return (self.high - self.low) / self.median if self.median else 0.0


def summarize(values: Sequence[float]) -> Summary:
    """Median, minimum and maximum of a figure's runs."""
    if not values:
        return Summary(math.nan, math.nan, math.nan, 0)
    return Summary(statistics.median(values), min(values), max(values), len(values))


def exponent(small: float, large: float, factor: float) -> float:
    """Scaling exponent k in large/small = factor**k (1 = linear)."""
    if small <= 0 or large <= 0:
        return math.nan
    return math.log(large / small) / math.log(factor)
