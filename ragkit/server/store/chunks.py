"""Chunk rows: text, metadata, state and the ``float32`` embedding as a little-endian BLOB.

The chunk's row id is also its id in the corpus's :class:`~ragkit.server.index.VectorIndex`
(``AUTOINCREMENT``, so a deleted id is never handed out again). Every function keeps
``corpora.chunk_count`` in step with the rows it adds or removes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from ragkit.server.store.corpora import Cursor
from ragkit.server.store.dialect import (
    Connection,
    id_list_sql,
    ids_text_sql,
    is_postgres,
    stored_vector,
    vector_bytes_sql,
    vector_param,
)
from ragkit.server.store.documents import document_record
from ragkit.server.store.metadata import FilterClause, matching_owners, replace_metadata
from ragkit.server.store.records import (
    ChunkRecord,
    DocumentRecord,
    Metadata,
    format_time,
    parse_time,
)
from ragkit.server.store.text_keys import text_key

__all__ = [
    "NewChunk",
    "candidate_ids",
    "chunk_openings",
    "delete_chunks",
    "fetch_hits",
    "find_chunks",
    "insert_chunks",
    "known_vectors",
    "list_chunks",
    "missing_vectors",
    "set_vectors",
    "stored_vectors",
    "update_chunk",
    "vector_blob",
]

_COLUMNS = (
    "id, corpus_id, document_id, name, text, custom_metadata, state, create_time, update_time"
)
_PREFIXED = ", ".join(f"c.{column.strip()}" for column in _COLUMNS.split(","))
_DOCUMENT_COLUMNS = (
    "d.id, d.corpus_id, d.name, d.display_name, d.custom_metadata, d.create_time, d.update_time"
)

FloatMatrix = npt.NDArray[np.float32]


@dataclass(frozen=True)
class NewChunk:
    """A validated, embedded chunk ready to insert."""

    name: str
    text: str
    metadata: Metadata
    vector: bytes


def vector_blob(vector: npt.NDArray[np.floating[Any]]) -> bytes:
    """The stored form of one embedding: little-endian ``float32`` bytes."""
    return np.ascontiguousarray(vector, dtype="<f4").tobytes()


def _record(row: Sequence[Any]) -> ChunkRecord:
    return ChunkRecord(
        row[0],
        row[1],
        row[2],
        row[3],
        row[4],
        json.loads(row[5]),
        row[6],
        parse_time(row[7]),
        parse_time(row[8]),
    )


# Rows per INSERT statement: one round trip each on PostgreSQL (10 parameters a row,
# well inside SQLite's 32,766 and PostgreSQL's 65,535).
_INSERT_ROWS = 500


def insert_chunks(
    conn: Connection,
    document: DocumentRecord,
    chunks: Sequence[NewChunk],
    *,
    state: int,
    now: datetime,
) -> list[ChunkRecord]:
    """Insert ``chunks`` (names unique in the document) with their metadata; returns their
    records in the order given. Multi-row statements: a batch of 100 chunks is a handful
    of round trips on PostgreSQL, not one per chunk."""
    stamp = format_time(now)
    records: list[ChunkRecord] = []
    for start in range(0, len(chunks), _INSERT_ROWS):
        part = chunks[start : start + _INSERT_ROWS]
        params: list[Any] = []
        for chunk in part:
            params += (
                document.corpus_id,
                document.id,
                chunk.name,
                chunk.text,
                text_key(chunk.text),
                json.dumps(chunk.metadata),
                state,
                stamp,
                stamp,
                vector_param(conn, chunk.vector),
            )
        values = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(part))
        rows = conn.execute(
            "INSERT INTO chunks (corpus_id, document_id, name, text, text_key, custom_metadata,"
            f" state, create_time, update_time, vector) VALUES {values} RETURNING {_COLUMNS}",
            params,
        ).fetchall()
        # RETURNING's order is not promised: match the rows up by name.
        inserted = {record.name: record for record in map(_record, rows)}
        records.extend(inserted[chunk.name] for chunk in part)
    replace_metadata(
        conn,
        "chunk",
        document.corpus_id,
        [(record.id, record.custom_metadata) for record in records],
        fresh=True,
    )
    conn.execute(
        "UPDATE corpora SET chunk_count = chunk_count + ? WHERE id = ?",
        (len(records), document.corpus_id),
    )
    return records


def find_chunks(conn: Connection, document_id: int, names: Iterable[str]) -> dict[str, ChunkRecord]:
    """The chunks of a document with these IDs, keyed by ID (absent IDs are left out):
    one query, the IDs passed as one JSON array."""
    wanted = list(dict.fromkeys(names))
    if not wanted:
        return {}
    listed = (
        'SELECT value COLLATE "C" FROM jsonb_array_elements_text(?::jsonb) AS value'
        if is_postgres(conn)
        else "SELECT value FROM json_each(?)"
    )
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM chunks WHERE document_id = ? AND name IN ({listed})",
        (document_id, json.dumps(wanted)),
    ).fetchall()
    found = {record.name: record for record in map(_record, rows)}
    return {name: found[name] for name in wanted if name in found}


def list_chunks(
    conn: Connection, document_id: int, *, after: Cursor | None, limit: int
) -> list[ChunkRecord]:
    """Chunks of a document, oldest first, after ``after``."""
    sql = f"SELECT {_COLUMNS} FROM chunks WHERE document_id = ?"
    params: list[Any] = [document_id]
    if after is not None:
        sql += " AND (create_time, id) > (?, ?)"
        params.extend(after)
    rows = conn.execute(sql + " ORDER BY create_time, id LIMIT ?", [*params, limit])
    return [_record(row) for row in rows]


def update_chunk(
    conn: Connection,
    chunk: ChunkRecord,
    *,
    text: str,
    metadata: Metadata,
    vector: bytes | None,
    now: datetime,
) -> ChunkRecord:
    """Rewrite a chunk; ``vector=None`` keeps the stored embedding (text unchanged).

    A new embedding also drops the chunk's pending one (by an embedder being switched to,
    see :mod:`ragkit.server.service.reindex`): it was made from the old text.
    """
    sql = "UPDATE chunks SET text = ?, text_key = ?, custom_metadata = ?, update_time = ?"
    params: list[Any] = [text, text_key(text), json.dumps(metadata), format_time(now)]
    if vector is not None:
        sql += ", vector = ?"
        params.append(vector_param(conn, vector))
        conn.execute("DELETE FROM pending_vectors WHERE chunk_id = ?", (chunk.id,))
    row = conn.execute(f"{sql} WHERE id = ? RETURNING {_COLUMNS}", [*params, chunk.id]).fetchone()
    if metadata != chunk.custom_metadata:
        replace_metadata(conn, "chunk", chunk.corpus_id, [(chunk.id, metadata)])
    return _record(row)


def delete_chunks(conn: Connection, corpus_id: int, chunk_ids: Sequence[int]) -> None:
    conn.executemany("DELETE FROM chunks WHERE id = ?", [(i,) for i in chunk_ids])
    conn.execute(
        "UPDATE corpora SET chunk_count = chunk_count - ? WHERE id = ?", (len(chunk_ids), corpus_id)
    )


def stored_vectors(
    conn: Connection,
    corpus_id: int,
    state: int,
    dimensions: int,
    *,
    after: int = 0,
    limit: int = -1,
) -> tuple[npt.NDArray[np.int64], FloatMatrix]:
    """Row ids (ascending) and embeddings of the corpus's chunks in ``state`` that have a
    vector: at most ``limit`` (``-1``: all) with a row id above ``after``."""
    rows = conn.execute(
        "SELECT id, vector FROM chunks WHERE corpus_id = ? AND state = ? AND id > ?"
        f" AND vector IS NOT NULL AND {vector_bytes_sql(conn, 'vector')} = ? ORDER BY id"
        " LIMIT ?",
        # PostgreSQL's "no limit" is NULL; SQLite's is any negative number.
        (
            corpus_id,
            state,
            after,
            4 * dimensions,
            None if limit < 0 and is_postgres(conn) else limit,
        ),
    ).fetchall()
    ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
    matrix = np.frombuffer(b"".join(stored_vector(conn, row[1]) for row in rows), dtype="<f4")
    return ids, matrix.astype(np.float32, copy=False).reshape(len(rows), dimensions)


def known_vectors(
    conn: Connection, corpus_id: int, texts: Iterable[str], dimensions: int
) -> dict[str, bytes]:
    """Stored embeddings of chunks of the corpus whose text is one of ``texts``, by text.

    A file that moved, or a document rebuilt with mostly the same chunks, then costs no
    embedding for the texts the corpus already holds.
    """
    wanted = set(texts)
    if not wanted:
        return {}
    # One indexed probe per text (corpus_id, text_key); equal keys are confirmed by text.
    rows = conn.execute(
        "SELECT text, vector FROM chunks WHERE corpus_id = ?"
        f" AND text_key IN ({id_list_sql(conn)}) AND {vector_bytes_sql(conn, 'vector')} = ?",
        (corpus_id, json.dumps(sorted({text_key(t) for t in wanted})), 4 * dimensions),
    )
    found: dict[str, bytes] = {}
    for text, vector in rows:
        if text in wanted and text not in found:
            found[text] = stored_vector(conn, vector)
    return found


def missing_vectors(
    conn: Connection, corpus_id: int, state: int, dimensions: int
) -> list[tuple[int, str]]:
    """``(row id, text)`` of chunks whose vector is absent or has the wrong length."""
    rows = conn.execute(
        "SELECT id, text FROM chunks WHERE corpus_id = ? AND state = ?"
        f" AND (vector IS NULL OR {vector_bytes_sql(conn, 'vector')} != ?)",
        (corpus_id, state, 4 * dimensions),
    )
    return [(row[0], row[1]) for row in rows]


def set_vectors(
    conn: Connection,
    vectors: Iterable[tuple[int, bytes]],
    *,
    only_if_missing: int | None = None,
) -> None:
    """Store embeddings by row id.

    With ``only_if_missing=dimensions``, a chunk that meanwhile got a vector of that size
    (because its text was updated) keeps it.
    """
    sql = "UPDATE chunks SET vector = ? WHERE id = ?"
    if only_if_missing is not None:
        size = vector_bytes_sql(conn, "vector")
        sql += f" AND (vector IS NULL OR {size} != {4 * int(only_if_missing)})"
    conn.executemany(sql, [(vector_param(conn, v), i) for i, v in vectors])


def _either_owners(
    conn: Connection, corpus_id: int, clause: FilterClause, state: int
) -> npt.NDArray[np.int64]:
    """Chunks whose own metadata matches ``clause``, or whose document's does."""
    own = matching_owners(conn, corpus_id, replace(clause, level="chunk"))
    documents = matching_owners(conn, corpus_id, replace(clause, level="document"))
    if not documents.size:
        return own
    inherited = _ids(
        conn,
        f"SELECT id FROM chunks WHERE state = ? AND document_id IN ({id_list_sql(conn)})",
        state,
        json.dumps(documents.tolist()),
    )
    return np.union1d(own, inherited)


