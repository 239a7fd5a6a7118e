"""``ragkit serve --reindex`` as a real process: it serves the old vectors while it
re-embeds, and SIGINT stops it within seconds, keeping the work done for the next start."""

from __future__ import annotations

import signal
import sqlite3
import time
from pathlib import Path

import httpx
import pytest

from ragkit.server.models.embedding import load_embedder
from ragkit.server.principal import LOCAL_USER
from ragkit.server.service import Quotas, RetrieverService
from ragkit.server.service.reindex import stored_embedder
from ragkit.server.store.connection import DATABASE_FILENAME
from ragkit.types import (
    BatchCreateChunksRequest,
    Chunk,
    ChunkData,
    Corpus,
    CreateChunkRequest,
    Document,
)

from .http.serving import ServerProcess, free_port

pytestmark = pytest.mark.slow

CHUNKS = 3000


def _seed(data_dir: Path) -> None:
    """A corpus of CHUNKS chunks embedded with ``hash`` (fast to build; slow for MiniLM)."""
    quotas = Quotas(max_chunks_per_corpus=None)
    service = RetrieverService.open(data_dir, embedder=load_embedder("hash"), quotas=quotas)
    try:
        service.create_corpus(LOCAL_USER, Corpus(name="corpora/big"))
        service.create_document(LOCAL_USER, "corpora/big", Document(name="d"))
        for start in range(0, CHUNKS, 100):
            items = [
                CreateChunkRequest(
                    chunk=Chunk(data=ChunkData(string_value=f"Item {i}: a note on topic {i}."))
                )
                for i in range(start, start + 100)
            ]
            service.batch_create_chunks(
                LOCAL_USER, "corpora/big/documents/d", BatchCreateChunksRequest(requests=items)
            )
    finally:
        service.close()


def _pending(data_dir: Path) -> int:
    conn = sqlite3.connect(data_dir / DATABASE_FILENAME)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM pending_vectors").fetchone()[0])
    finally:
        conn.close()


def test_sigint_stops_a_reindexing_server_promptly(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _seed(data)
    server = ServerProcess(
        ["--data-dir", str(data), "--embedder", "minilm", "--reindex"],
        free_port(),
        tmp_path / "serve.log",
    )
    try:
        server.wait_ready()
        deadline = time.monotonic() + 60
        while "re-embedded" not in server.log:
            assert time.monotonic() < deadline, server.log
            time.sleep(0.1)
        # Meanwhile the old (hash) vectors answer queries.
        query = {"query": "Item 17: a note on topic 17.", "resultsCount": 1}
        found = httpx.post(f"{server.url}/v1beta/corpora/big:query", json=query, timeout=30)
        assert found.status_code == 200, found.text
        assert found.json()["relevantChunks"][0]["chunk"]["data"]["stringValue"].startswith(
            "Item 17:"
        )
        server.proc.send_signal(signal.SIGINT)
        started = time.monotonic()
        server.proc.wait(timeout=30)
        stopped_in = time.monotonic() - started
    finally:
        server.stop()
    assert stopped_in < 5, (stopped_in, server.log)
    assert "Traceback" not in server.log, server.log
    assert "from hash (384 dimensions) to minilm (384 dimensions)" in server.log
    # Stopped midway: the work done is kept for the next start, the old vectors stay in use.
    assert 0 < _pending(data) < CHUNKS
    assert stored_embedder(data) == "hash:384"
