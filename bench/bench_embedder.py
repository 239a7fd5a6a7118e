"""Throughput of the server's embedders on realistic chunk-sized texts.

Generates ``--chunks`` deterministic English-like texts of ``--words`` words (the size of a
typical ingested chunk), embeds them all ``--runs`` times with each embedder and prints the
median chunks per second (wall clock) and chunks per CPU-second of this process, which
is steadier on a shared machine. Model loading happens in an untimed warm-up call.

    .venv/bin/python bench/bench_embedder.py
    .venv/bin/python bench/bench_embedder.py --embedders minilm --runs 5 --batch-size 64
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Sequence

from ragkit.server.models.embedding import Embedder, MiniLMEmbedder, load_embedder

_SUBJECTS = (
    "the corpus",
    "each document",
    "the retriever",
    "a chunk",
    "the server",
    "our team",
    "the query",
    "this model",
    "the index",
    "every user",
    "the pipeline",
    "an operator",
)
_VERBS = (
    "stores",
    "returns",
    "updates",
    "filters",
    "ranks",
    "splits",
    "embeds",
    "deletes",
    "describes",
    "validates",
    "caches",
    "streams",
    "lists",
    "grants",
    "measures",
    "rejects",
)
_OBJECTS = (
    "metadata",
    "relevant passages",
    "the answer",
    "permissions",
    "page tokens",
    "vectors",
    "numeric conditions",
    "display names",
    "grounding attributions",
    "string lists",
    "batch requests",
    "quarterly revenue",
    "safety ratings",
    "the final report",
)
_TAILS = (
    "before the deadline",
    "for every request",
    "in the background",
    "with high accuracy",
    "when the cache is cold",
    "across all regions",
    "after the migration",
    "without errors",
    "under heavy load",
    "as described in section four",
    "during the nightly job",
)


def make_chunks(count: int, words: int, seed: int = 7) -> list[str]:
    """``count`` deterministic texts of about ``words`` words each, made of plain sentences."""
    rng = random.Random(seed)
    chunks = []
    for _ in range(count):
        sentences: list[str] = []
        length = 0
        while length < words:
            parts = [rng.choice(_SUBJECTS), rng.choice(_VERBS), rng.choice(_OBJECTS)]
            if rng.random() < 0.7:
                parts.append(rng.choice(_TAILS))
            sentence = " ".join(parts)
            sentences.append(sentence[0].upper() + sentence[1:] + ".")
            length += len(sentence.split())
        chunks.append(" ".join(sentences))
    return chunks


def bench(
    embedder: Embedder, texts: Sequence[str], runs: int
) -> tuple[float, list[float], list[float]]:
    """Return the warm-up time, and each run's chunks per second and per CPU-second."""
    started = time.perf_counter()
    embedder.embed(texts[: embedder.batch_size])
    warm_up = time.perf_counter() - started
    rates, cpu_rates = [], []
    for _ in range(runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        embedder.embed(texts)
        rates.append(len(texts) / (time.perf_counter() - started))
        cpu_rates.append(len(texts) / (time.process_time() - cpu_started))
    return warm_up, rates, cpu_rates


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embedders", default="minilm,wordllama,hash")
    parser.add_argument("--chunks", type=int, default=2_000)
    parser.add_argument("--words", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, help="override every embedder's batch size")
    parser.add_argument("--threads", type=int, help="onnxruntime threads for minilm")
    args = parser.parse_args(argv)

    texts = make_chunks(args.chunks, args.words)
    print(f"{len(texts)} chunks of ~{args.words} words, {args.runs} runs each")
    print(
        f"{'embedder':<10} {'dims':>5} {'batch':>6} {'load s':>7} "
        f"{'chunks/s median':>16} {'chunks/cpu-s':>13}  runs (chunks/s)"
    )
    for spec in args.embedders.split(","):
        embedder = load_embedder(spec)
        if spec.strip() == "minilm" and args.threads:
            embedder = MiniLMEmbedder(threads=args.threads)
        if args.batch_size:
            embedder.batch_size = args.batch_size
        warm_up, rates, cpu_rates = bench(embedder, texts, args.runs)
        runs = ", ".join(f"{rate:.0f}" for rate in rates)
        print(
            f"{embedder.name:<10} {embedder.dimensions:>5} {embedder.batch_size:>6} "
            f"{warm_up:>7.2f} {statistics.median(rates):>16.1f} "
            f"{statistics.median(cpu_rates):>13.1f}  [{runs}]"
        )


if __name__ == "__main__":
    main()
