"""Rows of File Search stores: which corpora are stores, their documents' state, size and
MIME type, and the import/upload operations (see ``_m008_file_search_stores``).

A store IS a corpus row (its documents, chunks, permissions and vectors live where every
corpus's do); these tables only add what File Search has beyond the corpora API.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ragkit.server.principal import Principal
from ragkit.server.store.permissions import grantee_match_sql
from ragkit.server.store.records import CorpusRecord, format_time, parse_time
from ragkit.types import DocumentState

__all__ = [
    "DocumentFacts",
    "OperationRecord",
    "StoreCounts",
    "count_created_stores",
    "delete_finished_operations",
    "document_facts",
    "document_states",
    "find_operation",
    "find_upload_operation",
    "finish_operation",
    "insert_operation",
    "is_store",
    "list_stores",
    "mark_store",
    "pending_operations",
    "put_document_facts",
    "set_document_state",
    "set_operation_document",
    "set_operation_file",
    "store_counts",
]

_CORPUS_COLUMNS = "c.id, c.name, c.display_name, c.create_time, c.update_time"
_OP_COLUMNS = (
    "id, name, corpus_id, kind, owner, groups, request, file_name, upload_session, "
    "document_name, done, result, create_time"
)


@dataclass(frozen=True)
class StoreCounts:
    active: int
    pending: int
    failed: int
    size_bytes: int


@dataclass(frozen=True)
class DocumentFacts:
    state: int
    size_bytes: int
    mime_type: str


@dataclass(frozen=True)
class OperationRecord:
    """An import or upload operation. ``request`` holds the import options in wire form
    (``displayName``, ``customMetadata``, ``chunkingConfig``, ``mimeType``); ``result`` is
    ``{"error": Status}`` or ``{"response": {...}}`` once ``done``."""

    id: int
    name: str
    corpus_id: int
    kind: str
    owner: Principal
    request: dict[str, Any]
    file_name: str | None
    upload_session: str | None
    document_name: str | None
    done: bool
    result: dict[str, Any] | None
    create_time: datetime


def _corpus(row: tuple[Any, ...]) -> CorpusRecord:
    return CorpusRecord(row[0], row[1], row[2], parse_time(row[3]), parse_time(row[4]))


def _operation(row: tuple[Any, ...]) -> OperationRecord:
    return OperationRecord(
        id=row[0],
        name=row[1],
        corpus_id=row[2],
        kind=row[3],
        owner=Principal(row[4], frozenset(json.loads(row[5]))),
        request=json.loads(row[6]),
        file_name=row[7],
        upload_session=row[8],
        document_name=row[9],
        done=bool(row[10]),
        result=json.loads(row[11]) if row[11] else None,
        create_time=parse_time(row[12]),
    )


def mark_store(conn: sqlite3.Connection, corpus_id: int, embedding_model: str) -> None:
    conn.execute(
        "INSERT INTO file_search_stores (corpus_id, embedding_model) VALUES (?, ?)",
        (corpus_id, embedding_model),
    )


def is_store(conn: sqlite3.Connection, corpus_id: int) -> str | None:
    """The store's embedding model if the corpus is a store, else ``None``."""
    row = conn.execute(
        "SELECT embedding_model FROM file_search_stores WHERE corpus_id = ?", (corpus_id,)
    ).fetchone()
    return str(row[0]) if row else None


def count_created_stores(conn: sqlite3.Connection, creator: str) -> int:
    row = conn.execute(
        "SELECT COUNT(*) FROM corpora c JOIN file_search_stores s ON s.corpus_id = c.id"
        " WHERE c.creator = ?",
        (creator,),
    )
    return int(row.fetchone()[0])


def list_stores(
    conn: sqlite3.Connection, who: Principal, *, after: tuple[str, int] | None, limit: int
) -> list[CorpusRecord]:
    """Stores ``who`` holds any permission on, oldest first, after ``after``."""
    match, params = grantee_match_sql(who)
    sql = (
        f"SELECT {_CORPUS_COLUMNS} FROM corpora c JOIN file_search_stores s"
        " ON s.corpus_id = c.id WHERE c.id IN"
        f" (SELECT corpus_id FROM permissions WHERE {match})"
    )
    if after is not None:
        sql += " AND (c.create_time, c.id) > (?, ?)"
        params.extend(after)
    rows = conn.execute(sql + " ORDER BY c.create_time, c.id LIMIT ?", [*params, limit])
    return [_corpus(row) for row in rows]


