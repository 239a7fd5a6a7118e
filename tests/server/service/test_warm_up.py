"""The start-up warm-up reports its progress: in the log every few seconds, in vitals."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from ragkit.server.models.embedding import load_embedder
from ragkit.server.principal import LOCAL_USER
from ragkit.server.service import RetrieverService, retriever
from ragkit.server.tiered_index import TieredIndex
from ragkit.types import (
    BatchCreateChunksRequest,
    Chunk,
    ChunkData,
    Corpus,
    CreateChunkRequest,
    Document,
)

TEXTS = [f"tide {i}" for i in range(5)]


def _populate(data_dir: Path) -> None:
    service = RetrieverService.open(data_dir, embedder=load_embedder("hash"))
    for corpus in ("a", "b"):
        service.create_corpus(LOCAL_USER, Corpus(name=f"corpora/{corpus}"))
        document = service.create_document(LOCAL_USER, f"corpora/{corpus}", Document())
        requests = [CreateChunkRequest(chunk=Chunk(data=ChunkData(string_value=t))) for t in TEXTS]
        service.batch_create_chunks(
            LOCAL_USER, document.name or "", BatchCreateChunksRequest(requests=requests)
        )
    service.close()


def test_warm_up_progress_is_logged_and_reported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    _populate(tmp_path)
    monkeypatch.setattr(retriever, "_PROGRESS_EVERY", 0.0)  # a line per step
    caplog.set_level(logging.INFO, logger="ragkit.server")
    service = RetrieverService.open(tmp_path, embedder=load_embedder("hash"))
    try:
        assert service.vitals().warm_up is None
        service.start_warming()
        assert service._warmer is not None
        service._warmer.join(10)
        vitals = service.vitals()
    finally:
        service.close()
    assert vitals.ready
    assert vitals.warm_up is not None and vitals.warm_up.finished
    assert (vitals.warm_up.corpora_done, vitals.warm_up.corpora_total) == (2, 2)
    assert (vitals.warm_up.chunks_done, vitals.warm_up.chunks_total) == (10, 10)
    assert (vitals.indexes.corpora, vitals.indexes.vectors, vitals.indexes.largest) == (2, 10, 5)
    assert (vitals.corpora, vitals.chunks) == (2, 10)
    progress = [r.getMessage() for r in caplog.records if "loading indexes:" in r.getMessage()]
    assert "loading indexes: 5/10 chunks, 0/2 corpora" in progress[0]
    assert "loading indexes: 10/10 chunks, 2/2 corpora" in progress[-1]
    assert any("loaded the vector indexes of 2 corpora (10 chunks)" in m for m in caplog.messages)


def test_index_stats_show_the_hnsw_graphs(tmp_path: Path) -> None:
    _populate(tmp_path)  # two corpora of 5 chunks
    service = RetrieverService.open(tmp_path, embedder=load_embedder("hash"), ann_threshold=5)
    try:
        service.start_warming()
        assert service._warmer is not None
        service._warmer.join(10)
        for index in service._indexes._cache.items():
            assert isinstance(index, TieredIndex) and index.wait_for_graph(30)
        stats = service.vitals().indexes
    finally:
        service.close()
    assert (stats.hnsw_ready, stats.hnsw_building, stats.hnsw_vectors) == (2, 0, 10)