def candidate_ids(
    conn: Connection,
    corpus_id: int,
    *,
    state: int,
    document_id: int | None,
    clauses: Sequence[FilterClause],
) -> npt.NDArray[np.int64]:
    """Sorted row ids of the chunks a query may rank: in ``state``, in the document (if
    given), matching every clause. Cost follows the matches, not the corpus size."""
    result: npt.NDArray[np.int64] | None = None
    for clause in (c for c in clauses if c.level == "chunk"):
        result = _intersect(result, matching_owners(conn, corpus_id, clause))
    for clause in (c for c in clauses if c.level == "either"):
        result = _intersect(result, _either_owners(conn, corpus_id, clause, state))
    documents: npt.NDArray[np.int64] | None = None
    if document_id is not None:
        documents = np.array([document_id], dtype=np.int64)
    for clause in (c for c in clauses if c.level == "document"):
        documents = _intersect(documents, matching_owners(conn, corpus_id, clause))
    if result is not None and (documents is None or not result.size):
        # Metadata rows exist only for this corpus's chunks, and only ACTIVE chunks are
        # ever ranked (the vector index holds no others), so no scan of the corpus is needed.
        return result
    if documents is not None:
        in_scope = _ids(
            conn,
            f"SELECT id FROM chunks WHERE state = ? AND document_id IN ({id_list_sql(conn)})",
            state,
            json.dumps(documents.tolist()),
        )
    else:
        in_scope = _ids(
            conn, "SELECT id FROM chunks WHERE corpus_id = ? AND state = ?", corpus_id, state
        )
    return _intersect(result, np.sort(in_scope))