def store_counts(conn: sqlite3.Connection, corpus_id: int) -> StoreCounts:
    """Documents per state and total bytes; a document added through the corpora API (no
    row here) counts as active with no size."""
    counts = {state.value: 0 for state in DocumentState}
    size = 0
    rows = conn.execute(
        "SELECT state, COUNT(*), COALESCE(SUM(size_bytes), 0) FROM file_search_documents"
        " WHERE corpus_id = ? GROUP BY state",
        (corpus_id,),
    )
    for state, count, total in rows:
        counts[int(state)] = int(count)
        size += int(total)
    tracked = sum(counts.values())
    total_docs = conn.execute(
        "SELECT document_count FROM corpora WHERE id = ?", (corpus_id,)
    ).fetchone()
    untracked = max(0, int(total_docs[0]) - tracked) if total_docs else 0
    return StoreCounts(
        active=counts[DocumentState.STATE_ACTIVE.value] + untracked,
        pending=counts[DocumentState.STATE_PENDING.value],
        failed=counts[DocumentState.STATE_FAILED.value],
        size_bytes=size,
    )


def put_document_facts(
    conn: sqlite3.Connection, document_id: int, corpus_id: int, facts: DocumentFacts
) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO file_search_documents"
        " (document_id, corpus_id, state, size_bytes, mime_type) VALUES (?, ?, ?, ?, ?)",
        (document_id, corpus_id, facts.state, facts.size_bytes, facts.mime_type),
    )


def set_document_state(conn: sqlite3.Connection, document_id: int, state: int) -> None:
    conn.execute(
        "UPDATE file_search_documents SET state = ? WHERE document_id = ?", (state, document_id)
    )


def document_facts(conn: sqlite3.Connection, document_ids: list[int]) -> dict[int, DocumentFacts]:
    if not document_ids:
        return {}
    marks = ", ".join("?" * len(document_ids))
    rows = conn.execute(
        "SELECT document_id, state, size_bytes, mime_type FROM file_search_documents"
        f" WHERE document_id IN ({marks})",
        document_ids,
    )
    return {int(r[0]): DocumentFacts(int(r[1]), int(r[2]), str(r[3])) for r in rows}


def document_states(conn: sqlite3.Connection, corpus_id: int) -> dict[str, tuple[int, str]]:
    """``{document id: (state, display name)}`` of every document of a store."""
    rows = conn.execute(
        "SELECT d.name, COALESCE(f.state, 2), d.display_name FROM documents d"
        " LEFT JOIN file_search_documents f ON f.document_id = d.id WHERE d.corpus_id = ?",
        (corpus_id,),
    )
    return {str(r[0]): (int(r[1]), str(r[2])) for r in rows}


def insert_operation(
    conn: sqlite3.Connection,
    *,
    name: str,
    corpus_id: int,
    kind: str,
    owner: Principal,
    request: dict[str, Any],
    file_name: str | None,
    upload_session: str | None,
    now: datetime,
) -> OperationRecord:
    row = conn.execute(
        "INSERT INTO file_search_operations (name, corpus_id, kind, owner, groups, request,"
        " file_name, upload_session, create_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        f" RETURNING {_OP_COLUMNS}",
        (
            name,
            corpus_id,
            kind,
            owner.email,
            json.dumps(sorted(owner.groups)),
            json.dumps(request),
            file_name,
            upload_session,
            format_time(now),
        ),
    ).fetchone()
    return _operation(row)


def find_operation(conn: sqlite3.Connection, name: str) -> OperationRecord | None:
    row = conn.execute(
        f"SELECT {_OP_COLUMNS} FROM file_search_operations WHERE name = ?", (name,)
    ).fetchone()
    return _operation(row) if row else None


def find_upload_operation(conn: sqlite3.Connection, session_id: str) -> OperationRecord | None:
    row = conn.execute(
        f"SELECT {_OP_COLUMNS} FROM file_search_operations WHERE upload_session = ?",
        (session_id,),
    ).fetchone()
    return _operation(row) if row else None


def pending_operations(conn: sqlite3.Connection) -> list[OperationRecord]:
    """Operations with their file at hand and not done, oldest first (to resume)."""
    rows = conn.execute(
        f"SELECT {_OP_COLUMNS} FROM file_search_operations"
        " WHERE done = 0 AND file_name IS NOT NULL ORDER BY id"
    )
    return [_operation(row) for row in rows]


def set_operation_file(conn: sqlite3.Connection, op_id: int, file_name: str) -> None:
    conn.execute("UPDATE file_search_operations SET file_name = ? WHERE id = ?", (file_name, op_id))


def set_operation_document(conn: sqlite3.Connection, op_id: int, document_name: str | None) -> None:
    conn.execute(
        "UPDATE file_search_operations SET document_name = ? WHERE id = ?", (document_name, op_id)
    )


def delete_finished_operations(conn: sqlite3.Connection, before: datetime) -> int:
    """Forget operations created before ``before`` that finished, or whose upload never
    got its file."""
    cursor = conn.execute(
        "DELETE FROM file_search_operations"
        " WHERE (done = 1 OR file_name IS NULL) AND create_time < ?",
        (format_time(before),),
    )
    return cursor.rowcount


def finish_operation(conn: sqlite3.Connection, op_id: int, result: dict[str, Any]) -> None:
    conn.execute(
        "UPDATE file_search_operations SET done = 1, result = ? WHERE id = ?",
        (json.dumps(result), op_id),
    )
