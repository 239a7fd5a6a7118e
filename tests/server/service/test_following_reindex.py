"""A replica started without ``--reindex`` follows another's re-embedding (issue #15.3).

Two services over one store, as two replicas (or two processes on one data folder) run:
``stale`` serves the old embedder and was started without ``--reindex``; ``reindexing``
re-embeds the store with a new one and switches it. From then on ``stale`` must query and
write with the new embedder (or answer 503 if it cannot load it), never with the old one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from ragkit.server.errors import ApiError
from ragkit.server.models.embedding import load_embedder
from ragkit.server.service import RetrieverService
from ragkit.server.service.reindex import EMBEDDER_SETTING
from ragkit.server.store.chunks import stored_vectors
from ragkit.server.store.settings import get_setting
from ragkit.types import (
    BatchCreateChunksRequest,
    Chunk,
    ChunkData,
    ChunkState,
    Code,
    Corpus,
    CreateChunkRequest,
    Document,
    QueryCorpusRequest,
)

from .conftest import OWNER, chunk

pytestmark = pytest.mark.both_backends

DOC = "corpora/c/documents/d"
OLD, NEW = "hash:64", "hash:32"
ACTIVE = ChunkState.STATE_ACTIVE.value


class Embedder:
    """A hash embedder that can run ``before_embed`` once, on its next call (to make
    another replica switch the store between a request's read and its write), and may
    go by another name (an embedder other servers cannot load)."""

    def __init__(self, spec: str, name: str | None = None) -> None:
        self._inner = load_embedder(spec)
        self.name = name or self._inner.name
        self.dimensions, self.batch_size = self._inner.dimensions, self._inner.batch_size
        self.before_embed: Callable[[], None] | None = None

    def embed(self, texts: Sequence[str], *, kind: str = "document") -> npt.NDArray[np.float32]:
        hook, self.before_embed = self.before_embed, None
        if hook is not None:
            hook()
        return self._inner.embed(texts, kind=kind)  # type: ignore[arg-type]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class Replicas:
    """``stale`` (the old embedder, no ``--reindex``) over a store of 40 chunks, and the
    means to start a ``--reindex`` replica that re-embeds it."""

    def __init__(self, data_dir: Path, database_url: str | None) -> None:
        self._data_dir, self._url = data_dir, database_url
        self.old = Embedder(OLD)
        self.stale = self._open(self.old)
        self.stale.create_corpus(OWNER, Corpus(name="c"))
        self.stale.create_document(OWNER, "corpora/c", Document(name="d"))
        items = [
            CreateChunkRequest(chunk=Chunk(data=ChunkData(string_value=f"topic{i} text {i}")))
            for i in range(40)
        ]
        self.stale.batch_create_chunks(OWNER, DOC, BatchCreateChunksRequest(requests=items))
        self.stale.query_corpus(OWNER, "corpora/c", _query("topic3"))  # loads its index
        self.reindexing: RetrieverService | None = None

    def _open(self, embedder: Any, *, reindex: bool = False) -> RetrieverService:
        return RetrieverService.open(
            self._data_dir, embedder=embedder, database_url=self._url, reindex=reindex
        )

    def re_embed(self, target: Any) -> RetrieverService:
        """Start a ``--reindex`` replica for ``target`` and wait until it switched."""
        self.reindexing = self._open(target, reindex=True)
        assert self.reindexing.start_reindex()
        assert self.reindexing._reindexer is not None
        self.reindexing._reindexer.join(30)
        assert self.reindexing._embedder is target, "the re-embedding did not finish"
        return self.reindexing

    def vectors(self) -> dict[str, npt.NDArray[np.float32]]:
        """Every chunk's stored vector by text; fails if one is not NEW-sized."""
        service = self.stale
        with service._db.read() as conn:
            assert get_setting(conn, EMBEDDER_SETTING) == "hash:32"
            texts = dict(conn.execute("SELECT id, text FROM chunks").fetchall())
            corpus = conn.execute("SELECT id FROM corpora").fetchone()[0]
            ids, matrix = stored_vectors(conn, corpus, ACTIVE, 32)
        assert sorted(int(i) for i in ids) == sorted(texts), "a vector is not the new model's"
        return {texts[int(i)]: row for i, row in zip(ids, matrix, strict=True)}

    def close(self) -> None:
        for service in (self.stale, self.reindexing):
            if service is not None:
                service.close()


@pytest.fixture
def replicas(tmp_path: Path, database_url: str | None) -> Iterator[Replicas]:
    opened = Replicas(tmp_path, database_url)
    yield opened
    opened.close()


def _query(text: str) -> QueryCorpusRequest:
    return QueryCorpusRequest(query=text, results_count=10)


def _hits(service: RetrieverService, text: str) -> list[tuple[str, float]]:
    response = service.query_corpus(OWNER, "corpora/c", _query(text))
    return [
        (hit.chunk.name or "", hit.chunk_relevance_score or 0.0)
        for hit in response.relevant_chunks or []
        if hit.chunk is not None
    ]


def test_a_stale_replica_queries_with_the_new_embedder(
    replicas: Replicas, caplog: pytest.LogCaptureFixture
) -> None:
    reindexing = replicas.re_embed(load_embedder(NEW))
    expected = _hits(reindexing, "topic7 text")
    assert len(expected) == 10
    with caplog.at_level(logging.INFO, "ragkit.server"):
        assert _hits(replicas.stale, "topic7 text") == expected
        assert _hits(replicas.stale, "topic12") == _hits(reindexing, "topic12")
    assert replicas.stale._embedder.name == "hash" and replicas.stale._embedder.dimensions == 32
    switches = [r.getMessage() for r in caplog.records if "switching from" in r.getMessage()]
    assert switches == [
        "the store was re-embedded with hash (32 dimensions) by another server; switching "
        "from hash (64 dimensions)"
    ]


def test_a_stale_replica_with_no_index_loaded_never_repairs_with_the_old_model(
    replicas: Replicas, tmp_path: Path, database_url: str | None
) -> None:
    cold = RetrieverService.open(tmp_path, embedder=Embedder(OLD), database_url=database_url)
    try:
        new = load_embedder(NEW)
        reindexing = replicas.re_embed(new)
        # On SQLite its first query loads the corpus's index, which re-embeds chunks whose
        # vector does not fit its embedder: that must not be the old embedder.
        assert _hits(cold, "topic9 text") == _hits(reindexing, "topic9 text")
    finally:
        cold.close()
    for text, vector in replicas.vectors().items():
        assert np.allclose(vector, new.embed([text])[0]), text


def test_a_query_racing_the_switch_answers_with_the_new_embedder(replicas: Replicas) -> None:
    new = load_embedder(NEW)
    # The switch commits after the stale replica embedded the query, before it searches.
    replicas.old.before_embed = lambda: replicas.re_embed(new) and None
    hits = _hits(replicas.stale, "topic5 text")
    assert replicas.reindexing is not None
    assert hits == _hits(replicas.reindexing, "topic5 text")


def test_a_stale_replicas_writes_store_the_new_models_vectors(replicas: Replicas) -> None:
    new = load_embedder(NEW)
    replicas.re_embed(new)
    stale = replicas.stale
    created = stale.create_chunk(OWNER, DOC, chunk("walrus beach"))
    stale.batch_create_chunks(
        OWNER,
        DOC,
        BatchCreateChunksRequest(
            requests=[CreateChunkRequest(chunk=chunk(f"quokka island {i}")) for i in range(3)]
        ),
    )
    stale.update_chunk(OWNER, created.name or "", chunk("zebra crossing"), "data")
    vectors = replicas.vectors()
    assert len(vectors) == 44 and "walrus beach" not in vectors
    for text, vector in vectors.items():
        assert np.allclose(vector, new.embed([text])[0]), text
    assert _hits(stale, "zebra")[0][0] == created.name


def test_a_create_racing_the_switch_never_commits_an_old_vector(replicas: Replicas) -> None:
    new = load_embedder(NEW)
    # The switch commits after the stale replica embedded the chunks, before it writes.
    replicas.old.before_embed = lambda: replicas.re_embed(new) and None
    replicas.stale.batch_create_chunks(
        OWNER,
        DOC,
        BatchCreateChunksRequest(
            requests=[CreateChunkRequest(chunk=chunk(f"raced {i}")) for i in range(3)]
        ),
    )
    vectors = replicas.vectors()
    assert len(vectors) == 43 and "raced 2" in vectors
    for text, vector in vectors.items():
        assert np.allclose(vector, new.embed([text])[0]), text


def test_an_update_racing_the_switch_never_commits_an_old_vector(replicas: Replicas) -> None:
    new = load_embedder(NEW)
    replicas.old.before_embed = lambda: replicas.re_embed(new) and None
    name = f"{DOC}/chunks/{_first_id(replicas.stale)}"
    replicas.stale.update_chunk(OWNER, name, chunk("raced update"), "data")
    vectors = replicas.vectors()
    assert len(vectors) == 40 and "raced update" in vectors
    for text, vector in vectors.items():
        assert np.allclose(vector, new.embed([text])[0]), text


def test_a_replica_that_cannot_load_the_stores_embedder_answers_503(replicas: Replicas) -> None:
    stale = replicas.stale
    with stale._db.read() as conn:
        before = conn.execute("SELECT id, text FROM chunks ORDER BY id").fetchall()
    # A write racing the switch to an embedder this replica does not have commits nothing.
    private = Embedder("hash:48", name="private-model")
    replicas.old.before_embed = lambda: replicas.re_embed(private) and None
    calls: list[Callable[[], object]] = [
        lambda: stale.batch_create_chunks(
            OWNER, DOC, BatchCreateChunksRequest(requests=[CreateChunkRequest(chunk=chunk("x"))])
        ),
        lambda: stale.query_corpus(OWNER, "corpora/c", _query("topic3")),
        lambda: stale.create_chunk(OWNER, DOC, chunk("y")),
        lambda: stale.update_chunk(OWNER, f"{DOC}/chunks/{_first_id(stale)}", chunk("z"), "data"),
    ]
    for call in calls:
        with pytest.raises(ApiError) as refused:
            call()
        error = refused.value
        assert error.code is Code.UNAVAILABLE and error.retry_after == 1, error.message
        assert "private-model (48 dimensions)" in error.message
        assert "Restart it with --embedder private-model" in error.message
    with stale._db.read() as conn:
        assert conn.execute("SELECT id, text FROM chunks ORDER BY id").fetchall() == before
    assert stale._embedder is replicas.old  # still the old one, never used on new vectors


def _first_id(service: RetrieverService) -> str:
    with service._db.read() as conn:
        return str(conn.execute("SELECT name FROM chunks ORDER BY id LIMIT 1").fetchone()[0])
