"""A real ``ragkit serve`` under more chunk writes than its embedding queue holds.

One server (hash embedder, ``--embed-queue-depth 3``) for the module:

* a batch queued behind slow ones whose client hangs up is dropped (never embedded, never
  stored) and its slot freed;
* a burst beyond the queue is answered 429 RESOURCE_EXHAUSTED with ``Retry-After`` and
  Google's error body, at once, instead of piling up;
* eight concurrent ``ingest`` clients, retrying those 429s (and, for half of them, their
  own timeouts), end with every chunk present exactly once.
"""

from __future__ import annotations

import json
import random
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

import ragkit
from ragkit.ingest.chunking import ChunkingConfig
from ragkit.ingest.sync import ingest

from .http.serving import ServerProcess, serve

pytestmark = pytest.mark.slow

DEPTH = 3


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data = tmp_path_factory.mktemp("overload") / "data"
    args = ("--embedder", "hash", "--embed-queue-depth", str(DEPTH), "--max-corpora", "0")
    args += ("--log-level", "debug")  # to see jobs being admitted
    with serve(data, *args) as process:
        yield process


def heavy_texts(seed: int, count: int = 100) -> list[str]:
    """Texts of ~1,800 tokens of unseen words: about a second of hash embedding per 100."""
    rnd = random.Random(seed)
    return [" ".join(f"w{rnd.randrange(10**6)}" for _ in range(600)) for _ in range(count)]


def batch_body(texts: list[str]) -> dict[str, Any]:
    return {"requests": [{"chunk": {"data": {"stringValue": t}}} for t in texts]}


def make_document(http: httpx.Client, corpus: str, name: str) -> str:
    response = http.post(f"/v1beta/{corpus}/documents", json={"displayName": name})
    assert response.status_code == 200, response.text
    document: str = response.json()["name"]
    return document


def chunk_count(http: httpx.Client, document: str) -> int:
    response = http.get(f"/v1beta/{document}/chunks", params={"pageSize": 100})
    assert response.status_code == 200, response.text
    return len(response.json().get("chunks", []))


def post_and_hang_up(
    server: ServerProcess, path: str, body: dict[str, Any], *, queued: str
) -> None:
    """Send a whole request, wait until the server logs ``queued`` (its embedding job is
    queued), then close the socket without reading the answer."""
    payload = json.dumps(body).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(head + payload)
        wait_for_log(server, queued, times=1)


def wait_for_log(server: ServerProcess, text: str, *, times: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while server.log.count(text) < times:
        assert time.monotonic() < deadline, server.log[-3000:]
        time.sleep(0.02)


def test_queued_work_of_a_disconnected_client_is_dropped(server: ServerProcess) -> None:
    with httpx.Client(base_url=server.url, timeout=120) as http:
        corpus = http.post("/v1beta/corpora", json={"displayName": "drop"}).json()["name"]
        slow = [make_document(http, corpus, f"slow {i}") for i in range(2)]
        gone = make_document(http, corpus, "gone")
        with ThreadPoolExecutor(2) as pool:
            writes = [
                pool.submit(http.post, f"/v1beta/{doc}/chunks:batchCreate", json=batch_body(t))
                for doc, t in zip(slow, (heavy_texts(1), heavy_texts(2)), strict=True)
            ]
            wait_for_log(server, "queued an embedding job of 100 texts", times=2)
            post_and_hang_up(
                server,
                f"/v1beta/{gone}/chunks:batchCreate",
                batch_body([f"nobody waits for chunk {i}" for i in range(5)]),
                queued="queued an embedding job of 5 texts",
            )
            assert [w.result().status_code for w in writes] == [200, 200]
        assert chunk_count(http, gone) == 0, server.log[-3000:]
        assert [chunk_count(http, doc) for doc in slow] == [100, 100]
    assert "dropped a queued embedding job of 5 texts: the client disconnected" in server.log


def test_a_burst_beyond_the_queue_gets_429_with_retry_after(server: ServerProcess) -> None:
    with httpx.Client(base_url=server.url, timeout=120) as http:
        corpus = http.post("/v1beta/corpora", json={"displayName": "burst"}).json()["name"]
        documents = [make_document(http, corpus, f"burst {i}") for i in range(DEPTH + 3)]
        with ThreadPoolExecutor(len(documents)) as pool:
            answers = list(
                pool.map(
                    lambda i: http.post(
                        f"/v1beta/{documents[i]}/chunks:batchCreate",
                        json=batch_body(heavy_texts(100 + i)),
                    ),
                    range(len(documents)),
                )
            )
        statuses = sorted(a.status_code for a in answers)
        rejected = [a for a in answers if a.status_code == 429]
        assert statuses.count(200) >= DEPTH and len(rejected) >= 1, statuses
        for answer in rejected:
            assert 1 <= int(answer.headers["retry-after"]) <= 30
            error = answer.json()["error"]
            assert (error["code"], error["status"]) == (429, "RESOURCE_EXHAUSTED")
            assert "--embed-queue-depth 3" in error["message"]
            assert error["details"][0]["@type"] == "type.googleapis.com/google.rpc.RetryInfo"
            # Refused, so nothing was written.
            assert chunk_count(http, documents[answers.index(answer)]) == 0


def test_concurrent_ingest_clients_store_every_chunk_exactly_once(
    server: ServerProcess, tmp_path: Path
) -> None:
    clients = 8
    chunking = ChunkingConfig(chunk_tokens=120, overlap_tokens=0, context=False)
    folders = []
    for c in range(clients):
        folder = tmp_path / f"client{c}"
        folder.mkdir()
        for d in range(2):
            rnd = random.Random(c * 10 + d)
            paragraphs = [
                " ".join(f"w{rnd.randrange(10**6)}" for _ in range(60)) for _ in range(30)
            ]
            (folder / f"client{c}-doc{d}.txt").write_text("\n\n".join(paragraphs))
        folders.append(folder)

    def run(c: int) -> ragkit.ingest.IngestReport:
        # Half the clients give up on a request after 1.5 s and retry it, as a client on a
        # busy machine does; a retry must neither duplicate chunks nor fail the run.
        timeout = 1.5 if c % 2 else 60.0
        with ragkit.Client(base_url=server.url, timeout=timeout, max_retries=20) as client:
            return ingest(
                folders[c], corpus="corpora/exactly-once", client=client, chunking=chunking
            )

    with ThreadPoolExecutor(clients) as pool:
        reports = list(pool.map(run, range(clients)))
    assert all(not report.failed for report in reports), [r.failed for r in reports]

    with ragkit.Client(base_url=server.url) as client:
        documents = list(client.corpora.documents.list("corpora/exactly-once", page_size=20))
        assert len(documents) == 2 * clients
        stored = 0
        for document in documents:
            chunks = list(client.corpora.documents.chunks.list(document.name or "", page_size=100))
            texts = [chunk.data.string_value for chunk in chunks if chunk.data]
            assert len(texts) == len(set(texts)) > 0  # no chunk twice
            stored += len(chunks)
    assert stored == sum(report.chunks_created for report in reports)
    assert " 429 " in server.log  # the queue was full at times: the retries were real
