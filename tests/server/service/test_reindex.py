"""Switching embedders only when asked: refusal, resumable re-embedding, atomic switch."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from ragkit.server.app import create_app
from ragkit.server.config import ServerConfig
from ragkit.server.models.embedding import load_embedder
from ragkit.server.service import RetrieverService
from ragkit.server.service.reindex import (
    EMBEDDER_SETTING,
    EmbedderMismatchError,
    Reindexer,
    ReindexProgress,
    stored_embedder,
)
from ragkit.server.store import Database
from ragkit.types import (
    BatchCreateChunksRequest,
    Chunk,
    ChunkData,
    Corpus,
    CreateChunkRequest,
    Document,
    QueryCorpusRequest,
)

from .conftest import OWNER, chunk

DOC = "corpora/c/documents/d"
OLD, NEW = "hash:64", "hash:32"


def _store(data_dir: Path, count: int = 120) -> list[str]:
    """A store embedded with OLD holding ``count`` chunks; returns their names."""
    service = RetrieverService.open(data_dir, embedder=load_embedder(OLD))
    try:
        service.create_corpus(OWNER, Corpus(name="c"))
        service.create_document(OWNER, "corpora/c", Document(name="d"))
        names = []
        for start in range(0, count, 100):
            items = [
                CreateChunkRequest(chunk=Chunk(data=ChunkData(string_value=f"topic{i} text {i}")))
                for i in range(start, min(count, start + 100))
            ]
            created = service.batch_create_chunks(
                OWNER, DOC, BatchCreateChunksRequest(requests=items)
            )
            names += [c.name or "" for c in created.chunks or []]
        return names
    finally:
        service.close()


def _vectors(data_dir: Path) -> dict[str, bytes]:
    db = Database.open(data_dir)
    try:
        with db.read() as conn:
            return dict(conn.execute("SELECT text, vector FROM chunks").fetchall())
    finally:
        db.close()


def _top(service: RetrieverService, query: str) -> str:
    response = service.query_corpus(
        OWNER, "corpora/c", QueryCorpusRequest(query=query, results_count=1)
    )
    hit = (response.relevant_chunks or [])[0]
    return (hit.chunk.data.string_value or "") if hit.chunk and hit.chunk.data else ""


def test_the_app_refuses_another_embedder_before_serving(tmp_path: Path) -> None:
    _store(tmp_path, 3)
    with pytest.raises(EmbedderMismatchError, match=r"hash \(64 dimensions\).*hash \(32"):
        create_app(ServerConfig(data_dir=tmp_path, embedder=NEW))
    assert stored_embedder(tmp_path) == "hash:64"
    create_app(ServerConfig(data_dir=tmp_path, embedder=OLD))
    create_app(ServerConfig(data_dir=tmp_path, embedder=NEW, reindex=True))
    assert stored_embedder(tmp_path / "nothing-here") is None


def test_reindex_stops_resumes_and_switches_at_once(tmp_path: Path) -> None:
    _store(tmp_path, 120)
    before = _vectors(tmp_path)
    db = Database.open(tmp_path)
    stop = threading.Event()
    seen: list[ReindexProgress] = []

    def stop_after_two(state: ReindexProgress) -> None:
        seen.append(state)
        if len(seen) == 2:
            stop.set()

    try:
        assert not Reindexer(db, load_embedder(NEW), batch_size=25, progress=stop_after_two).run(
            stop
        )
    finally:
        db.close()
    assert [(s.done, s.total) for s in seen] == [(25, 120), (50, 120)]
    # Interrupted: the old vectors are untouched and still serve.
    assert _vectors(tmp_path) == before
    assert stored_embedder(tmp_path) == "hash:64"
    old = RetrieverService.open(tmp_path, embedder=load_embedder(OLD))
    try:
        assert _top(old, "topic7") == "topic7 text 7"
    finally:
        old.close()
    db = Database.open(tmp_path)
    resumed: list[ReindexProgress] = []
    try:
        assert Reindexer(db, load_embedder(NEW), batch_size=25, progress=resumed.append).run()
        with db.read() as conn:
            assert conn.execute("SELECT COUNT(*) FROM pending_vectors").fetchone()[0] == 0
    finally:
        db.close()
    # Resumed where it stopped: only the 70 chunks left were embedded.
    assert resumed[-1].finished and resumed[-1].embedded == 70
    assert str(resumed[-1]).startswith("re-embedded 120/120 chunks with hash (32 dimensions)")
    after = _vectors(tmp_path)
    embedder = load_embedder(NEW)
    for text, vector in after.items():
        assert np.allclose(np.frombuffer(vector, dtype="<f4"), embedder.embed([text])[0])
    new = RetrieverService.open(tmp_path, embedder=embedder)
    try:
        assert _top(new, "topic7") == "topic7 text 7"
    finally:
        new.close()


def test_a_reindex_for_another_embedder_starts_over(tmp_path: Path) -> None:
    _store(tmp_path, 60)
    db = Database.open(tmp_path)
    stop = threading.Event()
    try:
        Reindexer(db, load_embedder("hash:16"), batch_size=20, progress=lambda _: stop.set()).run(
            stop
        )
        progress: list[ReindexProgress] = []
        assert Reindexer(db, load_embedder(NEW), batch_size=20, progress=progress.append).run()
        assert progress[-1].embedded == 60
        with db.read() as conn:
            assert conn.execute(
                "SELECT value FROM settings WHERE key = ?", (EMBEDDER_SETTING,)
            ).fetchone() == ("hash:32",)
            lengths = {row[0] for row in conn.execute("SELECT length(vector) FROM chunks")}
        assert lengths == {4 * 32}
    finally:
        db.close()


def test_serving_while_reindexing_keeps_writes_and_switches(tmp_path: Path) -> None:
    """``serve --reindex``: the old vectors serve, writes made meanwhile (behind and ahead
    of the re-embedding) are re-embedded too, and the service switches embedders when the
    new vectors are all in place."""
    names = _store(tmp_path, 300)
    service = RetrieverService.open(tmp_path, embedder=load_embedder(NEW), reindex=True)
    try:
        assert service._embedder.dimensions == 64  # serving the stored vectors
        assert _top(service, "topic5") == "topic5 text 5"
        writes: list[str] = []

        def write_meanwhile(state: ReindexProgress) -> None:
            if not writes:  # after the first batch: names[0] already has a pending vector
                service.update_chunk(OWNER, names[0], chunk("quokka island"), "data")
                service.create_chunk(OWNER, DOC, chunk("zebra crossing"))
                service.delete_chunk(OWNER, names[-1])
                writes.append("done")
                assert _top(service, "zebra") == "zebra crossing"  # old embedder still

        target = load_embedder(NEW)
        reindexer = Reindexer(service._db, target, batch_size=50, progress=write_meanwhile)
        assert reindexer.run(on_switch=lambda: service._use(target))
        assert service._embedder is target
        assert _top(service, "quokka") == "quokka island"
        assert _top(service, "zebra") == "zebra crossing"
        service.create_chunk(OWNER, DOC, chunk("walrus beach"))
        assert _top(service, "walrus") == "walrus beach"
    finally:
        service.close()
    embedder = load_embedder(NEW)
    vectors = _vectors(tmp_path)
    assert len(vectors) == 301 and "topic299 text 299" not in vectors
    for text, vector in vectors.items():
        assert np.allclose(np.frombuffer(vector, dtype="<f4"), embedder.embed([text])[0]), text
    assert stored_embedder(tmp_path) == "hash:32"


def test_serve_reindex_runs_in_the_background(tmp_path: Path) -> None:
    _store(tmp_path, 150)
    service = RetrieverService.open(tmp_path, embedder=load_embedder(NEW), reindex=True)
    try:
        assert service.start_reindex()
        deadline = time.monotonic() + 30
        while service._embedder.dimensions != 32:
            assert time.monotonic() < deadline, "the re-embedding did not finish"
            time.sleep(0.05)
        assert _top(service, "topic9") == "topic9 text 9"
    finally:
        service.close()
    assert stored_embedder(tmp_path) == "hash:32"


def test_closing_stops_a_reindex_between_batches(tmp_path: Path) -> None:
    _store(tmp_path, 400)
    service = RetrieverService.open(tmp_path, embedder=load_embedder("minilm"), reindex=True)
    assert service.vitals().reindex is None
    service.start_reindex()
    time.sleep(0.5)
    # /metrics sees its progress (ragkit_reindex_chunks_done/total) after the first batch.
    deadline = time.monotonic() + 30
    while (running := service.vitals().reindex) is None:
        assert time.monotonic() < deadline, "no progress reported"
        time.sleep(0.02)
    assert running.total == 400 and 0 < running.done < 400
    started = time.monotonic()
    service.close()
    assert time.monotonic() - started < 5
    assert stored_embedder(tmp_path) == "hash:64"


class _SetAfter(threading.Event):
    """An event that reads as set from its ``n``-th check on."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.checks, self.n = 0, n

    def is_set(self) -> bool:
        self.checks += 1
        return self.checks >= self.n or super().is_set()


def test_closing_stops_an_index_load_midway(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ragkit.server.errors import ApiError
    from ragkit.server.lexical_index import CorpusLexicalIndexes
    from ragkit.server.service import indexes as indexes_module
    from ragkit.types import Code

    _store(tmp_path, 120)
    monkeypatch.setattr(indexes_module, "_LOAD_PAGE", 25)
    monkeypatch.setattr("ragkit.server.lexical_index._LOAD_PAGE", 25)
    db = Database.open(tmp_path)
    try:
        stop = _SetAfter(3)  # two pages read, then the server closes
        lexical = CorpusLexicalIndexes(db, 2, stop=stop)
        vectors = indexes_module.CorpusIndexes(db, load_embedder(OLD), lexical=lexical, stop=stop)
        with pytest.raises(ApiError) as stopped:
            vectors.get(1)
        assert stopped.value.code is Code.UNAVAILABLE and stop.checks == 3
        assert not vectors.loaded(1)  # nothing half-loaded is kept
        assert vectors.warm(stop, keywords=True) == (0, 0)
        assert not lexical.loaded(1)
        running = indexes_module.CorpusIndexes(db, load_embedder(OLD))
        assert len(running.get(1)) == 120
    finally:
        db.close()
