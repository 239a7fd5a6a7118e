"""Background work on two servers sharing one PostgreSQL (two services in this process
over one database and data folder, as two replicas would run): exactly one re-embeds the
store while the other switches once it is done; a file whose server died mid-extraction
is extracted by the other once its lease lapses, never while it is live."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from ragkit.server.media import FileService
from ragkit.server.models.embedding import load_embedder
from ragkit.server.principal import LOCAL_USER, Principal
from ragkit.server.service import RetrieverService
from ragkit.types import (
    BatchCreateChunksRequest,
    Chunk,
    ChunkData,
    Corpus,
    CreateChunkRequest,
    Document,
    FileState,
)

OWNER = Principal("owner@example.com")
LEASE = 0.6


class Counting:
    """An embedder that counts the texts it embeds (the re-embedding's work)."""

    def __init__(self, spec: str) -> None:
        self._inner = load_embedder(spec)
        self.name, self.dimensions = self._inner.name, self._inner.dimensions
        self.batch_size = self._inner.batch_size
        self.embedded = 0

    def embed(self, texts: Sequence[str], *, kind: str = "document") -> npt.NDArray[np.float32]:
        self.embedded += len(texts)
        return self._inner.embed(texts, kind=kind)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _wait(condition: Any, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_one_server_re_embeds_and_the_other_switches_when_it_is_done(
    tmp_path: Path, postgres_url: str
) -> None:
    first = RetrieverService.open(
        tmp_path, embedder=load_embedder("hash:32"), database_url=postgres_url
    )
    first.create_corpus(OWNER, Corpus(name="c"))
    first.create_document(OWNER, "corpora/c", Document(name="d"))
    chunks = [Chunk(data=ChunkData(string_value=f"text number {i}")) for i in range(60)]
    first.batch_create_chunks(
        OWNER,
        "corpora/c/documents/d",
        BatchCreateChunksRequest(requests=[CreateChunkRequest(chunk=c) for c in chunks]),
    )
    first.close()
    targets = [Counting("hash:64"), Counting("hash:64")]
    replicas = [
        RetrieverService.open(
            tmp_path / f"r{i}",
            embedder=target,  # type: ignore[arg-type]
            database_url=postgres_url,
            reindex=True,
            lease_seconds=LEASE,
        )
        for i, target in enumerate(targets)
    ]
    try:
        assert all(r.start_reindex() for r in replicas)
        _wait(
            lambda: all(r._embedder is t for r, t in zip(replicas, targets, strict=True)),
            "both servers serve the new embedder",
        )
        # Every chunk embedded once, by one server: the lease kept the other waiting.
        assert sorted(t.embedded for t in targets) == [0, 60]
        for replica in replicas:
            assert replica._reindexer is not None
            replica._reindexer.join(10)
            hits = replica.query_corpus(OWNER, "corpora/c", _query("text number 7"))
            assert hits.relevant_chunks and len(hits.relevant_chunks) == 10
    finally:
        for replica in replicas:
            replica.close()


def _query(text: str) -> Any:
    from ragkit.types import QueryCorpusRequest

    return QueryCorpusRequest(query=text, results_count=10)


def test_a_dead_servers_file_is_extracted_elsewhere_once_its_lease_lapses(
    tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ragkit.server.media.core.INLINE_TEXT_BYTES", 4)
    dying = FileService.open(tmp_path, database_url=postgres_url, lease_seconds=LEASE)
    # Its extraction worker is gone (as if the process were about to die).
    dying._queue.put(None)
    assert dying._worker is not None
    dying._worker.join()
    other = FileService.open(tmp_path, database_url=postgres_url, lease_seconds=LEASE)
    try:
        record = dying.create_file(
            LOCAL_USER,
            requested_name=None,
            display_name="notes",
            mime_type="text/plain",
            data=b"longer than four bytes",
        )
        assert record.state == FileState.PROCESSING.value
        # While its server lives (renewing the lease), nobody else extracts it.
        other._extract(record.name)
        time.sleep(LEASE * 1.5)
        assert other.get_file(LOCAL_USER, f"files/{record.name}").state == record.state
        dying._leases.close(release=False)  # the server dies: nothing renews its lease
        _wait(
            lambda: (
                other.get_file(LOCAL_USER, f"files/{record.name}").state == FileState.ACTIVE.value
            ),
            "the other server extracted the file",
        )
        assert other.file_text(LOCAL_USER, f"files/{record.name}") == (
            "text/plain",
            "longer than four bytes",
        )
    finally:
        other.close()
        dying._db.close()
