"""The ``batches`` table (``batches.sqlite3``): one row per job, rows in, records out.

A job's requests are stored at creation (parsed from inline input or from the input
file), so the job no longer depends on the input file once accepted. Results are written
once, with the job's final state, in one transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ragkit.server.batches.leases import LEASE_TABLE
from ragkit.server.media.storage import SETTINGS_TABLE
from ragkit.server.store.dialect import Connection
from ragkit.server.store.migrations import Migration
from ragkit.server.store.pg_migrations import postgres_ddl
from ragkit.server.store.postgres import PgMigration
from ragkit.server.store.records import format_time, parse_time

__all__ = [
    "BATCH_PG_MIGRATIONS",
    "BATCH_MIGRATIONS",
    "BatchRecord",
    "claim",
    "delete_batch",
    "find_batch",
    "insert_batch",
    "list_batches",
    "load_requests",
    "load_results",
    "name_taken",
    "next_pending",
    "reset_running",
    "set_cancel_requested",
    "set_state",
]


#: The first migration's statements, on SQLite and (translated) on PostgreSQL.
_BATCHES_TABLES = (
    SETTINGS_TABLE,
    """CREATE TABLE batches (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL UNIQUE,
            owner TEXT NOT NULL,
            kind TEXT NOT NULL,
            model TEXT NOT NULL,
            display_name TEXT NOT NULL DEFAULT '',
            priority INTEGER NOT NULL DEFAULT 0,
            state INTEGER NOT NULL,
            input_file TEXT,
            requests TEXT NOT NULL,
            request_count INTEGER NOT NULL,
            succeeded INTEGER NOT NULL DEFAULT 0,
            failed INTEGER NOT NULL DEFAULT 0,
            results TEXT,
            output_file TEXT,
            error TEXT,
            cancel_requested INTEGER NOT NULL DEFAULT 0,
            create_time TEXT NOT NULL,
            update_time TEXT NOT NULL,
            end_time TEXT
        )""",
    "CREATE INDEX batches_by_owner ON batches(owner, create_time, id)",
    "CREATE INDEX batches_by_state ON batches(state, priority, create_time, id)",
)


def _m001_batches(conn: sqlite3.Connection) -> None:
    for statement in _BATCHES_TABLES:
        conn.execute(statement)


def _pg001_batches(conn: Connection) -> None:
    for statement in _BATCHES_TABLES:
        conn.execute(postgres_ddl(statement))


def _m002_batch_leases(conn: sqlite3.Connection) -> None:
    """Leases on running jobs (:mod:`ragkit.server.batches.leases`)."""
    conn.execute(LEASE_TABLE.replace("BIGINT", "INTEGER").replace("DOUBLE PRECISION", "REAL"))


def _pg002_batch_leases(conn: Connection) -> None:
    """Leases on running jobs (:mod:`ragkit.server.batches.leases`)."""
    conn.execute(LEASE_TABLE)


#: The migration series of ``batches.sqlite3``; append, never edit.
BATCH_MIGRATIONS: tuple[Migration, ...] = (_m001_batches, _m002_batch_leases)
#: The migration series of its PostgreSQL schema; append, never edit.
BATCH_PG_MIGRATIONS: tuple[PgMigration, ...] = (_pg001_batches, _pg002_batch_leases)


@dataclass(frozen=True)
class BatchRecord:
    """A job without its (possibly large) requests and results; ``name`` is the ID."""

    id: int
    name: str
    owner: str
    kind: str
    model: str
    display_name: str
    priority: int
    state: int
    input_file: str | None
    request_count: int
    succeeded: int
    failed: int
    output_file: str | None
    error: dict[str, Any] | None
    cancel_requested: bool
    create_time: datetime
    update_time: datetime
    end_time: datetime | None


_COLUMNS = (
    "id, name, owner, kind, model, display_name, priority, state, input_file, request_count,"
    " succeeded, failed, output_file, error, cancel_requested, create_time, update_time,"
    " end_time"
)


def _record(row: tuple[Any, ...]) -> BatchRecord:
    return BatchRecord(
        id=row[0],
        name=row[1],
        owner=row[2],
        kind=row[3],
        model=row[4],
        display_name=row[5],
        priority=row[6],
        state=row[7],
        input_file=row[8],
        request_count=row[9],
        succeeded=row[10],
        failed=row[11],
        output_file=row[12],
        error=json.loads(row[13]) if row[13] else None,
        cancel_requested=bool(row[14]),
        create_time=parse_time(row[15]),
        update_time=parse_time(row[16]),
        end_time=parse_time(row[17]) if row[17] else None,
    )


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def insert_batch(
    conn: Connection, record: BatchRecord, requests: list[dict[str, Any]]
) -> BatchRecord:
    """Insert ``record`` (its ``id`` is ignored) with its ``requests`` in wire form."""
    row = conn.execute(
        "INSERT INTO batches (name, owner, kind, model, display_name, priority, state,"
        " input_file, requests, request_count, create_time, update_time)"
        f" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {_COLUMNS}",
        (
            record.name,
            record.owner,
            record.kind,
            record.model,
            record.display_name,
            record.priority,
            record.state,
            record.input_file,
            _dumps(requests),
            len(requests),
            format_time(record.create_time),
            format_time(record.update_time),
        ),
    ).fetchone()
    return _record(row)


def name_taken(conn: Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM batches WHERE name = ?", (name,)).fetchone() is not None


def find_batch(conn: Connection, name: str) -> BatchRecord | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM batches WHERE name = ?", (name,)).fetchone()
    return _record(row) if row else None


def list_batches(
    conn: Connection,
    owner: str,
    *,
    state: int | None,
    after: tuple[str, int] | None,
    limit: int,
) -> list[BatchRecord]:
    """``owner``'s jobs (optionally in one ``state``), oldest first, after ``after``."""
    sql = f"SELECT {_COLUMNS} FROM batches WHERE owner = ?"
    params: list[Any] = [owner]
    if state is not None:
        sql += " AND state = ?"
        params.append(state)
    if after is not None:
        sql += " AND (create_time, id) > (?, ?)"
        params.extend(after)
    rows = conn.execute(sql + " ORDER BY create_time, id LIMIT ?", [*params, limit])
    return [_record(row) for row in rows]


