"""The one seam between queries and where vectors are searched.

:class:`ChunkSearch` ranks a corpus's ACTIVE chunks for a query text; the query service
(:mod:`ragkit.server.service.query`) calls only this, then applies the title boost and
reads the hits. Two implementations:

- :class:`MemorySearch` (SQLite): the per-corpus in-memory vector and BM25 indexes
  (:mod:`ragkit.server.service.indexes`, :mod:`ragkit.server.lexical_index`), with the
  filtered candidates computed in SQL and cached until the next commit;
- :class:`PgSearch` (PostgreSQL): the search runs in SQL with pgvector
  (:mod:`ragkit.server.pgvector_search`), filters included, so nothing is held in the
  process and every replica answers from the database alone. It serves the ``dense``
  ranking; ``bm25`` and ``hybrid`` need the in-memory keyword index, which replicas could
  not keep in step, so on PostgreSQL they are refused (FAILED_PRECONDITION), never
  silently ranked otherwise.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from ragkit.server.errors import ApiError
from ragkit.server.lexical_index import (
    CorpusLexicalIndexes,
    Ranking,
    postgres_ranking_problem,
    rank,
)
from ragkit.server.models.embedding import Embedder
from ragkit.server.pgvector_search import PgVectorSearch
from ragkit.server.readiness import NotReady
from ragkit.server.service.filters import CandidateCache
from ragkit.server.service.indexes import CorpusIndexes, Guard
from ragkit.server.store import Database
from ragkit.server.store.chunks import candidate_ids
from ragkit.server.store.metadata import FilterClause
from ragkit.server.tiered_index import DEFAULT_ANN_THRESHOLD
from ragkit.types import ChunkState, Code

__all__ = ["ChunkSearch", "MemorySearch", "PgSearch", "pg_admin", "refuse_ranking_on_postgres"]

_ACTIVE = ChunkState.STATE_ACTIVE.value


class ChunkSearch(Protocol):
    """Ranks a corpus's ACTIVE chunks for a query."""

    def rank(
        self,
        corpus_row: int,
        corpus_id: str,
        text: str,
        count: int,
        *,
        document_id: int | None,
        clauses: Sequence[FilterClause],
    ) -> list[tuple[int, float]]:
        """The best ``count`` ``(chunk row id, score)`` pairs, best first, of the chunks in
        ``document_id`` (if given) passing every clause.

        Raises:
            ApiError: UNAVAILABLE (:class:`~ragkit.server.readiness.NotReady`) while the
                startup warm-up has not loaded the corpus yet; FAILED_PRECONDITION for a
                ranking this backend cannot serve.
            StaleEmbedder: another server re-embedded the store with another embedder
                (:mod:`ragkit.server.service.store_embedder`).
        """
        ...

    def forget(self, corpus_row: int) -> None:
        """A corpus was deleted: drop what was kept for it."""
        ...


