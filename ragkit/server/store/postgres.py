"""PostgreSQL behind ``ragkit serve --database postgresql://...``: the same transactions as
the SQLite file, on a pooled psycopg 3 connection.

Install with ``pip install 'ragkit[postgres]'``; the server needs PostgreSQL 13 or later
with the pgvector extension (0.8 or later). Each part of the server keeps its tables in
a schema of its own (``ragkit`` for corpora, documents and chunks; ``ragkit_files``,
``ragkit_cached_contents``, ``ragkit_batches``), with its own numbered migration series,
as it keeps a file of its own on SQLite.

Transactions keep SQLite's semantics, across any number of server processes:

- a write runs ``READ COMMITTED`` after taking a transaction-scoped advisory lock of its
  schema (``pg_advisory_xact_lock``), so writers of one schema run one at a time, as
  ``BEGIN IMMEDIATE`` makes them on SQLite: a read-check-write (a quota, a name taken)
  never races another process, and no write is lost;
- a read is one ``REPEATABLE READ READ ONLY`` transaction: one consistent snapshot.

:class:`PgConnection` adapts a psycopg connection to the stores' one SQL
(:mod:`ragkit.server.store.dialect`): ``?`` placeholders, rows as tuples. psycopg is
imported only when a PostgreSQL database is opened, so SQLite users never need it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from ragkit.server.errors import ApiError, invalid_argument
from ragkit.server.store.connection import Database
from ragkit.server.store.dialect import Connection
from ragkit.server.store.migrations import apply_migrations
from ragkit.types.status import Code

if TYPE_CHECKING:
    import psycopg
    import psycopg_pool

__all__ = [
    "DEFAULT_POOL_SIZE",
    "SMALL_POOL_SIZE",
    "PgConnection",
    "PgMigration",
    "PostgresDatabase",
    "PostgresUnavailableError",
    "is_postgres_url",
    "redacted_url",
    "schema_name",
]

#: A PostgreSQL migration: DDL run on the adapter inside the migration's transaction.
PgMigration = Callable[[Connection], None]

#: Connections the ``ragkit`` schema's pool holds at most (readers and the writer
#: together); files, cached contents and batches hold :data:`SMALL_POOL_SIZE` each. With
#: PostgreSQL's default ``max_connections`` (100), five servers fit on one database.
DEFAULT_POOL_SIZE = 10
SMALL_POOL_SIZE = 3

#: Seconds a request waits for a pooled connection before answering 503 UNAVAILABLE.
_POOL_TIMEOUT = 10.0

_CONNECT_TIMEOUT = 10


class PostgresUnavailableError(ValueError):
    """PostgreSQL support is not installed, or the server is unreachable (a ``ValueError``,
    like every configuration ``ragkit serve`` refuses before listening)."""


def is_postgres_url(url: str) -> bool:
    """Whether ``url`` names a PostgreSQL database (``postgresql://`` or ``postgres://``)."""
    return url.startswith(("postgresql://", "postgres://"))


def schema_name(filename: str) -> str:
    """The schema that holds what SQLite keeps in ``filename``: ``ragkit.sqlite3`` ->
    ``ragkit``, ``files.sqlite3`` -> ``ragkit_files``."""
    stem = filename.removesuffix(".sqlite3")
    return stem if stem == "ragkit" else f"ragkit_{stem}"


def _lock_key(schema: str) -> int:
    digest = hashlib.blake2b(f"ragkit:{schema}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


@functools.lru_cache(maxsize=4096)
def _placeholders(sql: str) -> str:
    """``sql`` with ``?`` as ``%s`` and a literal ``%`` as ``%%`` (outside quotes)."""
    out: list[str] = []
    quote: str | None = None
    for char in sql:
        if quote is not None:
            if char == quote:
                quote = None
            out.append("%%" if char == "%" else char)
        elif char in "'\"":
            quote = char
            out.append(char)
        elif char == "?":
            out.append("%s")
        elif char == "%":
            out.append("%%")
        else:
            out.append(char)
    return "".join(out)


class _Cursor:
    def __init__(self, cursor: psycopg.Cursor[Any]) -> None:
        self._cursor = cursor

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    def fetchone(self) -> Any:
        return self._cursor.fetchone() if self._cursor.description else None

    def fetchall(self) -> list[Any]:
        return self._cursor.fetchall() if self._cursor.description else []

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())


class PgConnection:
    """A psycopg connection speaking the stores' SQL (see :mod:`~ragkit.server.store.dialect`):
    ``?`` placeholders, rows as tuples (as ``sqlite3`` returns them), and errors as the
    stores know them:

    - a constraint violation raises ``sqlite3.IntegrityError``, as on SQLite;
    - text holding U+0000, which PostgreSQL cannot store (SQLite can), is refused with 400
      INVALID_ARGUMENT instead of failing as a server error;
    - a lost connection answers 503 UNAVAILABLE with ``Retry-After`` (the pool replaces it).
    """

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.raw = conn

    def execute(self, sql: str, parameters: Any = None, /) -> _Cursor:
        with _translated_errors():
            if not parameters:  # no placeholders: psycopg leaves the SQL as it is
                return _Cursor(self.raw.execute(sql))
            return _Cursor(self.raw.execute(_placeholders(sql), list(parameters)))

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> _Cursor:
        rows = [list(row) for row in parameters]
        cursor = self.raw.cursor()
        with _translated_errors():
            if rows:
                cursor.executemany(_placeholders(sql), rows)
        return _Cursor(cursor)


@contextlib.contextmanager
def _translated_errors() -> Iterator[None]:
    import psycopg

    try:
        yield
    except psycopg.DataError as error:
        if "NUL (0x00)" not in str(error):
            raise
        raise invalid_argument(
            "Text holding the NUL character (U+0000) cannot be stored by this server's "
            "PostgreSQL database; remove it from the request."
        ) from None
    except psycopg.OperationalError as error:  # the server went away, or restarts
        raise _unavailable(error) from error
    except psycopg.IntegrityError as error:  # one exception type for the stores, as on SQLite
        raise sqlite3.IntegrityError(str(error)) from error
    except psycopg.errors.UndefinedTable as error:
        # A table only the SQLite series has yet (File Search): say so, never a 500.
        raise ApiError(
            Code.UNIMPLEMENTED,
            "This method is not available on the PostgreSQL backend yet"
            f" ({error.diag.message_primary}); serve it from SQLite (without --database).",
        ) from error


def _unavailable(error: Exception) -> ApiError:
    # Google's clients (and ragkit's) retry 503 with Retry-After on their own.
    return ApiError(
        Code.UNAVAILABLE,
        f"The database is unavailable ({type(error).__name__}); retry shortly.",
        retry_after=1,
    )


class PostgresDatabase(Database):
    """The tables of one schema (``schema``) of the PostgreSQL database at ``url``,
    created and migrated on open with ``migrations`` (under an advisory lock, so replicas
    starting together migrate once).

    Raises:
        PostgresUnavailableError: psycopg is not installed, or the server cannot be reached.
    """

    dialect = "postgres"

    def __init__(
        self,
        url: str,
        schema: str,
        migrations: Sequence[PgMigration],
        *,
        pool_size: int | None = None,
    ) -> None:
        super().__init__()
        try:
            import psycopg
            import psycopg_pool
        except ImportError:
            raise PostgresUnavailableError(
                "--database postgresql://... needs PostgreSQL support:"
                " pip install 'ragkit[postgres]'"
            ) from None
        self.url = url
        self.schema = schema
        self._lock_key = _lock_key(schema)
        self._closed = False
        self._close_lock = threading.Lock()
        try:
            with psycopg.connect(url, autocommit=True, connect_timeout=_CONNECT_TIMEOUT) as conn:
                _bootstrap(PgConnection(conn), schema, self._lock_key, migrations)
        except psycopg.OperationalError as error:
            raise PostgresUnavailableError(
                f"cannot connect to the PostgreSQL database {redacted_url(url)}: {error}"
            ) from None
        self._pool: psycopg_pool.ConnectionPool[Any] = psycopg_pool.ConnectionPool(
            url,
            min_size=1,
            max_size=pool_size or (DEFAULT_POOL_SIZE if schema == "ragkit" else SMALL_POOL_SIZE),
            timeout=_POOL_TIMEOUT,
            kwargs={"autocommit": True, "connect_timeout": _CONNECT_TIMEOUT},
            configure=self._configure,
            check=psycopg_pool.ConnectionPool.check_connection,
            open=False,
            name=f"ragkit-{schema}",
        )
        self._pool.open(wait=True, timeout=_CONNECT_TIMEOUT)

    def _configure(self, conn: psycopg.Connection[Any]) -> None:
        conn.execute(f'SET search_path TO "{self.schema}", public')
        if conn.execute("SELECT 1 FROM pg_type WHERE typname = 'vector'").fetchone():
            from pgvector.psycopg import register_vector

            register_vector(conn)

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError(f"database schema {self.schema} is closed")

    def _get(self) -> PgConnection:
        import psycopg
        import psycopg_pool

        self._check_open()
        try:
            raw = self._pool.getconn()
        except (psycopg_pool.PoolTimeout, psycopg.OperationalError) as error:
            raise _unavailable(error) from error
        return PgConnection(raw)

    def _put(self, conn: Connection) -> None:
        assert isinstance(conn, PgConnection)
        self._pool.putconn(conn.raw)

    def _begin_write(self) -> Connection:
        conn = self._get()
        try:
            conn.execute("BEGIN")
            conn.execute("SELECT pg_advisory_xact_lock(?)", (self._lock_key,))
        except BaseException:
            self._rollback_quietly(conn)
            self._put(conn)
            raise
        return conn

    def _end_write(self, conn: Connection) -> None:
        self._put(conn)

    def _acquire(self) -> Connection:
        return self._get()

    def _release(self, conn: Connection) -> None:
        self._put(conn)

    def _begin_read(self, conn: Connection) -> None:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")

    @staticmethod
    def _rollback_quietly(conn: PgConnection) -> None:
        import psycopg

        # A broken connection cannot roll back; the pool's check discards it.
        with contextlib.suppress(psycopg.Error):
            conn.raw.execute("ROLLBACK")

    def close(self) -> None:
        """Close the pool; later calls raise ``RuntimeError``."""
        with self._write_lock, self._close_lock:
            if self._closed:
                return
            self._closed = True
            self._pool.close()


def redacted_url(url: str) -> str:
    """``url`` without its password, for messages and logs."""
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not at:
        return url
    user = credentials.partition(":")[0]
    return f"{scheme}{sep}{user}@{host}"


def _bootstrap(
    conn: PgConnection, schema: str, lock_key: int, migrations: Sequence[PgMigration]
) -> list[str]:
    """Create ``schema`` and the extensions, then apply pending ``migrations``."""
    conn.execute("SELECT pg_advisory_lock(?)", (lock_key,))
    try:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        conn.execute("CREATE EXTENSION IF NOT EXISTS citext")
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        conn.execute(f'SET search_path TO "{schema}", public')
        from pgvector.psycopg import register_vector

        register_vector(conn.raw)
        return migrate_postgres(conn, migrations)
    finally:
        conn.execute("SELECT pg_advisory_unlock(?)", (lock_key,))


def migrate_postgres(conn: Connection, migrations: Sequence[PgMigration]) -> list[str]:
    """Apply pending ``migrations`` on an autocommit connection whose ``search_path``
    starts with the schema; returns the names applied (as :func:`~ragkit.server.store.
    migrations.migrate` does on SQLite)."""
    return apply_migrations(conn, migrations, begin="BEGIN")
