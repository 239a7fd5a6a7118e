"""Which database a part of the server opens: the SQLite file, or PostgreSQL by URL.

Example::

    db = open_store(Path("data"), None, filename="ragkit.sqlite3",
                    migrations=MIGRATIONS, pg_migrations=PG_MIGRATIONS)  # SQLite
    db = open_store(Path("data"), "postgresql://ragkit@db/ragkit", ...)  # PostgreSQL
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ragkit.server.store.connection import Database
from ragkit.server.store.migrations import Migration

if TYPE_CHECKING:
    from ragkit.server.store.postgres import PgMigration

__all__ = ["open_store"]


def open_store(
    data_dir: Path,
    database_url: str | None,
    *,
    filename: str,
    migrations: Sequence[Migration],
    pg_migrations: Sequence[PgMigration],
) -> Database:
    """Open the tables SQLite keeps in ``data_dir/filename`` (``database_url`` ``None``),
    or in the PostgreSQL database at ``database_url`` (schema named after ``filename``,
    see :func:`~ragkit.server.store.postgres.schema_name`), migrated either way.

    Raises:
        PostgresUnavailableError: PostgreSQL support is missing or the server unreachable.
    """
    if database_url is None:
        return Database.open(data_dir, filename=filename, migrations=migrations)
    from ragkit.server.store.postgres import PostgresDatabase, schema_name

    return PostgresDatabase(database_url, schema_name(filename), pg_migrations)
