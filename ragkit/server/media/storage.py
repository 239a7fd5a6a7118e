"""Opening a service's own SQLite file: migrations, page-token secret and clock.

Files, cached contents and batch jobs keep their tables in files of their own next to
the retriever's (``files.sqlite3``, ``cached_contents.sqlite3``, ``batches.sqlite3``), each
with its own migration series, so none of them waits on the retriever's writer (a chunk
batch embeds inside its write transaction) and each can evolve on its own.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ragkit.server.service.paging import PageTokens
from ragkit.server.store import Database
from ragkit.server.store.backends import open_store
from ragkit.server.store.migrations import Migration
from ragkit.server.store.settings import get_setting, put_setting

if TYPE_CHECKING:
    from ragkit.server.store.postgres import PgMigration

__all__ = ["SETTINGS_TABLE", "Clock", "open_database", "system_clock"]

#: A source of "now" (UTC); tests inject a fake one to exercise expiry.
Clock = Callable[[], datetime]

#: The ``settings`` table every series creates first (key/value, for the page secret).
SETTINGS_TABLE = "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)"

_SECRET_KEY = "page_token_secret"


def system_clock() -> datetime:
    """The current UTC time."""
    return datetime.now(UTC)


def open_database(
    data_dir: Path,
    filename: str,
    migrations: Sequence[Migration],
    *,
    database_url: str | None = None,
    pg_migrations: Sequence[PgMigration] = (),
) -> tuple[Database, PageTokens]:
    """Open ``data_dir/filename`` with ``migrations`` (whose first creates
    :data:`SETTINGS_TABLE`), or with ``database_url`` its PostgreSQL schema with
    ``pg_migrations``, and the page tokens signed with the store's own secret."""
    db = open_store(
        data_dir,
        database_url,
        filename=filename,
        migrations=migrations,
        pg_migrations=pg_migrations,
    )
    with db.write() as conn:
        secret = get_setting(conn, _SECRET_KEY)
        if secret is None:
            secret = secrets.token_hex(32)
            put_setting(conn, _SECRET_KEY, secret)
    return db, PageTokens(bytes.fromhex(secret))
