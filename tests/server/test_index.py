"""VectorIndex: exact top-k, replacement, removal, filters and concurrent reads."""

from __future__ import annotations

import threading

import numpy as np
import numpy.typing as npt
import pytest

from ragkit.server.index import VectorIndex


def _unit(rows: int, dims: int, seed: int = 0) -> npt.NDArray[np.float32]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((rows, dims)).astype(np.float32)
    unit: npt.NDArray[np.float32] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return unit


def _brute(
    ids: npt.NDArray[np.int64], x: npt.NDArray[np.float32], q: npt.NDArray[np.float32], k: int
) -> list[int]:
    scores = x @ q
    order = np.lexsort((ids, -scores))[:k]
    ranked: list[int] = ids[order].tolist()
    return ranked


@pytest.fixture
def data() -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    ids = np.arange(1000, 1250, dtype=np.int64)[::-1].copy()
    return ids, _unit(250, 16)


def test_search_matches_brute_force_across_blocks(
    data: tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]],
) -> None:
    ids, x = data
    index = VectorIndex(16, block_rows=32)
    for start in range(0, 250, 70):
        index.add(ids[start : start + 70], x[start : start + 70])
    assert len(index) == 250
    for q in _unit(5, 16, seed=1):
        hits = index.search(q, 10)
        assert [h[0] for h in hits] == _brute(ids, x, q, 10)
        assert [h[1] for h in hits] == sorted((h[1] for h in hits), reverse=True)
        assert hits[0][1] == pytest.approx(float(np.max(x @ q)), abs=1e-6)


def test_k_larger_than_index_and_empty_index() -> None:
    index = VectorIndex(4)
    assert index.search(np.ones(4, np.float32) / 2, 3) == []
    index.add([5], np.array([[1, 0, 0, 0]], np.float32))
    assert index.search(np.array([1, 0, 0, 0], np.float32), 10) == [(5, 1.0)]
    assert index.search(np.array([1, 0, 0, 0], np.float32), 0) == []


def test_ties_are_broken_by_id() -> None:
    index = VectorIndex(2, block_rows=3)
    same = np.tile(np.array([[0.6, 0.8]], np.float32), (7, 1))
    index.add([9, 3, 7, 1, 8, 2, 5], same)
    hits = index.search(np.array([0.6, 0.8], np.float32), 4)
    assert [h[0] for h in hits] == [1, 2, 3, 5]


def test_re_adding_replaces_and_last_duplicate_wins() -> None:
    index = VectorIndex(2)
    index.add([1, 2], np.array([[1, 0], [0, 1]], np.float32))
    index.add([1, 1], np.array([[1, 0], [0, 1]], np.float32))
    assert len(index) == 2
    hits = index.search(np.array([0, 1], np.float32), 2)
    assert hits == [(1, 1.0), (2, 1.0)]
    assert index.search(np.array([1, 0], np.float32), 1)[0][1] == 0.0


def test_remove_keeps_remaining_rows_searchable(
    data: tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]],
) -> None:
    ids, x = data
    index = VectorIndex(16, block_rows=16)
    index.add(ids, x)
    doomed = set(ids[::3].tolist()) | {-5, 99999}
    index.remove(doomed)
    keep = np.array([i not in doomed for i in ids.tolist()])
    assert len(index) == int(keep.sum())
    assert index.ids().tolist() == sorted(ids[keep].tolist())
    q = _unit(1, 16, seed=3)[0]
    assert [h[0] for h in index.search(q, 20)] == _brute(ids[keep], x[keep], q, 20)
    index.remove(ids.tolist())
    assert len(index) == 0
    assert index.search(q, 3) == []
    index.add([1], x[:1])
    assert index.search(q, 3)[0][0] == 1


def test_allowed_ids_filter_before_ranking(
    data: tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]],
) -> None:
    ids, x = data
    index = VectorIndex(16, block_rows=64)
    index.add(ids, x)
    q = _unit(1, 16, seed=4)[0]
    for allowed in (ids[::50], ids[ids % 2 == 0], np.array([123456789], np.int64)):
        mask = np.isin(ids, allowed)
        expected = _brute(ids[mask], x[mask], q, 5)
        assert [h[0] for h in index.search(q, 5, allowed=allowed)] == expected
    assert index.search(q, 5, allowed=[]) == []


def test_allowed_predicate_filter_before_ranking(
    data: tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]],
) -> None:
    ids, x = data
    index = VectorIndex(16, block_rows=64)
    index.add(ids, x)
    q = _unit(1, 16, seed=5)[0]
    for modulus in (2, 97):
        hits = index.search(q, 7, allowed=lambda a, m=modulus: a % m == 0)
        mask = ids % modulus == 0
        assert [h[0] for h in hits] == _brute(ids[mask], x[mask], q, 7)
    with pytest.raises(ValueError, match="one bool per id"):
        index.search(q, 1, allowed=lambda a: np.ones(1, bool))


def test_shape_and_value_validation() -> None:
    index = VectorIndex(3)
    with pytest.raises(ValueError, match="shape"):
        index.add([1, 2], np.zeros((1, 3), np.float32))
    with pytest.raises(ValueError, match="finite"):
        index.add([1], np.array([[np.nan, 0, 0]], np.float32))
    with pytest.raises(ValueError, match="dimensions"):
        index.search(np.zeros(4, np.float32), 1)
    with pytest.raises(ValueError):
        VectorIndex(0)
    assert len(index) == 0


def test_searches_run_safely_alongside_writes() -> None:
    dims = 8
    index = VectorIndex(dims, block_rows=50)
    base = _unit(200, dims, seed=6)
    index.add(np.arange(200), base)
    stop = threading.Event()
    errors: list[BaseException] = []
    q = base[0]

    def reader() -> None:
        try:
            while not stop.is_set():
                hits = index.search(q, 1)
                # Row 0 is never touched by the writer, so it must always win.
                assert hits[0][0] == 0 and hits[0][1] == pytest.approx(1.0, abs=1e-5)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    noise = _unit(400, dims, seed=7) * 0.5
    for round_ in range(20):
        fresh = np.arange(1000 + round_ * 20, 1020 + round_ * 20)
        index.add(fresh, noise[round_ * 20 : round_ * 20 + 20])
        index.add(np.arange(1, 11), noise[:10])
        index.remove(fresh[::2])
    stop.set()
    for t in threads:
        t.join()
    assert errors == []
    assert len(index) == 200 + 20 * 10


def test_many_exact_ties_keep_smallest_ids_and_edge_inputs() -> None:
    index = VectorIndex(3, block_rows=100)
    ids = np.arange(5000, 0, -1)
    index.add(ids, np.zeros((5000, 3), np.float32))
    assert [h[0] for h in index.search(np.array([1, 0, 0], np.float32), 3)] == [1, 2, 3]
    index.add([], np.zeros((0, 3), np.float32))
    index.remove(iter([4999, 5000, 777777]))
    assert len(index) == 4998 and 5000 not in index and 1 in index
