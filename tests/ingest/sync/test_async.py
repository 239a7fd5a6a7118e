"""``aingest`` over ``httpx.ASGITransport`` (the app in-process): the same engine as ``ingest``,
so the same corpus, the same counts and the same guarantees."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

import ragkit
from ragkit.ingest import ChunkingConfig, IngestError, IngestReport, aingest, ingest
from ragkit.ingest.sync import document_id
from ragkit.server.app import create_app
from ragkit.server.config import ServerConfig
from ragkit.server.embedded import EmbeddedServer

from .conftest import UNLIMITED
from .helpers import AsyncRecordingTransport, Recorder, new_corpus, paragraphs, snapshot, write

SMALL = ChunkingConfig(chunk_tokens=64, overlap_tokens=0)


@pytest.fixture
async def aclient(tmp_path: Path, recorder: Recorder) -> AsyncIterator[ragkit.AsyncClient]:
    app = create_app(ServerConfig(data_dir=tmp_path / "data", embedder="hash", quotas=UNLIMITED))
    async with app.router.lifespan_context(app):
        transport = AsyncRecordingTransport(recorder, httpx.ASGITransport(app=app))
        async with ragkit.AsyncClient(
            base_url="http://ragkit", api_key="k", transport=transport
        ) as client:
            yield client


async def _snapshot(client: ragkit.AsyncClient, corpus: str) -> dict[str, set[str]]:
    result = {}
    async for document in client.corpora.documents.list(corpus):
        assert document.name
        chunks = client.corpora.documents.chunks.list(document.name, page_size=100)
        result[document.name.rsplit("/", 1)[-1]] = {c.name or "" async for c in chunks}
    return result


async def test_aingest_adds_then_leaves_unchanged_then_updates(
    aclient: ragkit.AsyncClient, recorder: Recorder, docs: Path
) -> None:
    corpus = new_corpus()
    write(docs, {"a.md": paragraphs("alpha", 5), "b.txt": "bee", "c.png": b"\x89PNG"})
    first = await aingest(docs, corpus=corpus, client=aclient, chunking=SMALL, concurrency=3)
    assert (first.documents_added, len(first.skipped), first.failed) == (2, 1, [])
    recorder.clear()
    again = await aingest(docs, corpus=corpus, client=aclient, chunking=SMALL)
    assert again.documents_unchanged == 2 and recorder.mutations() == []
    write(docs, {"b.txt": "bee, revised"})
    (docs / "a.md").unlink()
    last = await aingest(docs, corpus=corpus, client=aclient, chunking=SMALL, delete=True)
    assert (last.documents_updated, last.documents_deleted) == (1, 1)
    assert set(await _snapshot(aclient, corpus)) == {document_id("b.txt")}


async def test_aingest_dry_run_sends_nothing(
    aclient: ragkit.AsyncClient, recorder: Recorder, docs: Path
) -> None:
    write(docs, {"a.md": paragraphs("alpha", 3)})
    report = await aingest(docs, corpus=new_corpus(), client=aclient, dry_run=True)
    assert report.documents_added == 1 and report.plan[0].action == "add"
    assert recorder.mutations() == []


def test_sync_and_async_build_identical_corpora(
    server: EmbeddedServer, client: ragkit.Client, docs: Path
) -> None:
    write(docs, {f"s/{i}.md": paragraphs(f"t{i}", 1 + i % 3, words=30) for i in range(6)})
    blocking, asynchronous = new_corpus(), new_corpus()
    sync_report = ingest(docs, corpus=blocking, client=client, chunking=SMALL)

    async def run() -> IngestReport:
        async with ragkit.AsyncClient(base_url=server.base_url, api_key="k") as aclient:
            return await aingest(docs, corpus=asynchronous, client=aclient, chunking=SMALL)

    async_report = asyncio.run(run())
    assert snapshot(client, blocking) == snapshot(client, asynchronous)
    for field in ("documents_added", "chunks_created", "batches"):
        assert getattr(sync_report, field) == getattr(async_report, field)


async def test_aingest_fatal_error_carries_the_report(docs: Path) -> None:
    write(docs, {"a.md": "a"})
    async with ragkit.AsyncClient(
        base_url="http://127.0.0.1:9", api_key="k", max_retries=0
    ) as client:
        with pytest.raises(IngestError) as stopped:
            await aingest(docs, corpus=new_corpus(), client=client)
    assert stopped.value.report.chunks_created == 0
