"""Chunking on several threads, and what it does to another thread's latency, per tokeniser.

bpe-openai holds the GIL while it encodes (tiktoken releases it), so with it installed the
chunker's encodes no longer run in parallel, and a long encode would stall every other
thread of the process (a server's requests). ragkit hands it slices of at most 64 K
characters (``ragkit.tokenizers._SLICE_CHARS``). For each tokeniser this times:

* ``threads``: the bench corpus (``bench_chunking.stdlib_docstrings``, 400/50 tokens)
  chunked by ``--threads`` threads, as ``ragkit ingest`` does (wall and CPU);
* ``stall``: the longest gap a thread sleeping 1 ms at a time sees while another thread
  chunks one long document (the corpus joined, ``--megabytes``), i.e. how long a server's
  other work can be held up; "unsliced" is bpe-openai given the whole text at once.

Medians over ``--runs`` interleaved runs; the load average is printed before and after.
Run::

    .venv/bin/python bench/bench_tokeniser_threads.py [--megabytes 4] [--runs 5] [--threads 4]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_chunking import stdlib_docstrings

from ragkit import tokenizers
from ragkit.ingest import ChunkingConfig, chunk_text
from ragkit.ingest import chunking as chunking_module
from ragkit.tokenizers import OrdinaryEncoder, get_ordinary_encoder


@contextmanager
def chunker_encoder(encoder: OrdinaryEncoder, slice_chars: int) -> Iterator[None]:
    """The chunker encodes with ``encoder``, bpe-openai in slices of ``slice_chars``."""
    saved = chunking_module.get_ordinary_encoder, tokenizers._SLICE_CHARS
    chunking_module.get_ordinary_encoder = lambda name="cl100k_base": encoder
    tokenizers._SLICE_CHARS = slice_chars
    try:
        yield
    finally:
        chunking_module.get_ordinary_encoder, tokenizers._SLICE_CHARS = saved


def threaded(documents: list[str], threads: int) -> tuple[float, float]:
    config = ChunkingConfig(chunk_tokens=400, overlap_tokens=50)
    wall, cpu = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda d: chunk_text(d, config), documents))
    return time.perf_counter() - wall, time.process_time() - cpu


def stall(text: str) -> float:
    """Longest gap, in seconds, between the 1 ms naps of a thread while ``text`` is chunked."""
    done = threading.Event()
    worker = threading.Thread(
        target=lambda: (chunk_text(text, ChunkingConfig(400, 50)), done.set())
    )
    longest, last = 0.0, time.perf_counter()
    worker.start()
    while not done.is_set():
        time.sleep(0.001)
        now = time.perf_counter()
        longest, last = max(longest, now - last), now
    worker.join()
    return longest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=4.0)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    fast = get_ordinary_encoder()
    if fast.backend != "bpe-openai":
        raise SystemExit("bpe-openai is not installed: pip install 'ragkit[speedups]'")
    documents = stdlib_docstrings(args.megabytes)
    joined = "\n\n".join(documents)
    slow = OrdinaryEncoder(fast.encoding)
    setups: dict[str, tuple[OrdinaryEncoder, int]] = {
        "tiktoken": (slow, tokenizers._SLICE_CHARS),
        "bpe-openai": (fast, tokenizers._SLICE_CHARS),
        "bpe unsliced": (fast, len(joined) + 1),
    }
    samples: dict[str, list[tuple[float, float, float]]] = {name: [] for name in setups}
    for _ in range(args.runs):
        for name, (encoder, slice_chars) in setups.items():
            with chunker_encoder(encoder, slice_chars):
                wall, cpu = threaded(documents, args.threads)
                samples[name].append((wall, cpu, stall(joined)))
    print(
        f"{len(documents)} documents, {len(joined) / 1e6:.2f} M characters, "
        f"{args.threads} threads; stall: one document of all of them"
    )
    print(f"{'':>14} {'threads wall':>13} {'threads cpu':>12} {'stall max':>10}")
    for name, values in samples.items():
        wall, cpu, gap = (statistics.median(v[i] for v in values) for i in range(3))
        print(f"{name:>14} {wall * 1e3:10.0f} ms {cpu * 1e3:9.0f} ms {gap * 1e3:7.1f} ms")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
