"""Named points where a crash test can stop a writer: the run sleeps there so a test can kill it."""

from __future__ import annotations

import os
import sys
import time

# Test hook: a run sleeps at the step boundary named by this variable so a test can SIGKILL it
# at a known moment (tests/test_crash_safety.py). Unset in normal use.
PAUSE_ENV = "CITYSTAT_TEST_PAUSE_AT"
PAUSE_MARKER = "citystat-test: paused at "
_PAUSE_SECONDS = 120.0


def pause_point(name: str) -> None:
    """Sleep at a named step boundary when CITYSTAT_TEST_PAUSE_AT names it (tests only)."""
    if os.environ.get(PAUSE_ENV) != name:
        return
    print(f"{PAUSE_MARKER}{name}", file=sys.stderr, flush=True)
    time.sleep(_PAUSE_SECONDS)
