"""/healthz, /readyz and 503 UNAVAILABLE for queries while the start-up warm-up loads."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from ragkit.server.app import create_app
from ragkit.server.config import ServerConfig
from ragkit.server.models.embedding import load_embedder
from ragkit.server.principal import LOCAL_USER
from ragkit.server.service import RetrieverService
from ragkit.server.service.indexes import CorpusIndexes
from ragkit.types import (
    BatchCreateChunksRequest,
    Chunk,
    ChunkData,
    Corpus,
    CreateChunkRequest,
    Document,
)

from .conftest import running

QUERY = "/v1beta/corpora/c:query"


def _populate(data_dir: Path) -> None:
    service = RetrieverService.open(data_dir, embedder=load_embedder("hash"))
    service.create_corpus(LOCAL_USER, Corpus(name="c"))
    service.create_document(LOCAL_USER, "corpora/c", Document(name="d"))
    chunks = [
        CreateChunkRequest(chunk=Chunk(data=ChunkData(string_value=f"ocean {i}"))) for i in range(3)
    ]
    service.batch_create_chunks(
        LOCAL_USER, "corpora/c/documents/d", BatchCreateChunksRequest(requests=chunks)
    )
    service.close()


async def test_queries_answer_503_until_their_index_is_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _populate(tmp_path / "data")
    gate = threading.Event()
    warm = CorpusIndexes.warm

    def gated_warm(self: CorpusIndexes, stop: threading.Event, **kwargs: bool) -> tuple[int, int]:
        gate.wait(30)  # holds the real warm-up back, as a slow disk would
        return warm(self, stop, **kwargs)

    monkeypatch.setattr(CorpusIndexes, "warm", gated_warm)
    app = create_app(ServerConfig(data_dir=tmp_path / "data", embedder="hash"))
    async with running(app) as client:
        assert (await client.get("/healthz")).json() == {"status": "alive"}
        for response in (
            await client.get("/readyz"),
            await client.post(QUERY, json={"query": "ocean"}),
        ):
            assert response.status_code == 503
            assert response.headers["Retry-After"] == "1"
            assert response.json()["error"]["status"] == "UNAVAILABLE"
        # Writes and reads other than queries do not wait for the warm-up.
        assert (await client.get("/v1beta/corpora/c")).status_code == 200
        gate.set()
        for _ in range(200):
            if (await client.get("/readyz")).status_code == 200:
                break
            await asyncio.sleep(0.05)
        assert (await client.get("/readyz")).json() == {"status": "ready"}
        response = await client.post(QUERY, json={"query": "ocean"})
        assert response.status_code == 200
        assert len(response.json()["relevantChunks"]) == 3


async def test_a_fresh_server_is_ready_at_once(tmp_path: Path) -> None:
    app = create_app(ServerConfig(data_dir=tmp_path / "data", embedder="hash"))
    async with running(app) as client:
        assert (await client.get("/readyz")).status_code == 200
        assert (await client.get("/healthz")).status_code == 200
