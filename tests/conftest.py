"""Shared fixtures: where the real extracts are, and whether tests may skip without them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines.city.paths import real_data_dir
from pipelines.warehouse.layout import CITY_ENV


@pytest.fixture(scope="session")
def real_data() -> Path:
    """The shared real extracts; skip when absent, but never under CI."""
    folder = real_data_dir()
    if not folder.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{folder} is missing; CI must run the real-data tests")
        pytest.skip(f"real extracts not found at {folder} (../shared/data/real)")
    return folder


@pytest.fixture(autouse=True)
def _city_is_restored() -> Iterator[None]:
    """`citystat --city` sets $CITYSTAT_CITY for its process; a test must not leave it set."""
    before = os.environ.get(CITY_ENV)
    yield
    if before is None:
        os.environ.pop(CITY_ENV, None)
    else:
        os.environ[CITY_ENV] = before
