"""Migrations 4-6 on a store written before them: text keys and document counts backfilled."""

from __future__ import annotations

from pathlib import Path

from ragkit.server.store import Database
from ragkit.server.store.chunks import known_vectors
from ragkit.server.store.corpora import count_documents
from ragkit.server.store.migrations import MIGRATIONS


def test_an_older_store_gets_text_keys_and_document_counts(tmp_path: Path) -> None:
    old = Database.open(tmp_path, migrations=MIGRATIONS[:2])
    with old.write() as conn:
        conn.execute(
            "INSERT INTO corpora (id, name, create_time, update_time) VALUES (1, 'c', 't', 't')"
        )
        for doc in (1, 2):
            conn.execute(
                "INSERT INTO documents (id, corpus_id, name, create_time, update_time)"
                " VALUES (?, 1, ?, 't', 't')",
                (doc, f"d{doc}"),
            )
        conn.execute(
            "INSERT INTO chunks (corpus_id, document_id, name, text, state, create_time,"
            " update_time, vector) VALUES (1, 1, 'k', 'stored text', 2, 't', 't', ?)",
            (b"\x00" * 16,),
        )
    old.close()
    db = Database.open(tmp_path)
    try:
        with db.read() as conn:
            assert known_vectors(conn, 1, ["stored text", "other"], 4) == {
                "stored text": b"\x00" * 16
            }
            assert count_documents(conn, 1) == 2
            indexes = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        assert "chunks_by_text_key" in indexes and "chunks_by_text" not in indexes
    finally:
        db.close()
