"""Quotas are per principal: one user's usage never locks another out, the 429 names the
quota and the usage, and concurrent requests cannot overshoot."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from ragkit.server.service.quotas import Quotas
from ragkit.server.store.migrations import MIGRATIONS, migrate
from tests.server.http.conftest import two_users

#: The same rules on SQLite and PostgreSQL (see tests/conftest.py).
pytestmark = pytest.mark.both_backends

V = "/v1beta"
UPLOAD = "/upload/v1beta/files"

Users = tuple[httpx.AsyncClient, httpx.AsyncClient]


@pytest.fixture
async def users(tmp_path: Path, database_url: str | None) -> AsyncIterator[Users]:
    """Alice and Bob on one server with small quotas (on each backend)."""
    quotas = Quotas(max_corpora=3, max_file_bytes_per_user=1000, max_upload_sessions_per_user=2)
    async with two_users(tmp_path, quotas=quotas, database_url=database_url) as pair:
        yield pair


def _exhausted(response: httpx.Response, *words: str) -> None:
    assert response.status_code == 429, response.text
    error = response.json()["error"]
    assert error["status"] == "RESOURCE_EXHAUSTED"
    for word in words:
        assert word in error["message"], error["message"]


async def test_the_corpus_quota_is_per_user(users: Users) -> None:
    alice, bob = users
    created = [await alice.post(f"{V}/corpora", json={}) for _ in range(3)]
    assert [r.status_code for r in created] == [200, 200, 200]
    _exhausted(
        await alice.post(f"{V}/corpora", json={}),
        "corpora per user (max_corpora)",
        "alice@example.com has created 3 of 3",
    )
    # Bob is not locked out by Alice, even with access to her corpora.
    shared = created[0].json()["name"]
    grant = {"granteeType": "USER", "emailAddress": "bob@example.com", "role": "OWNER"}
    assert (await alice.post(f"{V}/{shared}/permissions", json=grant)).status_code == 200
    for _ in range(3):
        assert (await bob.post(f"{V}/corpora", json={})).status_code == 200
    _exhausted(await bob.post(f"{V}/corpora", json={}), "bob@example.com has created 3 of 3")
    # Deleting one frees the quota again.
    assert (await alice.delete(f"{V}/{shared}")).status_code == 200
    assert (await alice.post(f"{V}/corpora", json={})).status_code == 200


async def test_concurrent_creates_cannot_overshoot_the_corpus_quota(users: Users) -> None:
    alice, _ = users
    responses = await asyncio.gather(*(alice.post(f"{V}/corpora", json={}) for _ in range(12)))
    assert sorted(r.status_code for r in responses) == [200] * 3 + [429] * 9
    assert len((await alice.get(f"{V}/corpora")).json()["corpora"]) == 3


async def _raw_upload(http: httpx.AsyncClient, size: int) -> httpx.Response:
    headers = {"X-Goog-Upload-Protocol": "raw", "Content-Type": "text/plain"}
    return await http.post(UPLOAD, headers=headers, content=b"x" * size)


async def test_file_storage_is_a_quota_per_user(users: Users) -> None:
    alice, bob = users
    assert (await _raw_upload(alice, 600)).status_code == 200
    _exhausted(
        await _raw_upload(alice, 600),
        "file storage per user (max_file_bytes_per_user)",
        "alice@example.com stores 600 of 1000 bytes",
        "needs 600 more",
    )
    assert (await _raw_upload(bob, 600)).status_code == 200
    # Concurrent uploads: the check and the write share one transaction.
    responses = await asyncio.gather(*(_raw_upload(bob, 100) for _ in range(8)))
    assert sorted(r.status_code for r in responses) == [200] * 4 + [429] * 4
    files = (await bob.get(f"{V}/files")).json()["files"]
    assert sum(int(f["sizeBytes"]) for f in files) == 1000


async def _start(http: httpx.AsyncClient, size: int | None) -> httpx.Response:
    headers = {"X-Goog-Upload-Protocol": "resumable", "X-Goog-Upload-Command": "start"}
    if size is not None:
        headers["X-Goog-Upload-Header-Content-Length"] = str(size)
    return await http.post(UPLOAD, headers=headers, json={"file": {}})


async def test_upload_sessions_and_their_declared_sizes_count(users: Users) -> None:
    alice, bob = users
    _exhausted(await _start(alice, 2 * 1024**3), "stores 0 of 1000 bytes", "needs 2147483648")
    first = await _start(alice, 700)
    assert first.status_code == 200
    # The open session reserves its declared 700 bytes.
    _exhausted(await _raw_upload(alice, 400), "stores 700 of 1000 bytes")
    assert (await _start(alice, None)).status_code == 200
    _exhausted(
        await _start(alice, None),
        "open upload sessions per user (max_upload_sessions_per_user)",
        "has 2 of 2 open",
    )
    assert (await _start(bob, None)).status_code == 200
    # Finishing a session frees its slot; its bytes now count as a file.
    url = first.headers["x-goog-upload-url"]
    headers = {"X-Goog-Upload-Command": "upload, finalize", "X-Goog-Upload-Offset": "0"}
    assert (await alice.post(url, headers=headers, content=b"y" * 700)).status_code == 200
    assert (await _start(alice, 300)).status_code == 200
    _exhausted(await _raw_upload(alice, 1), "stores 1000 of 1000 bytes")


async def test_an_upload_of_unknown_size_reserves_what_it_received(users: Users) -> None:
    alice, _ = users
    url = (await _start(alice, None)).headers["x-goog-upload-url"]
    headers = {"X-Goog-Upload-Command": "upload", "X-Goog-Upload-Offset": "0"}
    assert (await alice.post(url, headers=headers, content=b"z" * 800)).status_code == 200
    _exhausted(await _raw_upload(alice, 300), "stores 800 of 1000 bytes")
    headers = {"X-Goog-Upload-Command": "upload, finalize", "X-Goog-Upload-Offset": "800"}
    _exhausted(await alice.post(url, headers=headers, content=b"z" * 300), "needs 300 more")


def test_existing_corpora_are_charged_to_their_owner(tmp_path: Path) -> None:
    """The migration gives corpora created before it to their oldest USER OWNER."""
    conn = sqlite3.connect(tmp_path / "db.sqlite3", isolation_level=None)
    migrate(conn, MIGRATIONS[:-1])
    stamp = "2026-01-01T00:00:00Z"
    conn.execute(
        "INSERT INTO corpora (id, name, create_time, update_time) VALUES (1, 'c', ?, ?)",
        (stamp, stamp),
    )
    conn.execute(
        "INSERT INTO permissions (corpus_id, name, grantee_type, email, role)"
        " VALUES (1, 'p1', 1, 'Alice@Example.com', 1), (1, 'p2', 1, 'bob@example.com', 1)"
    )
    migrate(conn)
    (creator,) = conn.execute("SELECT creator FROM corpora").fetchone()
    assert creator == "Alice@Example.com"
    count = conn.execute("SELECT COUNT(*) FROM corpora WHERE creator = 'alice@example.com'")
    assert count.fetchone()[0] == 1
