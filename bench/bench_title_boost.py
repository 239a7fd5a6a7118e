"""Benchmark the title boost: query latency with it against the same query without it.

Every ``corpora:query`` re-scores the ranking's best ``TITLE_CANDIDATES`` chunks by how well
their title line names the query's subject (:mod:`ragkit.server.title_boost`), which costs
one SQLite read of those chunks' openings. This builds a corpus of synthetic titled chunks
in a temporary directory and times ``query_corpus`` through the service, alternating rounds
with the boost (100 candidates) and without it (only the ``results_count`` asked for), and
prints the median per round and their ratio.

The hash embedder is the default so that the ranking itself is cheap and the boost's share
is as large as it can be; ``--embedder minilm`` measures it against a real query embedding.

Run by hand (never part of the test suite)::

    .venv/bin/python bench/bench_title_boost.py                      # 20,000 chunks
    .venv/bin/python bench/bench_title_boost.py --chunks 5000 --embedder minilm
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

import ragkit.server.service.query as query_module
from ragkit.server.models.embedding import load_embedder
from ragkit.server.principal import LOCAL_USER
from ragkit.server.service import RetrieverService
from ragkit.types import (
    BatchCreateChunksRequest,
    Chunk,
    ChunkData,
    Corpus,
    CreateChunkRequest,
    Document,
    QueryCorpusRequest,
)

WORDS = [
    "table",
    "index",
    "vacuum",
    "replica",
    "lock",
    "backup",
    "tuple",
    "page",
    "cache",
    "query",
    "planner",
    "role",
    "schema",
    "trigger",
    "sequence",
    "cursor",
    "function",
    "view",
    "column",
    "constraint",
    "key",
    "transaction",
    "snapshot",
]
BATCH = 100


def text(rng: random.Random) -> str:
    title = " ".join(rng.sample(WORDS, 2)).capitalize()
    body = " ".join(rng.choice(WORDS) for _ in range(150))
    return f"Manual > Chapter {rng.randint(1, 40)} > {title}\n\n{body}."


def build(service: RetrieverService, chunks: int, rng: random.Random) -> str:
    corpus = service.create_corpus(LOCAL_USER, Corpus(display_name="bench")).name or ""
    document = service.create_document(LOCAL_USER, corpus, Document()).name or ""
    for start in range(0, chunks, BATCH):
        requests = [
            CreateChunkRequest(parent=document, chunk=Chunk(data=ChunkData(string_value=text(rng))))
            for _ in range(min(BATCH, chunks - start))
        ]
        service.batch_create_chunks(
            LOCAL_USER, document, BatchCreateChunksRequest(requests=requests)
        )
    return corpus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--embedder", default="hash:384")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        service = RetrieverService.open(Path(tmp), embedder=load_embedder(args.embedder))
        try:
            t0 = time.perf_counter()
            corpus = build(service, args.chunks, rng)
            print(f"{args.chunks} chunks ({args.embedder}) in {time.perf_counter() - t0:.1f} s")
            queries = [f"What does {' '.join(rng.sample(WORDS, 2))} mean?" for _ in range(64)]
            service.query_corpus(LOCAL_USER, corpus, QueryCorpusRequest(query="warm up"))
            boosted_candidates = query_module.TITLE_CANDIDATES
            medians: dict[str, list[float]] = {"with boost": [], "without": []}
            for _ in range(args.rounds):
                for label, candidates in (("with boost", boosted_candidates), ("without", 0)):
                    query_module.TITLE_CANDIDATES = candidates
                    times = []
                    for i in range(args.queries):
                        request = QueryCorpusRequest(query=queries[i % len(queries)])
                        start = time.perf_counter()
                        service.query_corpus(LOCAL_USER, corpus, request)
                        times.append(time.perf_counter() - start)
                    medians[label].append(statistics.median(times) * 1000)
            query_module.TITLE_CANDIDATES = boosted_candidates
        finally:
            service.close()
    for label, values in medians.items():
        print(f"{label:11s} median ms per round: {' '.join(f'{v:.2f}' for v in values)}")
    ratio = statistics.median(medians["with boost"]) / statistics.median(medians["without"])
    print(f"with / without (median of rounds): {ratio:.3f}")


if __name__ == "__main__":
    main()
