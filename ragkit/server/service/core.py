"""State shared by every part of :class:`~ragkit.server.service.RetrieverService`."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from ragkit.server.lexical_index import DEFAULT_RANKING, CorpusLexicalIndexes, Ranking
from ragkit.server.models.answerer import Answerer
from ragkit.server.models.embedding import Embedder
from ragkit.server.service.indexes import CorpusIndexes
from ragkit.server.service.paging import PageTokens
from ragkit.server.service.quotas import Quotas
from ragkit.server.service.reindex import ReindexProgress, describe_embedder, embedder_identity
from ragkit.server.service.search import ChunkSearch, MemorySearch, PgSearch, pg_admin
from ragkit.server.service.store_embedder import (
    StaleEmbedder,
    load_store_embedder,
    require_store_embedder,
)
from ragkit.server.service.vitals import WarmUpProgress
from ragkit.server.store import Database
from ragkit.server.store.folder_lock import FolderLock
from ragkit.server.store.work_leases import WorkLeases, new_holder
from ragkit.server.tiered_index import DEFAULT_ANN_THRESHOLD
from ragkit.types import ChunkState

__all__ = ["ServiceCore"]

logger = logging.getLogger("ragkit.server")

_T = TypeVar("_T")
_TICK = timedelta(microseconds=1)


class ServiceCore:
    """Database, models, quotas, page tokens, indexes (vector and BM25), ranking and a clock."""

    def __init__(
        self,
        db: Database,
        *,
        embedder: Embedder,
        answerer: Answerer,
        quotas: Quotas,
        pages: PageTokens,
        ranking: Ranking = DEFAULT_RANKING,
        ann_threshold: int = DEFAULT_ANN_THRESHOLD,
    ) -> None:
        self._db = db
        self._embedder = embedder
        self._answerer = answerer
        self._quotas = quotas
        self._pages = pages
        self._ranking: Ranking = ranking
        self._ann_threshold = ann_threshold
        # Set on close: stops index loading and re-embedding between two steps.
        self._stop_warming = threading.Event()
        self._lexical = CorpusLexicalIndexes(
            db, ChunkState.STATE_ACTIVE.value, stop=self._stop_warming
        )
        self._indexes = self._new_indexes(embedder)
        self._clock = threading.Lock()
        self._last = datetime.min.replace(tzinfo=UTC)
        # Background loading of the vector indexes (RetrieverService.start_warming).
        self._warmer: threading.Thread | None = None
        # Cleared while the warm-up runs: queries needing an unloaded index answer 503.
        self._warmed = threading.Event()
        self._warmed.set()
        # Where queries are ranked: in memory (SQLite) or in PostgreSQL with pgvector.
        self._search = self._make_search(db)
        # Background re-embedding with another embedder (RetrieverService.start_reindex).
        self._reindex_to: Embedder | None = None
        self._reindexer: threading.Thread | None = None
        # Shared lock on the data folder (RetrieverService.open), released by close().
        self._folder_lock: FolderLock | None = None
        # Progress of the start-up warm-up and of a re-embedding, for /metrics.
        self._warm_up: WarmUpProgress | None = None
        self._reindex_progress: ReindexProgress | None = None
        # Which server of many on one database re-embeds, or runs a File Search import.
        self._work_leases = WorkLeases(db, new_holder())
        # Switching embedders (_use), and the embedders this server has, by identity.
        self._switching = threading.RLock()
        self._embedders = {embedder_identity(embedder): embedder}

    def _make_search(self, db: Database) -> ChunkSearch:
        if db.dialect == "postgres":
            from ragkit.server.store.postgres import PostgresDatabase

            assert isinstance(db, PostgresDatabase)
            return PgSearch(
                db,
                ranking=self._ranking,
                embedder=lambda: self._indexes.embedder,
                admin=pg_admin(db.url, db.schema),
                threshold=self._ann_threshold,
                guard=require_store_embedder,
            )
        return MemorySearch(
            db,
            ranking=self._ranking,
            indexes=lambda: self._indexes,
            lexical=self._lexical,
            warmed=self._warmed,
        )

    def _embedding(self, attempt: Callable[[], _T]) -> _T:
        """Run ``attempt``, a request that embeds; if it found the store re-embedded with
        another embedder (:class:`StaleEmbedder`: its transaction rolled back), switch to
        that embedder and run it once more.

        Raises:
            ApiError: UNAVAILABLE (with ``Retry-After``) when this server cannot load the
                store's embedder, or the store switched again during the second run.
        """
        try:
            return attempt()
        except StaleEmbedder as stale:
            self._follow_store(stale.stored)
        return attempt()

    def _follow_store(self, stored: str) -> None:
        """Serve with the embedder of identity ``stored``, which another server switched
        the store to (see :mod:`ragkit.server.service.store_embedder`)."""
        with self._switching:
            serving = embedder_identity(self._embedder)
            if serving == stored:
                return  # another request switched already
            embedder = self._embedders.get(stored)
            if embedder is None:
                embedder = load_store_embedder(stored, serving=serving)
            logger.warning(
                "the store was re-embedded with %s by another server; switching from %s",
                describe_embedder(stored),
                describe_embedder(serving),
            )
            self._use(embedder)

    def _use(self, embedder: Embedder) -> None:
        """Serve with ``embedder`` from now on (its vectors are the store's). A write made
        with the previous one meanwhile finds the store's embedder changed when it checks,
        in its transaction, and runs again (:meth:`_embedding`)."""
        identity = embedder_identity(embedder)
        with self._switching:
            self._embedders[identity] = embedder
            target = self._reindex_to
            if target is not None and embedder_identity(target) == identity:
                self._reindex_to = None
            if embedder is self._embedder:
                return  # followed already (_follow_store)
            if self._answerer.embedder is self._embedder:
                self._answerer.embedder = embedder
            self._embedder = embedder
            # One attribute swap: a query holds either the old indexes or the new, never a mix.
            self._indexes = self._new_indexes(embedder)

    def _new_indexes(self, embedder: Embedder) -> CorpusIndexes:
        """Empty vector indexes for ``embedder``'s vectors, loaded on demand, each load
        checking that the store's vectors are still that embedder's."""
        return CorpusIndexes(
            self._db,
            embedder,
            lexical=self._lexical,
            stop=self._stop_warming,
            ann_threshold=self._ann_threshold,
            guard=require_store_embedder,
        )

    def _now(self) -> datetime:
        """UTC now, strictly increasing, so an update always moves update_time forward."""
        with self._clock:
            now = max(datetime.now(UTC), self._last + _TICK)
            self._last = now
            return now
