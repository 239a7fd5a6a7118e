"""The ``files`` and ``upload_sessions`` tables (``files.sqlite3``): rows in, records out.

Blobs live on disk (:mod:`ragkit.server.media.blobs`); a row exists only for a blob that
was completely written, so a crash mid-upload leaves at most an orphan blob, which the
service removes when it next opens.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ragkit.server.media.storage import SETTINGS_TABLE
from ragkit.server.store.dialect import Connection
from ragkit.server.store.migrations import WORK_LEASE_TABLE, Migration
from ragkit.server.store.pg_migrations import postgres_ddl
from ragkit.server.store.postgres import PgMigration
from ragkit.server.store.records import format_time, parse_time

__all__ = [
    "FILE_PG_MIGRATIONS",
    "FILE_MIGRATIONS",
    "FileRecord",
    "SessionRecord",
    "delete_file",
    "delete_session",
    "expired_files",
    "all_file_names",
    "all_session_ids",
    "file_name_taken",
    "file_text",
    "find_file",
    "find_session",
    "insert_file",
    "insert_session",
    "list_files",
    "owner_usage",
    "Usage",
    "processing_files",
    "set_received",
    "set_session_file",
    "set_state",
]


#: The first migration's statements, on SQLite and (translated) on PostgreSQL.
_FILES_TABLES = (
    SETTINGS_TABLE,
    """CREATE TABLE files (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL UNIQUE,
            owner TEXT NOT NULL,
            display_name TEXT NOT NULL DEFAULT '',
            mime_type TEXT NOT NULL,
            size_bytes INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            state INTEGER NOT NULL,
            error TEXT,
            source INTEGER NOT NULL,
            text TEXT,
            create_time TEXT NOT NULL,
            update_time TEXT NOT NULL,
            expire_time TEXT NOT NULL
        )""",
    "CREATE INDEX files_by_owner ON files(owner, create_time, id)",
    "CREATE INDEX files_by_expiry ON files(expire_time)",
    """CREATE TABLE upload_sessions (
            id TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            file_id TEXT NOT NULL,
            display_name TEXT NOT NULL DEFAULT '',
            mime_type TEXT NOT NULL,
            declared_size INTEGER,
            received INTEGER NOT NULL DEFAULT 0,
            file_name TEXT,
            expire_time TEXT NOT NULL
        )""",
    "CREATE INDEX upload_sessions_by_expiry ON upload_sessions(expire_time)",
)


def _m001_files(conn: sqlite3.Connection) -> None:
    for statement in _FILES_TABLES:
        conn.execute(statement)


def _m002_sessions_by_owner(conn: sqlite3.Connection) -> None:
    """Find a user's open sessions, for the storage and session quotas."""
    conn.execute(_SESSIONS_BY_OWNER)


_SESSIONS_BY_OWNER = "CREATE INDEX upload_sessions_by_owner ON upload_sessions(owner, file_name)"


def _pg001_files(conn: Connection) -> None:
    """PostgreSQL's series starts where SQLite's is now (both migrations at once)."""
    for statement in (*_FILES_TABLES, _SESSIONS_BY_OWNER):
        conn.execute(postgres_ddl(statement))


def _m003_pgfix_file_leases(conn: sqlite3.Connection) -> None:
    """Leases on text extraction, so one server of many on a database extracts each file
    (:mod:`ragkit.server.store.work_leases`)."""
    conn.execute(WORK_LEASE_TABLE)


def _pg002_pgfix_file_leases(conn: Connection) -> None:
    """As SQLite's ``_m003_pgfix_file_leases``."""
    conn.execute(postgres_ddl(WORK_LEASE_TABLE))


#: The migration series of ``files.sqlite3``; append, never edit.
FILE_MIGRATIONS: tuple[Migration, ...] = (
    _m001_files,
    _m002_sessions_by_owner,
    _m003_pgfix_file_leases,
)
#: The migration series of its PostgreSQL schema; append, never edit.
FILE_PG_MIGRATIONS: tuple[PgMigration, ...] = (_pg001_files, _pg002_pgfix_file_leases)


