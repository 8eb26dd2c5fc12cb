"""Shared fixtures: where the real extracts are, and whether tests may skip without them; the
meetings store on SQLite and on a throwaway PostgreSQL cluster."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dashboard.auth.roles import ROLES_ENV
from pipelines.city.paths import real_data_dir
from pipelines.warehouse.layout import CITY_ENV
from tests.postgres_cluster import ClusterUnavailable, PostgresCluster
from tests.real_cities import Built, build_city

# The longest test files, longest first. `make test` runs each file whole on one worker
# (pytest-xdist, --dist loadfile) in the order collected: started first, they run beside the
# rest instead of finishing the run alone (the Spark comparison alone takes five minutes).
LONGEST_FIRST = (
    "test_spark_engine.py",
    "test_crash_safety.py",
    "test_metrics_incremental.py",
    "test_concurrent_readers.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Collect the longest test files first (LONGEST_FIRST); the rest keep their order."""
    rank = {name: position for position, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


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


@pytest.fixture(scope="session", autouse=True)
def _dashboard_without_sign_in(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Tests (and the servers they start) run the dashboard as the local user, as a city
    without roles.yml does, not with the demo city's roles.yml and its sign-in; a sign-in test
    points CITYSTAT_ROLES_FILE at its own roles.yml."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(ROLES_ENV, str(tmp_path_factory.mktemp("no_sign_in") / "roles.yml"))
        yield


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """A PostgreSQL cluster for this test session; skip when it cannot start, but never
    under CI."""
    try:
        cluster = PostgresCluster().start()
    except ClusterUnavailable as problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the PostgreSQL meetings tests: {problem}")
        pytest.skip(f"PostgreSQL cannot be started here: {problem}")
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def meetings_target(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """Where a test's meetings store lives, once per backend: a fresh SQLite file, or the URL
    of a fresh PostgreSQL database (what CITYSTAT_MEETINGS_URL would hold)."""
    if request.param == "sqlite":
        return tmp_path / "meetings.sqlite"
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    return cluster.new_database()


@pytest.fixture(scope="session")
def built_city(real_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Built]:
    """Builds a real city on first use (once per session, shared by every test module)."""
    cache: dict[str, Built] = {}

    def build(city: str) -> Built:
        if city not in cache:
            cache[city] = build_city(city, tmp_path_factory.mktemp(city))
        return cache[city]

    return build
