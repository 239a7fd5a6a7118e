"""Benchmark VectorIndex: query latency against a memory-bandwidth floor, and memory use.

For each corpus size it fills a :class:`ragkit.server.index.VectorIndex` with random
L2-normalised ``float32`` vectors (added in batches, as ingestion does), then reports

* ``p50``/``p95`` latency of ``search(query, k)``, unfiltered and with a predicate filter
  that admits half of the ids;
* ``read``: the median time of ``X.sum()`` over the same vectors held as one contiguous
  matrix, i.e. the cost of reading them once; the target is ``p50 / read <= 1.5``;
* ``rss``: growth of the process's resident memory (``VmRSS``) while the index was built,
  against the raw vector bytes; the target is ``<= 1.3`` at a million chunks.

Run by hand (never part of the test suite)::

    .venv/bin/python bench/bench_query.py                      # 10k, 100k, 1M x 384
    .venv/bin/python bench/bench_query.py --sizes 10000 --queries 50
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from ragkit.server.index import VectorIndex

BATCH = 10_000


def rss_bytes() -> int:
    """Resident set size of this process, from ``/proc/self/status``."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("VmRSS not found in /proc/self/status")


def unit_rows(rng: np.random.Generator, rows: int, dims: int) -> npt.NDArray[np.float32]:
    x = rng.standard_normal((rows, dims), dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def timed_interleaved(
    runs: dict[str, Callable[[int], object]], repeats: int
) -> dict[str, list[float]]:
    """Time each run ``repeats`` times, round-robin, after one warm-up call each."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for fn in runs.values():
        fn(0)  # warm-up: page faults, first-touch allocations
    for i in range(repeats):
        for name, fn in runs.items():
            start = time.perf_counter()
            fn(i)
            times[name].append(time.perf_counter() - start)
    return times


def bench_size(n: int, dims: int, k: int, queries: int, seed: int) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    gc.collect()
    before = rss_bytes()
    index = VectorIndex(dims)
    for start in range(0, n, BATCH):
        rows = min(BATCH, n - start)
        index.add(np.arange(start, start + rows, dtype=np.int64), unit_rows(rng, rows, dims))
    gc.collect()
    rss_ratio = (rss_bytes() - before) / (n * dims * 4)

    qs = unit_rows(rng, queries, dims)
    # The same vectors again (same seed), as one contiguous matrix.
    again = np.random.default_rng(seed)
    matrix = np.concatenate([unit_rows(again, min(BATCH, n - s), dims) for s in range(0, n, BATCH)])
    runs: dict[str, Callable[[int], object]] = {
        "search": lambda i: index.search(qs[i], k),
        "filtered": lambda i: index.search(qs[i], k, allowed=lambda ids: ids % 2 == 0),
        "read": lambda i: matrix.sum(),
    }
    # Interleaved, so that load from other processes hits all three alike.
    times = timed_interleaved(runs, queries)
    search_times, filtered_times, read_times = times["search"], times["filtered"], times["read"]
    read = statistics.median(read_times)
    p50 = statistics.median(search_times)
    return {
        "n": n,
        "p50_ms": p50 * 1e3,
        "p95_ms": float(np.percentile(search_times, 95)) * 1e3,
        "filtered_p50_ms": statistics.median(filtered_times) * 1e3,
        "read_ms": read * 1e3,
        "p50_over_read": p50 / read,
        "filtered_over_read": statistics.median(filtered_times) / read,
        "rss_over_raw": rss_ratio,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--dims", type=int, default=384)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument(
        "--queries", type=int, default=None, help="per size; default 30 to 300, more when small"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    header = (
        f"{'chunks':>9} {'p50 ms':>8} {'p95 ms':>8} {'filt ms':>8} {'read ms':>8}"
        f" {'p50/read':>8} {'filt/read':>9} {'rss/raw':>8}"
    )
    print(header)
    for n in args.sizes:
        queries = args.queries or max(30, min(300, 3_000_000 // n))
        r = bench_size(n, args.dims, args.k, queries, args.seed)
        print(
            f"{n:>9,} {r['p50_ms']:>8.2f} {r['p95_ms']:>8.2f} {r['filtered_p50_ms']:>8.2f}"
            f" {r['read_ms']:>8.2f} {r['p50_over_read']:>8.2f} {r['filtered_over_read']:>9.2f}"
            f" {r['rss_over_raw']:>8.3f}"
        )
        gc.collect()


if __name__ == "__main__":
    main()
