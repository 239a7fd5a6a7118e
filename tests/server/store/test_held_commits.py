"""hold_commits: a write commits when the held block ends, or not at all."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ragkit.server.store import Database
from ragkit.server.store.connection import hold_commits
from ragkit.server.store.settings import get_setting, put_setting


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database.open(tmp_path)
    yield database
    database.close()


def _value(db: Database, key: str) -> str | None:
    with db.read() as conn:
        return get_setting(conn, key)


def test_the_commit_waits_for_the_end_of_the_block(db: Database) -> None:
    hooks: list[str] = []
    with hold_commits():
        with db.write() as conn:
            put_setting(conn, "k", "v")
            db.after_commit(lambda: hooks.append("ran"))
        assert _value(db, "k") is None  # other connections do not see it yet
        assert hooks == []
    assert _value(db, "k") == "v"
    assert hooks == ["ran"]


def test_an_error_after_the_write_rolls_it_back(db: Database) -> None:
    hooks: list[str] = []
    with pytest.raises(ValueError), hold_commits():
        with db.write() as conn:
            put_setting(conn, "k", "v")
            db.after_commit(lambda: hooks.append("ran"))
        raise ValueError("the response could not be rendered")
    assert _value(db, "k") is None
    assert hooks == []
    with db.write() as conn:  # the write lock was released
        put_setting(conn, "k", "after")
    assert _value(db, "k") == "after"


def test_a_second_write_joins_as_a_savepoint(db: Database) -> None:
    hooks: list[str] = []
    with hold_commits():
        with db.write() as conn:
            put_setting(conn, "a", "1")
            db.after_commit(lambda: hooks.append("a"))
        with pytest.raises(RuntimeError), db.write() as conn:
            put_setting(conn, "b", "2")
            db.after_commit(lambda: hooks.append("b"))
            raise RuntimeError("only this part is undone")
        with db.write() as conn:
            put_setting(conn, "c", "3")
    assert (_value(db, "a"), _value(db, "b"), _value(db, "c")) == ("1", None, "3")
    assert hooks == ["a"]


def test_another_database_commits_as_usual(tmp_path: Path) -> None:
    first = Database.open(tmp_path / "one")
    second = Database.open(tmp_path / "two")
    try:
        with hold_commits():
            with first.write() as conn:
                put_setting(conn, "k", "held")
            with second.write() as conn:
                put_setting(conn, "k", "committed")
            assert _value(second, "k") == "committed"
            assert _value(first, "k") is None
        assert _value(first, "k") == "held"
    finally:
        first.close()
        second.close()
