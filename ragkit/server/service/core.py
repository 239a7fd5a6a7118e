"""State shared by every part of :class:`~ragkit.server.service.RetrieverService`."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from ragkit.server.lexical_index import DEFAULT_RANKING, CorpusLexicalIndexes, Ranking
from ragkit.server.models.answerer import Answerer
from ragkit.server.models.embedding import Embedder
from ragkit.server.service.indexes import CorpusIndexes
from ragkit.server.service.paging import PageTokens
from ragkit.server.service.quotas import Quotas
from ragkit.server.service.reindex import ReindexProgress
from ragkit.server.service.search import ChunkSearch, MemorySearch, PgSearch, pg_admin
from ragkit.server.service.vitals import WarmUpProgress
from ragkit.server.store import Database
from ragkit.server.store.folder_lock import FolderLock
from ragkit.server.store.work_leases import WorkLeases, new_holder
from ragkit.server.tiered_index import DEFAULT_ANN_THRESHOLD
from ragkit.types import ChunkState

__all__ = ["ServiceCore"]

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
        self._indexes = CorpusIndexes(
            db,
            embedder,
            lexical=self._lexical,
            stop=self._stop_warming,
            ann_threshold=ann_threshold,
        )
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
            )
        return MemorySearch(
            db,
            ranking=self._ranking,
            indexes=lambda: self._indexes,
            lexical=self._lexical,
            warmed=self._warmed,
        )

    def _now(self) -> datetime:
        """UTC now, strictly increasing, so an update always moves update_time forward."""
        with self._clock:
            now = max(datetime.now(UTC), self._last + _TICK)
            self._last = now
            return now
