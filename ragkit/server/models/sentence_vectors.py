"""Sentence vectors remembered across answers, so a chunk's sentences are embedded once.

``generateAnswer`` scores the sentences of the chunks it retrieved with dense similarity
(:class:`~ragkit.server.models.answerer.Answerer`), up to
:data:`~ragkit.server.models.answerer.DENSE_BUDGET` of them per answer. A corpus's popular
chunks come back answer after answer, and embedding their sentences again each time was
the largest cost of an answer (64 sentences: one MiniLM call of several hundred ms, during
which every query waiting for the priority lane waited too). :class:`SentenceVectors`
keeps those vectors, keyed by the embedder and a hash of the sentence's text, so the same
sentence in any chunk or inline passage is embedded once while it stays in the cache.

The cache is bounded (least recently used first out): ``capacity`` vectors, each
``dimensions`` float32 values (16,384 MiniLM sentences: 24 MB).

Example::

    cache = SentenceVectors(capacity=4096)
    vectors = cache.embed(embedder, ["It was completed in 1889.", "It is in Paris."])
    cache.stats.hits, cache.stats.misses        # (0, 2), then (2, 2) after the same call
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ragkit.server.models.embedding import Embedder

__all__ = ["DEFAULT_SENTENCE_CACHE", "SentenceCacheStats", "SentenceVectors"]

#: Sentence vectors kept by default (about 24 MB of MiniLM vectors).
DEFAULT_SENTENCE_CACHE = 16_384

Vectors = npt.NDArray[np.float32]


@dataclass
class SentenceCacheStats:
    """Counters for logs, benchmarks and tests (read them, don't write them)."""

    hits: int = 0
    misses: int = 0


class SentenceVectors:
    """A bounded, thread-safe LRU of document-kind sentence vectors (see the module docstring).

    Args:
        capacity: vectors kept; 0 turns the cache off (every call embeds everything).
    """

    def __init__(self, capacity: int = DEFAULT_SENTENCE_CACHE) -> None:
        if capacity < 0:
            raise ValueError(f"capacity must be >= 0, got {capacity}.")
        self.capacity = capacity
        self.stats = SentenceCacheStats()
        self._vectors: OrderedDict[tuple[str, int, bytes], Vectors] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._vectors)

    def embed(self, embedder: Embedder, texts: Sequence[str]) -> Vectors:
        """``embedder.embed(texts, kind="document")``, with remembered texts not embedded
        again; the rest are embedded in one call (in slices of the embedder's batch size)."""
        out = np.empty((len(texts), embedder.dimensions), dtype=np.float32)
        keys = [self._key(embedder, text) for text in texts]
        missing: dict[tuple[str, int, bytes], list[int]] = {}
        with self._lock:
            for i, key in enumerate(keys):
                found = self._vectors.get(key)
                if found is None:
                    missing.setdefault(key, []).append(i)
                else:
                    self._vectors.move_to_end(key)
                    out[i] = found
            self.stats.hits += len(texts) - sum(len(rows) for rows in missing.values())
            self.stats.misses += len(missing)
        if not missing:
            return out
        fresh = [texts[rows[0]] for rows in missing.values()]
        step = max(1, embedder.batch_size)
        vectors = np.concatenate(
            [
                embedder.embed(fresh[i : i + step], kind="document")
                for i in range(0, len(fresh), step)
            ]
        )
        with self._lock:
            for (key, rows), vector in zip(missing.items(), vectors, strict=True):
                out[rows] = vector
                if self.capacity:
                    self._vectors[key] = vector.copy()
                    self._vectors.move_to_end(key)
            while len(self._vectors) > self.capacity:
                self._vectors.popitem(last=False)
        return out

    def clear(self) -> None:
        """Forget every vector."""
        with self._lock:
            self._vectors.clear()

    @staticmethod
    def _key(embedder: Embedder, text: str) -> tuple[str, int, bytes]:
        # The embedder is part of the key: a re-embedding may switch it under a live server.
        digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
        return embedder.name, embedder.dimensions, digest
