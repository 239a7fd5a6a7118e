"""Does a batchCreate cost the same in a full corpus as in an empty one?

One corpus is grown to ``--target`` chunks (200,000 by default) with the ``hash`` embedder
through the real server (the FastAPI app in-process over HTTP, as ``ragkit serve`` runs it:
JSON, validation, quotas, SQLite, the vector index and, with ``--ranking hybrid``, the BM25
index, all loaded as after the start-up warm-up). At 0, 50k, 100k and 200k chunks it times
``--samples`` batchCreate requests of 100 chunks and prints the median ms per batch, then
the ratio of the last checkpoint to the first (target <= 1.3).

Half of every timed batch repeats texts already stored (a document rebuilt), so the lookup
that reuses their embeddings is on the measured path too.

    .venv/bin/python bench/bench_ingest_growth.py
    .venv/bin/python bench/bench_ingest_growth.py --target 50000 --ranking hybrid
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from ragkit.limits import MAX_CHUNKS_PER_BATCH
from ragkit.server.app import create_app
from ragkit.server.config import ServerConfig
from ragkit.server.service import Quotas

_UNLIMITED = Quotas(max_corpora=None, max_documents_per_corpus=None, max_chunks_per_corpus=None)
_CHUNKS_PER_DOCUMENT = 500
_WORDS = [
    "vacuum",
    "checkpoint",
    "index",
    "table",
    "row",
    "page",
    "lock",
    "writer",
    "reader",
    "journal",
    "commit",
    "rollback",
    "query",
    "planner",
    "statistics",
    "storage",
    "buffer",
    "cache",
    "segment",
    "replica",
    "backup",
    "restore",
    "schema",
    "column",
    "constraint",
    "trigger",
    "view",
    "function",
    "cursor",
    "transaction",
    "isolation",
    "snapshot",
    "wal",
    "fsync",
    "durable",
    "latency",
    "throughput",
    "memory",
    "disk",
    "network",
    "cluster",
    "shard",
    "partition",
    "key",
]


class Corpus:
    """Writes numbered chunks into ``corpora/growth`` through the HTTP API."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.count = 0
        self.rng = random.Random(7)
        self.document = ""
        # Every 4th stored text, to repeat in the timed batches.
        self.kept: list[str] = []

    def text(self, n: int) -> str:
        words = " ".join(self.rng.choice(_WORDS) for _ in range(150))
        return f"Manual {n // _CHUNKS_PER_DOCUMENT} > Section {n}\n{words}."

    async def batch(self, texts: list[str]) -> float:
        """Send one batchCreate into the current document; returns its wall time in ms."""
        if self.count % _CHUNKS_PER_DOCUMENT == 0 or not self.document:
            doc = await self.http.post(
                "/v1beta/corpora/growth/documents", json={"displayName": f"doc {self.count}"}
            )
            doc.raise_for_status()
            self.document = doc.json()["name"]
        body: dict[str, Any] = {
            "requests": [
                {
                    "chunk": {
                        "data": {"stringValue": text},
                        "customMetadata": [
                            {"key": "page", "numericValue": self.count + i},
                            {"key": "source", "stringValue": f"manual-{self.count // 500}.md"},
                        ],
                    }
                }
                for i, text in enumerate(texts)
            ]
        }
        started = time.perf_counter()
        response = await self.http.post(f"/v1beta/{self.document}/chunks:batchCreate", json=body)
        elapsed = (time.perf_counter() - started) * 1000
        response.raise_for_status()
        self.kept.extend(texts[::4])
        self.count += len(texts)
        return elapsed

    async def grow(self, target: int) -> None:
        while self.count < target:
            size = min(MAX_CHUNKS_PER_BATCH, target - self.count)
            await self.batch([self.text(self.count + i) for i in range(size)])

    async def timed(self, samples: int) -> float:
        """Median ms of ``samples`` batches: 50 new texts and 50 already stored."""
        times = []
        for _ in range(samples):
            half = MAX_CHUNKS_PER_BATCH // 2
            fresh = [self.text(self.count + i) for i in range(half)]
            repeated = self.rng.sample(self.kept, half)
            times.append(await self.batch(fresh + repeated))
        return statistics.median(times)


async def run(args: argparse.Namespace, data_dir: Path) -> list[tuple[int, float]]:
    config = ServerConfig(
        data_dir=data_dir, embedder="hash", quotas=_UNLIMITED, ranking=args.ranking
    )
    app = create_app(config)
    results = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://ragkit", timeout=600
        ) as http:
            (await http.post("/v1beta/corpora", json={"name": "corpora/growth"})).raise_for_status()
            corpus = Corpus(http)
            # Seed texts to repeat, and load the indexes as the start-up warm-up would.
            await corpus.grow(200)
            query = {"query": "vacuum checkpoint", "resultsCount": 10}
            (await http.post("/v1beta/corpora/growth:query", json=query)).raise_for_status()
            for checkpoint in args.checkpoints:
                started = time.perf_counter()
                await corpus.grow(checkpoint)
                grown = time.perf_counter() - started
                ms = await corpus.timed(args.samples)
                results.append((corpus.count, ms))
                print(
                    f"{checkpoint:>8,} chunks (timed from {corpus.count - 100 * args.samples:,}):"
                    f" {ms:7.1f} ms per 100-chunk batch"
                    f" (median of {args.samples}; grown in {grown:.0f} s)",
                    flush=True,
                )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", type=int, default=200_000)
    parser.add_argument("--samples", type=int, default=15)
    parser.add_argument("--ranking", choices=("dense", "bm25", "hybrid"), default="dense")
    parser.add_argument("--data-dir", type=Path, help="keep the database here (default: temp)")
    args = parser.parse_args()
    args.checkpoints = sorted({0, args.target // 4, args.target // 2, args.target})
    with tempfile.TemporaryDirectory() as tmp:
        results = asyncio.run(run(args, args.data_dir or Path(tmp)))
    first, last = results[0][1], results[-1][1]
    print(
        f"ratio {results[-1][0]:,} / {results[0][0]:,} chunks: {last / first:.2f} (target <= 1.3)"
    )
    sys.exit(0)


if __name__ == "__main__":
    main()
