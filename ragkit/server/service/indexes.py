"""One :class:`~ragkit.server.index.VectorIndex` per corpus, loaded lazily from SQLite.

An index is built the first time its corpus is queried, from the vectors stored with the
chunks, read page by page so that closing the server (``stop``) interrupts a long load.
Writes update loaded indexes only after their transaction commits (see
:meth:`ragkit.server.store.Database.after_commit`), so an index never holds a vector the
database does not. Chunks without a usable vector (left by a ragkit that dropped vectors
on an embedder change) are re-embedded and written back before the index is built.

Locking (:class:`~ragkit.server.corpus_cache.CorpusCache`): loading holds the corpus's lock
while it reads; applying a committed change takes the same lock. Whichever comes first, the
loaded index ends up with the change.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from ragkit.server.corpus_cache import CorpusCache
from ragkit.server.errors import ApiError
from ragkit.server.index import VectorIndex
from ragkit.server.lexical_index import CorpusLexicalIndexes
from ragkit.server.models.embedding import Embedder, EmbedKind
from ragkit.server.service.vitals import IndexStats, WarmUpProgress
from ragkit.server.store import Database
from ragkit.server.store.chunks import missing_vectors, set_vectors, stored_vectors, vector_blob
from ragkit.server.store.dialect import Connection
from ragkit.server.tiered_index import DEFAULT_ANN_THRESHOLD, TieredIndex
from ragkit.types import ChunkState, Code

__all__ = ["BulkEmbedder", "CorpusIndexes", "embed_texts", "refuse_if_busy"]

_ACTIVE = ChunkState.STATE_ACTIVE.value
# Rows read (or re-embedded) between two checks of the stop event.
_LOAD_PAGE = 20_000
_REPAIR_PAGE = 256


def _check_running(stop: threading.Event | None) -> None:
    if stop is not None and stop.is_set():
        raise ApiError(Code.UNAVAILABLE, "The server is shutting down; retry later.")


@runtime_checkable
class BulkEmbedder(Protocol):
    """An embedder with a separate, bounded lane for bulk work (the server's
    :class:`~ragkit.server.models.scheduler.EmbeddingScheduler`)."""

    def embed_bulk(
        self, texts: Sequence[str], *, kind: EmbedKind = "document"
    ) -> npt.NDArray[np.float32]: ...

    def refuse_if_full(self) -> None: ...


def refuse_if_busy(embedder: Embedder) -> None:
    """Answer 429 now, before a write tokenises and checks its chunks, if the bulk lane
    has no room (:meth:`~ragkit.server.models.scheduler.EmbeddingScheduler.refuse_if_full`)."""
    if isinstance(embedder, BulkEmbedder):
        embedder.refuse_if_full()


def embed_texts(
    embedder: Embedder, texts: Sequence[str], *, kind: str = "document"
) -> npt.NDArray[np.float32]:
    """Embed ``texts`` as bulk work (chunk writes, index repair); shape ``(n, dimensions)``.

    With the server's scheduler this is its bounded bulk lane, which may raise ApiError
    RESOURCE_EXHAUSTED (full) or CANCELLED (client gone); a plain embedder is called
    directly, in slices of ``embedder.batch_size``.
    """
    if not texts:
        return np.empty((0, embedder.dimensions), dtype=np.float32)
    if isinstance(embedder, BulkEmbedder):
        vectors = embedder.embed_bulk(texts, kind="query" if kind == "query" else "document")
        return vectors.astype(np.float32, copy=False)
    step = max(1, embedder.batch_size)
    parts = [
        embedder.embed(texts[i : i + step], kind="query" if kind == "query" else "document")
        for i in range(0, len(texts), step)
    ]
    return np.concatenate(parts).astype(np.float32, copy=False)


#: Checks, in a transaction, that the store's vectors are the embedder's (raising if not).
Guard = Callable[[Connection, Embedder], None]


class CorpusIndexes:
    """The loaded indexes, keyed by corpus row id.

    ``guard`` runs in every transaction that reads or writes vectors for an index (the
    service's :func:`~ragkit.server.service.store_embedder.require_store_embedder`), so an
    index never mixes vectors of two embedders when another server switches the store.
    """

    def __init__(
        self,
        db: Database,
        embedder: Embedder,
        *,
        lexical: CorpusLexicalIndexes | None = None,
        stop: threading.Event | None = None,
        ann_threshold: int = DEFAULT_ANN_THRESHOLD,
        guard: Guard | None = None,
    ) -> None:
        self._db = db
        self._embedder = embedder
        self._stop = stop
        self._guard = guard
        # Keyword (BM25) indexes follow the same committed changes as the vector indexes.
        self.lexical = lexical
        self._ann_threshold = ann_threshold
        self._cache: CorpusCache[VectorIndex] = CorpusCache(self._load)
        # The warm-up under way, which counts the rows every load reads.
        self._warm_up: WarmUpProgress | None = None

    def get(self, corpus_id: int) -> VectorIndex:
        """The corpus's index, loading it on first use."""
        if not self._cache.loaded(corpus_id):
            self._repair(corpus_id)
        return self._cache.get(corpus_id)

    @property
    def embedder(self) -> Embedder:
        """The embedder whose vectors these indexes hold (embed queries with it)."""
        return self._embedder

    def loaded(self, corpus_id: int) -> bool:
        """Whether the corpus's index is in memory."""
        return self._cache.loaded(corpus_id)

    def check(self, conn: Connection) -> None:
        """Run the guard in the caller's transaction: the store's vectors are this
        embedder's."""
        if self._guard is not None:
            self._guard(conn, self._embedder)

    def check_store(self) -> None:
        """:meth:`check` in a read transaction of its own (for a query embedded after its
        index loaded)."""
        if self._guard is not None:
            with self._db.read() as conn:
                self._guard(conn, self._embedder)

    def _load(self, corpus_id: int) -> VectorIndex:
        index = TieredIndex(self._embedder.dimensions, threshold=self._ann_threshold)
        after = 0
        while True:
            _check_running(self._stop)
            with self._db.read() as conn:
                self.check(conn)
                ids, vectors = stored_vectors(
                    conn,
                    corpus_id,
                    _ACTIVE,
                    self._embedder.dimensions,
                    after=after,
                    limit=_LOAD_PAGE,
                )
            if len(ids):
                index.add(ids, vectors)
                warm_up = self._warm_up
                if warm_up is not None:
                    warm_up.add_chunks(len(ids))
            if len(ids) < _LOAD_PAGE:
                return index
            after = int(ids[-1])

    def _repair(self, corpus_id: int) -> None:
        """Embed and store vectors for chunks that lack one for this embedder."""
        dims = self._embedder.dimensions
        with self._db.read() as conn:
            self.check(conn)
            missing = missing_vectors(conn, corpus_id, _ACTIVE, dims)
        for start in range(0, len(missing), _REPAIR_PAGE):
            _check_running(self._stop)
            page = missing[start : start + _REPAIR_PAGE]
            vectors = embed_texts(self._embedder, [text for _, text in page])
            with self._db.write() as conn:
                self.check(conn)
                set_vectors(
                    conn,
                    (
                        (chunk_id, vector_blob(v))
                        for (chunk_id, _), v in zip(page, vectors, strict=True)
                    ),
                    only_if_missing=dims,
                )

    def apply(
        self,
        corpus_id: int,
        *,
        added: tuple[Sequence[int], npt.NDArray[np.float32]] | None = None,
        removed: Sequence[int] = (),
    ) -> None:
        """Mirror a committed change into the corpus's index, if it is loaded."""
        if self.lexical is not None:
            self.lexical.apply(corpus_id, added=added[0] if added else (), removed=removed)

        def change(index: VectorIndex) -> None:
            if removed:
                index.remove(removed)
            if added is not None and len(added[0]):
                index.add(added[0], added[1])

        self._cache.update(corpus_id, change)

    def drop(self, corpus_id: int) -> None:
        """Forget a deleted corpus's index."""
        if self.lexical is not None:
            self.lexical.drop(corpus_id)
        self._cache.drop(corpus_id)

    def corpora_to_warm(self) -> list[int]:
        """Row ids of the corpora holding chunks, most recently changed first."""
        return [corpus_id for corpus_id, _ in self._warm_plan()]

    def _warm_plan(self) -> list[tuple[int, int]]:
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT id, chunk_count FROM corpora WHERE chunk_count > 0 "
                "ORDER BY update_time DESC, id"
            ).fetchall()
        return [(int(corpus_id), int(count)) for corpus_id, count in rows]

    def stats(self) -> IndexStats:
        """Sizes of the loaded indexes and the state of their HNSW graphs."""
        sizes: list[int] = []
        ready = building = graph_vectors = 0
        for index in self._cache.items():
            size = len(index)
            sizes.append(size)
            if isinstance(index, TieredIndex):
                if index.ann_ready:
                    ready += 1
                    graph_vectors += size
                building += index.ann_building
        return IndexStats(
            corpora=len(sizes),
            vectors=sum(sizes),
            largest=max(sizes, default=0),
            hnsw_ready=ready,
            hnsw_building=building,
            hnsw_vectors=graph_vectors,
        )

    def warm(
        self,
        stop: threading.Event,
        *,
        keywords: bool = False,
        progress: WarmUpProgress | None = None,
    ) -> tuple[int, int]:
        """Load every corpus's index that holds chunks, most recently changed first, until
        ``stop`` is set; returns how many corpora and chunks were loaded. With ``keywords``,
        each corpus's BM25 index is built too (for the ``bm25`` and ``hybrid`` rankings).
        ``progress`` is kept up to date as pages of vectors load.

        A query that arrives meanwhile waits only if it needs the corpus being loaded.
        """
        plan = self._warm_plan()
        if progress is not None:
            progress.corpora_total = len(plan)
            progress.chunks_total = sum(count for _, count in plan)
        self._warm_up = progress
        corpora = chunks = 0
        try:
            for corpus_id, _ in plan:
                if stop.is_set():
                    break
                try:
                    if keywords and self.lexical is not None:
                        self.lexical.get(corpus_id)
                    if self.loaded(corpus_id):  # by a query, whose load counted its rows
                        if progress is not None:
                            progress.corpus_done()
                        continue
                    chunks += len(self.get(corpus_id))
                except ApiError as error:
                    if error.code is Code.UNAVAILABLE:  # stopped mid-load: closing
                        break
                    raise
                corpora += 1
                if progress is not None:
                    progress.corpus_done()
        finally:
            self._warm_up = None
        return corpora, chunks
