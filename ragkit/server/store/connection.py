"""The database behind ``ragkit serve``: one writer, pooled readers, durable commits.

:class:`Database` is the interface every store and service uses, with two implementations:
the SQLite file in the data directory (the embedded default, below) and PostgreSQL
(:mod:`ragkit.server.store.postgres`, ``ragkit serve --database postgresql://...``); the
transaction rules are the same for both and live here once.

Every request runs in exactly one transaction. Writes go through :meth:`Database.write`,
which serialises writers with a lock and opens ``BEGIN IMMEDIATE``; an exception rolls the
whole request back, so a rejected request changes nothing. Reads go through
:meth:`Database.read`, which lends a pooled connection holding a read transaction, so a
request sees one consistent snapshot while writers carry on (WAL mode).

Durability: WAL with ``synchronous=FULL`` fsyncs the log on every commit, so an
acknowledged write survives ``kill -9`` and power loss alike. (``NORMAL`` would already
survive a killed process, because committed frames sit in the OS page cache; ``FULL`` also
covers the machine going down, for one fsync per request, which is noise next to the
embedding work a write does.)
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from ragkit.server.store.dialect import Connection
from ragkit.server.store.migrations import MIGRATIONS, Migration, migrate

__all__ = ["DATABASE_FILENAME", "Database", "SqliteDatabase", "hold_commits"]

#: File name of the database inside the server's data directory.
DATABASE_FILENAME = "ragkit.sqlite3"

_BUSY_TIMEOUT_MS = 10_000


@dataclass
class _Held:
    database: Database | None = None


_HELD: ContextVar[_Held | None] = ContextVar("ragkit_held_commit", default=None)


@contextmanager
def hold_commits() -> Iterator[None]:
    """Keep the block's write transaction open until the block ends, then commit it, or
    roll it back if the block raises.

    This is how a request's write becomes durable only once its response exists: the
    HTTP layer runs each endpoint, rendering included, inside this block (see
    :mod:`ragkit.server.http.transactions`), so a response that fails to render leaves
    nothing committed. One database is held per block (the first one written); writes to
    another database inside the block commit as usual. A block must not wait for another
    thread that writes the held database, nor write two databases in an order another
    block reverses: the routes that use it write one database each. It must run on one
    thread, as the write lock is held across it.
    """
    held = _Held()
    token = _HELD.set(held)
    try:
        yield
    except BaseException:
        if held.database is not None:
            held.database._finish(commit=False)
        raise
    finally:
        _HELD.reset(token)
    if held.database is not None:
        held.database._finish(commit=True)


class Database:
    """The server's database: every request one transaction, on SQLite or PostgreSQL.

    Writes go through :meth:`write` (one writer at a time, committed on success, rolled
    back on any exception), reads through :meth:`read` (a consistent snapshot on a pooled
    connection). Both lend a :class:`~ragkit.server.store.dialect.Connection`: the stores
    speak one SQL with ``?`` placeholders to either backend.

    :meth:`open` opens the SQLite file (the default);
    :func:`ragkit.server.store.backends.open_store` chooses by configuration.

    Example::

        db = Database.open(Path("./data"))
        with db.write() as conn:
            conn.execute("INSERT INTO settings(key, value) VALUES ('k', 'v')")
        with db.read() as conn:
            conn.execute("SELECT value FROM settings WHERE key = 'k'").fetchone()
    """

    #: ``"sqlite"`` or ``"postgres"``: for the few rules that differ by backend.
    dialect = "sqlite"

    def __init__(self) -> None:
        self._write_lock = threading.Lock()
        self._after_commit: list[Callable[[], None]] = []
        self._commits = 0
        self._writer: Connection | None = None

    @classmethod
    def open(
        cls,
        data_dir: Path,
        *,
        filename: str = DATABASE_FILENAME,
        migrations: Sequence[Migration] = MIGRATIONS,
    ) -> SqliteDatabase:
        """Open (creating if needed) the SQLite database file inside ``data_dir``.

        Another part of the server may keep its tables in a file of its own, with its own
        migration series (``filename``, ``migrations``).
        """
        data_dir.mkdir(parents=True, exist_ok=True)
        return SqliteDatabase(data_dir / filename, migrations)

    # The backend's part: how a write transaction starts and ends, how readers are lent.

    def _begin_write(self) -> Connection:
        """Open a write transaction (the write lock is held) and return its connection."""
        raise NotImplementedError

    def _end_write(self, conn: Connection) -> None:
        """The write transaction on ``conn`` ended (committed or rolled back)."""

    def _acquire(self) -> Connection:
        raise NotImplementedError

    def _release(self, conn: Connection) -> None:
        raise NotImplementedError

    def _begin_read(self, conn: Connection) -> None:
        conn.execute("BEGIN")

    def close(self) -> None:
        """Close every connection; later calls raise ``RuntimeError``."""
        raise NotImplementedError

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction: committed on success, rolled back on any exception.

        Callbacks registered with :meth:`after_commit` run after the commit, still under
        the write lock, so in-memory state they update changes in commit order.

        Inside :func:`hold_commits` the commit waits until the held block ends (the
        request's response is rendered by then), and a second ``write()`` of this database
        in the same block joins the open transaction as a savepoint.
        """
        held = _HELD.get()
        if held is not None and held.database is self:
            yield from self._savepoint()
            return
        self._write_lock.acquire()
        try:
            conn = self._writer = self._begin_write()
        except BaseException:
            self._write_lock.release()
            raise
        try:
            yield conn
        except BaseException:
            self._finish(commit=False)
            raise
        if held is not None and held.database is None:
            held.database = self
        else:
            self._finish(commit=True)

    def _savepoint(self) -> Iterator[Connection]:
        conn = self._writer
        assert conn is not None  # a held write transaction is open
        hooks = len(self._after_commit)
        conn.execute("SAVEPOINT joined")
        try:
            yield conn
        except BaseException:
            del self._after_commit[hooks:]  # the undone part's hooks must not run
            conn.execute("ROLLBACK TO joined")
            conn.execute("RELEASE joined")
            raise
        conn.execute("RELEASE joined")

    def _finish(self, *, commit: bool) -> None:
        """End the open write transaction and release the write lock."""
        callbacks, self._after_commit = self._after_commit, []
        conn, self._writer = self._writer, None
        assert conn is not None  # a write transaction is open
        try:
            if commit:
                try:
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                self._commits += 1
                for callback in callbacks:
                    callback()
            else:
                conn.execute("ROLLBACK")
        finally:
            try:
                self._end_write(conn)
            finally:
                self._write_lock.release()

    @property
    def commits(self) -> int:
        """How many write transactions have committed since the database was opened: a
        value read before a read snapshot starts tells whether anything changed since."""
        return self._commits

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the current write transaction commits (never on rollback)."""
        if not self._write_lock.locked():
            raise RuntimeError("after_commit() is only valid inside Database.write()")
        self._after_commit.append(callback)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only snapshot on a pooled connection."""
        conn = self._acquire()
        try:
            self._begin_read(conn)
            try:
                yield conn
            finally:
                conn.execute("ROLLBACK")
        finally:
            self._release(conn)


