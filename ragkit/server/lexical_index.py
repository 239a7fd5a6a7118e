"""BM25 keyword search over chunk texts, and its fusion with dense (vector) scores.

:class:`LexicalIndex` is an in-memory inverted index (term -> {chunk row id: term
frequency}) over the stemmed content words of each chunk (:func:`content_terms`: lower
case, stopwords dropped, light stemming). Scores are Okapi BM25 (``k1=1.2``, ``b=0.75``)
divided by the query's largest possible score, so they lie in ``[0, 1)`` and mean the same
across queries: a chunk matching every query term many times approaches 1.

:class:`CorpusLexicalIndexes` keeps one index per corpus, built from SQLite on first use
and then kept in step with committed writes by
:class:`~ragkit.server.service.indexes.CorpusIndexes`, exactly like the vector indexes. It
lives in memory: about 4 KB per 200-token chunk, and building it for 13,000 chunks took
~12 s on two busy cores, so it is only built for corpora queried with ``bm25``/``hybrid``.

:func:`fuse` combines the two rankings for ``hybrid`` search: a weighted sum of the
cosine similarity and the normalised BM25 score over the union of both top lists.

Example::

    index = LexicalIndex()
    index.add([1, 2], ["The vacuum command reclaims storage.", "Create a new table."])
    index.search("reclaim storage", 5)          # [(1, 0.429...)]
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from ragkit.server.corpus_cache import CorpusCache
from ragkit.server.errors import ApiError
from ragkit.server.index import VectorIndex
from ragkit.server.models.lexical import content_terms
from ragkit.server.store import Database
from ragkit.types import Code

__all__ = [
    "DEFAULT_RANKING",
    "HYBRID_DENSE_WEIGHT",
    "RANKINGS",
    "CorpusLexicalIndexes",
    "LexicalIndex",
    "POSTGRES_RANKINGS",
    "Ranking",
    "allowed_set",
    "fuse",
    "postgres_ranking_problem",
    "rank",
]

Ranking = Literal["dense", "bm25", "hybrid"]
#: The ranking choices, as ``ragkit serve --ranking`` accepts them.
RANKINGS: tuple[Ranking, ...] = ("dense", "bm25", "hybrid")
#: The server's ranking unless configured otherwise. On bench/eval's tune split hybrid ranks
#: slightly better (nDCG@10 0.902 against 0.898) but its grounded answers are worse
#: (attribution 0.870 against 0.885, answerable AUROC 0.831 against 0.866), and it costs a
#: keyword index per corpus, so dense stays the default; see bench/RESULTS.md.
DEFAULT_RANKING: Ranking = "dense"
#: Weight of the cosine similarity in a hybrid score; BM25 gets the rest. Tuned on the
#: PostgreSQL documentation set's tune split (0.6-0.9 tried), confirmed on its held-out split.
HYBRID_DENSE_WEIGHT = 0.8
#: Candidates taken from each ranking before fusing (at least the results asked for).
FUSION_CANDIDATES = 100

#: The rankings ``ragkit serve --database postgresql://...`` serves (in SQL, with pgvector).
POSTGRES_RANKINGS: tuple[Ranking, ...] = ("dense",)


def postgres_ranking_problem(ranking: Ranking) -> str | None:
    """Why ``ranking`` cannot be served on PostgreSQL (``None``: it can). ``bm25`` and
    ``hybrid`` need the in-process keyword index, which replicas could not keep in step;
    they are refused rather than ranked differently."""
    if ranking in POSTGRES_RANKINGS:
        return None
    return (
        f"The {ranking!r} ranking needs the in-process keyword (BM25) index, which is not"
        " available with --database postgresql://...: replicas could not keep it in step."
        " Serve with --ranking dense on PostgreSQL, or use the SQLite data directory."
    )


_K1 = 1.2
_B = 0.75
# Chunk texts read per page when building a corpus's index (the stop check runs between).
_LOAD_PAGE = 2_000


class LexicalIndex:
    """BM25 over ``(row id, text)`` pairs; thread-safe (one lock, short critical sections)."""

    def __init__(self) -> None:
        self._postings: dict[str, dict[int, int]] = {}
        self._lengths: dict[int, int] = {}
        self._terms: dict[int, tuple[str, ...]] = {}
        self._total_length = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._lengths)

    def add(self, ids: Sequence[int], texts: Sequence[str]) -> None:
        """Index texts by row id; an id already present is re-indexed with its new text."""
        if len(ids) != len(texts):
            raise ValueError("ids and texts must have the same length")
        analysed = [(int(i), Counter(content_terms(t))) for i, t in zip(ids, texts, strict=True)]
        with self._lock:
            for chunk_id, counts in analysed:
                self._forget(chunk_id)
                for term, frequency in counts.items():
                    self._postings.setdefault(term, {})[chunk_id] = frequency
                length = sum(counts.values())
                self._lengths[chunk_id] = length
                self._terms[chunk_id] = tuple(counts)
                self._total_length += length

    def remove(self, ids: Iterable[int]) -> None:
        """Drop rows by id; unknown ids are ignored."""
        with self._lock:
            for chunk_id in ids:
                self._forget(int(chunk_id))

    def _forget(self, chunk_id: int) -> None:
        terms = self._terms.pop(chunk_id, None)
        if terms is None:
            return
        for term in terms:
            postings = self._postings[term]
            del postings[chunk_id]
            if not postings:
                del self._postings[term]
        self._total_length -= self._lengths.pop(chunk_id)

    def scores(self, query: str, *, allowed: set[int] | None = None) -> dict[int, float]:
        """Normalised BM25 score of every row sharing a term with ``query`` (and allowed)."""
        terms = Counter(content_terms(query))
        with self._lock:
            n = len(self._lengths)
            if n == 0 or not terms:
                return {}
            average = self._total_length / n or 1.0
            totals: dict[int, float] = {}
            ceiling = 0.0
            for term, repeats in terms.items():
                postings = self._postings.get(term, {})
                idf = math.log(1.0 + (n - len(postings) + 0.5) / (len(postings) + 0.5))
                ceiling += repeats * idf * (_K1 + 1)
                for chunk_id, tf in postings.items():
                    if allowed is not None and chunk_id not in allowed:
                        continue
                    norm = _K1 * (1 - _B + _B * self._lengths[chunk_id] / average)
                    gain = repeats * idf * tf * (_K1 + 1) / (tf + norm)
                    totals[chunk_id] = totals.get(chunk_id, 0.0) + gain
        return {chunk_id: score / ceiling for chunk_id, score in totals.items()}

    def search(
        self, query: str, k: int, *, allowed: set[int] | None = None
    ) -> list[tuple[int, float]]:
        """The best ``k`` ``(id, score)`` pairs, best first, ties broken by the smaller id."""
        if k <= 0:
            return []
        ranked = sorted(self.scores(query, allowed=allowed).items(), key=lambda p: (-p[1], p[0]))
        return ranked[:k]


def fuse(
    dense: dict[int, float], lexical: dict[int, float], k: int, *, dense_weight: float
) -> list[tuple[int, float]]:
    """Weighted sum of cosine and BM25 scores (a missing score counts as 0); best ``k``."""
    combined = {
        chunk_id: dense_weight * dense.get(chunk_id, 0.0)
        + (1.0 - dense_weight) * lexical.get(chunk_id, 0.0)
        for chunk_id in dense.keys() | lexical.keys()
    }
    return sorted(combined.items(), key=lambda p: (-p[1], p[0]))[:k]


def allowed_set(allowed: npt.NDArray[np.integer[Any]] | None) -> set[int] | None:
    """A candidate-id array as a set (``None`` stays ``None``: every chunk is allowed)."""
    return None if allowed is None else {int(i) for i in allowed.tolist()}


class CorpusLexicalIndexes:
    """One :class:`LexicalIndex` per corpus (ACTIVE chunks), loaded lazily from SQLite."""

    def __init__(self, db: Database, state: int, *, stop: threading.Event | None = None) -> None:
        self._db = db
        self._state = state
        # Set when the server closes: a build stops between two pages (UNAVAILABLE).
        self._stop = stop
        self._cache: CorpusCache[LexicalIndex] = CorpusCache(self._load)

    def _load(self, corpus_id: int) -> LexicalIndex:
        index = LexicalIndex()
        after = 0
        while True:
            if self._stop is not None and self._stop.is_set():
                raise ApiError(Code.UNAVAILABLE, "The server is shutting down; retry later.")
            with self._db.read() as conn:
                rows = conn.execute(
                    "SELECT id, text FROM chunks WHERE corpus_id = ? AND state = ? AND id > ?"
                    " ORDER BY id LIMIT ?",
                    (corpus_id, self._state, after, _LOAD_PAGE),
                ).fetchall()
            index.add([row[0] for row in rows], [row[1] for row in rows])
            if len(rows) < _LOAD_PAGE:
                return index
            after = rows[-1][0]

    def get(self, corpus_id: int) -> LexicalIndex:
        """The corpus's index, building it from the stored chunk texts on first use."""
        return self._cache.get(corpus_id)

    def loaded(self, corpus_id: int) -> bool:
        """Whether the corpus's index is in memory."""
        return self._cache.loaded(corpus_id)

    def apply(
        self, corpus_id: int, *, added: Sequence[int] = (), removed: Sequence[int] = ()
    ) -> None:
        """Mirror a committed change (row ids added/changed, removed) if the index is loaded."""

        def change(index: LexicalIndex) -> None:
            if removed:
                index.remove(removed)
            if len(added):
                ids = [int(i) for i in added]
                marks = ", ".join("?" for _ in ids)
                with self._db.read() as conn:
                    rows = conn.execute(
                        f"SELECT id, text FROM chunks WHERE id IN ({marks}) AND state = ?",
                        [*ids, self._state],
                    ).fetchall()
                index.add([row[0] for row in rows], [row[1] for row in rows])

        self._cache.update(corpus_id, change)

    def drop(self, corpus_id: int) -> None:
        """Forget a deleted corpus's index."""
        self._cache.drop(corpus_id)


