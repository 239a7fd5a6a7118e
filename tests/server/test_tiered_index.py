"""HnswIndex and TieredIndex: the HNSW tier follows writes and filters inside the graph."""

from __future__ import annotations

import threading

import numpy as np
import numpy.typing as npt

from ragkit.server.ann import (
    DEFAULT_EF_SEARCH,
    MAX_GROWN_EF,
    ROWS_PER_EF,
    HnswIndex,
    search_depth,
)
from ragkit.server.index import VectorIndex
from ragkit.server.tiered_index import TieredIndex

DIMS = 32


def _unit(rows: int, seed: int = 0) -> npt.NDArray[np.float32]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((rows, DIMS)).astype(np.float32)
    unit: npt.NDArray[np.float32] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return unit


def _ids(result: list[tuple[int, float]]) -> list[int]:
    return [chunk_id for chunk_id, _ in result]


def test_hnsw_finds_rows_and_follows_updates_and_removals() -> None:
    x = _unit(500)
    ids = np.arange(10, 510, dtype=np.int64)
    index = HnswIndex(DIMS)
    index.add(ids, x)
    assert _ids(index.search(x[7], 1)) == [17]
    index.remove([17])
    assert 17 not in _ids(index.search(x[7], 10))
    index.add([18], x[7:8])  # 18 now holds 17's old vector
    assert _ids(index.search(x[7], 1)) == [18]
    assert len(index) == 499
    assert index.dead_fraction == 1 - 499 / 501
    assert index.ids().tolist() == [i for i in ids.tolist() if i != 17]


def test_hnsw_filter_admits_only_allowed_rows_and_returns_k() -> None:
    x = _unit(2000, seed=1)
    ids = np.arange(2000, dtype=np.int64) * 3
    index = HnswIndex(DIMS)
    index.add(ids, x)
    allowed = ids[::10]
    index.add(ids[10:11], x[0:1])  # an update: the row's new label must still be allowed
    found = _ids(index.search(x[0], 10, allowed=allowed))
    assert len(found) == 10
    assert set(found) <= set(allowed.tolist())
    assert found[0] in (0, 30)  # both hold x[0]


