"""Document rows, with their custom metadata mirrored into ``document_metadata``."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from ragkit.server.store.corpora import Cursor
from ragkit.server.store.dialect import Connection
from ragkit.server.store.metadata import replace_metadata
from ragkit.server.store.records import DocumentRecord, Metadata, format_time, parse_time

__all__ = [
    "document_record",
    "count_document_chunks",
    "delete_document",
    "find_document",
    "insert_document",
    "list_documents",
    "update_document",
]

_COLUMNS = "id, corpus_id, name, display_name, custom_metadata, create_time, update_time"


def document_record(row: tuple[Any, ...]) -> DocumentRecord:
    return DocumentRecord(
        row[0], row[1], row[2], row[3], json.loads(row[4]), parse_time(row[5]), parse_time(row[6])
    )


def insert_document(
    conn: Connection,
    corpus_id: int,
    name: str,
    display_name: str,
    metadata: Metadata,
    now: datetime,
) -> DocumentRecord:
    stamp = format_time(now)
    row = conn.execute(
        "INSERT INTO documents"
        " (corpus_id, name, display_name, custom_metadata, create_time, update_time)"
        f" VALUES (?, ?, ?, ?, ?, ?) RETURNING {_COLUMNS}",
        (corpus_id, name, display_name, json.dumps(metadata), stamp, stamp),
    ).fetchone()
    record = document_record(row)
    replace_metadata(conn, "document", corpus_id, [(record.id, metadata)], fresh=True)
    conn.execute(
        "UPDATE corpora SET document_count = document_count + 1 WHERE id = ?", (corpus_id,)
    )
    return record


def find_document(conn: Connection, corpus_id: int, name: str) -> DocumentRecord | None:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM documents WHERE corpus_id = ? AND name = ?", (corpus_id, name)
    ).fetchone()
    return document_record(row) if row else None


def list_documents(
    conn: Connection, corpus_id: int, *, after: Cursor | None, limit: int
) -> list[DocumentRecord]:
    """Documents of a corpus, oldest first, after ``after``."""
    sql = f"SELECT {_COLUMNS} FROM documents WHERE corpus_id = ?"
    params: list[Any] = [corpus_id]
    if after is not None:
        sql += " AND (create_time, id) > (?, ?)"
        params.extend(after)
    rows = conn.execute(sql + " ORDER BY create_time, id LIMIT ?", [*params, limit])
    return [document_record(row) for row in rows]


def update_document(
    conn: Connection,
    document: DocumentRecord,
    *,
    display_name: str,
    metadata: Metadata,
    now: datetime,
) -> DocumentRecord:
    row = conn.execute(
        "UPDATE documents SET display_name = ?, custom_metadata = ?, update_time = ?"
        f" WHERE id = ? RETURNING {_COLUMNS}",
        (display_name, json.dumps(metadata), format_time(now), document.id),
    ).fetchone()
    if metadata != document.custom_metadata:
        replace_metadata(conn, "document", document.corpus_id, [(document.id, metadata)])
    return document_record(row)


def count_document_chunks(conn: Connection, document_id: int) -> int:
    row = conn.execute("SELECT COUNT(*) FROM chunks WHERE document_id = ?", (document_id,))
    return int(row.fetchone()[0])


def delete_document(conn: Connection, document: DocumentRecord) -> list[int]:
    """Delete the document and its chunks; returns the deleted chunk row ids."""
    chunk_ids = [
        row[0]
        for row in conn.execute("SELECT id FROM chunks WHERE document_id = ?", (document.id,))
    ]
    conn.execute(
        "UPDATE corpora SET chunk_count = chunk_count - ?, document_count = document_count - 1"
        " WHERE id = ?",
        (len(chunk_ids), document.corpus_id),
    )
    conn.execute("DELETE FROM documents WHERE id = ?", (document.id,))
    return chunk_ids
