"""Exact top-k vector search over one corpus's chunk vectors.

:class:`VectorIndex` keeps L2-normalised ``float32`` vectors in fixed-size blocks that are
allocated once and filled in place, so growing to a million chunks never copies or
double-allocates the matrix. A search is one ``float32`` matrix-vector product per block
followed by ``argpartition``; the score is the dot product, which equals cosine similarity
for normalised vectors.

Concurrency: one writer at a time. Appending new ids does not disturb running searches,
because a search only reads the rows that existed when it started. Replacing or removing
ids rewrites rows in place, so those wait for running searches to finish and hold new
ones back until they are done; every search therefore sees one consistent snapshot.

Example::

    index = VectorIndex(384)
    index.add([7, 8], vectors)            # int64 chunk row ids, (2, 384) float32
    index.search(query_vector, 5)         # [(8, 0.91), (7, 0.42)]
    index.search(query_vector, 5, allowed=numpy.array([7]))
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from ragkit.server.rwlock import ReadWriteLock

__all__ = ["Allowed", "VectorIndex"]

FloatArray = npt.NDArray[np.float32]
IdArray = npt.NDArray[np.int64]

#: Restricts a search: an array of allowed ids, or a predicate mapping an id array to a
#: boolean mask of the same length.
Allowed = Callable[[IdArray], npt.NDArray[np.bool_]] | npt.NDArray[np.integer[Any]] | Sequence[int]

_T = TypeVar("_T", bound=np.generic)

# Below this fraction of allowed rows, scoring only the allowed rows (a gather) is cheaper
# than scoring the whole block and masking.
_GATHER_FRACTION = 0.25


@dataclass(frozen=True)
class _Snapshot:
    vectors: tuple[FloatArray, ...]
    ids: tuple[IdArray, ...]
    count: int
    #: Bumped by every removal, which moves rows between slots.
    epoch: int = 0


@dataclass(frozen=True)
class _SlotTable:
    """Ids of slots ``[0, count)`` sorted, with their slots: maps an id array to slots with
    one vectorised ``searchsorted`` instead of a Python loop over a dict."""

    ids: IdArray
    slots: IdArray
    count: int
    epoch: int


class VectorIndex:
    """Exact dot-product (cosine) search over ``(id, vector)`` rows.

    Args:
        dimensions: length of every vector.
        block_rows: rows per storage block; memory is reserved one block at a time
            (pages are only committed as rows are written).

    Raises:
        ValueError: on a non-positive ``dimensions`` or ``block_rows``.
    """

    def __init__(self, dimensions: int, *, block_rows: int = 65536) -> None:
        if dimensions <= 0 or block_rows <= 0:
            raise ValueError("dimensions and block_rows must be positive")
        self.dimensions = dimensions
        self.block_rows = block_rows
        self._vectors: list[FloatArray] = []
        self._ids: list[IdArray] = []
        self._slots: dict[int, int] = {}
        self._count = 0
        self._write_lock = threading.Lock()
        self._lock = ReadWriteLock()
        self._epoch = 0
        self._table: _SlotTable | None = None

    def __len__(self) -> int:
        return self._count

    def __contains__(self, chunk_id: object) -> bool:
        return isinstance(chunk_id, int | np.integer) and int(chunk_id) in self._slots

    def ids(self) -> IdArray:
        """All ids in the index, ascending (a copy)."""
        with self._reading() as snap:
            if snap.count == 0:
                return np.empty(0, dtype=np.int64)
            return np.sort(np.concatenate(list(_rows(snap.ids, snap.count))))

    def add(self, ids: Sequence[int] | IdArray, vectors: npt.NDArray[np.floating[Any]]) -> None:
        """Insert rows; an id already present has its vector replaced.

        If ``ids`` repeats an id, its last vector wins.

        Raises:
            ValueError: if ``vectors`` is not ``(len(ids), dimensions)`` or holds NaN/inf.
        """
        id_array = np.asarray(ids, dtype=np.int64).reshape(-1)
        matrix = np.asarray(vectors, dtype=np.float32)
        if matrix.ndim != 2 or matrix.shape != (id_array.size, self.dimensions):
            raise ValueError(
                f"expected vectors of shape ({id_array.size}, {self.dimensions}),"
                f" got {matrix.shape}"
            )
        if not np.isfinite(matrix).all():
            raise ValueError("vectors must be finite")
        id_array, matrix = _last_wins(id_array, matrix)
        with self._write_lock:
            known = np.fromiter(
                (i in self._slots for i in id_array.tolist()), dtype=np.bool_, count=id_array.size
            )
            if known.any():
                with self._lock.writing():
                    for chunk_id, vector in zip(
                        id_array[known].tolist(), matrix[known], strict=True
                    ):
                        block, row = divmod(self._slots[chunk_id], self.block_rows)
                        self._vectors[block][row] = vector
                id_array, matrix = id_array[~known], matrix[~known]
            self._append(id_array, matrix)

    def remove(self, ids: Iterable[int]) -> None:
        """Delete rows by id; unknown ids are ignored."""
        with self._write_lock:
            doomed = {int(i) for i in ids} & self._slots.keys()
            if not doomed:
                return
            with self._lock.writing():
                for chunk_id in doomed:
                    self._swap_remove(chunk_id)

    def search(
        self, query: npt.NDArray[np.floating[Any]], k: int, *, allowed: Allowed | None = None
    ) -> list[tuple[int, float]]:
        """Return at most ``k`` ``(id, score)`` pairs, best first, ties broken by id.

        Args:
            query: a ``(dimensions,)`` (or ``(1, dimensions)``) vector, normally L2-normalised.
            k: how many results to return at most.
            allowed: when given, only these rows are candidates (filters apply before
                ranking): an array of ids, or a predicate returning a boolean mask for an
                array of ids.

        Raises:
            ValueError: if ``query`` has the wrong length or holds NaN/inf.
        """
        q = np.asarray(query, dtype=np.float32).reshape(-1)
        if q.size != self.dimensions:
            raise ValueError(f"expected a query of {self.dimensions} dimensions, got {q.size}")
        if not np.isfinite(q).all():
            raise ValueError("query must be finite")
        if k <= 0:
            return []
        best = _TopK(k)
        with self._reading() as snap:
            for vectors, ids, rows in self._candidates(snap, allowed):
                best.offer(_score(vectors, q, rows), ids if rows is None else ids[rows])
        return best.ranked()

    def _candidates(
        self, snap: _Snapshot, allowed: Allowed | None
    ) -> Iterator[tuple[FloatArray, IdArray, npt.NDArray[np.intp] | None]]:
        """Per block: its vectors, its ids and the allowed rows (``None``: all rows)."""
        blocks = zip(_rows(snap.vectors, snap.count), _rows(snap.ids, snap.count), strict=True)
        if allowed is None:
            for vectors, ids in blocks:
                yield vectors, ids, None
        elif callable(allowed):
            for vectors, ids in blocks:
                mask = np.asarray(allowed(ids), dtype=np.bool_)
                if mask.shape != ids.shape:
                    raise ValueError("allowed predicate must return one bool per id")
                rows = np.flatnonzero(mask)
                if rows.size:
                    yield vectors, ids, rows
        else:
            slots = self._allowed_slots(np.asarray(allowed), snap)
            bounds = np.searchsorted(slots, np.arange(len(snap.vectors) + 1) * self.block_rows)
            for block, (vectors, ids) in enumerate(blocks):
                rows = slots[bounds[block] : bounds[block + 1]] - block * self.block_rows
                if rows.size:
                    yield vectors, ids, rows.astype(np.intp)

    def _allowed_slots(self, allowed: npt.NDArray[Any], snap: _Snapshot) -> IdArray:
        """Sorted slots (below ``snap.count``) of the ``allowed`` ids that are present."""
        wanted = _sorted_unique(allowed.astype(np.int64, copy=False))
        table = self._slot_table(snap)
        slots = np.empty(0, dtype=np.int64)
        if table.ids.size and wanted.size:
            at = np.minimum(np.searchsorted(table.ids, wanted), table.ids.size - 1)
            slots = table.slots[at[table.ids[at] == wanted]]
        if table.count < snap.count:
            # Rows appended since the table was built: a mask over just those rows.
            tail = _flat(snap.ids, snap.count)[table.count :]
            extra = np.flatnonzero(np.isin(tail, wanted))
            slots = np.concatenate((slots, extra + table.count))
        return np.sort(slots)

    def _slot_table(self, snap: _Snapshot) -> _SlotTable:
        """The cached id-to-slot table, rebuilt after a removal or once many rows were
        appended since it was built (appends leave existing slots in place)."""
        table = self._table
        stale = (
            table is None
            or table.epoch != snap.epoch
            or table.count > snap.count
            or snap.count - table.count > max(4096, table.count // 8)
        )
        if table is None or stale:
            ids = _flat(snap.ids, snap.count)
            order = np.argsort(ids, kind="stable")
            table = _SlotTable(ids[order], order.astype(np.int64), snap.count, snap.epoch)
            self._table = table
        return table

    def _append(self, ids: IdArray, vectors: FloatArray) -> None:
        start, total = self._count, self._count + ids.size
        while len(self._vectors) * self.block_rows < total:
            self._vectors.append(np.empty((self.block_rows, self.dimensions), dtype=np.float32))
            self._ids.append(np.empty(self.block_rows, dtype=np.int64))
        position = start
        while position < total:
            block, row = divmod(position, self.block_rows)
            n = min(self.block_rows - row, total - position)
            self._vectors[block][row : row + n] = vectors[position - start : position - start + n]
            self._ids[block][row : row + n] = ids[position - start : position - start + n]
            position += n
        self._slots.update(zip(ids.tolist(), range(start, total), strict=True))
        with self._lock.publishing():
            # Rows are fully written before the new count becomes visible to searches.
            self._count = total

    def _swap_remove(self, chunk_id: int) -> None:
        slot = self._slots.pop(chunk_id)
        last = self._count - 1
        if slot != last:
            src_block, src_row = divmod(last, self.block_rows)
            dst_block, dst_row = divmod(slot, self.block_rows)
            moved = int(self._ids[src_block][src_row])
            self._vectors[dst_block][dst_row] = self._vectors[src_block][src_row]
            self._ids[dst_block][dst_row] = moved
            self._slots[moved] = slot
        self._count = last
        self._epoch += 1
        if last <= (len(self._vectors) - 1) * self.block_rows:
            # The trailing block is empty now: give its memory back.
            self._vectors.pop()
            self._ids.pop()

    def _reading(self) -> AbstractContextManager[_Snapshot]:
        return self._lock.reading(
            lambda: _Snapshot(tuple(self._vectors), tuple(self._ids), self._count, self._epoch)
        )


def _rows(blocks: tuple[npt.NDArray[_T], ...], count: int) -> Iterator[npt.NDArray[_T]]:
    """Views of the filled part of each block (no copies)."""
    block_rows = blocks[0].shape[0] if blocks else 0
    for block_index, block in enumerate(blocks):
        filled = count - block_index * block_rows
        if filled <= 0:
            return
        yield block[: min(filled, block_rows)]


def _sorted_unique(ids: IdArray) -> IdArray:
    """``np.unique(ids)``, skipping the sort when ``ids`` is already strictly ascending (as
    candidate sets from the store are)."""
    if ids.size < 2 or bool((ids[1:] > ids[:-1]).all()):
        return ids
    return np.unique(ids)


def _flat(blocks: tuple[IdArray, ...], count: int) -> IdArray:
    """The first ``count`` ids of ``blocks`` as one array."""
    parts = list(_rows(blocks, count))
    if not parts:
        return np.empty(0, dtype=np.int64)
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _last_wins(ids: IdArray, vectors: FloatArray) -> tuple[IdArray, FloatArray]:
    unique, first_in_reversed = np.unique(ids[::-1], return_index=True)
    if unique.size == ids.size:
        return ids, vectors
    keep = np.sort(ids.size - 1 - first_in_reversed)
    return ids[keep], vectors[keep]


def _score(vectors: FloatArray, q: FloatArray, rows: npt.NDArray[np.intp] | None) -> FloatArray:
    if rows is None:
        return _dot(vectors, q)
    if rows.size < _GATHER_FRACTION * vectors.shape[0]:
        return _dot(vectors[rows], q)
    return _dot(vectors, q)[rows]


def _dot(vectors: FloatArray, q: FloatArray) -> FloatArray:
    # einsum streams the block at memory speed on one core; OpenBLAS sgemv measured ~2x
    # slower on this shape, and a free core lets concurrent searches overlap.
    scores: FloatArray = np.einsum("ij,j->i", vectors, q)
    return scores


def _top_candidates(scores: FloatArray, k: int) -> npt.NDArray[np.intp]:
    """Positions of the ``k`` best scores, plus any rows tied with the k-th best."""
    if scores.size <= k:
        return np.arange(scores.size)
    kth = np.argpartition(scores, scores.size - k)[scores.size - k]
    return np.flatnonzero(scores >= scores[kth])


class _TopK:
    """Running best ``k`` over blocks, ties broken by the smaller id.

    Later rows scoring equal to the current k-th best still get offered, so a tie with a
    smaller id found in a later block wins, as the contract requires.
    """

    def __init__(self, k: int) -> None:
        self.k = k
        self.scores = np.empty(0, dtype=np.float32)
        self.ids = np.empty(0, dtype=np.int64)
        self.threshold = -np.inf

    def offer(self, scores: FloatArray, ids: IdArray) -> None:
        if self.scores.size >= self.k:
            # Most blocks only need this cheap pass once a good threshold is known.
            keep = np.flatnonzero(scores >= self.threshold)
            scores, ids = scores[keep], ids[keep]
        if scores.size == 0:
            return
        merged_scores = np.concatenate((self.scores, scores))
        merged_ids = np.concatenate((self.ids, ids))
        top = _top_candidates(merged_scores, self.k)
        if top.size > self.k:
            # Rows tied with the k-th best: only the smallest ids can still make the cut.
            top = top[np.lexsort((merged_ids[top], -merged_scores[top]))[: self.k]]
        self.scores, self.ids = merged_scores[top], merged_ids[top]
        if self.scores.size >= self.k:
            self.threshold = float(self.scores.min())

    def ranked(self) -> list[tuple[int, float]]:
        order = np.lexsort((self.ids, -self.scores))[: self.k]
        return list(
            zip(
                self.ids[order].tolist(),
                self.scores[order].astype(np.float64).tolist(),
                strict=True,
            )
        )