def _ids(conn: Connection, sql: str, *params: Any) -> npt.NDArray[np.int64]:
    (text,) = conn.execute(ids_text_sql(conn, sql), params).fetchone()
    if not text:
        return np.empty(0, dtype=np.int64)
    return np.array(text.split(","), dtype=np.int64)


def _intersect(
    current: npt.NDArray[np.int64] | None, other: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    if current is None:
        return other
    return np.intersect1d(current, other, assume_unique=True)


def chunk_openings(conn: Connection, chunk_ids: Sequence[int], chars: int) -> dict[int, str]:
    """The first ``chars`` characters of each chunk's text, by row id (missing ids left out)."""
    if not chunk_ids:
        return {}
    marks = ", ".join("?" for _ in chunk_ids)
    rows = conn.execute(
        f"SELECT id, substr(text, 1, ?) FROM chunks WHERE id IN ({marks})",
        [chars, *chunk_ids],
    )
    return {row[0]: row[1] for row in rows}


def fetch_hits(
    conn: Connection, chunk_ids: Sequence[int]
) -> dict[int, tuple[ChunkRecord, DocumentRecord]]:
    """Chunks by row id with their documents (ids no longer present are left out)."""
    if not chunk_ids:
        return {}
    marks = ", ".join("?" for _ in chunk_ids)
    rows = conn.execute(
        f"SELECT {_PREFIXED}, {_DOCUMENT_COLUMNS} FROM chunks c"
        f" JOIN documents d ON d.id = c.document_id WHERE c.id IN ({marks})",
        list(chunk_ids),
    )
    width = len(_COLUMNS.split(","))
    return {row[0]: (_record(row[:width]), document_record(row[width:])) for row in rows}