def _filled(
    rows: int, threshold: int
) -> tuple[TieredIndex, npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    x = _unit(rows, seed=2)
    ids = np.arange(1, rows + 1, dtype=np.int64) * 2
    index = TieredIndex(DIMS, threshold=threshold)
    for start in range(0, rows, 500):
        index.add(ids[start : start + 500], x[start : start + 500])
    return index, ids, x


def test_tiered_stays_exact_below_threshold() -> None:
    index, _, _ = _filled(1000, threshold=5000)
    assert not index.ann_ready
    assert not index.wait_for_graph(1)


def test_tiered_builds_graph_and_agrees_with_exact_search() -> None:
    index, ids, x = _filled(3000, threshold=2000)
    assert index.wait_for_graph(60)
    recall = []
    for q in x[:50]:
        exact = set(_ids(VectorIndex.search(index, q, 10)))
        recall.append(len(exact & set(_ids(index.search(q, 10)))) / 10)
    assert np.mean(recall) >= 0.95
    # A small filtered subset is searched exactly; a large one inside the graph.
    small, large = ids[::20], ids[::1][:2500]
    assert index.search(x[0], 10, allowed=small) == VectorIndex.search(
        index, x[0], 10, allowed=small
    )
    found = _ids(index.search(x[0], 10, allowed=large))
    assert len(found) == 10 and set(found) <= set(large.tolist())


def test_tiered_graph_follows_writes_made_while_it_builds() -> None:
    x = _unit(4000, seed=3)
    ids = np.arange(1, 4001, dtype=np.int64)
    index = TieredIndex(DIMS, threshold=2000)
    index.add(ids[:2500], x[:2500])  # starts the build
    writer_done = threading.Event()

    def write() -> None:
        index.remove(ids[:300].tolist())  # swap-removals move rows the build is copying
        index.add(ids[2500:], x[2500:])
        index.add(ids[400:401], x[3999:4000])  # an update
        writer_done.set()

    thread = threading.Thread(target=write)
    thread.start()
    thread.join()
    assert writer_done.is_set()
    assert index.wait_for_graph(60)
    graph = index._ann
    assert graph is not None
    assert graph.ids().tolist() == index.ids().tolist()
    assert _ids(index.search(x[5], 10)).count(6) == 0  # removed
    assert _ids(index.search(x[3999], 2))[:2] in ([401, 4000], [4000, 401])


def test_tiered_drops_graph_when_corpus_shrinks() -> None:
    index, ids, _ = _filled(2500, threshold=2000)
    assert index.wait_for_graph(60)
    index.remove(ids[:1600].tolist())
    assert not index.ann_ready
    assert len(index) == 900


class PausedDrain(TieredIndex):
    """A TieredIndex whose drain thread waits for ``go`` before inserting anything."""

    def __init__(self, dimensions: int, *, threshold: int) -> None:
        super().__init__(dimensions, threshold=threshold)
        self.go = threading.Event()

    def _drain(self) -> None:
        assert self.go.wait(30)
        super()._drain()


def _live_graph(rows: int) -> tuple[PausedDrain, npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    x = _unit(rows + 400, seed=4)
    ids = np.arange(1, rows + 401, dtype=np.int64)
    index = PausedDrain(DIMS, threshold=2000)
    index.add(ids[:rows], x[:rows])
    assert index.wait_for_graph(60)
    return index, ids, x


def test_a_written_row_is_found_by_the_next_query_before_the_drain_inserts_it() -> None:
    index, ids, x = _live_graph(2500)
    new = slice(2500, 2900)
    index.add(ids[new], x[new])  # returns at once: the graph insert is the drain's job
    assert index.unindexed == 400
    for n in (2500, 2650, 2899):  # each new row is its own best match, graph or not
        assert _ids(index.search(x[n], 1)) == [int(ids[n])]
    allowed = ids[::1][:2800]  # a large filter (searched in the graph) sees them too
    assert _ids(index.search(x[2700], 1, allowed=allowed)) == [int(ids[2700])]
    index.go.set()
    assert index.wait_for_drain(60)
    assert index.unindexed == 0
    graph = index._ann
    assert graph is not None and graph.ids().tolist() == index.ids().tolist()
    assert _ids(graph.search(x[2650], 1)) == [int(ids[2650])]  # now from the graph itself


def test_a_removed_or_updated_row_is_never_served_before_during_or_after_the_drain() -> None:
    index, ids, x = _live_graph(2500)
    index.add(ids[2500:2900], x[2500:2900])
    gone = [int(ids[10]), int(ids[2600])]  # one in the graph, one waiting for the drain
    index.remove(gone)
    index.add(ids[20:21], x[2899:2900])  # row 21 takes row 2900's vector

    def check() -> None:
        for chunk_id, vector in ((gone[0], x[10]), (gone[1], x[2600])):
            assert chunk_id not in _ids(index.search(vector, 20))
        assert _ids(index.search(x[20], 1)) != [21]  # its old vector is not served
        assert set(_ids(index.search(x[2899], 2))) == {21, 2900}

    check()
    index.go.set()
    drained = threading.Event()
    thread = threading.Thread(target=lambda: (index.wait_for_drain(60), drained.set()))
    thread.start()
    while not drained.is_set():  # and while the drain runs
        check()
    thread.join()
    check()
    graph = index._ann
    assert graph is not None and graph.ids().tolist() == index.ids().tolist()


def test_reads_racing_writes_and_the_drain_see_every_acknowledged_row() -> None:
    x = _unit(4000, seed=5)
    ids = np.arange(1, 4001, dtype=np.int64)
    index = TieredIndex(DIMS, threshold=2000)
    index.add(ids[:2500], x[:2500])
    assert index.wait_for_graph(60)
    for start in range(2500, 4000, 50):  # each write, then a query for its rows at once
        index.add(ids[start : start + 50], x[start : start + 50])
        assert _ids(index.search(x[start + 49], 1)) == [int(ids[start + 49])]
        index.remove([int(ids[start])])
        assert int(ids[start]) not in _ids(index.search(x[start], 10))
    assert index.wait_for_drain(60)
    graph = index._ann
    assert graph is not None and graph.ids().tolist() == index.ids().tolist()


def test_the_search_depth_grows_with_the_graph() -> None:
    # Up to ROWS_PER_EF * DEFAULT_EF_SEARCH rows the default holds; past it the list grows
    # one entry per ROWS_PER_EF rows (recall at a fixed depth falls as a graph grows), up
    # to the cap; k and an explicit larger ef_search always win; grow=False pins it.
    assert search_depth(DEFAULT_EF_SEARCH, 10, 100_000) == DEFAULT_EF_SEARCH
    assert search_depth(DEFAULT_EF_SEARCH, 10, 500 * ROWS_PER_EF) == 500
    assert search_depth(DEFAULT_EF_SEARCH, 10, 10**9) == MAX_GROWN_EF
    assert search_depth(DEFAULT_EF_SEARCH, 2000, 10**6) == 2000
    assert search_depth(4000, 10, 10**6) == 4000
    assert search_depth(64, 10, 10**6, grow=False) == 64
