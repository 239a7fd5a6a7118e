"""Embeddings by the embedder a store is being switched to, kept beside the ones in use.

``ragkit reindex`` (:mod:`ragkit.server.service.reindex`) fills ``pending_vectors`` chunk by chunk
while ``chunks.vector`` keeps serving queries; :func:`promote_pending` then moves them all
into ``chunks.vector`` in the caller's transaction. A pending vector is only stored if the
chunk's text is still the one embedded (compared by its text key), a chunk whose text is
rewritten loses it (``update_chunk``), and a deleted chunk takes it along (``ON DELETE
CASCADE``), so a pending vector always matches its chunk's current text.
"""

from __future__ import annotations

from collections.abc import Iterable

from ragkit.server.store.dialect import Connection, is_postgres, vector_bytes_sql, vector_param

__all__ = [
    "any_without_vector",
    "clear_pending",
    "count_chunks",
    "count_pending",
    "has_chunks",
    "promote_pending",
    "put_pending",
    "unembedded_chunks",
]


def clear_pending(conn: Connection) -> None:
    conn.execute("DELETE FROM pending_vectors")


def count_chunks(conn: Connection) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])


def has_chunks(conn: Connection) -> bool:
    return conn.execute("SELECT 1 FROM chunks LIMIT 1").fetchone() is not None


def count_pending(conn: Connection) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM pending_vectors").fetchone()[0])


def unembedded_chunks(conn: Connection, *, after: int, limit: int) -> list[tuple[int, str, int]]:
    """``(row id, text, text key)`` of up to ``limit`` chunks after row id ``after`` (in id
    order) that have no pending vector yet."""
    rows = conn.execute(
        "SELECT id, text, text_key FROM chunks c WHERE id > ? AND NOT EXISTS"
        " (SELECT 1 FROM pending_vectors p WHERE p.chunk_id = c.id) ORDER BY id LIMIT ?",
        (after, limit),
    )
    return [(row[0], row[1], row[2]) for row in rows]


def put_pending(conn: Connection, vectors: Iterable[tuple[int, int, bytes]]) -> None:
    """Store ``(row id, text key embedded, vector)``; skipped for a chunk deleted or
    rewritten since its text was read."""
    if is_postgres(conn):  # no INSERT OR REPLACE; a bare ? needs its type
        sql = (
            "INSERT INTO pending_vectors (chunk_id, vector)"
            " SELECT id, ?::vector FROM chunks WHERE id = ? AND text_key = ?"
            " ON CONFLICT (chunk_id) DO UPDATE SET vector = excluded.vector"
        )
    else:
        sql = (
            "INSERT OR REPLACE INTO pending_vectors (chunk_id, vector)"
            " SELECT id, ? FROM chunks WHERE id = ? AND text_key = ?"
        )
    conn.executemany(
        sql, [(vector_param(conn, vector), chunk_id, key) for chunk_id, key, vector in vectors]
    )


def promote_pending(conn: Connection) -> int:
    """Make every pending vector the chunk's vector and empty the table; returns how many."""
    moved = conn.execute(
        "UPDATE chunks SET vector = (SELECT vector FROM pending_vectors p WHERE"
        " p.chunk_id = chunks.id) WHERE id IN (SELECT chunk_id FROM pending_vectors)"
    ).rowcount
    clear_pending(conn)
    return int(moved)


def any_without_vector(conn: Connection, dimensions: int) -> bool:
    """Whether some chunk has no vector of ``dimensions`` (left by an older ragkit)."""
    row = conn.execute(
        f"SELECT 1 FROM chunks WHERE vector IS NULL OR {vector_bytes_sql(conn, 'vector')} != ?"
        " LIMIT 1",
        (4 * dimensions,),
    ).fetchone()
    return row is not None
