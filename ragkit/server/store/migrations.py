"""Numbered schema migrations, applied once each and recorded in ``_migrations``.

Append new migrations at the end with the next number; never edit one that has shipped.
Each runs in its own transaction together with its ``_migrations`` row, so a crash
mid-migration leaves the schema at the previous step.

Tables: ``corpora``, ``documents``, ``chunks`` (text, metadata JSON and the ``float32``
vector BLOB), ``document_metadata`` / ``chunk_metadata`` (one row per metadata value, for
filtering in SQL), ``permissions`` and ``settings`` (server secret, embedder identity).
Children reference parents with ``ON DELETE CASCADE``, so deleting a corpus removes its
documents, chunks, vectors, metadata rows and permissions in one statement.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from ragkit.server.store.dialect import Connection
from ragkit.server.store.repairs import repair_unrenderable_metadata
from ragkit.server.store.text_keys import text_key

__all__ = ["MIGRATIONS", "WORK_LEASE_TABLE", "Migration", "file_search_ddl", "migrate", "run_ddl"]

Migration = Callable[[sqlite3.Connection], None]


def run_ddl(conn: Connection, script: str) -> None:
    """Run each ``;``-separated statement of ``script`` inside the open transaction, on
    either backend."""
    # Not executescript(): it commits the open transaction first, breaking atomicity.
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


def _m001_initial(conn: sqlite3.Connection) -> None:
    run_ddl(
        conn,
        """
        CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        CREATE TABLE corpora (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL UNIQUE,
            display_name TEXT NOT NULL DEFAULT '',
            chunk_count INTEGER NOT NULL DEFAULT 0,
            create_time TEXT NOT NULL,
            update_time TEXT NOT NULL
        );
        CREATE INDEX corpora_by_time ON corpora(create_time, id);
        CREATE TABLE documents (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            corpus_id INTEGER NOT NULL REFERENCES corpora(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            display_name TEXT NOT NULL DEFAULT '',
            custom_metadata TEXT NOT NULL DEFAULT '[]',
            create_time TEXT NOT NULL,
            update_time TEXT NOT NULL,
            UNIQUE (corpus_id, name)
        );
        CREATE INDEX documents_by_time ON documents(corpus_id, create_time, id);
        CREATE TABLE chunks (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            corpus_id INTEGER NOT NULL REFERENCES corpora(id) ON DELETE CASCADE,
            document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            text TEXT NOT NULL,
            custom_metadata TEXT NOT NULL DEFAULT '[]',
            state INTEGER NOT NULL,
            create_time TEXT NOT NULL,
            update_time TEXT NOT NULL,
            vector BLOB,
            UNIQUE (document_id, name)
        );
        CREATE INDEX chunks_by_time ON chunks(document_id, create_time, id);
        CREATE INDEX chunks_by_corpus ON chunks(corpus_id, state);
        CREATE TABLE document_metadata (
            corpus_id INTEGER NOT NULL,
            document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            key TEXT NOT NULL,
            kind INTEGER NOT NULL,
            str TEXT,
            num REAL
        );
        CREATE INDEX document_metadata_owner ON document_metadata(document_id);
        CREATE INDEX document_metadata_str ON document_metadata(corpus_id, key, kind, str);
        CREATE INDEX document_metadata_num ON document_metadata(corpus_id, key, kind, num);
        CREATE TABLE chunk_metadata (
            corpus_id INTEGER NOT NULL,
            chunk_id INTEGER NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
            key TEXT NOT NULL,
            kind INTEGER NOT NULL,
            str TEXT,
            num REAL
        );
        CREATE INDEX chunk_metadata_owner ON chunk_metadata(chunk_id);
        CREATE INDEX chunk_metadata_str ON chunk_metadata(corpus_id, key, kind, str);
        CREATE INDEX chunk_metadata_num ON chunk_metadata(corpus_id, key, kind, num);
        CREATE TABLE permissions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            corpus_id INTEGER NOT NULL REFERENCES corpora(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            grantee_type INTEGER NOT NULL,
            email TEXT COLLATE NOCASE,
            role INTEGER NOT NULL,
            UNIQUE (corpus_id, name)
        );
        CREATE INDEX permissions_by_grantee ON permissions(corpus_id, grantee_type, email);
        CREATE INDEX permissions_by_email ON permissions(email, grantee_type);
        """,
    )


def _m002_chunks_by_text(conn: sqlite3.Connection) -> None:
    """Find a corpus's chunks by text, to reuse their embeddings (see ``known_vectors``)."""
    run_ddl(
        conn,
        f"""
        CREATE INDEX chunks_by_text ON chunks(corpus_id, substr(text, 1, {TEXT_KEY_CHARS}));
        """,
    )


#: Characters of a chunk's text that the ``chunks_by_text`` index of migration 2 held.
TEXT_KEY_CHARS = 48


def _m003_renderable_metadata(conn: sqlite3.Connection) -> None:
    """Repair custom metadata older versions stored but could not render (NaN, ±Infinity,
    unpaired surrogates): see :mod:`ragkit.server.store.repairs`."""
    repair_unrenderable_metadata(conn)


def _m004_chunk_text_keys(conn: sqlite3.Connection) -> None:
    """Find a corpus's chunks by a hash of their whole text (see ``store/text_keys.py``).

    ``chunks_by_text`` (a 48-character prefix) was no help to SQLite: looking up a text
    scanned the whole corpus, so a batch cost more as the corpus grew.
    """
    conn.create_function("ragkit_text_key", 1, text_key, deterministic=True)
    run_ddl(
        conn,
        """
        ALTER TABLE chunks ADD COLUMN text_key INTEGER;
        UPDATE chunks SET text_key = ragkit_text_key(text);
        DROP INDEX chunks_by_text;
        CREATE INDEX chunks_by_text_key ON chunks(corpus_id, text_key);
        """,
    )


def _m005_pending_vectors(conn: sqlite3.Connection) -> None:
    """Embeddings by a new embedder, built by ``ragkit reindex`` beside the vectors in use
    until every chunk has one (see :mod:`ragkit.server.service.reindex`)."""
    run_ddl(
        conn,
        """
        CREATE TABLE pending_vectors (
            chunk_id INTEGER PRIMARY KEY REFERENCES chunks(id) ON DELETE CASCADE,
            vector BLOB NOT NULL
        );
        """,
    )


def _m006_document_counts(conn: sqlite3.Connection) -> None:
    """Keep each corpus's document count in its row, like ``chunk_count``, so the document
    quota costs one row read instead of a count over the corpus's documents."""
    run_ddl(
        conn,
        """
        ALTER TABLE corpora ADD COLUMN document_count INTEGER NOT NULL DEFAULT 0;
        UPDATE corpora SET document_count =
            (SELECT COUNT(*) FROM documents WHERE documents.corpus_id = corpora.id);
        """,
    )


def _m007_corpus_creators(conn: sqlite3.Connection) -> None:
    """Record who created each corpus: the corpus quota is per principal. Existing corpora
    go to the holder of their oldest USER OWNER permission (the creator's, unless removed)."""
    run_ddl(
        conn,
        """
        ALTER TABLE corpora ADD COLUMN creator TEXT COLLATE NOCASE;
        UPDATE corpora SET creator = (
            SELECT email FROM permissions
            WHERE permissions.corpus_id = corpora.id AND grantee_type = 1 AND role = 1
            ORDER BY permissions.id LIMIT 1
        );
        CREATE INDEX corpora_by_creator ON corpora(creator)
        """,
    )


def _m008_file_search_stores(conn: sqlite3.Connection) -> None:
    """File Search stores: a store is a corpus marked in ``file_search_stores``; its
    documents carry a state, size and MIME type; import and upload operations persist so
    that a restart resumes them."""
    run_ddl(conn, file_search_ddl(bigint="INTEGER", row_id="INTEGER PRIMARY KEY", key="TEXT"))


def file_search_ddl(*, bigint: str, row_id: str, key: str) -> str:
    """File Search's tables in one backend's words, for the one migration of each series
    that creates them (SQLite's ``_m008_file_search_stores``, PostgreSQL's
    ``_pg002_file_search_stores``): ``bigint`` a 64-bit integer type, ``row_id`` a row id
    column the database numbers, ``key`` a text type compared or ordered in byte order.

    Both migrations have shipped: what either creates must never change, so a column
    added later goes into a new migration of each series, not here.
    """
    return f"""
        CREATE TABLE file_search_stores (
            corpus_id {bigint} PRIMARY KEY REFERENCES corpora(id) ON DELETE CASCADE,
            embedding_model TEXT NOT NULL DEFAULT ''
        );
        CREATE TABLE file_search_documents (
            document_id {bigint} PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
            corpus_id {bigint} NOT NULL REFERENCES corpora(id) ON DELETE CASCADE,
            state INTEGER NOT NULL,
            size_bytes {bigint} NOT NULL,
            mime_type TEXT NOT NULL
        );
        CREATE INDEX file_search_documents_by_corpus ON file_search_documents(corpus_id);
        CREATE TABLE file_search_operations (
            id {row_id},
            name {key} NOT NULL UNIQUE,
            corpus_id {bigint} NOT NULL REFERENCES corpora(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            owner TEXT NOT NULL,
            groups TEXT NOT NULL,
            request TEXT NOT NULL,
            file_name TEXT,
            upload_session TEXT UNIQUE,
            document_name TEXT,
            done INTEGER NOT NULL DEFAULT 0,
            result TEXT,
            create_time {key} NOT NULL
        );
        CREATE INDEX file_search_operations_pending ON file_search_operations(done)
        """


#: The ``work_leases`` table of :mod:`ragkit.server.store.work_leases`, in SQLite's words
#: (PostgreSQL's migrations translate it), in every database that has background work.
WORK_LEASE_TABLE = """CREATE TABLE work_leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires DOUBLE PRECISION NOT NULL
)"""


def _m009_pgfix_work_leases(conn: sqlite3.Connection) -> None:
    """Leases on background work (re-embedding, File Search imports), so one server of
    many on a database does each piece (:mod:`ragkit.server.store.work_leases`)."""
    conn.execute(WORK_LEASE_TABLE)


#: Every migration in order; the function name is what ``_migrations`` records.
MIGRATIONS: tuple[Migration, ...] = (
    _m001_initial,
    _m002_chunks_by_text,
    _m003_renderable_metadata,
    _m004_chunk_text_keys,
    _m005_pending_vectors,
    _m006_document_counts,
    _m007_corpus_creators,
    _m008_file_search_stores,
    _m009_pgfix_work_leases,
)


def migrate(conn: sqlite3.Connection, migrations: Sequence[Migration] = MIGRATIONS) -> list[str]:
    """Apply pending ``migrations`` on an autocommit connection; returns the names applied."""
    return apply_migrations(conn, migrations, begin="BEGIN IMMEDIATE")


def apply_migrations(
    conn: Connection, migrations: Sequence[Callable[[Any], None]], *, begin: str
) -> list[str]:
    """Apply the ``migrations`` not yet recorded in ``_migrations``, each in its own
    transaction opened with ``begin``, on an autocommit connection of either backend
    (SQLite's :func:`migrate`, PostgreSQL's ``migrate_postgres``); returns the names applied."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    done = {row[0] for row in conn.execute("SELECT name FROM _migrations")}
    applied = []
    for migration in migrations:
        name = migration.__name__.lstrip("_")
        if name in done:
            continue
        conn.execute(begin)
        try:
            migration(conn)
            conn.execute(
                "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
                (name, datetime.now(UTC).isoformat()),
            )
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        applied.append(name)
    return applied
