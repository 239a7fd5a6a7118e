"""Approximate top-k search (HNSW) for large corpora, with filters inside the graph walk.

:class:`HnswIndex` wraps faiss's ``IndexHNSWFlat`` (inner product on L2-normalised
vectors, so scores are cosine similarities, like :class:`~ragkit.server.index.VectorIndex`).
faiss was chosen over hnswlib (last release 2023) and usearch (filters only through a
Python callback per visited node) because it is actively released, ships wheels for
this platform, releases the GIL while it searches, and takes a filter as a bitmap
(``IDSelectorBitmap``) checked in C++ during the walk: a filtered search visits the graph
as usual and only admits allowed rows to the result, with no Python per candidate.

HNSW graphs only grow. An updated row gets a new label and its old label is tombstoned;
a removed row is tombstoned. Tombstones are excluded through the same bitmap, and
:attr:`HnswIndex.dead_fraction` tells the owner when a rebuild is worth it.

Concurrency: searches run in parallel with each other (faiss searches are read-only);
adds and removes wait for running searches and hold new ones back.

Example::

    index = HnswIndex(384)
    index.add(np.array([7, 8]), vectors)
    index.search(query, 10)                                  # [(8, 0.91), (7, 0.42)]
    index.search(query, 10, allowed=np.array([7]))           # [(7, 0.42)]
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ragkit.server.rwlock import ReadWriteLock

__all__ = [
    "DEFAULT_EF_CONSTRUCTION",
    "DEFAULT_EF_SEARCH",
    "DEFAULT_M",
    "MAX_GROWN_EF",
    "ROWS_PER_EF",
    "HnswIndex",
    "search_depth",
]

#: Graph degree. 32 is faiss's recommendation for ~0.95-0.99 recall at 384 dimensions.
DEFAULT_M = 32
#: Candidate list while building: higher builds slower and finds better neighbours. At 1M
#: clustered 384-d rows (bench_ann.py) a graph built at 80 found only 0.85-0.92 of the exact
#: top 10 at any search depth; built at 160 it found 0.989 at depth 128 and 1.000 at 512.
#: faiss's build work grows about in proportion (1,223 s at 1M here, in the background
#: while exact search answers).
DEFAULT_EF_CONSTRUCTION = 160
#: Candidate list while searching (at least ``k``); the recall/latency knob. 128 gave
#: recall@10 >= 0.98 on clustered 384-dimension vectors at 100k (bench/bench_ann.py).
DEFAULT_EF_SEARCH = 128
#: Past ``ROWS_PER_EF * DEFAULT_EF_SEARCH`` live rows the candidate list grows with the
#: graph, one entry per this many rows, up to :data:`MAX_GROWN_EF`. At a fixed
#: ``ef_search`` a graph's recall falls as it grows (bench_ann.py's clustered set at 1M,
#: graph built at ef_construction 160: recall@10 0.989 at 128, 1.000 at 512 and 1024, for
#: 0.4-1 ms more), and the search depth is the one knob that buys it back without a
#: rebuild. The rate was read off that set's sweeps (bench/RESULTS.md, "One million
#: chunks").
ROWS_PER_EF = 1000
MAX_GROWN_EF = 1024

IdArray = npt.NDArray[np.int64]

# Most a filter widens ``ef_search`` (at 12.5% allowed and below).
_MAX_EF_WIDENING = 8


def search_depth(ef_search: int, k: int, rows: int, *, grow: bool = True) -> int:
    """The candidate list for a search of ``k`` in a graph of ``rows`` live rows: at least
    ``ef_search`` and ``k``, and (with ``grow``) one per :data:`ROWS_PER_EF` rows, up to
    :data:`MAX_GROWN_EF`."""
    grown = min(MAX_GROWN_EF, rows // ROWS_PER_EF) if grow else 0
    return max(ef_search, k, grown)


def _bitmap(labels: IdArray, count: int) -> npt.NDArray[np.uint8]:
    """faiss's ``IDSelectorBitmap`` layout: bit ``i % 8`` of byte ``i // 8`` for label i."""
    mask = np.zeros(count, dtype=np.bool_)
    mask[labels] = True
    return np.packbits(mask, bitorder="little")


@dataclass(frozen=True)
class _LabelTable:
    """Chunk ids of labels ``[0, count)`` sorted, with their labels (vectorised lookup)."""

    ids: IdArray
    labels: IdArray
    count: int


