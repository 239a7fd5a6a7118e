"""The PostgreSQL implementation of Database: migrations, writers serialised across
processes, snapshot reads, the stores' SQL through the adapter, clear errors."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from ragkit.server.config import ServerConfig
from ragkit.server.errors import ApiError
from ragkit.server.store.pg_migrations import PG_MIGRATIONS
from ragkit.server.store.postgres import (
    PgConnection,
    PostgresDatabase,
    PostgresUnavailableError,
    migrate_postgres,
    redacted_url,
)
from ragkit.server.store.settings import get_setting, put_setting
from ragkit.types import Code


def _open(url: str) -> PostgresDatabase:
    return PostgresDatabase(url, "ragkit", PG_MIGRATIONS, pool_size=2)


def test_migrations_are_recorded_once(postgres_url: str) -> None:
    db = _open(postgres_url)
    try:
        with db.write() as conn:
            names = [row[0] for row in conn.execute("SELECT name FROM _migrations")]
            assert names == [m.__name__.lstrip("_") for m in PG_MIGRATIONS]
            assert migrate_postgres(conn, PG_MIGRATIONS) == []
            schema = conn.execute("SELECT current_schema()").fetchone()[0]
            assert schema == "ragkit"
    finally:
        db.close()


def test_writers_of_two_servers_run_one_at_a_time(postgres_url: str) -> None:
    """Two Database objects stand for two processes: only the advisory lock orders them."""
    first, second = _open(postgres_url), _open(postgres_url)
    inside = threading.Event()
    order: list[str] = []

    def hold() -> None:
        with first.write() as conn:
            put_setting(conn, "k", "first")
            inside.set()
            time.sleep(0.5)
            order.append("first commits")

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert inside.wait(10)
        with second.write() as conn:  # waits for the first transaction to end
            order.append("second starts")
            assert get_setting(conn, "k") == "first"  # and sees its commit
            put_setting(conn, "k", "second")
        holder.join()
        assert order == ["first commits", "second starts"]
        with first.read() as conn:
            assert get_setting(conn, "k") == "second"
    finally:
        holder.join()
        first.close()
        second.close()


def test_a_read_is_one_snapshot(postgres_url: str) -> None:
    db = _open(postgres_url)
    try:
        with db.read() as reader:
            assert get_setting(reader, "k") is None
            with db.write() as writer:
                put_setting(writer, "k", "v")
            assert get_setting(reader, "k") is None  # committed after the snapshot
        with db.read() as reader:
            assert get_setting(reader, "k") == "v"
    finally:
        db.close()


def test_a_failed_write_changes_nothing_and_skips_hooks(postgres_url: str) -> None:
    db = _open(postgres_url)
    ran: list[str] = []
    try:
        with pytest.raises(RuntimeError), db.write() as conn:
            put_setting(conn, "k", "v")
            db.after_commit(lambda: ran.append("rolled back"))
            raise RuntimeError("boom")
        with db.write() as conn:
            put_setting(conn, "k2", "v2")
            db.after_commit(lambda: ran.append("committed"))
        assert ran == ["committed"]
        with db.read() as conn:
            assert get_setting(conn, "k") is None
            assert get_setting(conn, "k2") == "v2"
    finally:
        db.close()


def test_placeholders_and_percent_signs(postgres_url: str) -> None:
    db = _open(postgres_url)
    try:
        with db.write() as conn:
            put_setting(conn, "100%", "what?")
            row = conn.execute(
                "SELECT value, '?' FROM settings WHERE key LIKE '%' || ? AND value LIKE '%?'",
                ("0%",),
            ).fetchone()
            assert tuple(row) == ("what?", "?")
    finally:
        db.close()


def test_text_with_nul_is_refused_as_invalid_argument(postgres_url: str) -> None:
    db = _open(postgres_url)
    try:
        with pytest.raises(ApiError) as caught, db.write() as conn:
            put_setting(conn, "k", "a\x00b")
        assert caught.value.code is Code.INVALID_ARGUMENT
        assert "U+0000" in caught.value.message
    finally:
        db.close()


def test_an_unreachable_server_is_a_clear_error_without_the_password() -> None:
    url = "postgresql://ragkit:s3cret@127.0.0.1:1/ragkit"
    with pytest.raises(PostgresUnavailableError) as caught:
        PostgresDatabase(url, "ragkit", PG_MIGRATIONS)
    assert "s3cret" not in str(caught.value)
    assert "postgresql://ragkit@127.0.0.1:1/ragkit" in str(caught.value)
    assert redacted_url("postgresql://u:p@h/d") == "postgresql://u@h/d"


def test_the_database_url_must_be_postgresql(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="PostgreSQL URL"):
        ServerConfig(data_dir=tmp_path, database_url="mysql://root:pw@db/ragkit")
    config = ServerConfig(data_dir=tmp_path, database_url="postgres://u@h/d")
    assert config.database_url == "postgres://u@h/d"


def test_a_lost_connection_answers_503_and_the_pool_recovers(postgres_url: str) -> None:
    db = _open(postgres_url)
    try:
        with db.write() as conn:
            put_setting(conn, "k", "v")
        with pytest.raises(ApiError) as caught, db.read() as conn:
            assert isinstance(conn, PgConnection)
            conn.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        assert caught.value.code is Code.UNAVAILABLE
        assert caught.value.retry_after == 1
        with db.read() as conn:  # a fresh connection replaces the dead one
            assert get_setting(conn, "k") == "v"
    finally:
        db.close()


def test_a_constraint_violation_is_sqlites_integrity_error(postgres_url: str) -> None:
    db = _open(postgres_url)
    try:
        with pytest.raises(sqlite3.IntegrityError), db.write() as conn:
            conn.execute("INSERT INTO settings (key, value) VALUES (?, ?)", ("k", "v"))
            conn.execute("INSERT INTO settings (key, value) VALUES (?, ?)", ("k", "w"))
        with db.read() as conn:
            assert get_setting(conn, "k") is None  # the whole transaction rolled back
    finally:
        db.close()
