"""Chunking throughput against a bare tiktoken pass over the same text.

Corpus: docstrings of the Python standard library, then of the installed packages (real
technical prose, deterministic for a given environment), one document per module, cut to
``--megabytes`` of text. Timed over ``--runs`` interleaved runs (each contender once per
round), as wall-clock and CPU time (``time.process_time``: every thread of the process, and
steadier than wall-clock when other processes share the machine; the primary figure):

* ``encode``: ``encoding.encode_ordinary(text)`` for every document (the floor: any token-aware
  chunker must tokenise everything at least once);
* ``bpe-openai``: the same tokens from bpe-openai, when installed (``ragkit[speedups]``): the
  encoder ragkit's chunker then uses (``ragkit.tokenizers.get_ordinary_encoder``);
* ``ragkit``: ``chunk_text(text, ChunkingConfig(400, 50))`` for every document;
* ``ragkit@REV`` (with ``--baseline REV``): the same with the chunker of git revision ``REV``
  (its ``chunking``, ``_breaks`` and ``_token_index`` modules, loaded next to this tree's), so
  before and after are timed in one run. Both chunkers' memo of short-piece token counts is
  emptied before each of their runs, so every run starts cold, as a fresh ingest would;
* ``semchunk``: ``semchunk.chunkerify(cl100k, 400)(text, overlap=50)`` (semchunk is a bench
  dependency only: ``pip install 'ragkit[bench]'``), the fastest peer measured in issue 18,
  with a fresh chunker per run (it memoises token counts per chunker);
* ``langchain``: ``RecursiveCharacterTextSplitter.from_tiktoken_encoder`` (cl100k, 400/50), if
  ``langchain-text-splitters`` is installed. It calls ``tiktoken.get_encoding``, which would
  download the vocabulary, so the bench (only) patches it to return ragkit's offline encoding.

Target (issue 18): ragkit at least as fast as the fastest peer, i.e. ragkit's time <= 1.0x
the ``encode`` time, semchunk's level. Ratios are time over ``encode``'s time (lower is
faster), from CPU and from wall-clock medians; the load average is printed before and after.
Run::

    .venv/bin/python bench/bench_chunking.py [--megabytes 4] [--runs 7] [--baseline a6fec7a]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
import types
from collections.abc import Callable
from dataclasses import astuple
from pathlib import Path

from ragkit.ingest import ChunkingConfig, _token_index, chunk_text
from ragkit.tokenizers import get_encoding, get_ordinary_encoder

_DOCSTRING = re.compile(r'"""(.*?)"""', re.DOTALL)
_ROOT = Path(__file__).resolve().parent.parent
#: The chunker's own modules, in import order; everything else comes from this tree.
_CHUNKER_MODULES = ("_breaks", "_token_index", "chunking")


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
    """Wall-clock and CPU seconds of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    func()
    return time.perf_counter() - wall, time.process_time() - cpu


def run_interleaved(
    contenders: dict[str, Callable[[], object]], runs: int, size: float
) -> dict[str, tuple[float, float]]:
    """Run the contenders in turn ``runs`` times; print and return median (wall, cpu) seconds."""
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in contenders}
    for _ in range(runs):
        for name, func in contenders.items():
            samples[name].append(timed(func))
    medians: dict[str, tuple[float, float]] = {}
    print(f"{'':>16} {'cpu median':>11} {'cpu min':>9} {'wall median':>12} {'wall min':>9}")
    for name, values in samples.items():
        walls, cpus = [v[0] for v in values], [v[1] for v in values]
        medians[name] = (statistics.median(walls), statistics.median(cpus))
        print(
            f"{name:>16} {medians[name][1] * 1e3:8.1f} ms {min(cpus) * 1e3:6.1f} ms "
            f"{medians[name][0] * 1e3:9.1f} ms {min(walls) * 1e3:6.1f} ms  "
            f"({size / medians[name][1]:.2f} MB per CPU second)"
        )
    return medians


