"""What an operator watches of the retriever service: index sizes, warm-up, re-embedding.

These are aggregates over every corpus and user (``/metrics`` shows them to anyone who can
reach it, :mod:`ragkit.server.metrics`): counts and sizes, never a corpus name.

:class:`WarmUpProgress` is also what the start-up warm-up logs every few seconds::

    loading indexes: 120,000/1,000,000 chunks, 3/10 corpora (40,000 chunks/s, about 22 s left)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # reindex imports indexes, which imports this module
    from ragkit.server.service.reindex import ReindexProgress

__all__ = ["IndexStats", "ServiceVitals", "WarmUpProgress"]


@dataclass(frozen=True)
class IndexStats:
    """The vector indexes in memory: how many, how many vectors, the HNSW graphs' state."""

    corpora: int = 0
    vectors: int = 0
    largest: int = 0
    hnsw_ready: int = 0
    hnsw_building: int = 0
    hnsw_vectors: int = 0


@dataclass
class WarmUpProgress:
    """Where the start-up loading of the indexes stands; updated by the loading thread
    (and by queries that load an index meanwhile), read by the log and ``/metrics``."""

    corpora_total: int = 0
    chunks_total: int = 0
    corpora_done: int = 0
    chunks_done: int = 0
    finished: bool = False
    started: float = field(default_factory=time.monotonic)
    #: Called after every change (from the loading thread): the service logs from it.
    report: Callable[[WarmUpProgress], None] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add_chunks(self, count: int) -> None:
        with self._lock:
            self.chunks_done += count
        self._changed()

    def corpus_done(self) -> None:
        with self._lock:
            self.corpora_done += 1
        self._changed()

    def _changed(self) -> None:
        if self.report is not None:
            self.report(self)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def __str__(self) -> str:
        done = min(self.chunks_done, self.chunks_total)
        head = (
            f"loading indexes: {done:,}/{self.chunks_total:,} chunks, "
            f"{self.corpora_done}/{self.corpora_total} corpora"
        )
        elapsed = self.elapsed
        rate = done / elapsed if elapsed > 0 else 0.0
        if not rate:
            return head
        left = (self.chunks_total - done) / rate
        return f"{head} ({rate:,.0f} chunks/s, about {left:.0f} s left)"


@dataclass(frozen=True)
class ServiceVitals:
    """A snapshot for ``/metrics``: the store's totals, the loaded indexes, the start-up
    warm-up (``None`` if none ran) and a running re-embedding (``None`` if none runs)."""

    ready: bool
    corpora: int
    chunks: int
    indexes: IndexStats
    warm_up: WarmUpProgress | None
    reindex: ReindexProgress | None
