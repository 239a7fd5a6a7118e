"""Session-wide fixtures: no test writes to the real per-user data folder, and a real
PostgreSQL for the tests that run on both backends.

Without ``--data-dir`` or ``RAGKIT_DATA_DIR`` the embedded default keeps its data in the
per-user folder (``$XDG_DATA_HOME/ragkit``); pointing ``XDG_DATA_HOME`` at a temporary folder
for the session (subprocesses inherit it) keeps tests off ``~/.local/share``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.postgres import BACKENDS, PostgresCluster, postgres_cluster


@pytest.fixture(scope="session", autouse=True)
def _private_user_data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("xdg-data")
    previous = os.environ.get("XDG_DATA_HOME")
    os.environ["XDG_DATA_HOME"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("XDG_DATA_HOME", None)
    else:
        os.environ["XDG_DATA_HOME"] = previous


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run the tests of modules marked ``both_backends`` once on SQLite and once on
    PostgreSQL, where they use the ``backend`` fixture (directly or through another);
    tests marked ``postgres_only`` on PostgreSQL alone."""
    marked = metafunc.definition.get_closest_marker("both_backends") is not None
    only = metafunc.definition.get_closest_marker("postgres_only") is not None
    if only and "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", ["postgres"], indirect=True)
    elif marked and "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", BACKENDS, indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """``"sqlite"`` (the default), or ``"postgres"`` in modules marked ``both_backends``."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest) -> str | None:
    """The ``database_url`` of ``backend``: a fresh PostgreSQL database, or ``None``
    (SQLite in the test's data folder)."""
    if backend == "postgres":
        return str(request.getfixturevalue("postgres_url"))
    return None


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    """The session's embedded PostgreSQL server (started on first use)."""
    yield from postgres_cluster()


@pytest.fixture
def postgres_url(postgres: PostgresCluster) -> str:
    """A fresh, migrated PostgreSQL database for one test (kept until the session ends:
    a drop makes the next ``CREATE DATABASE`` wait for its cleanup, ~4x slower)."""
    return postgres.fresh_database()
