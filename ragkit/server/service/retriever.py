"""The retriever service: every Semantic Retrieval method, below the HTTP layer."""

from __future__ import annotations

import logging
import secrets
import threading
import time
from pathlib import Path

from ragkit.server.lexical_index import DEFAULT_RANKING, Ranking
from ragkit.server.models.answerer import Answerer
from ragkit.server.models.embedding import Embedder, load_embedder
from ragkit.server.models.reranker import E5Reranker
from ragkit.server.service.answer import AnswerMixin
from ragkit.server.service.chunks import ChunksMixin
from ragkit.server.service.corpora import CorporaMixin
from ragkit.server.service.documents import DocumentsMixin
from ragkit.server.service.file_search import FileSearchStoresMixin
from ragkit.server.service.overview import OverviewMixin
from ragkit.server.service.paging import PageTokens
from ragkit.server.service.permissions import PermissionsMixin
from ragkit.server.service.quotas import Quotas
from ragkit.server.service.reindex import (
    EMBEDDER_SETTING,
    EmbedderMismatchError,
    Reindexer,
    ReindexProgress,
    describe_embedder,
    embedder_identity,
    embedder_spec,
)
from ragkit.server.service.search import PgSearch
from ragkit.server.service.vitals import ServiceVitals, WarmUpProgress
from ragkit.server.store import DATABASE_FILENAME
from ragkit.server.store.backends import open_store
from ragkit.server.store.folder_lock import FolderLock
from ragkit.server.store.migrations import MIGRATIONS
from ragkit.server.store.pending_vectors import has_chunks
from ragkit.server.store.pg_migrations import PG_MIGRATIONS
from ragkit.server.store.settings import get_setting, put_setting
from ragkit.server.tiered_index import DEFAULT_ANN_THRESHOLD

__all__ = ["RetrieverService"]

logger = logging.getLogger("ragkit.server")

_SECRET_KEY = "page_token_secret"
_DEFAULT_QUOTAS = Quotas()
# Seconds between two progress lines of a re-embedding in the log.
_PROGRESS_EVERY = 5.0
# The work lease of re-embedding the store (one server of many at a time).
_REINDEX_LEASE = "reindex"


