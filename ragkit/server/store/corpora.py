"""Corpus rows: insert, find, list (keyset-paged by creation time), update, delete.

``corpora.chunk_count`` and ``corpora.document_count`` are maintained by the chunk and
document functions in the same transaction as their rows, so the per-corpus quotas cost
one row read, not a count over a million chunks.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ragkit.server.principal import Principal
from ragkit.server.store.dialect import Connection
from ragkit.server.store.permissions import grantee_match_sql
from ragkit.server.store.records import CorpusRecord, format_time, parse_time

__all__ = [
    "Cursor",
    "count_corpora",
    "count_documents",
    "chunk_count",
    "delete_corpus",
    "find_corpus",
    "insert_corpus",
    "list_corpora",
    "update_corpus",
]

#: Keyset position of the last row of a page: ``(create_time text, row id)``.
Cursor = tuple[str, int]

_COLUMNS = "id, name, display_name, create_time, update_time"


def _record(row: tuple[Any, ...]) -> CorpusRecord:
    return CorpusRecord(row[0], row[1], row[2], parse_time(row[3]), parse_time(row[4]))


def insert_corpus(
    conn: Connection,
    name: str,
    display_name: str,
    now: datetime,
    creator: str | None = None,
) -> CorpusRecord:
    """Insert a corpus; ``creator`` (an email) is who its corpus quota is charged to."""
    stamp = format_time(now)
    row = conn.execute(
        "INSERT INTO corpora (name, display_name, create_time, update_time, creator)"
        f" VALUES (?, ?, ?, ?, ?) RETURNING {_COLUMNS}",
        (name, display_name, stamp, stamp, creator),
    ).fetchone()
    return _record(row)


def find_corpus(conn: Connection, name: str) -> CorpusRecord | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM corpora WHERE name = ?", (name,)).fetchone()
    return _record(row) if row else None


def count_corpora(conn: Connection) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM corpora").fetchone()[0])


def count_created_corpora(conn: Connection, creator: str) -> int:
    """Corpora ``creator`` created (case-insensitively) and that still exist."""
    row = conn.execute("SELECT COUNT(*) FROM corpora WHERE creator = ?", (creator,))
    return int(row.fetchone()[0])


def count_documents(conn: Connection, corpus_id: int) -> int:
    row = conn.execute("SELECT document_count FROM corpora WHERE id = ?", (corpus_id,)).fetchone()
    return int(row[0]) if row else 0


def chunk_count(conn: Connection, corpus_id: int) -> int:
    row = conn.execute("SELECT chunk_count FROM corpora WHERE id = ?", (corpus_id,)).fetchone()
    return int(row[0]) if row else 0


def list_corpora(
    conn: Connection, who: Principal, *, after: Cursor | None, limit: int
) -> list[CorpusRecord]:
    """Corpora ``who`` holds any permission on, oldest first, after ``after``."""
    match, params = grantee_match_sql(who)
    sql = (
        f"SELECT {_COLUMNS} FROM corpora WHERE id IN"
        f" (SELECT corpus_id FROM permissions WHERE {match})"
    )
    if after is not None:
        sql += " AND (create_time, id) > (?, ?)"
        params.extend(after)
    rows = conn.execute(sql + " ORDER BY create_time, id LIMIT ?", [*params, limit])
    return [_record(row) for row in rows]


def update_corpus(
    conn: Connection, corpus_id: int, display_name: str, now: datetime
) -> CorpusRecord:
    row = conn.execute(
        f"UPDATE corpora SET display_name = ?, update_time = ? WHERE id = ? RETURNING {_COLUMNS}",
        (display_name, format_time(now), corpus_id),
    ).fetchone()
    return _record(row)


def delete_corpus(conn: Connection, corpus_id: int) -> None:
    """Delete the corpus; documents, chunks, metadata and permissions cascade."""
    conn.execute("DELETE FROM corpora WHERE id = ?", (corpus_id,))