def print_ratios(medians: dict[str, tuple[float, float]], reference: str) -> None:
    """Each contender's time over ``reference``'s (lower is faster), CPU first."""
    ref_wall, ref_cpu = medians[reference]
    for name, (wall, cpu) in medians.items():
        if name != reference:
            print(
                f"{name:>16} / {reference}: {cpu / ref_cpu:.3f}x CPU, {wall / ref_wall:.3f}x wall"
            )


def load_baseline(revision: str) -> types.ModuleType:
    """The ``chunking`` module of git revision ``revision``, importable next to this tree's.

    Its ``_breaks`` and ``_token_index`` come from the same revision; every other import
    (document, errors, limits, tokenizers) from this tree.
    """
    folder = Path(tempfile.mkdtemp(prefix="ragkit-chunker-"))
    loaded: dict[str, types.ModuleType] = {}
    saved = {name: sys.modules.get(f"ragkit.ingest.{name}") for name in _CHUNKER_MODULES}
    try:
        for name in _CHUNKER_MODULES:
            source = subprocess.run(
                ["git", "show", f"{revision}:ragkit/ingest/{name}.py"],
                cwd=_ROOT,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            path = folder / f"{name}.py"
            path.write_text(source, encoding="utf-8")
            alias = f"ragkit_baseline.{name}"
            spec = importlib.util.spec_from_file_location(alias, path)
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            # The baseline's own imports of its siblings must find the baseline's modules.
            sys.modules[alias] = sys.modules[f"ragkit.ingest.{name}"] = module
            spec.loader.exec_module(module)
            loaded[name] = module
    finally:
        for name, module in saved.items():
            if module is not None:
                sys.modules[f"ragkit.ingest.{name}"] = module
    return loaded["chunking"]


def ragkit_runner(
    chunk: Callable[..., object],
    config: object,
    token_index: types.ModuleType,
    documents: list[str],
) -> Callable[[], object]:
    """One run of a chunker over ``documents``, its short-piece memo emptied first."""
    pieces = token_index._piece_cache(get_encoding("cl100k_base"))

    def run() -> object:
        pieces.clear()
        return [chunk(d, config) for d in documents]

    return run


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
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--baseline",
        metavar="REV",
        help="also time the chunker of this git revision (e.g. a6fec7a), in the same run",
    )
    args = parser.parse_args()

    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    documents = stdlib_docstrings(args.megabytes)
    size = sum(len(d.encode("utf-8")) for d in documents)
    encoding = get_encoding("cl100k_base")
    config = ChunkingConfig(chunk_tokens=400, overlap_tokens=50)
    tokens = sum(len(encoding.encode_ordinary(d)) for d in documents)
    chunks = sum(len(chunk_text(d, config)) for d in documents)  # also warms caches
    print(f"corpus: {len(documents)} documents, {size / 1e6:.2f} MB, {tokens:,} tokens")
    encoder = get_ordinary_encoder("cl100k_base")
    print(f"ragkit: {chunks:,} chunks of <= 400 tokens, 50 overlap ({encoder.backend} encodes)")

    contenders: dict[str, Callable[[], object]] = {
        "encode": lambda: [encoding.encode_ordinary(d) for d in documents],
    }
    if encoder.backend != "tiktoken":
        contenders[encoder.backend] = lambda: [encoder.encode(d) for d in documents]
    if args.baseline:
        baseline = load_baseline(args.baseline)
        old_config = baseline.ChunkingConfig(chunk_tokens=400, overlap_tokens=50)
        old = [baseline.chunk_text(d, old_config) for d in documents]
        new = [chunk_text(d, config) for d in documents]
        same = [list(map(astuple, c)) for c in old] == [list(map(astuple, c)) for c in new]
        print(f"ragkit@{args.baseline}: {sum(map(len, old)):,} chunks, identical: {same}")
        token_index = sys.modules["ragkit_baseline._token_index"]
        contenders[f"ragkit@{args.baseline}"] = ragkit_runner(
            baseline.chunk_text, old_config, token_index, documents
        )
    contenders["ragkit"] = ragkit_runner(chunk_text, config, _token_index, documents)
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
    medians = run_interleaved(contenders, args.runs, size / 1e6)
    print_ratios(medians, "encode")
    if "semchunk" in medians:
        print_ratios({k: medians[k] for k in ("semchunk", "ragkit")}, "semchunk")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
