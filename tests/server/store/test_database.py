"""The SQLite layer: migrations, transactions, after-commit hooks, pragmas."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from ragkit.server.store import DATABASE_FILENAME, Database
from ragkit.server.store.migrations import MIGRATIONS, migrate
from ragkit.server.store.settings import get_setting, put_setting


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database.open(tmp_path)
    yield database
    database.close()


def test_migrations_are_recorded_once(tmp_path: Path) -> None:
    Database.open(tmp_path).close()
    conn = sqlite3.connect(tmp_path / DATABASE_FILENAME, isolation_level=None)
    names = [row[0] for row in conn.execute("SELECT name FROM _migrations")]
    assert names == [m.__name__.lstrip("_") for m in MIGRATIONS]
    assert migrate(conn) == []  # nothing left to apply
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"corpora", "documents", "chunks", "chunk_metadata", "permissions", "settings"} <= tables
    conn.close()


def test_pragmas(db: Database) -> None:
    with db.read() as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_a_failed_write_changes_nothing_and_skips_hooks(db: Database) -> None:
    ran: list[str] = []
    with pytest.raises(RuntimeError), db.write() as conn:
        put_setting(conn, "k", "v")
        db.after_commit(lambda: ran.append("rolled back"))
        raise RuntimeError("boom")
    with db.write() as conn:
        put_setting(conn, "k2", "v2")
        db.after_commit(lambda: ran.append("committed"))
        assert ran == []  # not before the commit
    assert ran == ["committed"]
    with db.read() as conn:
        assert get_setting(conn, "k") is None
        assert get_setting(conn, "k2") == "v2"


def test_after_commit_outside_a_write_is_an_error(db: Database) -> None:
    with pytest.raises(RuntimeError):
        db.after_commit(lambda: None)


def test_readers_see_a_snapshot_while_writers_commit(db: Database) -> None:
    with db.write() as conn:
        put_setting(conn, "n", "0")
    with db.read() as reader:
        assert get_setting(reader, "n") == "0"
        writer = threading.Thread(target=lambda: _put(db, "n", "1"))
        writer.start()
        writer.join()
        assert get_setting(reader, "n") == "0"  # still the snapshot
    with db.read() as reader:
        assert get_setting(reader, "n") == "1"


def _put(db: Database, key: str, value: str) -> None:
    with db.write() as conn:
        put_setting(conn, key, value)


def test_readers_are_read_only(db: Database) -> None:
    with pytest.raises(sqlite3.OperationalError), db.read() as conn:
        put_setting(conn, "k", "v")


def test_closed_database_refuses_work(tmp_path: Path) -> None:
    database = Database.open(tmp_path)
    database.close()
    database.close()
    with pytest.raises(RuntimeError), database.write():
        pass
    with pytest.raises(RuntimeError), database.read():
        pass