class MemorySearch:
    """:class:`ChunkSearch` over the process's in-memory indexes (the SQLite backend)."""

    def __init__(
        self,
        db: Database,
        *,
        ranking: Ranking,
        indexes: Callable[[], CorpusIndexes],
        lexical: CorpusLexicalIndexes,
        warmed: threading.Event,
    ) -> None:
        self._db = db
        self._ranking: Ranking = ranking
        # Read at each query: a re-embedding swaps the service's indexes (see _use).
        self._indexes = indexes
        self._lexical = lexical
        self._warmed = warmed
        # Candidate ids of recent filtered queries, until the next commit.
        self.candidates = CandidateCache()

    def forget(self, corpus_row: int) -> None:
        pass  # the corpus's in-memory indexes are dropped with CorpusIndexes.drop

    def _check_ready(self, corpus_row: int, corpus_id: str) -> None:
        """During the startup warm-up, refuse (503) a query whose index is not loaded yet
        rather than hold it while the index loads."""
        if self._warmed.is_set():
            return
        vectors = self._ranking == "bm25" or self._indexes().loaded(corpus_row)
        keywords = self._ranking == "dense" or self._lexical.loaded(corpus_row)
        if not (vectors and keywords):
            raise NotReady(
                f"The server is still loading the index of corpora/{corpus_id} after a restart; "
                "retry shortly."
            )

    def rank(
        self,
        corpus_row: int,
        corpus_id: str,
        text: str,
        count: int,
        *,
        document_id: int | None,
        clauses: Sequence[FilterClause],
    ) -> list[tuple[int, float]]:
        self._check_ready(corpus_row, corpus_id)
        allowed = None
        if clauses or document_id is not None:
            generation = self._db.commits  # read before the snapshot: see CandidateCache

            def compute() -> npt.NDArray[np.int64]:
                with self._db.read() as conn:
                    return candidate_ids(
                        conn, corpus_row, state=_ACTIVE, document_id=document_id, clauses=clauses
                    )

            allowed = self.candidates.get(
                (corpus_row, document_id, tuple(clauses)), generation, compute
            )
            if allowed.size == 0:
                return []
        # One read: the vector indexes and the embedder that made them stay a pair even if
        # a re-embedding switches embedders meanwhile (ragkit serve --reindex).
        indexes = self._indexes()

        def query_vector() -> npt.NDArray[np.float32]:
            # The embedder's own embed(): with the server's scheduler, the priority lane.
            vector: npt.NDArray[np.float32] = indexes.embedder.embed([text], kind="query")[0]
            # Another process on this folder may have re-embedded it since the indexes
            # loaded (each load checks too): then this pair is stale.
            indexes.check_store()
            return vector

        return rank(
            self._ranking,
            text,
            count,
            vectors=lambda: indexes.get(corpus_row),
            query_vector=query_vector,
            lexical=lambda: self._lexical.get(corpus_row),
            allowed=allowed,
        )


def refuse_ranking_on_postgres(ranking: Ranking) -> None:
    """Raise FAILED_PRECONDITION for a ranking PostgreSQL cannot serve as SQLite does."""
    problem = postgres_ranking_problem(ranking)
    if problem is not None:
        raise ApiError(Code.FAILED_PRECONDITION, problem)


class PgSearch:
    """:class:`ChunkSearch` in PostgreSQL with pgvector (``dense`` ranking only).

    ``guard`` checks, in the search's transaction, that the store's vectors are those of
    the embedder the query was embedded with.
    """

    def __init__(
        self,
        db: Database,
        *,
        ranking: Ranking,
        embedder: Callable[[], Embedder],
        admin: Callable[[], AbstractContextManager[Any]],
        threshold: int = DEFAULT_ANN_THRESHOLD,
        guard: Guard,
    ) -> None:
        self._ranking: Ranking = ranking
        self._embedder = embedder
        self._guard = guard
        self.vectors = PgVectorSearch(db.read, admin, active_state=_ACTIVE, threshold=threshold)

    def rank(
        self,
        corpus_row: int,
        corpus_id: str,
        text: str,
        count: int,
        *,
        document_id: int | None,
        clauses: Sequence[FilterClause],
    ) -> list[tuple[int, float]]:
        refuse_ranking_on_postgres(self._ranking)
        embedder = self._embedder()
        vector = embedder.embed([text], kind="query")[0]
        return self.vectors.search(
            corpus_row,
            vector,
            count,
            document_id=document_id,
            clauses=clauses,
            # In the search's own snapshot: another replica may have re-embedded the store.
            check=lambda conn: self._guard(conn, embedder),
        )

    def forget(self, corpus_row: int) -> None:
        self.vectors.drop_indexes(corpus_row)


def pg_admin(url: str, schema: str) -> Callable[[], AbstractContextManager[Any]]:
    """Opens an autocommit connection on ``schema`` of the database at ``url`` (for
    ``CREATE INDEX CONCURRENTLY``), speaking the stores' ``?`` placeholders."""

    @contextmanager
    def admin() -> Any:
        import psycopg

        from ragkit.server.store.postgres import PgConnection

        with psycopg.connect(url, autocommit=True) as raw:
            raw.execute(f'SET search_path TO "{schema}", public')
            raw.execute("SET maintenance_work_mem = '512MB'")
            yield PgConnection(raw)

    return admin