def load_requests(conn: Connection, batch_id: int) -> list[dict[str, Any]]:
    row = conn.execute("SELECT requests FROM batches WHERE id = ?", (batch_id,)).fetchone()
    return [] if row is None else list(json.loads(row[0]))


def load_results(conn: Connection, batch_id: int) -> list[dict[str, Any]] | None:
    row = conn.execute("SELECT results FROM batches WHERE id = ?", (batch_id,)).fetchone()
    return None if row is None or row[0] is None else list(json.loads(row[0]))


def next_pending(conn: Connection, pending: int) -> BatchRecord | None:
    """The job to run next: highest priority first, then oldest."""
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM batches WHERE state = ?"
        " ORDER BY priority DESC, create_time, id LIMIT 1",
        (pending,),
    ).fetchone()
    return _record(row) if row else None


def set_state(
    conn: Connection,
    batch_id: int,
    state: int,
    now: datetime,
    *,
    succeeded: int = 0,
    failed: int = 0,
    results: list[dict[str, Any]] | None = None,
    output_file: str | None = None,
    error: dict[str, Any] | None = None,
    end: bool = False,
) -> None:
    """Record a job's state and progress (``end``: it is finished, at ``now``)."""
    conn.execute(
        "UPDATE batches SET state = ?, succeeded = ?, failed = ?, results = ?, output_file = ?,"
        " error = ?, update_time = ?, end_time = ? WHERE id = ?",
        (
            state,
            succeeded,
            failed,
            None if results is None else _dumps(results),
            output_file,
            None if error is None else _dumps(error),
            format_time(now),
            format_time(now) if end else None,
            batch_id,
        ),
    )


def set_cancel_requested(conn: Connection, batch_id: int) -> None:
    conn.execute("UPDATE batches SET cancel_requested = 1 WHERE id = ?", (batch_id,))


def claim(conn: Connection, batch_id: int, pending: int, running: int, now: datetime) -> bool:
    """Move a job from pending to running; False if it is no longer pending (cancelled or
    deleted since it was picked)."""
    cursor = conn.execute(
        "UPDATE batches SET state = ?, update_time = ? WHERE id = ? AND state = ?",
        (running, format_time(now), batch_id, pending),
    )
    return cursor.rowcount == 1


def reset_running(
    conn: Connection,
    *,
    running: int,
    pending: int,
    cancelled: int,
    error: dict[str, Any],
    now: datetime,
    only: Sequence[int] | None = None,
) -> None:
    """Jobs left running by a server that is gone go back to pending, except those whose
    cancel was requested, which end cancelled with ``error``. ``only``: just these job
    ids (those whose lease lapsed, see :mod:`ragkit.server.batches.leases`)."""
    stamp = format_time(now)
    scope = ""
    if only is not None:
        if not only:
            return
        scope = f" AND id IN ({', '.join(str(int(i)) for i in only)})"
    conn.execute(
        "UPDATE batches SET state = ?, error = ?, update_time = ?, end_time = ?"
        f" WHERE state = ? AND cancel_requested = 1{scope}",
        (cancelled, _dumps(error), stamp, stamp, running),
    )
    conn.execute(
        f"UPDATE batches SET state = ?, succeeded = 0, failed = 0 WHERE state = ?{scope}",
        (pending, running),
    )


def delete_batch(conn: Connection, batch_id: int) -> None:
    conn.execute("DELETE FROM batches WHERE id = ?", (batch_id,))
