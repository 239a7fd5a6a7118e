"""Copy a SQLite data directory into PostgreSQL: ``ragkit migrate DATA_DIR postgresql://...``.

Every database file of the folder (corpora/documents/chunks, files, cached contents,
batches) goes into its own schema of the target (the schemas ``ragkit serve --database``
uses), which is created and migrated first. Rows keep their ids, so names, page tokens
(the page-token secret is a setting, copied with the rest) and file blobs still match;
embeddings are copied as they are (no re-embedding). File blobs stay where they are:
serve with ``--data-dir`` pointing at the same folder, or copy ``DATA_DIR/files`` to the
shared path the replicas use.

Resuming: each table is copied in ``rowid`` order, a batch per transaction, and the same
transaction records the last copied ``rowid`` in ``_ragkit_copy``, so an interrupted copy
(Ctrl-C, a killed process, a lost connection) leaves every batch either wholly copied and
recorded or not at all; running the command again continues after the last recorded row.
A target that already holds data the copy did not write is refused.

At the end every table's row count is compared on both sides, and the id sequences are
moved past the copied ids (so new rows never collide with copied ones).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ragkit.server.store.dialect import Connection
from ragkit.server.store.folder_lock import FolderLock
from ragkit.server.store.postgres import PgMigration, PostgresDatabase, schema_name

__all__ = ["CopyError", "CopyProgress", "copy_data_dir", "data_dir_sources"]

#: Rows per transaction.
DEFAULT_BATCH_ROWS = 2000


class CopyError(RuntimeError):
    """The copy cannot start or its counts do not match (the message says which)."""


@dataclass
class CopyProgress:
    """Where a copy is: passed to the progress callback after every batch."""

    schema: str
    table: str
    copied: int
    total: int
    counts: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.schema}.{self.table}: {self.copied:,}/{self.total:,} rows"


def data_dir_sources() -> list[tuple[str, Sequence[PgMigration]]]:
    """``(SQLite file name, PostgreSQL migrations)`` of every store ``ragkit serve`` keeps."""
    from ragkit.server.batches.service import BATCHES_DATABASE
    from ragkit.server.batches.store import BATCH_PG_MIGRATIONS
    from ragkit.server.caching.service import CACHES_DATABASE
    from ragkit.server.caching.store import CACHE_PG_MIGRATIONS
    from ragkit.server.media.service import FILES_DATABASE
    from ragkit.server.media.store import FILE_PG_MIGRATIONS
    from ragkit.server.store.connection import DATABASE_FILENAME
    from ragkit.server.store.pg_migrations import PG_MIGRATIONS

    return [
        (DATABASE_FILENAME, PG_MIGRATIONS),
        (FILES_DATABASE, FILE_PG_MIGRATIONS),
        (CACHES_DATABASE, CACHE_PG_MIGRATIONS),
        (BATCHES_DATABASE, BATCH_PG_MIGRATIONS),
    ]


def copy_data_dir(
    data_dir: Path,
    url: str,
    *,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    progress: Callable[[CopyProgress], None] | None = None,
) -> dict[str, int]:
    """Copy (or finish copying) every store of ``data_dir`` into the database at ``url``;
    returns the row count of every table, as ``schema.table``.

    Raises:
        CopyError: the folder holds no ragkit database, the target holds other data, or a
            count differs after the copy.
        FolderBusyError: a server is using ``data_dir``.
        PostgresUnavailableError: the target cannot be reached.
    """
    found = [(name, m) for name, m in data_dir_sources() if (data_dir / name).is_file()]
    if not found:
        raise CopyError(f"{data_dir} holds no ragkit database (no {data_dir_sources()[0][0]}).")
    # A server writing the folder meanwhile would make the counts differ: refuse up front.
    lock = FolderLock(data_dir, exclusive=True)
    counts: dict[str, int] = {}
    try:
        for filename, migrations in found:
            schema = schema_name(filename)
            source = sqlite3.connect(f"file:{data_dir / filename}?mode=ro", uri=True)
            target = PostgresDatabase(url, schema, migrations, pool_size=1)
            try:
                origin = str((data_dir / filename).resolve())
                counts.update(_copy_store(source, target, schema, origin, batch_rows, progress))
            finally:
                target.close()
                source.close()
    finally:
        lock.release()
    return counts


def _tables(source: sqlite3.Connection) -> list[str]:
    # Creation order: a table is created after the tables its foreign keys name.
    rows = source.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        " AND name != '_migrations' ORDER BY rowid"
    ).fetchall()
    return [name for (name,) in rows]


def _target_columns(conn: Connection, schema: str, table: str) -> dict[str, str]:
    rows = conn.execute(
        "SELECT column_name, udt_name FROM information_schema.columns"
        " WHERE table_schema = ? AND table_name = ?",
        (schema, table),
    ).fetchall()
    return {name: kind for name, kind in rows}


def _copy_store(
    source: sqlite3.Connection,
    target: PostgresDatabase,
    schema: str,
    origin: str,
    batch_rows: int,
    progress: Callable[[CopyProgress], None] | None,
) -> dict[str, int]:
    with target.write() as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS _ragkit_copy (tbl TEXT PRIMARY KEY, source TEXT NOT NULL,"
            " last_rowid BIGINT NOT NULL, done BOOLEAN NOT NULL)"
        )
    tables = _tables(source)
    with target.read() as conn:
        rows = conn.execute("SELECT tbl, source, last_rowid, done FROM _ragkit_copy").fetchall()
        others = {row[1] for row in rows} - {origin}
        if others:
            raise CopyError(
                f"The target's schema {schema} holds a copy of another folder"
                f" ({sorted(others)[0]}); migrate into an empty database."
            )
        started = {row[0]: (row[2], row[3]) for row in rows}
        columns = {t: _target_columns(conn, schema, t) for t in tables}
        for table in tables:
            untouched = table not in started and columns[table]
            if untouched and conn.execute(f'SELECT 1 FROM "{table}" LIMIT 1').fetchone():
                raise CopyError(
                    f"The target's {schema}.{table} already holds rows that ragkit migrate"
                    " did not copy; migrate into an empty database."
                )
    counts: dict[str, int] = {}
    for table in tables:
        if not columns[table]:
            continue  # a table this version's PostgreSQL schema does not have
        last, done = started.get(table, (0, False))
        if not done:
            _copy_table(
                source, target, (schema, origin), table, columns[table], last, batch_rows, progress
            )
        counts[f"{schema}.{table}"] = _verify(source, target, table)
    return counts


def _copy_table(
    source: sqlite3.Connection,
    target: PostgresDatabase,
    where: tuple[str, str],
    table: str,
    kinds: dict[str, str],
    last: int,
    batch_rows: int,
    progress: Callable[[CopyProgress], None] | None,
) -> None:
    schema, origin = where
    info = source.execute(f'PRAGMA table_info("{table}")').fetchall()
    names = [row[1] for row in info if row[1] in kinds]
    vectors = [i for i, name in enumerate(names) if kinds[name] == "vector"]
    (total,) = source.execute(f'SELECT count(*) FROM "{table}"').fetchone()
    (copied,) = source.execute(
        f'SELECT count(*) FROM "{table}" WHERE rowid <= ?', (last,)
    ).fetchone()
    listed = ", ".join(f'"{name}"' for name in names)
    insert = f'INSERT INTO "{table}" ({listed}) VALUES ({", ".join("?" for _ in names)})'
    select = f'SELECT rowid, {listed} FROM "{table}" WHERE rowid > ? ORDER BY rowid LIMIT ?'
    while True:
        rows = source.execute(select, (last, batch_rows)).fetchall()
        if not rows:
            break
        values = [_convert(row[1:], vectors) for row in rows]
        last = int(rows[-1][0])
        with target.write() as conn:
            conn.executemany(insert, values)
            _record(conn, table, origin, last, done=False)
        copied += len(rows)
        if progress is not None:
            progress(CopyProgress(schema, table, copied, total))
    with target.write() as conn:
        _move_sequence(conn, schema, table, kinds)
        _record(conn, table, origin, last, done=True)


def _convert(row: Sequence[Any], vectors: list[int]) -> list[Any]:
    values = list(row)
    for i in vectors:
        if values[i] is not None:
            values[i] = np.frombuffer(values[i], dtype="<f4").astype(np.float32)
    return values


def _record(conn: Connection, table: str, origin: str, last: int, *, done: bool) -> None:
    conn.execute(
        "INSERT INTO _ragkit_copy (tbl, source, last_rowid, done) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (tbl) DO UPDATE SET last_rowid = excluded.last_rowid, done = excluded.done",
        (table, origin, last, done),
    )


def _move_sequence(conn: Connection, schema: str, table: str, kinds: dict[str, str]) -> None:
    """Move an identity column's sequence past the copied ids."""
    if "id" not in kinds:
        return
    (sequence,) = conn.execute(
        "SELECT pg_get_serial_sequence(?, 'id')", (f'"{schema}"."{table}"',)
    ).fetchone()
    if sequence is not None:
        conn.execute(
            f'SELECT setval(?, (SELECT COALESCE(max(id), 0) + 1 FROM "{table}"), false)',
            (sequence,),
        )


def _verify(source: sqlite3.Connection, target: PostgresDatabase, table: str) -> int:
    (expected,) = source.execute(f'SELECT count(*) FROM "{table}"').fetchone()
    with target.read() as conn:
        (found,) = conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()
    if found != expected:
        raise CopyError(
            f"{table}: {found:,} rows in PostgreSQL against {expected:,} in SQLite after the copy"
            " (was the folder written to meanwhile? stop ragkit serve and run migrate again)."
        )
    return int(found)