class RetrieverService(
    CorporaMixin,
    DocumentsMixin,
    ChunksMixin,
    PermissionsMixin,
    AnswerMixin,
    OverviewMixin,
    FileSearchStoresMixin,
):
    """Corpora, documents, chunks, permissions, queries and grounded answers, enforcing the
    API's rules (api.md §4-8) and persisting to SQLite in ``data_dir``.

    Every method takes the calling :class:`~ragkit.server.principal.Principal` first and
    full resource names (``corpora/c/documents/d``), speaks the wire types of
    :mod:`ragkit.types`, and raises :class:`~ragkit.server.errors.ApiError`. Methods are
    thread-safe; each runs in one SQLite transaction.

    Example::

        service = RetrieverService.open(Path("data"), embedder=load_embedder("minilm"))
        corpus = service.create_corpus(LOCAL_USER, Corpus(display_name="Docs"))
        ...
        service.close()
    """

    @classmethod
    def open(
        cls,
        data_dir: Path,
        *,
        embedder: Embedder,
        answerer: Answerer | None = None,
        reranker: E5Reranker | None = None,
        quotas: Quotas = _DEFAULT_QUOTAS,
        ranking: Ranking = DEFAULT_RANKING,
        ann_threshold: int = DEFAULT_ANN_THRESHOLD,
        reindex: bool = False,
        database_url: str | None = None,
        lease_seconds: float | None = None,
    ) -> RetrieverService:
        """Open (creating if needed) the store in ``data_dir``.

        ``ranking`` orders query results: ``"dense"`` (cosine), ``"bm25"`` (keywords) or
        ``"hybrid"`` (both; see :mod:`ragkit.server.lexical_index`). Corpora of
        ``ann_threshold`` chunks or more are searched through an HNSW index
        (:mod:`ragkit.server.tiered_index`; ``0``: always exact). ``reranker`` orders the
        passages generateAnswer grounds on (:meth:`Answerer.rerank`; ``None``: retrieval
        order).

        If the data was embedded by a different embedder (name or dimensions), opening
        fails, unless ``reindex``: then the service serves with the store's embedder and
        :meth:`start_reindex` re-embeds everything with ``embedder`` in the background,
        switching to it once done (see :mod:`ragkit.server.service.reindex`).

        With ``database_url`` (``postgresql://...``) the store is that PostgreSQL
        database instead of the SQLite file in ``data_dir``
        (:mod:`ragkit.server.store.postgres`).

        Of several servers on one database, one at a time re-embeds (the others switch
        when it is done) or runs a given File Search import, each holding a lease that
        lapses ``lease_seconds`` (default 30) after its server stops renewing it; then
        another server takes the work over. A server opened without ``reindex`` switches
        too, on its first query or chunk write after the switch
        (:mod:`ragkit.server.service.store_embedder`).

        Raises:
            EmbedderMismatchError: the store's embedder is not ``embedder`` (without
                ``reindex``).
        """
        db = open_store(
            Path(data_dir),
            database_url,
            filename=DATABASE_FILENAME,
            migrations=MIGRATIONS,
            pg_migrations=PG_MIGRATIONS,
        )
        identity = embedder_identity(embedder)
        lock: FolderLock | None = None
        try:
            if database_url is None:
                # Keeps `ragkit reindex DATA_DIR` off a served folder; PostgreSQL has no
                # folder (and no offline reindex: serve --reindex re-embeds it).
                lock = FolderLock(Path(data_dir), exclusive=False)
            with db.write() as conn:
                secret = get_setting(conn, _SECRET_KEY)
                if secret is None:
                    secret = secrets.token_hex(32)
                    put_setting(conn, _SECRET_KEY, secret)
                stored = get_setting(conn, EMBEDDER_SETTING)
                if stored is None or (stored != identity and not has_chunks(conn)):
                    # Nothing embedded yet: the folder simply takes this embedder.
                    put_setting(conn, EMBEDDER_SETTING, identity)
                    stored = identity
            if stored != identity and not reindex:
                raise EmbedderMismatchError(Path(data_dir), stored, identity)
        except BaseException:
            if lock is not None:
                lock.release()
            db.close()
            raise
        serving = embedder
        if stored != identity:
            serving = load_embedder(embedder_spec(stored))
        answerer = answerer or Answerer(serving)
        if reranker is not None:
            answerer.reranker = reranker
        service = cls(
            db,
            embedder=serving,
            answerer=answerer,
            quotas=quotas,
            pages=PageTokens(bytes.fromhex(secret)),
            ranking=ranking,
            ann_threshold=ann_threshold,
        )
        if serving is not embedder:
            service._reindex_to = embedder
            service._embedders[identity] = embedder
        service._folder_lock = lock
        if lease_seconds is not None:
            service._work_leases.seconds = lease_seconds
        return service

    def start_warming(self) -> None:
        """Load every corpus's vector index in a background thread, so that the first query
        after a restart does not wait for it (about 6 s per 100,000 chunks); with the
        ``bm25`` or ``hybrid`` ranking, its keyword index too. ``ragkit serve`` calls this
        at startup; :meth:`close` stops it."""
        if isinstance(self._search, PgSearch):
            return  # PostgreSQL searches in SQL: there is no index to load into memory
        if self._warmer is None:
            if not self._indexes.corpora_to_warm():
                return  # nothing to load: ready at once
            self._warmed.clear()
            self._warmer = threading.Thread(
                target=self._warm, name="ragkit-index-warm-up", daemon=True
            )
            self._warmer.start()

    def _warm(self) -> None:
        started = time.perf_counter()
        keywords = self._ranking != "dense"
        last = time.monotonic()

        def report(state: WarmUpProgress) -> None:
            nonlocal last
            if time.monotonic() - last >= _PROGRESS_EVERY:
                last = time.monotonic()
                logger.info("%s", str(state))  # now: the progress object moves on

        progress = WarmUpProgress(report=report)
        self._warm_up = progress
        try:
            corpora, chunks = self._indexes.warm(
                self._stop_warming, keywords=keywords, progress=progress
            )
        except Exception:  # queries still load their index on first use
            logger.exception("loading the indexes in the background failed")
            return
        finally:
            progress.finished = True
            self._warmed.set()
        if corpora:
            logger.info(
                "loaded the %s indexes of %d corpora (%d chunks) in %.1f s",
                "vector and keyword" if keywords else "vector",
                corpora,
                chunks,
                time.perf_counter() - started,
            )

    @property
    def ready(self) -> bool:
        """Whether the startup warm-up is done (or was never started): until then a query
        whose index is not loaded yet answers 503 UNAVAILABLE (see
        :mod:`ragkit.server.readiness`)."""
        return self._warmed.is_set()

    def start_reindex(self) -> bool:
        """If the service was opened with ``reindex`` and the store's embedder differs,
        re-embed every chunk in a background thread while the old vectors keep serving,
        then switch to the new embedder; progress goes to the log. Returns whether a
        re-embedding started. :meth:`close` stops it after the current batch; the next
        start resumes it."""
        target = self._reindex_to
        if target is None or self._reindexer is not None:
            return False
        self._reindexer = threading.Thread(
            target=self._reindex, args=(target,), name="ragkit-reindex", daemon=True
        )
        self._reindexer.start()
        return True

    def _reindex(self, target: Embedder) -> None:
        if not self._take_reindex_lease(target):
            return
        try:
            self._reindex_holding_lease(target)
        finally:
            try:
                with self._db.write() as conn:
                    self._work_leases.release(conn, _REINDEX_LEASE)
            except Exception:  # it lapses on its own
                logger.exception("dropping the re-embedding lease failed")

    def _take_reindex_lease(self, target: Embedder) -> bool:
        """Wait until this server holds the re-embedding lease (True), or another server
        finished the re-embedding (False: this one now serves the new vectors too), or
        the service closes (False)."""
        identity = embedder_identity(target)
        waiting = False
        while not self._stop_warming.is_set():
            with self._db.write() as conn:
                if get_setting(conn, EMBEDDER_SETTING) == identity:
                    logger.info(
                        "another server re-embedded the store with %s; serving it",
                        describe_embedder(identity),
                    )
                    self._db.after_commit(lambda: self._use(target))
                    return False
                if self._work_leases.take(conn, _REINDEX_LEASE):
                    return True
            if not waiting:
                waiting = True
                logger.info(
                    "another server is re-embedding the store with %s; this one switches"
                    " when it is done, or takes over if that server stops",
                    describe_embedder(identity),
                )
            self._stop_warming.wait(self._work_leases.seconds / 3)
        return False

    def _reindex_holding_lease(self, target: Embedder) -> None:
        last = 0.0

        def progress(state: ReindexProgress) -> None:
            nonlocal last
            self._reindex_progress = state
            if state.finished or time.monotonic() - last >= _PROGRESS_EVERY:
                last = time.monotonic()
                logger.info("%s", state)

        reindexer = Reindexer(self._db, target, progress=progress)
        logger.info(
            "re-embedding every chunk from %s to %s in the background; the old vectors serve"
            " queries until it is done (%s)",
            describe_embedder(embedder_identity(self._embedder)),
            describe_embedder(embedder_identity(target)),
            reindexer.status(),
        )
        try:
            switched = reindexer.run(self._stop_warming, on_switch=lambda: self._use(target))
        except Exception:
            logger.exception("re-embedding with %s failed; the old vectors stay", target.name)
            return
        if not switched:
            logger.info("re-embedding stopped; the next --reindex start resumes it")
            return
        keywords = self._ranking != "dense"
        try:
            self._indexes.warm(self._stop_warming, keywords=keywords)
        except Exception:  # queries still load their index on first use
            logger.exception("loading the new vector indexes failed")

    def vitals(self) -> ServiceVitals:
        """Totals, index sizes, warm-up and re-embedding progress, for ``/metrics``: numbers
        over every corpus and user, no names."""
        with self._db.read() as conn:
            corpora, chunks = conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(chunk_count), 0) FROM corpora"
            ).fetchone()
        reindexer = self._reindexer
        running = reindexer is not None and reindexer.is_alive()
        return ServiceVitals(
            ready=self.ready,
            corpora=int(corpora),
            chunks=int(chunks),
            indexes=self._indexes.stats(),
            warm_up=self._warm_up,
            reindex=self._reindex_progress if running else None,
        )

    def close(self) -> None:
        """Stop the warm-up and any re-embedding (after its current batch), close the
        database; the service must not be used afterwards."""
        self._stop_warming.set()
        for worker in (self._warmer, self._reindexer):
            if worker is not None:
                worker.join()
        self._answerer.close()
        self._work_leases.close()
        self._db.close()
        if self._folder_lock is not None:
            self._folder_lock.release()
