"""No lost writes on PostgreSQL: two servers on one database, writing one corpus at once.

Each server process serialises its own writers with a lock; between servers only the
database can. Two apps in this process stand for two replicas: their requests run on
threads, interleaved, and only PostgreSQL's advisory lock keeps the chunk quota's
read-check-write from racing.
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx

from ragkit.server.app import create_app
from ragkit.server.config import ServerConfig
from ragkit.server.service import Quotas

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