@dataclass(frozen=True)
class FileRecord:
    """One stored file; ``name`` is the ID after ``files/``."""

    id: int
    name: str
    owner: str
    display_name: str
    mime_type: str
    size_bytes: int
    sha256: str
    state: int
    error: dict[str, Any] | None
    source: int
    create_time: datetime
    update_time: datetime
    expire_time: datetime


@dataclass(frozen=True)
class SessionRecord:
    """An open (or finalized) resumable upload; ``file_name`` is set once finalized."""

    id: str
    owner: str
    file_id: str
    display_name: str
    mime_type: str
    declared_size: int | None
    received: int
    file_name: str | None
    expire_time: datetime


_FILE_COLUMNS = (
    "id, name, owner, display_name, mime_type, size_bytes, sha256, state, error, source,"
    " create_time, update_time, expire_time"
)
_SESSION_COLUMNS = (
    "id, owner, file_id, display_name, mime_type, declared_size, received, file_name, expire_time"
)


def _file(row: tuple[Any, ...]) -> FileRecord:
    return FileRecord(
        id=row[0],
        name=row[1],
        owner=row[2],
        display_name=row[3],
        mime_type=row[4],
        size_bytes=row[5],
        sha256=row[6],
        state=row[7],
        error=json.loads(row[8]) if row[8] else None,
        source=row[9],
        create_time=parse_time(row[10]),
        update_time=parse_time(row[11]),
        expire_time=parse_time(row[12]),
    )


def _session(row: tuple[Any, ...]) -> SessionRecord:
    return SessionRecord(
        id=row[0],
        owner=row[1],
        file_id=row[2],
        display_name=row[3],
        mime_type=row[4],
        declared_size=row[5],
        received=row[6],
        file_name=row[7],
        expire_time=parse_time(row[8]),
    )


def insert_file(conn: Connection, record: FileRecord, text: str | None) -> FileRecord:
    """Insert ``record`` (its ``id`` is ignored) with its extracted ``text``."""
    row = conn.execute(
        "INSERT INTO files (name, owner, display_name, mime_type, size_bytes, sha256, state,"
        " error, source, text, create_time, update_time, expire_time)"
        f" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {_FILE_COLUMNS}",
        (
            record.name,
            record.owner,
            record.display_name,
            record.mime_type,
            record.size_bytes,
            record.sha256,
            record.state,
            json.dumps(record.error) if record.error else None,
            record.source,
            text,
            format_time(record.create_time),
            format_time(record.update_time),
            format_time(record.expire_time),
        ),
    ).fetchone()
    return _file(row)


def find_file(conn: Connection, name: str, now: datetime) -> FileRecord | None:
    """The unexpired file ``name``, whoever owns it."""
    row = conn.execute(
        f"SELECT {_FILE_COLUMNS} FROM files WHERE name = ? AND expire_time > ?",
        (name, format_time(now)),
    ).fetchone()
    return _file(row) if row else None


def file_text(conn: Connection, file_id: int) -> str | None:
    row = conn.execute("SELECT text FROM files WHERE id = ?", (file_id,)).fetchone()
    return None if row is None or row[0] is None else str(row[0])


def list_files(
    conn: Connection,
    owner: str,
    now: datetime,
    *,
    after: tuple[str, int] | None,
    limit: int,
) -> list[FileRecord]:
    """``owner``'s unexpired files, oldest first, after the keyset position ``after``."""
    sql = f"SELECT {_FILE_COLUMNS} FROM files WHERE owner = ? AND expire_time > ?"
    params: list[Any] = [owner, format_time(now)]
    if after is not None:
        sql += " AND (create_time, id) > (?, ?)"
        params.extend(after)
    rows = conn.execute(sql + " ORDER BY create_time, id LIMIT ?", [*params, limit])
    return [_file(row) for row in rows]