class SqliteDatabase(Database):
    """The SQLite file ``path``, created and migrated on open (see :meth:`Database.open`).

    One writer connection serialised by the write lock (``BEGIN IMMEDIATE``), pooled
    read-only readers (WAL snapshots).
    """

    def __init__(self, path: Path, migrations: Sequence[Migration] = MIGRATIONS) -> None:
        super().__init__()
        self.path = path
        self._pool_lock = threading.Lock()
        self._idle: list[sqlite3.Connection] = []
        self._all: list[sqlite3.Connection] = []
        self._closed = False
        self._trace: Callable[[str], None] | None = None
        self._connection = self._connect()
        with self._write_lock:
            migrate(self._connection, migrations)

    def _connect(self) -> sqlite3.Connection:
        # check_same_thread=False: a connection moves between threads, but the write lock
        # or the reader pool guarantees only one thread uses it at a time.
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        with self._pool_lock:
            conn.set_trace_callback(self._trace)
            self._all.append(conn)
        return conn

    def trace(self, callback: Callable[[str], None] | None) -> None:
        """Pass every SQL statement that any connection runs from now on to ``callback``,
        with its parameters expanded inline (``None`` stops). For diagnostics and for
        tests that check the query plans of what the server really executes."""
        with self._pool_lock:
            self._trace = callback
            for conn in self._all:
                conn.set_trace_callback(callback)

    def _begin_write(self) -> Connection:
        self._check_open()
        self._connection.execute("BEGIN IMMEDIATE")
        return self._connection

    def _acquire(self) -> Connection:
        with self._pool_lock:
            self._check_open()
            if self._idle:
                return self._idle.pop()
        conn = self._connect()
        conn.execute("PRAGMA query_only = ON")
        return conn

    def _release(self, conn: Connection) -> None:
        assert isinstance(conn, sqlite3.Connection)
        with self._pool_lock:
            if self._closed:
                conn.close()
            else:
                self._idle.append(conn)

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError(f"database {self.path} is closed")

    def close(self) -> None:
        """Close every connection; later calls raise ``RuntimeError``."""
        with self._write_lock, self._pool_lock:
            if self._closed:
                return
            self._closed = True
            idle = set(map(id, self._idle))
            for conn in self._all:
                # Lent-out readers close themselves when returned.
                if conn is self._connection or id(conn) in idle:
                    conn.close()
            self._idle.clear()
            self._all.clear()
