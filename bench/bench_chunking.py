"""Chunking throughput against a bare tiktoken pass over the same text.

Corpus: docstrings of the Python standard library, then of the installed packages (real
technical prose, deterministic for a given environment), one document per module, cut to
``--megabytes`` of text. Timed, as medians of
``--runs`` interleaved runs:

* ``encode``: ``encoding.encode_ordinary(text)`` for every document (the floor: any token-aware
  chunker must tokenise everything at least once);
* ``ragkit``: ``chunk_text(text, ChunkingConfig(400, 50))`` for every document;
* ``langchain``: ``RecursiveCharacterTextSplitter.from_tiktoken_encoder`` (cl100k, 400/50), if
  ``langchain-text-splitters`` is installed. It calls ``tiktoken.get_encoding``, which would
  download the vocabulary, so the bench (only) patches it to return ragkit's offline encoding.

Target: ragkit >= 0.8x the ``encode`` throughput. Run::

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


def timed(func: Callable[[], object]) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


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
    split = langchain_splitter()
    if split is None:
        print("langchain-text-splitters not installed: skipping it")
    else:
        contenders["langchain"] = lambda: [split(d) for d in documents]
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(args.runs):
        for name, func in contenders.items():
            times[name].append(timed(func))
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, median in medians.items():
        print(
            f"{name:>10}: median {median * 1000:8.1f} ms  {size / median / 1e6:6.2f} MB/s  "
            f"(runs: {', '.join(f'{t * 1000:.0f}' for t in times[name])} ms)"
        )
    print(f"ragkit throughput / encode throughput = {medians['encode'] / medians['ragkit']:.2f}x")
    if "langchain" in medians:
        ratio = medians["langchain"] / medians["ragkit"]
        print(f"ragkit throughput / langchain throughput = {ratio:.2f}x")


if __name__ == "__main__":
    main()