class HnswIndex:
    """Approximate dot-product search over ``(id, vector)`` rows.

    Args:
        dimensions: length of every vector.
        m: HNSW graph degree.
        ef_construction: candidate list size while inserting.
        ef_search: candidate list size while searching (raised to ``k`` when smaller).
        grow_ef: widen the candidate list as the graph grows (:func:`search_depth`);
            ``False`` searches at exactly ``ef_search`` (benchmarks sweeping it).

    Raises:
        ImportError: when faiss (``pip install 'ragkit[server]'``) is not installed.
    """

    def __init__(
        self,
        dimensions: int,
        *,
        m: int = DEFAULT_M,
        ef_construction: int = DEFAULT_EF_CONSTRUCTION,
        ef_search: int = DEFAULT_EF_SEARCH,
        grow_ef: bool = True,
    ) -> None:
        import faiss  # heavy: only servers with a large corpus load it

        self._faiss: Any = faiss
        self.dimensions = dimensions
        self.ef_search = ef_search
        self.grow_ef = grow_ef
        self._index = faiss.IndexHNSWFlat(dimensions, m, faiss.METRIC_INNER_PRODUCT)
        self._index.hnsw.efConstruction = ef_construction
        self._ids = np.empty(0, dtype=np.int64)  # label -> chunk id
        self._live = np.empty(0, dtype=np.bool_)  # label -> not tombstoned
        self._label_of: dict[int, int] = {}
        self._count = 0
        self._table: _LabelTable | None = None
        self._live_bits: npt.NDArray[np.uint8] | None = None
        self._lock = ReadWriteLock()

    def __len__(self) -> int:
        """Live rows."""
        return len(self._label_of)

    @property
    def dead_fraction(self) -> float:
        """Share of the graph's labels that are tombstones."""
        return 1.0 - len(self._label_of) / self._count if self._count else 0.0

    def ids(self) -> IdArray:
        """Live ids, ascending."""
        with self._reading() as count:
            return np.sort(self._ids[:count][self._live[:count]])

    def add(self, ids: Sequence[int] | IdArray, vectors: npt.NDArray[np.floating[Any]]) -> None:
        """Insert rows (ids unique within the call); a present id has its vector replaced."""
        id_array = np.asarray(ids, dtype=np.int64).reshape(-1)
        if id_array.size == 0:
            return
        matrix = np.ascontiguousarray(vectors, dtype=np.float32).reshape(id_array.size, -1)
        with self._lock.writing():
            self._tombstone(id_array.tolist())
            start, total = self._count, self._count + id_array.size
            if total > self._ids.size:
                capacity = max(total, 2 * self._ids.size, 1024)
                self._ids = np.resize(self._ids, capacity)
                self._live = np.resize(self._live, capacity)
            self._index.add(matrix)
            self._ids[start:total] = id_array
            self._live[start:total] = True
            self._label_of.update(zip(id_array.tolist(), range(start, total), strict=True))
            self._count = total
            self._live_bits = None

    def remove(self, ids: Sequence[int] | IdArray) -> None:
        """Tombstone rows by id; unknown ids are ignored."""
        wanted = [int(i) for i in ids]
        if not any(i in self._label_of for i in wanted):
            return  # new rows (the common case on insert): no need to stop searches
        with self._lock.writing():
            self._tombstone(wanted)

    def search(
        self,
        query: npt.NDArray[np.floating[Any]],
        k: int,
        *,
        allowed: npt.NDArray[np.integer[Any]] | None = None,
    ) -> list[tuple[int, float]]:
        """At most ``k`` ``(id, score)`` pairs, best first; with ``allowed`` (chunk ids),
        only those rows can be returned."""
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(1, self.dimensions)
        if k <= 0:
            return []
        with self._reading() as count:
            if count == 0:
                return []
            ef = search_depth(self.ef_search, k, len(self._label_of), grow=self.grow_ef)
            if allowed is None:
                bits = self._live_bitmap(count)
            else:
                labels = self.labels_of(np.asarray(allowed, dtype=np.int64), count)
                bits = _bitmap(labels, count)
                # A walk through a sparse filter meets fewer admissible rows per step: widen
                # the candidate list in proportion (10% allowed: 8x, recall@10 0.95 -> 0.99).
                share = labels.size / max(1, len(self._label_of))
                ef = int(ef * min(_MAX_EF_WIDENING, 1 / max(share, 1e-9)))
            params = self._faiss.SearchParametersHNSW()
            params.efSearch = ef
            if bits is not None:
                params.sel = self._faiss.IDSelectorBitmap(count, self._faiss.swig_ptr(bits))
            scores, labels = self._index.search(q, k, params=params)
        found = labels[0] >= 0
        chunk_ids = self._ids[labels[0][found]]
        return list(
            zip(chunk_ids.tolist(), scores[0][found].astype(np.float64).tolist(), strict=True)
        )

    def labels_of(self, ids: npt.NDArray[np.int64], count: int) -> IdArray:
        """Live labels (below ``count``) of the given chunk ids, vectorised."""
        wanted = ids if ids.size < 2 or bool((ids[1:] > ids[:-1]).all()) else np.unique(ids)
        table = self._label_table(count)
        labels = np.empty(0, dtype=np.int64)
        if table.ids.size and wanted.size:
            at = np.minimum(np.searchsorted(table.ids, wanted), table.ids.size - 1)
            labels = table.labels[at[table.ids[at] == wanted]]
        if table.count < count:
            extra = np.flatnonzero(np.isin(self._ids[table.count : count], wanted))
            labels = np.concatenate((labels, extra + table.count))
        return labels[self._live[labels]]

    def _live_bitmap(self, count: int) -> npt.NDArray[np.uint8] | None:
        """``None`` when nothing is tombstoned (no selector needed)."""
        if len(self._label_of) == count:
            return None
        bits = self._live_bits
        if bits is None:
            bits = np.packbits(self._live[:count], bitorder="little")
            self._live_bits = bits
        return bits

    def _label_table(self, count: int) -> _LabelTable:
        # Labels never move, so a table stays valid; it is rebuilt once many labels were
        # added after it (those are matched with a mask over just the new labels).
        table = self._table
        if table is None or count - table.count > max(4096, table.count // 8):
            # Only live labels, so each id appears once; later tombstones are masked out
            # by the caller and later re-adds land beyond ``count``.
            live = np.flatnonzero(self._live[:count])
            ids = self._ids[live]
            order = np.argsort(ids, kind="stable")
            table = _LabelTable(ids[order], live[order].astype(np.int64), count)
            self._table = table
        return table

    def _tombstone(self, ids: list[int]) -> None:
        labels = [label for i in ids if (label := self._label_of.pop(i, None)) is not None]
        if labels:
            self._live[labels] = False
            self._live_bits = None

    def _reading(self) -> AbstractContextManager[int]:
        return self._lock.reading(lambda: self._count)
