"""The ``cached_contents`` table (``cached_contents.sqlite3``): rows in, records out.

The cached prompt (contents, system instruction, tools, tool config) is kept as its wire
JSON in ``body``; the service never needs to query inside it.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ragkit.server.media.storage import SETTINGS_TABLE
from ragkit.server.store.dialect import Connection
from ragkit.server.store.migrations import Migration
from ragkit.server.store.pg_migrations import postgres_ddl
from ragkit.server.store.postgres import PgMigration
from ragkit.server.store.records import format_time, parse_time

__all__ = [
    "CACHE_PG_MIGRATIONS",
    "CACHE_MIGRATIONS",
    "CacheRecord",
    "delete_cache",
    "find_cache",
    "insert_cache",
    "list_caches",
    "purge_expired",
    "update_expiry",
]


#: The first migration's statements, on SQLite and (translated) on PostgreSQL.
_CACHED_CONTENTS_TABLES = (
    SETTINGS_TABLE,
    """CREATE TABLE cached_contents (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL UNIQUE,
            owner TEXT NOT NULL,
            model TEXT NOT NULL,
            display_name TEXT NOT NULL DEFAULT '',
            body TEXT NOT NULL,
            token_count INTEGER NOT NULL,
            create_time TEXT NOT NULL,
            update_time TEXT NOT NULL,
            expire_time TEXT NOT NULL
        )""",
    "CREATE INDEX cached_contents_by_owner ON cached_contents(owner, create_time, id)",
    "CREATE INDEX cached_contents_by_expiry ON cached_contents(expire_time)",
)


def _m001_cached_contents(conn: sqlite3.Connection) -> None:
    for statement in _CACHED_CONTENTS_TABLES:
        conn.execute(statement)


def _pg001_cached_contents(conn: Connection) -> None:
    for statement in _CACHED_CONTENTS_TABLES:
        conn.execute(postgres_ddl(statement))


#: The migration series of ``cached_contents.sqlite3``; append, never edit.
CACHE_MIGRATIONS: tuple[Migration, ...] = (_m001_cached_contents,)
#: The migration series of its PostgreSQL schema; append, never edit.
CACHE_PG_MIGRATIONS: tuple[PgMigration, ...] = (_pg001_cached_contents,)


@dataclass(frozen=True)
class CacheRecord:
    """One cached content; ``name`` is the ID after ``cachedContents/``."""

    id: int
    name: str
    owner: str
    model: str
    display_name: str
    body: dict[str, Any]
    token_count: int
    create_time: datetime
    update_time: datetime
    expire_time: datetime


_COLUMNS = (
    "id, name, owner, model, display_name, body, token_count, create_time, update_time, expire_time"
)


def _record(row: tuple[Any, ...]) -> CacheRecord:
    return CacheRecord(
        id=row[0],
        name=row[1],
        owner=row[2],
        model=row[3],
        display_name=row[4],
        body=json.loads(row[5]),
        token_count=row[6],
        create_time=parse_time(row[7]),
        update_time=parse_time(row[8]),
        expire_time=parse_time(row[9]),
    )


def insert_cache(conn: Connection, record: CacheRecord) -> CacheRecord:
    row = conn.execute(
        "INSERT INTO cached_contents (name, owner, model, display_name, body, token_count,"
        f" create_time, update_time, expire_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        f" RETURNING {_COLUMNS}",
        (
            record.name,
            record.owner,
            record.model,
            record.display_name,
            json.dumps(record.body, separators=(",", ":")),
            record.token_count,
            format_time(record.create_time),
            format_time(record.update_time),
            format_time(record.expire_time),
        ),
    ).fetchone()
    return _record(row)


def name_taken(conn: Connection, name: str) -> bool:
    found = conn.execute("SELECT 1 FROM cached_contents WHERE name = ?", (name,)).fetchone()
    return found is not None


def find_cache(conn: Connection, name: str, now: datetime) -> CacheRecord | None:
    """The unexpired cached content ``name``, whoever owns it."""
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM cached_contents WHERE name = ? AND expire_time > ?",
        (name, format_time(now)),
    ).fetchone()
    return _record(row) if row else None


def list_caches(
    conn: Connection,
    owner: str,
    now: datetime,
    *,
    after: tuple[str, int] | None,
    limit: int,
) -> list[CacheRecord]:
    """``owner``'s unexpired caches, oldest first, after the keyset position ``after``."""
    sql = f"SELECT {_COLUMNS} FROM cached_contents WHERE owner = ? AND expire_time > ?"
    params: list[Any] = [owner, format_time(now)]
    if after is not None:
        sql += " AND (create_time, id) > (?, ?)"
        params.extend(after)
    rows = conn.execute(sql + " ORDER BY create_time, id LIMIT ?", [*params, limit])
    return [_record(row) for row in rows]


def update_expiry(
    conn: Connection, cache_id: int, expire_time: datetime, now: datetime
) -> CacheRecord:
    row = conn.execute(
        "UPDATE cached_contents SET expire_time = ?, update_time = ? WHERE id = ?"
        f" RETURNING {_COLUMNS}",
        (format_time(expire_time), format_time(now), cache_id),
    ).fetchone()
    return _record(row)


def delete_cache(conn: Connection, cache_id: int) -> None:
    conn.execute("DELETE FROM cached_contents WHERE id = ?", (cache_id,))


def purge_expired(conn: Connection, now: datetime) -> int:
    """Delete every expired cache; returns how many."""
    cursor = conn.execute("DELETE FROM cached_contents WHERE expire_time <= ?", (format_time(now),))
    return cursor.rowcount
