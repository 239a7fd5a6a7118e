"""The retriever service: every Semantic Retrieval method, below the HTTP layer."""

from __future__ import annotations

import logging
import secrets
import threading
import time
from pathlib import Path

from ragkit.server.lexical_index import DEFAULT_RANKING, Ranking
from ragkit.server.models.answerer import Answerer
from ragkit.server.models.embedding import Embedder
from ragkit.server.service.answer import AnswerMixin
from ragkit.server.service.chunks import ChunksMixin
from ragkit.server.service.corpora import CorporaMixin
from ragkit.server.service.documents import DocumentsMixin
from ragkit.server.service.paging import PageTokens
from ragkit.server.service.permissions import PermissionsMixin
from ragkit.server.service.quotas import Quotas
from ragkit.server.store import Database
from ragkit.server.store.chunks import clear_vectors
from ragkit.server.store.settings import get_setting, put_setting
from ragkit.server.tiered_index import DEFAULT_ANN_THRESHOLD

__all__ = ["RetrieverService"]

logger = logging.getLogger("ragkit.server")

_SECRET_KEY = "page_token_secret"
_EMBEDDER_KEY = "embedder"
_DEFAULT_QUOTAS = Quotas()


class RetrieverService(CorporaMixin, DocumentsMixin, ChunksMixin, PermissionsMixin, AnswerMixin):
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
        quotas: Quotas = _DEFAULT_QUOTAS,
        ranking: Ranking = DEFAULT_RANKING,
        ann_threshold: int = DEFAULT_ANN_THRESHOLD,
    ) -> RetrieverService:
        """Open (creating if needed) the store in ``data_dir``.

        ``ranking`` orders query results: ``"dense"`` (cosine), ``"bm25"`` (keywords) or
        ``"hybrid"`` (both; see :mod:`ragkit.server.lexical_index`). Corpora of
        ``ann_threshold`` chunks or more are searched through an HNSW index
        (:mod:`ragkit.server.tiered_index`; ``0``: always exact).

        If the data was embedded by a different embedder (name or dimensions), stored
        vectors are dropped and rebuilt lazily, corpus by corpus, on first query.
        """
        db = Database.open(Path(data_dir))
        identity = f"{embedder.name}:{embedder.dimensions}"
        with db.write() as conn:
            secret = get_setting(conn, _SECRET_KEY)
            if secret is None:
                secret = secrets.token_hex(32)
                put_setting(conn, _SECRET_KEY, secret)
            if get_setting(conn, _EMBEDDER_KEY) != identity:
                clear_vectors(conn)
                put_setting(conn, _EMBEDDER_KEY, identity)
        return cls(
            db,
            embedder=embedder,
            answerer=answerer or Answerer(embedder),
            quotas=quotas,
            pages=PageTokens(bytes.fromhex(secret)),
            ranking=ranking,
            ann_threshold=ann_threshold,
        )

    def start_warming(self) -> None:
        """Load every corpus's vector index in a background thread, so that the first query
        after a restart does not wait for it (about 6 s per 100,000 chunks); with the
        ``bm25`` or ``hybrid`` ranking, its keyword index too. ``ragkit serve`` calls this
        at startup; :meth:`close` stops it."""
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
        try:
            corpora, chunks = self._indexes.warm(self._stop_warming, keywords=keywords)
        except Exception:  # queries still load their index on first use
            logger.exception("loading the indexes in the background failed")
            return
        finally:
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

    def close(self) -> None:
        """Stop the warm-up, close the database; the service must not be used afterwards."""
        self._stop_warming.set()
        if self._warmer is not None:
            self._warmer.join()
        self._db.close()
