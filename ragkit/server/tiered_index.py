"""A corpus's vector index: exact search for small corpora, HNSW for large ones.

:class:`TieredIndex` is a :class:`~ragkit.server.index.VectorIndex` (exact search, always
kept) that, once it holds ``threshold`` rows or more, builds an HNSW graph
(:class:`~ragkit.server.ann.HnswIndex`) in a background thread. Until the graph is ready,
queries use exact search, so nothing waits for the build. Every write goes to both: while
the graph is being built, writes are logged and replayed into it before it goes live,
and its membership is checked against the exact index, so the graph never serves a
deleted row or misses an added one.

Once the graph is live, a write does not insert into it on the request's path (an HNSW
insert costs about a millisecond per row in a large graph): the written ids join a short
*unindexed* list, and a background drain thread inserts them into the graph, a slice at a
time, then takes them off the list. Every search adds an exact search over the unindexed
rows to the graph's answer, so a row is found by the next query after its write returns,
whether or not the drain reached it. An updated row's old vector leaves the graph at once
(a tombstone, cheap); a removed row leaves both at once.

Which search a query gets, once the graph is ready:

- no filter: the graph (recall@10 0.98-1.00 up to 100k rows at the default ``ef_search``,
  which grows with the graph: :func:`~ragkit.server.ann.search_depth`);
- a filter leaving fewer than ``threshold`` rows, or under a quarter of the corpus:
  exact search over just those rows (as cheap as a small corpus, and exact);
- a filter leaving more: the graph, with the allowed rows as a bitmap checked in C++
  during the walk, so every hit passes the filter and ``k`` hits come back when ``k``
  rows pass.

A graph whose tombstones (updated or deleted rows) pass a quarter of its labels is
rebuilt the same way; one whose corpus shrinks below half the threshold is dropped.
The graph is not persisted: after a restart it is rebuilt from the vectors in SQLite
(1,223 s for 1M rows of 384 dimensions on 2 lightly loaded cores, bench_ann.py) while exact search
answers. It holds a second copy of the vectors plus about 260 bytes of links per row.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from ragkit.server.ann import DEFAULT_EF_CONSTRUCTION, DEFAULT_EF_SEARCH, HnswIndex
from ragkit.server.index import Allowed, FloatArray, IdArray, VectorIndex

__all__ = ["DEFAULT_ANN_THRESHOLD", "DRAIN_STEP", "TieredIndex"]

logger = logging.getLogger("ragkit.server")

#: Corpora with at least this many chunks get an HNSW graph. Exact search costs ~3.5 ms
#: per 50,000 chunks here, so below this the graph's build time and memory (a second
#: copy of the vectors) are not worth it; the evaluation sets (< 50,000) stay exact.
DEFAULT_ANN_THRESHOLD = 50_000

# Filters keeping less than this share of the rows (or fewer rows than the threshold) are
# searched exactly over the kept rows: on near-random 384-d vectors a 10% filter inside the
# graph found only 0.91 of the exact top 10 (bench_ann.py --noise 0.1), while scanning 10%
# of the rows costs a tenth of an unfiltered exact search.
_EXACT_FILTER_SHARE = 0.25
# Tombstoned share of the graph's labels that triggers a rebuild.
_REBUILD_DEAD_FRACTION = 0.25
# Rows copied from the exact index per step while building (one block holds 65,536).
_BUILD_STEP = 8192
# Unindexed rows the drain inserts into the graph per step. Writers never wait for a step;
# graph searches do (faiss cannot search while it inserts): ~10-20 ms at 200,000 rows.
DRAIN_STEP = 32

_Op = tuple[str, IdArray, FloatArray | None]


class TieredIndex(VectorIndex):
    """Exact search below ``threshold`` rows, HNSW at or above it.

    Args:
        dimensions: length of every vector.
        threshold: rows from which a graph is built; ``0`` never builds one.
        ef_search: the graph's search depth (recall/latency trade-off).
        block_rows: as for :class:`~ragkit.server.index.VectorIndex`.
        ef_construction: the graph's candidate list while building (quality/build time).
    """

    def __init__(
        self,
        dimensions: int,
        *,
        threshold: int = DEFAULT_ANN_THRESHOLD,
        ef_search: int = DEFAULT_EF_SEARCH,
        block_rows: int = 65536,
        ef_construction: int = DEFAULT_EF_CONSTRUCTION,
    ) -> None:
        super().__init__(dimensions, block_rows=block_rows)
        self.threshold = threshold
        self.ef_search = ef_search
        self.ef_construction = ef_construction
        self._ann: HnswIndex | None = None
        # Writes logged for a graph being built (None: no build running).
        self._pending: list[_Op] | None = None
        self._ann_lock = threading.Lock()
        self._builder: threading.Thread | None = None
        # Written ids not yet in the graph (in write order) with the number of their write,
        # and the same ids as a sorted array that searches read without a lock (replaced
        # whole, never changed).
        self._unindexed: dict[int, int] = {}
        self._writes = itertools.count()
        self._unindexed_ids: IdArray = np.empty(0, dtype=np.int64)
        self._drainer: threading.Thread | None = None

    @property
    def ann_ready(self) -> bool:
        """Whether searches use the HNSW graph."""
        return self._ann is not None

    @property
    def ann_building(self) -> bool:
        """Whether an HNSW graph is being built (or rebuilt) in the background."""
        return self._pending is not None

    @property
    def unindexed(self) -> int:
        """Rows written since the graph went live that the drain has not inserted yet."""
        return len(self._unindexed_ids)

    def wait_for_graph(self, timeout: float | None = None) -> bool:
        """Wait for a running build to finish; returns :attr:`ann_ready`."""
        builder = self._builder
        if builder is not None:
            builder.join(timeout)
        return self.ann_ready

    def wait_for_drain(self, timeout: float | None = None) -> bool:
        """Wait for the drain to insert every written row; returns whether none is left."""
        drainer = self._drainer
        if drainer is not None:
            drainer.join(timeout)
        return not self._unindexed

    def add(self, ids: Sequence[int] | IdArray, vectors: npt.NDArray[np.floating[Any]]) -> None:
        super().add(ids, vectors)
        id_array = np.asarray(ids, dtype=np.int64).reshape(-1)
        matrix = np.asarray(vectors, dtype=np.float32).reshape(id_array.size, self.dimensions)
        # The exact index already applied "last wins" for repeated ids; do the same here.
        _, first_in_reversed = np.unique(id_array[::-1], return_index=True)
        keep = np.sort(id_array.size - 1 - first_in_reversed)
        id_array, matrix = id_array[keep], matrix[keep]
        with self._ann_lock:
            if self._ann is not None:
                # An updated row's old vector leaves the graph now; the drain inserts the
                # new one, and searches meanwhile find it among the unindexed rows.
                self._ann.remove(id_array)
                self._unindexed.update(dict.fromkeys(id_array.tolist(), next(self._writes)))
                self._publish_unindexed()
                self._maybe_drain()
            if self._pending is not None:
                self._pending.append(("add", id_array, matrix))
        self._maybe_build()

    def remove(self, ids: Iterable[int]) -> None:
        id_array = np.fromiter((int(i) for i in ids), dtype=np.int64)
        super().remove(id_array.tolist())
        with self._ann_lock:
            if self._ann is not None:
                if len(self) < self.threshold // 2:
                    self._ann = None  # small again: exact search, and the memory back
                    self._unindexed.clear()
                else:
                    self._ann.remove(id_array)
                    for chunk_id in id_array.tolist():
                        self._unindexed.pop(chunk_id, None)
                self._publish_unindexed()
            if self._pending is not None:
                self._pending.append(("remove", id_array, None))
        self._maybe_build()

    def search(
        self, query: npt.NDArray[np.floating[Any]], k: int, *, allowed: Allowed | None = None
    ) -> list[tuple[int, float]]:
        # Read before the graph: a row leaves this list only once it is in the graph (the
        # drain inserts it, or a rebuilt graph holds it), so every row is in one of the
        # two, or in both (merged by id).
        unindexed = self._unindexed_ids
        ann = self._ann
        if ann is None or callable(allowed):
            return super().search(query, k, allowed=allowed)
        q = np.asarray(query, dtype=np.float32).reshape(-1)
        if q.size != self.dimensions:
            raise ValueError(f"expected a query of {self.dimensions} dimensions, got {q.size}")
        if not np.isfinite(q).all():
            raise ValueError("query must be finite")
        if allowed is None:
            return self._merged(ann, q, k, None, unindexed)
        allowed_ids = np.asarray(allowed, dtype=np.int64).reshape(-1)
        if allowed_ids.size < max(self.threshold, len(self) * _EXACT_FILTER_SHARE):
            return super().search(q, k, allowed=allowed_ids)
        if unindexed.size:
            unindexed = np.intersect1d(unindexed, allowed_ids)
        return self._merged(ann, q, k, allowed_ids, unindexed)

    def _merged(
        self, ann: HnswIndex, q: FloatArray, k: int, allowed: IdArray | None, unindexed: IdArray
    ) -> list[tuple[int, float]]:
        """The graph's best rows that are current (present, and not waiting for the drain:
        the graph may hold an older vector of those) merged with an exact search over the
        unindexed rows."""
        want = k
        while True:
            hits = ann.search(q, want, allowed=allowed)
            ids = np.fromiter((chunk_id for chunk_id, _ in hits), np.int64, len(hits))
            fresh = ~np.isin(ids, unindexed) if unindexed.size else np.ones(ids.size, np.bool_)
            kept = [
                hit
                for hit, ok in zip(hits, fresh.tolist(), strict=True)
                if ok and hit[0] in self._slots
            ]
            if len(kept) >= k or len(hits) < want or want >= 8 * k:
                break
            want *= 2  # rows dropped: look further down the graph's ranking
        if unindexed.size:
            kept += super().search(q, k, allowed=unindexed)
            kept.sort(key=lambda pair: (-pair[1], pair[0]))
        return kept[:k]

    def _publish_unindexed(self) -> None:
        # Caller holds self._ann_lock.
        self._unindexed_ids = np.sort(np.fromiter(self._unindexed, np.int64, len(self._unindexed)))

    def _maybe_drain(self) -> None:
        # Caller holds self._ann_lock.
        if self._drainer is None and self._unindexed:
            self._drainer = threading.Thread(
                target=self._drain, name="ragkit-hnsw-drain", daemon=True
            )
            self._drainer.start()

    def _drain(self) -> None:
        """Insert unindexed rows into the graph a step at a time, until none is left.

        The insert runs outside ``_ann_lock``, so writes never wait for it; a row removed
        or rewritten meanwhile is taken out of the graph again afterwards (searches skip
        graph hits that are absent from the exact index or still unindexed)."""
        while True:
            with self._ann_lock:
                ann = self._ann
                if ann is None or not self._unindexed:
                    self._drainer = None
                    return
                step = dict(itertools.islice(self._unindexed.items(), DRAIN_STEP))
                # Their current vectors; rows removed meanwhile are skipped.
                ids, vectors = self._vectors_of(np.fromiter(step, np.int64, len(step)))
            try:
                ann.add(ids, vectors)
            except Exception:  # searches still find them among the unindexed rows
                logger.exception("inserting rows into the HNSW graph failed")
                with self._ann_lock:
                    self._drainer = None
                return
            with self._ann_lock:
                stale = []
                for chunk_id, write in step.items():
                    now = self._unindexed.get(chunk_id)
                    if now == write:
                        del self._unindexed[chunk_id]  # in the graph, as written
                    elif now is not None or chunk_id not in self._slots:
                        stale.append(chunk_id)  # rewritten or removed during the insert
                if stale and self._ann is ann:
                    ann.remove(stale)
                self._publish_unindexed()

    def _maybe_build(self) -> None:
        if self.threshold <= 0 or len(self) < self.threshold:
            return
        with self._ann_lock:
            if self._pending is not None:
                return  # a build is running
            if self._ann is not None and self._ann.dead_fraction < _REBUILD_DEAD_FRACTION:
                return
            self._pending = []
            self._builder = threading.Thread(
                target=self._build, name="ragkit-hnsw-build", daemon=True
            )
            self._builder.start()

    def _build(self) -> None:
        try:
            graph = HnswIndex(
                self.dimensions, ef_search=self.ef_search, ef_construction=self.ef_construction
            )
            for ids, vectors in self._slices():
                graph.add(ids, vectors)
            with self._ann_lock:
                for op, op_ids, op_vectors in self._pending or []:
                    if op == "add" and op_vectors is not None:
                        graph.add(op_ids, op_vectors)
                    else:
                        graph.remove(op_ids)
                self._reconcile(graph)
                if len(self) >= self.threshold // 2:
                    self._ann = graph
                    # The new graph holds every row: nothing is left to drain into it.
                    self._unindexed.clear()
                    self._publish_unindexed()
        except ImportError:
            logger.warning("faiss is not installed (pip install 'ragkit[server]'): exact search")
            self.threshold = 0  # do not retry on every write
        except Exception:  # exact search keeps answering
            logger.exception("building the HNSW index failed")
        finally:
            with self._ann_lock:
                self._pending = None

    def _reconcile(self, graph: HnswIndex) -> None:
        """Make the graph hold exactly the exact index's ids: removals move rows between
        slots while the build copies them, so a row can be skipped (or copied twice)."""
        present = self.ids()
        held = graph.ids()
        graph.remove(np.setdiff1d(held, present, assume_unique=True))
        missing = np.setdiff1d(present, held, assume_unique=True)
        if missing.size:
            ids, vectors = self._vectors_of(missing)
            graph.add(ids, vectors)

    def _slices(self) -> Iterator[tuple[IdArray, FloatArray]]:
        """Copies of the rows, a step at a time (writers only wait for one step)."""
        start = 0
        while True:
            with self._reading() as snap:
                if start >= snap.count:
                    return
                stop = min(start + _BUILD_STEP, snap.count)
                block, row = divmod(start, self.block_rows)
                stop = min(stop, (block + 1) * self.block_rows)
                n = stop - start
                ids = snap.ids[block][row : row + n].copy()
                vectors = snap.vectors[block][row : row + n].copy()
            yield ids, vectors
            start = stop

    def _vectors_of(self, ids: IdArray) -> tuple[IdArray, FloatArray]:
        with self._reading() as snap:
            slots = [
                (i, s)
                for i in ids.tolist()
                if (s := self._slots.get(i)) is not None and s < snap.count
            ]
            found = np.array([i for i, _ in slots], dtype=np.int64)
            rows = np.empty((len(slots), self.dimensions), dtype=np.float32)
            for n, (_, slot) in enumerate(slots):
                block, row = divmod(slot, self.block_rows)
                rows[n] = snap.vectors[block][row]
        return found, rows
