"""Benchmark the HNSW tier against exact search: recall@10, p50/p99, plain and filtered.

For each corpus size it fills a :class:`ragkit.server.tiered_index.TieredIndex` (at the
default threshold and ``ef_search``) with *clustered* L2-normalised 384-dimension vectors
(the MiniLM width): ``--clusters`` Gaussian centres plus noise, which is how sentence
embeddings are spread (uniformly random vectors in 384 dimensions are a pathological
case where every point is nearly equidistant). Queries are perturbed corpus rows. It then
waits for the background HNSW build and times, interleaved, per query:

* ``exact``: the exact index (:class:`~ragkit.server.index.VectorIndex`), no filter;
* ``exact 10%``: exact, with an allowed-id array keeping a random 10% of the rows;
* ``tiered``: what the server runs (HNSW), no filter;
* ``tiered 10%``: what the server runs with the 10% filter (exact over the kept rows,
  as for any filter keeping under a quarter of the corpus);
* ``hnsw 10%``: the HNSW graph with the 10% filter as a bitmap, whatever the size.

recall@10 is against the exact answer for the same query and filter. Targets (issue 18):
recall@10 >= 0.98, tiered >= 20x faster than exact at 1M, filtered no slower than
unfiltered exact.

Run by hand (never part of the test suite)::

    .venv/bin/python bench/bench_ann.py                        # 100k
    .venv/bin/python bench/bench_ann.py --sizes 100000 1000000 --queries 200
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from ragkit.server.ann import DEFAULT_EF_CONSTRUCTION
from ragkit.server.index import VectorIndex
from ragkit.server.tiered_index import DEFAULT_ANN_THRESHOLD, TieredIndex

DIMS = 384
BATCH = 10_000
K = 10


def clustered(
    rng: np.random.Generator, rows: int, centres: npt.NDArray[np.float32], noise: float
) -> npt.NDArray[np.float32]:
    picks = rng.integers(0, centres.shape[0], rows)
    x = centres[picks] + noise * rng.standard_normal((rows, DIMS), dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(
    size: int,
    queries: int,
    clusters: int,
    noise: float,
    seed: int,
    sweep: list[int],
    ef_construction: int,
) -> None:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, DIMS), dtype=np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    ids = np.arange(1, size + 1, dtype=np.int64) * 2  # sparse, like row ids across corpora
    tiered = TieredIndex(DIMS, ef_construction=ef_construction)
    started = time.perf_counter()
    for start in range(0, size, BATCH):
        tiered.add(
            ids[start : start + BATCH], clustered(rng, min(BATCH, size - start), centres, noise)
        )
    filled = time.perf_counter() - started
    tiered.wait_for_graph()
    built = time.perf_counter() - started
    assert tiered.ann_ready, "the HNSW graph did not build"
    graph = tiered._ann
    assert graph is not None
    allowed = np.sort(rng.choice(ids, size // 10, replace=False))
    exact = VectorIndex.search
    qs = clustered(rng, queries, centres, noise)

    runs: dict[str, Callable[[int], list[tuple[int, float]]]] = {
        "exact": lambda i: exact(tiered, qs[i], K),
        "exact 10%": lambda i: exact(tiered, qs[i], K, allowed=allowed),
        "tiered": lambda i: tiered.search(qs[i], K),
        "tiered 10%": lambda i: tiered.search(qs[i], K, allowed=allowed),
        "hnsw 10%": lambda i: graph.search(qs[i], K, allowed=allowed),
    }
    default_ef = graph.ef_search

    def at_ef(ef: int) -> Callable[[int], list[tuple[int, float]]]:
        def search(i: int) -> list[tuple[int, float]]:
            graph.ef_search, graph.grow_ef = ef, False
            try:
                return graph.search(qs[i], K)
            finally:
                graph.ef_search, graph.grow_ef = default_ef, True

        return search

    for ef in sweep:
        runs[f"hnsw ef={ef}"] = at_ef(ef)
    truth = {"": "exact", "10%": "exact 10%"}
    times: dict[str, list[float]] = {name: [] for name in runs}
    answers: dict[str, list[set[int]]] = {name: [] for name in runs}
    for fn in runs.values():
        fn(0)
    for i in range(queries):
        for name, fn in runs.items():
            t = time.perf_counter()
            result = fn(i)
            times[name].append(time.perf_counter() - t)
            answers[name].append({chunk_id for chunk_id, _ in result})
    print(
        f"\n{size:,} chunks x {DIMS} dims, {clusters} clusters (noise {noise}); "
        f"threshold {DEFAULT_ANN_THRESHOLD:,}; ef_construction {ef_construction}; "
        f"fill {filled:.1f} s, HNSW ready after {built:.1f} s; {queries} queries, k={K}"
    )
    exact_p50 = statistics.median(times["exact"])
    print(f"{'search':<14}{'p50 ms':>9}{'p99 ms':>9}{'recall@10':>11}{'vs exact p50':>14}")
    for name in runs:
        reference = truth["10%" if "10%" in name else ""]
        recall = statistics.mean(
            len(a & b) / K for a, b in zip(answers[name], answers[reference], strict=True)
        )
        p50 = statistics.median(times[name])
        print(
            f"{name:<14}{p50 * 1e3:>9.2f}{percentile(times[name], 0.99) * 1e3:>9.2f}"
            f"{recall:>11.3f}{exact_p50 / p50:>13.1f}x"
        )
    allowed_set = set(allowed.tolist())
    filtered_ok = all(len(found) == K and found <= allowed_set for found in answers["tiered 10%"])
    print(f"every filtered answer has {K} hits that pass the filter: {filtered_ok}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--clusters", type=int, default=1000)
    parser.add_argument("--noise", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--ef",
        type=int,
        nargs="*",
        default=[],
        help="also time the graph alone at these ef_search values (one build, many settings)",
    )
    parser.add_argument(
        "--ef-construction",
        type=int,
        default=DEFAULT_EF_CONSTRUCTION,
        help="the graph's build-time candidate list (the server's default unless given)",
    )
    args = parser.parse_args()
    for size in args.sizes:
        run(size, args.queries, args.clusters, args.noise, args.seed, args.ef, args.ef_construction)


if __name__ == "__main__":
    main()
