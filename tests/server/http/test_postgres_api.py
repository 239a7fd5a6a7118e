"""The API on PostgreSQL where only PostgreSQL is in question (the rest of the contract
runs on both backends): several servers on one database, and what it cannot store.

No lost writes: each server process serialises its own writers with a lock; between
servers only the database can. Two apps in this process stand for two replicas: their
requests run on threads, interleaved, and PostgreSQL's advisory lock keeps the chunk
quota's read-check-write from racing (the lock itself is pinned in
tests/server/store/test_postgres.py).
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from ragkit.server.app import create_app
from ragkit.server.config import ServerConfig
from ragkit.server.models.embedding import load_embedder
from ragkit.server.principal import LOCAL_USER
from ragkit.server.service import Quotas, RetrieverService
from ragkit.server.service.reindex import EmbedderMismatchError
from ragkit.server.store.postgres import PostgresUnavailableError
from ragkit.types import QueryCorpusRequest

from .conftest import running

V = "/v1beta"
PER_REQUEST = 5
REQUESTS_PER_SERVER = 6
QUOTA = 40  # 2 servers x 6 requests x 5 chunks = 60 asked: exactly 8 requests fit


async def _batch(http: httpx.AsyncClient, document: str, tag: str) -> httpx.Response:
    body = {
        "requests": [
            {"parent": document, "chunk": {"data": {"stringValue": f"{tag} chunk {i}"}}}
            for i in range(PER_REQUEST)
        ]
    }
    return await http.post(f"{V}/{document}/chunks:batchCreate", json=body)


async def _all_chunks(http: httpx.AsyncClient, document: str) -> list[dict[str, Any]]:
    chunks: list[dict[str, Any]] = []
    params: dict[str, Any] = {"pageSize": 100}
    while True:
        page = (await http.get(f"{V}/{document}/chunks", params=params)).json()
        chunks += page.get("chunks", [])
        if not page.get("nextPageToken"):
            return chunks
        params["pageToken"] = page["nextPageToken"]


async def test_parallel_writers_on_two_servers_lose_nothing(
    tmp_path: Path, postgres_url: str
) -> None:
    quotas = Quotas(max_chunks_per_corpus=QUOTA)
    async with AsyncExitStack() as stack:
        servers = [
            await stack.enter_async_context(
                running(
                    create_app(
                        ServerConfig(
                            data_dir=tmp_path / f"replica{i}",
                            embedder="hash",
                            quotas=quotas,
                            database_url=postgres_url,
                        )
                    )
                )
            )
            for i in range(2)
        ]
        corpus = (await servers[0].post(f"{V}/corpora", json={"displayName": "Race"})).json()
        document = (
            await servers[1].post(f"{V}/{corpus['name']}/documents", json={"displayName": "d"})
        ).json()["name"]

        calls = [
            _batch(server, document, f"s{i}r{r}")
            for r in range(REQUESTS_PER_SERVER)
            for i, server in enumerate(servers)
        ]
        responses = await asyncio.gather(*calls)

        acknowledged: list[str] = []
        for response in responses:
            if response.status_code == 200:
                acknowledged += [c["name"] for c in response.json()["chunks"]]
            else:  # refused whole: the quota, never a server error
                assert response.status_code == 429, response.text
                assert response.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
        assert len(acknowledged) == QUOTA

        for server in servers:  # each replica sees every acknowledged chunk, once
            stored = [c["name"] for c in await _all_chunks(server, document)]
            assert sorted(stored) == sorted(acknowledged)
            assert len(set(stored)) == len(stored)


async def test_a_nul_character_is_refused_and_the_batch_stores_nothing(
    tmp_path: Path, postgres_url: str
) -> None:
    config = ServerConfig(data_dir=tmp_path / "data", embedder="hash", database_url=postgres_url)
    async with running(create_app(config)) as http:
        corpus = (await http.post(f"{V}/corpora", json={"displayName": "Nul"})).json()
        document = (
            await http.post(f"{V}/{corpus['name']}/documents", json={"displayName": "d"})
        ).json()["name"]
        body = {
            "requests": [
                {"parent": document, "chunk": {"data": {"stringValue": "fine"}}},
                {"parent": document, "chunk": {"data": {"stringValue": "nul \u0000 here"}}},
            ]
        }
        response = await http.post(f"{V}/{document}/chunks:batchCreate", json=body)
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert error["status"] == "INVALID_ARGUMENT"
        assert "U+0000" in error["message"]
        assert await _all_chunks(http, document) == []  # the first chunk was rolled back


def test_an_unreachable_database_is_refused_before_listening(tmp_path: Path) -> None:
    config = ServerConfig(
        data_dir=tmp_path, embedder="hash", database_url="postgresql://u:pw@127.0.0.1:1/d"
    )
    with pytest.raises(PostgresUnavailableError, match="cannot connect") as caught:
        create_app(config)
    assert "pw" not in str(caught.value)


async def test_another_embedders_data_is_refused_before_listening(
    tmp_path: Path, postgres_url: str
) -> None:
    first = ServerConfig(data_dir=tmp_path / "a", embedder="hash", database_url=postgres_url)
    async with running(create_app(first)) as http:
        corpus = (await http.post(f"{V}/corpora", json={"displayName": "E"})).json()
        document = (
            await http.post(f"{V}/{corpus['name']}/documents", json={"displayName": "d"})
        ).json()["name"]
        assert (await _batch(http, document, "x")).status_code == 200
    other = ServerConfig(data_dir=tmp_path / "b", embedder="hash:64", database_url=postgres_url)
    with pytest.raises(EmbedderMismatchError):
        create_app(other)


async def _reindexed_by_another_server(
    http: httpx.AsyncClient, tmp_path: Path, postgres_url: str, target: Any
) -> tuple[str, RetrieverService]:
    """A document of 12 chunks written through ``http``, then the store re-embedded with
    ``target`` by another (``--reindex``) server; returns the document and that server."""
    corpus = (await http.post(f"{V}/corpora", json={"name": "corpora/c"})).json()
    document = (
        await http.post(f"{V}/{corpus['name']}/documents", json={"displayName": "d"})
    ).json()["name"]
    for tag in ("a", "b"):
        assert (await _batch(http, document, tag)).status_code == 200
    other = RetrieverService.open(
        tmp_path / "other", embedder=target, database_url=postgres_url, reindex=True
    )
    assert other.start_reindex() and other._reindexer is not None
    other._reindexer.join(30)
    assert other._embedder is target
    return document, other


async def test_a_replica_without_reindex_follows_another_replicas_re_embedding(
    tmp_path: Path, postgres_url: str
) -> None:
    config = ServerConfig(data_dir=tmp_path / "a", embedder="hash", database_url=postgres_url)
    async with running(create_app(config)) as http:
        document, other = await _reindexed_by_another_server(
            http, tmp_path, postgres_url, load_embedder("hash:32")
        )
        try:
            query = {"query": "a chunk 3", "resultsCount": 5}
            response = await http.post(f"{V}/corpora/c:query", json=query)
            assert response.status_code == 200, response.text
            hits = [
                (hit["chunk"]["name"], hit["chunkRelevanceScore"])
                for hit in response.json()["relevantChunks"]
            ]
            expected = other.query_corpus(
                LOCAL_USER, "corpora/c", QueryCorpusRequest(query="a chunk 3", results_count=5)
            )
            assert hits == [
                (hit.chunk.name, pytest.approx(hit.chunk_relevance_score, abs=1e-6))
                for hit in expected.relevant_chunks or []
                if hit.chunk is not None
            ]
            assert (await _batch(http, document, "c")).status_code == 200
            with other._db.read() as conn:
                sizes = conn.execute("SELECT DISTINCT vector_dims(vector) FROM chunks").fetchall()
            assert sizes == [(32,)]  # the new chunks too
        finally:
            other.close()


class _PrivateModel:
    """An embedder only the other server has (``private-model``, 48 dimensions)."""

    name, dimensions = "private-model", 48

    def __init__(self) -> None:
        self._inner = load_embedder("hash:48")
        self.batch_size = self._inner.batch_size

    def embed(self, texts: Any, *, kind: Any = "document") -> Any:
        return self._inner.embed(texts, kind=kind)


async def test_a_replica_that_cannot_load_the_new_embedder_answers_503_and_writes_nothing(
    tmp_path: Path, postgres_url: str
) -> None:
    config = ServerConfig(data_dir=tmp_path / "a", embedder="hash", database_url=postgres_url)
    async with running(create_app(config)) as http:
        document, other = await _reindexed_by_another_server(
            http, tmp_path, postgres_url, _PrivateModel()
        )
        other.close()
        before = await _all_chunks(http, document)
        for response in (
            await http.post(f"{V}/corpora/c:query", json={"query": "a chunk 3"}),
            await _batch(http, document, "refused"),
        ):
            assert response.status_code == 503, response.text
            assert response.headers["Retry-After"] == "1"
            error = response.json()["error"]
            assert error["status"] == "UNAVAILABLE" and error["code"] == 503
            assert "Restart it with --embedder private-model" in error["message"]
        assert await _all_chunks(http, document) == before
