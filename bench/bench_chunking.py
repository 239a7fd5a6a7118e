"""Chunking throughput against a bare tiktoken pass over the same text.

Corpus: docstrings of the Python standard library, then of the installed packages (real
technical prose, deterministic for a given environment), one document per module, cut to
``--megabytes`` of text. Timed, as medians of
``--runs`` interleaved runs:

* ``encode``: ``encoding.encode_ordinary(text)`` for every document (the floor: any token-aware
  chunker must tokenise everything at least once);
* ``ragkit``: ``chunk_text(text, ChunkingConfig(400, 50))`` for every document;
* ``semchunk``: ``semchunk.chunkerify(cl100k, 400)(text, overlap=50)`` (semchunk is a bench
  dependency only: ``pip install 'ragkit[bench]'``), the fastest peer measured in issue 18;
* ``langchain``: ``RecursiveCharacterTextSplitter.from_tiktoken_encoder`` (cl100k, 400/50), if
  ``langchain-text-splitters`` is installed. It calls ``tiktoken.get_encoding``, which would
  download the vocabulary, so the bench (only) patches it to return ragkit's offline encoding.

Target (issue 18): ragkit at least as fast as the fastest peer, i.e. ragkit's time <= 1.0x
the ``encode`` time, semchunk's level. Ratios are printed from wall-clock medians
and from CPU-time medians (steadier when other processes share the machine). Run::

    .venv/bin/python bench/bench_chunking.py [--megabytes 4] [--runs 5]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sysconfig
import time
from collections.abc import Callable
from pathlib import Path

from ragkit.ingest import ChunkingConfig, chunk_text
from ragkit.tokenizers import get_encoding

_DOCSTRING = re.compile(r'"""(.*?)"""', re.DOTALL)


def stdlib_docstrings(megabytes: float) -> list[str]:
    """Triple-quoted strings of 200+ chars per module: stdlib first, then installed packages."""
    budget = int(megabytes * 1_000_000)
    paths = sysconfig.get_paths()
    files = [
        path
        for root in (paths["stdlib"], paths["purelib"])
        for path in sorted(Path(root).rglob("*.py"))
        if not {"test", "tests", "idlelib", "site-packages"} & set(path.relative_to(root).parts)
    ]
    documents: list[str] = []
    for path in files:
        source = path.read_text(encoding="utf-8", errors="replace")
        parts = [s.strip() for s in _DOCSTRING.findall(source) if len(s.strip()) >= 200]
        if not parts:
            continue
        text = "\n\n".join(parts)[:budget]
        documents.append(text)
        budget -= len(text)
        if budget <= 0:
            break
    return documents


def timed(func: Callable[[], object]) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one call (CPU time is steadier on a busy machine)."""
    wall, cpu = time.perf_counter(), time.process_time()
    func()
    return time.perf_counter() - wall, time.process_time() - cpu


def run_interleaved(
    contenders: dict[str, Callable[[], object]], runs: int, size: float, unit: str
) -> dict[str, tuple[float, float]]:
    """Run the contenders in turn ``runs`` times; print and return median (wall, cpu) seconds."""
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in contenders}
    for _ in range(runs):
        for name, func in contenders.items():
            samples[name].append(timed(func))
    medians: dict[str, tuple[float, float]] = {}
    for name, values in samples.items():
        wall = statistics.median(v[0] for v in values)
        cpu = statistics.median(v[1] for v in values)
        medians[name] = (wall, cpu)
        runs_ms = ", ".join(f"{v[0] * 1000:.0f}" for v in values)
        print(
            f"{name:>10}: wall {wall * 1000:8.1f} ms ({size / wall:7.2f} {unit}/s), "
            f"cpu {cpu * 1000:8.1f} ms  (wall runs: {runs_ms})"
        )
    return medians


def print_ratio(medians: dict[str, tuple[float, float]], ours: str, theirs: str) -> None:
    """Throughput of ``ours`` relative to ``theirs``, from wall-clock and from CPU medians."""
    wall = medians[theirs][0] / medians[ours][0]
    cpu = medians[theirs][1] / medians[ours][1]
    print(f"{ours} throughput / {theirs} throughput = {wall:.3f}x (wall), {cpu:.3f}x (cpu)")


def langchain_splitter() -> Callable[[str], list[str]] | None:
    try:
        from langchain_text_splitters import RecursiveCharacterTextSplitter
    except ImportError:
        return None
    import tiktoken

    original = tiktoken.get_encoding
    tiktoken.get_encoding = lambda name: get_encoding(name)  # offline vocabulary, bench only
    try:
        splitter = RecursiveCharacterTextSplitter.from_tiktoken_encoder(
            encoding_name="cl100k_base", chunk_size=400, chunk_overlap=50
        )
    finally:
        tiktoken.get_encoding = original
    return splitter.split_text


def semchunk_runner(documents: list[str]) -> Callable[[], object] | None:
    """One run of semchunk over ``documents`` with a fresh chunker: semchunk memoises token
    counts per chunker, and reusing one would time cache hits on the very same texts."""
    try:
        import semchunk
    except ImportError:
        return None
    encoding = get_encoding("cl100k_base")

    def run() -> object:
        chunker = semchunk.chunkerify(encoding, 400)
        return [chunker(d, overlap=50) for d in documents]

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=4.0)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    documents = stdlib_docstrings(args.megabytes)
    size = sum(len(d.encode("utf-8")) for d in documents)
    encoding = get_encoding("cl100k_base")
    config = ChunkingConfig(chunk_tokens=400, overlap_tokens=50)
    tokens = sum(len(encoding.encode_ordinary(d)) for d in documents)
    chunks = sum(len(chunk_text(d, config)) for d in documents)  # also warms caches
    print(f"corpus: {len(documents)} documents, {size / 1e6:.2f} MB, {tokens:,} tokens")
    print(f"ragkit: {chunks:,} chunks of <= 400 tokens, 50 overlap")

    contenders: dict[str, Callable[[], object]] = {
        "encode": lambda: [encoding.encode_ordinary(d) for d in documents],
        "ragkit": lambda: [chunk_text(d, config) for d in documents],
    }
    semchunk_run = semchunk_runner(documents)
    if semchunk_run is None:
        print("semchunk not installed (pip install 'ragkit[bench]'): skipping it")
    else:
        contenders["semchunk"] = semchunk_run
    split = langchain_splitter()
    if split is None:
        print("langchain-text-splitters not installed: skipping it")
    else:
        pieces = [len(p) for d in documents for p in split(d)]
        print(f"langchain: {len(pieces):,} chunks (RecursiveCharacterTextSplitter, cl100k 400/50)")
        contenders["langchain"] = lambda: [split(d) for d in documents]
    medians = run_interleaved(contenders, args.runs, size / 1e6, "MB")
    print_ratio(medians, "ragkit", "encode")
    if "semchunk" in medians:
        print_ratio(medians, "semchunk", "encode")
        print_ratio(medians, "ragkit", "semchunk")
    if "langchain" in medians:
        print_ratio(medians, "ragkit", "langchain")


if __name__ == "__main__":
    main()
