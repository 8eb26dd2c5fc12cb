"""Shared fixtures: where the real extracts are, and whether tests may skip without them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipelines.city.paths import real_data_dir


@pytest.fixture(scope="session")
def real_data() -> Path:
    """The shared real extracts; skip when absent, but never under CI."""
    folder = real_data_dir()
    if not folder.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{folder} is missing; CI must run the real-data tests")
        pytest.skip(f"real extracts not found at {folder} (../shared/data/real)")
    return folder