def set_state(
    conn: Connection,
    file_id: int,
    state: int,
    *,
    error: dict[str, Any] | None,
    text: str | None,
    now: datetime,
) -> None:
    conn.execute(
        "UPDATE files SET state = ?, error = ?, text = ?, update_time = ? WHERE id = ?",
        (state, json.dumps(error) if error else None, text, format_time(now), file_id),
    )


def processing_files(conn: Connection, state: int) -> list[FileRecord]:
    rows = conn.execute(f"SELECT {_FILE_COLUMNS} FROM files WHERE state = ?", (state,))
    return [_file(row) for row in rows]


def delete_file(conn: Connection, file_id: int) -> None:
    conn.execute("DELETE FROM files WHERE id = ?", (file_id,))


def expired_files(conn: Connection, now: datetime) -> list[str]:
    """Delete every expired file and session row; returns the file names deleted."""
    stamp = format_time(now)
    rows = conn.execute("DELETE FROM files WHERE expire_time <= ? RETURNING name", (stamp,))
    names = [str(row[0]) for row in rows]
    conn.execute("DELETE FROM upload_sessions WHERE expire_time <= ?", (stamp,))
    return names


def all_file_names(conn: Connection) -> set[str]:
    return {str(row[0]) for row in conn.execute("SELECT name FROM files")}


def all_session_ids(conn: Connection) -> set[str]:
    return {str(row[0]) for row in conn.execute("SELECT id FROM upload_sessions")}


def insert_session(conn: Connection, session: SessionRecord) -> None:
    conn.execute(
        f"INSERT INTO upload_sessions ({_SESSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            session.id,
            session.owner,
            session.file_id,
            session.display_name,
            session.mime_type,
            session.declared_size,
            session.received,
            session.file_name,
            format_time(session.expire_time),
        ),
    )


def find_session(conn: Connection, session_id: str, now: datetime) -> SessionRecord | None:
    row = conn.execute(
        f"SELECT {_SESSION_COLUMNS} FROM upload_sessions WHERE id = ? AND expire_time > ?",
        (session_id, format_time(now)),
    ).fetchone()
    return _session(row) if row else None


def set_received(conn: Connection, session_id: str, received: int) -> None:
    conn.execute("UPDATE upload_sessions SET received = ? WHERE id = ?", (received, session_id))


def set_session_file(conn: Connection, session_id: str, file_name: str) -> None:
    conn.execute("UPDATE upload_sessions SET file_name = ? WHERE id = ?", (file_name, session_id))


def delete_session(conn: Connection, session_id: str) -> None:
    conn.execute("DELETE FROM upload_sessions WHERE id = ?", (session_id,))


@dataclass(frozen=True)
class Usage:
    """What one owner holds: bytes of unexpired files, bytes reserved by open upload
    sessions (declared size, else bytes received) and the number of open sessions."""

    file_bytes: int
    session_bytes: int
    open_sessions: int

    @property
    def stored_bytes(self) -> int:
        return self.file_bytes + self.session_bytes


def owner_usage(conn: Connection, owner: str, now: datetime) -> Usage:
    """``owner``'s :class:`Usage` at ``now`` (expired files and sessions do not count)."""
    stamp = format_time(now)
    (file_bytes,) = conn.execute(
        "SELECT COALESCE(SUM(size_bytes), 0) FROM files WHERE owner = ? AND expire_time > ?",
        (owner, stamp),
    ).fetchone()
    session_bytes, sessions = conn.execute(
        "SELECT COALESCE(SUM(COALESCE(declared_size, received)), 0), COUNT(*)"
        " FROM upload_sessions WHERE owner = ? AND file_name IS NULL AND expire_time > ?",
        (owner, stamp),
    ).fetchone()
    return Usage(int(file_bytes), int(session_bytes), int(sessions))


def file_name_taken(conn: Connection, name: str) -> bool:
    """True if a file or an open upload session already claims the ID ``name``."""
    found = conn.execute("SELECT 1 FROM files WHERE name = ?", (name,)).fetchone()
    if found:
        return True
    row = conn.execute(
        "SELECT 1 FROM upload_sessions WHERE file_id = ? AND file_name IS NULL", (name,)
    )
    return row.fetchone() is not None