def rank(
    ranking: Ranking,
    query: str,
    count: int,
    *,
    vectors: Callable[[], VectorIndex],
    query_vector: Callable[[], npt.NDArray[np.float32]],
    lexical: Callable[[], LexicalIndex],
    allowed: npt.NDArray[np.integer[Any]] | None = None,
) -> list[tuple[int, float]]:
    """The best ``count`` ``(chunk row id, score)`` pairs of a corpus for ``ranking``.

    ``dense``: cosine similarity only. ``bm25``: normalised BM25 only (no embedding).
    ``hybrid``: :func:`fuse` of both over their top :data:`FUSION_CANDIDATES`, each
    candidate scored by both, with :data:`HYBRID_DENSE_WEIGHT` (read at call time). The
    indexes and the query vector are only built when the ranking needs them.
    """
    if ranking == "dense":
        return vectors().search(query_vector(), count, allowed=allowed)
    permitted = allowed_set(allowed)
    if ranking == "bm25":
        return lexical().search(query, count, allowed=permitted)
    index, vector = vectors(), query_vector()
    depth = max(count, FUSION_CANDIDATES)
    dense = dict(index.search(vector, depth, allowed=allowed))
    keyword = lexical().scores(query, allowed=permitted)
    top_keyword = sorted(keyword.items(), key=lambda p: (-p[1], p[0]))[:depth]
    missing = [chunk_id for chunk_id, _ in top_keyword if chunk_id not in dense]
    if missing:
        dense.update(index.search(vector, len(missing), allowed=np.asarray(missing)))
    lexical_part = {chunk_id: keyword.get(chunk_id, 0.0) for chunk_id in dense}
    return fuse(dense, lexical_part, count, dense_weight=HYBRID_DENSE_WEIGHT)
