"""Session-wide fixtures: a real PostgreSQL for the tests that run on both backends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.postgres import PostgresCluster, postgres_cluster


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresCluster]:
    """The session's embedded PostgreSQL server (started on first use)."""
    yield from postgres_cluster(tmp_path_factory)


@pytest.fixture
def postgres_url(postgres: PostgresCluster) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for one test, dropped afterwards."""
    url = postgres.fresh_database()
    yield url
    postgres.drop(url)
