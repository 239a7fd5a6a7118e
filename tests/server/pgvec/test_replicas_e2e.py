"""Two real ``ragkit serve --database postgresql://...`` processes on one PostgreSQL: one
consistent API. A write acknowledged by one is seen by the next request to the other,
page tokens, permissions and quotas hold across them, each batch job runs exactly once,
and nothing either process keeps in memory goes stale."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.server.http.conftest import AUTH_FILE
from tests.server.http.serving import ServerProcess, free_port

pytestmark = pytest.mark.slow

JOBS = 4
KEY = {"x-goog-api-key": "alice-key"}


@pytest.fixture
def replicas(tmp_path: Path, postgres_url: str) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    auth = tmp_path / "auth.toml"
    auth.write_text(AUTH_FILE, encoding="utf-8")
    shared = tmp_path / "shared"  # file blobs: the path every replica mounts
    options = ["--data-dir", str(shared), "--embedder", "hash", "--database", postgres_url]
    options += ["--auth-file", str(auth), "--max-corpora", "3", "--no-grpc"]
    # Both start at once (each waits for the other's migrations under the advisory lock).
    servers = [ServerProcess(options, free_port(), tmp_path / f"serve-{name}.log") for name in "ab"]
    try:
        for server in servers:
            server.wait_ready()
        yield servers[0], servers[1]
    finally:
        for server in servers:
            server.stop()


def client(server: ServerProcess, user: str) -> httpx.Client:
    headers = {"x-goog-api-key": "alice-key"} if user == "alice" else {}
    if user == "bob":
        headers = {"Authorization": "Bearer bob-token"}
    return httpx.Client(base_url=f"{server.url}/v1beta/", headers=headers, timeout=60)


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def test_two_replicas_serve_one_consistent_api(
    replicas: tuple[ServerProcess, ServerProcess],
) -> None:
    a, b = replicas
    with client(a, "alice") as alice_a, client(b, "alice") as alice_b, client(b, "bob") as bob_b:
        # Read your writes: created on A, read and searched on B at once.
        corpus = ok(alice_a.post("corpora", json={"displayName": "Shared"}))["name"]
        assert ok(alice_b.get(corpus))["displayName"] == "Shared"
        document = ok(alice_a.post(f"{corpus}/documents", json={"displayName": "D"}))["name"]
        texts = [f"note {i} about the harbour and its ships" for i in range(5)]
        body = {"requests": [{"chunk": {"data": {"stringValue": t}}} for t in texts]}
        ok(alice_a.post(f"{document}/chunks:batchCreate", json=body))
        query = {"query": "harbour ships", "resultsCount": 10}
        assert len(ok(alice_b.post(f"{corpus}:query", json=query))["relevantChunks"]) == 5
        # Nothing cached goes stale: a delete on B is gone from A's next search.
        chunks = ok(alice_a.get(f"{document}/chunks"))["chunks"]
        assert alice_b.delete(chunks[0]["name"]).status_code == 200
        found = ok(alice_a.post(f"{corpus}:query", json=query))["relevantChunks"]
        assert chunks[0]["name"] not in {hit["chunk"]["name"] for hit in found}
        assert len(found) == 4

        # A page token from A continues on B.
        first = ok(alice_a.get(f"{document}/chunks", params={"pageSize": 2}))
        token = first["nextPageToken"]
        rest = ok(alice_b.get(f"{document}/chunks", params={"pageSize": 2, "pageToken": token}))
        assert [c["name"] for c in first["chunks"] + rest["chunks"]] == [
            c["name"] for c in chunks[1:5]
        ]

        # Permissions: granted on A, in force on B.
        assert bob_b.get(corpus).status_code == 403
        grant = {"granteeType": "USER", "emailAddress": "bob@example.com", "role": "READER"}
        ok(alice_a.post(f"{corpus}/permissions", json=grant))
        assert ok(bob_b.get(corpus))["name"] == corpus

        # Quotas count every replica's writes: three corpora at most, wherever created.
        ok(alice_b.post("corpora", json={}))
        ok(alice_a.post("corpora", json={}))
        refused = alice_b.post("corpora", json={})
        assert refused.status_code == 429, refused.text

        # A file uploaded through A streams from B (blobs on the shared --data-dir).
        uploaded = httpx.post(
            f"{a.url}/upload/v1beta/files",
            headers={"X-Goog-Upload-Protocol": "raw", "Content-Type": "text/plain", **KEY},
            content=b"shared bytes " * 1000,
        )
        file_id = ok(uploaded)["file"]["name"].removeprefix("files/")
        download = httpx.get(
            f"{b.url}/download/v1beta/files/{file_id}:download",
            params={"alt": "media"},
            headers=KEY,
        )
        assert download.status_code == 200 and download.content == b"shared bytes " * 1000

        # Batch jobs created on both replicas each run exactly once, on one of them.
        names = []
        for i in range(JOBS):
            http = alice_a if i % 2 else alice_b
            requests = [
                {"request": {"content": {"parts": [{"text": f"job {i} row {r}"}]}}}
                for r in range(5)
            ]
            job = {"batch": {"inputConfig": {"requests": {"requests": requests}}}}
            created = ok(http.post("models/text-embedding-004:asyncBatchEmbedContent", json=job))
            names.append(created["name"])
        deadline = time.monotonic() + 90
        pending = set(names)
        while pending and time.monotonic() < deadline:
            for name in list(pending):
                operation = ok((alice_a if hash(name) % 2 else alice_b).get(name))
                if operation.get("done"):
                    assert "error" not in operation, operation
                    pending.discard(name)
            time.sleep(0.2)
        assert not pending, f"jobs not done: {pending}"
    runs = Counter(re.findall(r"batch (\S+): running", a.log + b.log))
    assert sorted(runs) == sorted(n.removeprefix("batches/") for n in names), runs
    assert set(runs.values()) == {1}, runs
