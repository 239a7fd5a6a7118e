"""Does a batchCreate cost the same in a full corpus as in an empty one?

One corpus is grown to ``--target`` chunks (200,000 by default) with the ``hash`` embedder
through the real server (the FastAPI app in-process over HTTP, as ``ragkit serve`` runs it:
JSON, validation, quotas, SQLite, the vector index and, with ``--ranking hybrid``, the BM25
index, all loaded as after the start-up warm-up). At 0, 50k, 100k and 200k chunks it times
``--samples`` batchCreate requests of 100 chunks and prints the median ms per batch, then
the ratio of the last checkpoint to the first (target <= 1.3).

Half of every timed batch repeats texts already stored (a document rebuilt), so the lookup
that reuses their embeddings is on the measured path too.

The machine may be shared: a second server on its own empty data folder serves as the
reference, its batches interleaved with the timed ones. The load-independent figure is the
ratio of the two at each checkpoint ("vs empty"); its growth from the first checkpoint to
the last is printed too.

    .venv/bin/python bench/bench_ingest_growth.py
    .venv/bin/python bench/bench_ingest_growth.py --target 50000 --ranking hybrid
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from ragkit.limits import MAX_CHUNKS_PER_BATCH
from ragkit.server.app import create_app
from ragkit.server.config import ServerConfig
from ragkit.server.service import Quotas

_UNLIMITED = Quotas(max_corpora=None, max_documents_per_corpus=None, max_chunks_per_corpus=None)
_CHUNKS_PER_DOCUMENT = 500
# Batches sent and not timed before each checkpoint's timed ones (caches settle).
_WARM_UP = 3
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


@asynccontextmanager
async def server(data_dir: Path, ranking: str) -> AsyncIterator[httpx.AsyncClient]:
    config = ServerConfig(
        data_dir=data_dir,
        embedder="hash",
        quotas=_UNLIMITED,
        ranking=ranking,  # type: ignore[arg-type]
    )
    app = create_app(config)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://ragkit", timeout=600
        ) as http:
            yield http


class Corpus:
    """Writes numbered chunks into ``corpora/growth`` of one server through its HTTP API."""

    def __init__(self, http: httpx.AsyncClient, seed: int) -> None:
        self.http = http
        self.count = 0
        self.rng = random.Random(seed)
        self.document = ""
        self.documents: list[str] = []
        # Every 4th stored text, to repeat in the timed batches.
        self.kept: list[str] = []

    async def create(self) -> None:
        response = await self.http.post("/v1beta/corpora", json={"name": "corpora/growth"})
        response.raise_for_status()
        # Seed texts to repeat, and load the indexes as the start-up warm-up would.
        await self.grow(200)
        query = {"query": "vacuum checkpoint", "resultsCount": 10}
        (await self.http.post("/v1beta/corpora/growth:query", json=query)).raise_for_status()

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
            self.documents.append(self.document)
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

    async def timed_batch(self) -> float:
        """One batch of 50 new texts and 50 already stored; its ms."""
        half = MAX_CHUNKS_PER_BATCH // 2
        fresh = [self.text(self.count + i) for i in range(half)]
        return await self.batch(fresh + self.rng.sample(self.kept, half))

    async def shrink(self) -> None:
        """Delete every document but the first (the reference corpus stays near empty)."""
        for name in self.documents[1:]:
            response = await self.http.delete(f"/v1beta/{name}", params={"force": "true"})
            response.raise_for_status()
        self.documents = self.documents[:1]
        self.document = ""
        self.count = 200


async def measure(big: Corpus, empty: Corpus, samples: int) -> tuple[float, float]:
    """Median ms per batch of ``big`` and of ``empty``, their batches interleaved."""
    times: tuple[list[float], list[float]] = ([], [])
    for i in range(samples + _WARM_UP):
        for corpus, bucket in ((big, times[0]), (empty, times[1])):
            elapsed = await corpus.timed_batch()
            if i >= _WARM_UP:
                bucket.append(elapsed)
    await empty.shrink()
    return statistics.median(times[0]), statistics.median(times[1])


async def run(args: argparse.Namespace, root: Path) -> list[tuple[int, float, float]]:
    results = []
    async with (
        server(root / "growth", args.ranking) as http,
        server(root / "empty", args.ranking) as reference,
    ):
        big, empty = Corpus(http, 7), Corpus(reference, 8)
        await big.create()
        await empty.create()
        for checkpoint in args.checkpoints:
            started = time.perf_counter()
            await big.grow(checkpoint)
            grown = time.perf_counter() - started
            at = big.count
            ms, reference_ms = await measure(big, empty, args.samples)
            results.append((at, ms, reference_ms))
            print(
                f"{checkpoint:>8,} chunks (timed from {at:,}): {ms:6.1f} ms per 100-chunk batch;"
                f" empty corpus meanwhile {reference_ms:6.1f} ms; x{ms / reference_ms:.2f}"
                f" (median of {args.samples}; grown in {grown:.0f} s)",
                flush=True,
            )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", type=int, default=200_000)
    parser.add_argument("--samples", type=int, default=15)
    parser.add_argument("--ranking", choices=("dense", "bm25", "hybrid"), default="dense")
    parser.add_argument("--data-dir", type=Path, help="keep the databases here (default: temp)")
    args = parser.parse_args()
    args.checkpoints = sorted({0, args.target // 4, args.target // 2, args.target})
    with tempfile.TemporaryDirectory() as tmp:
        results = asyncio.run(run(args, args.data_dir or Path(tmp)))
    (first, first_ms, first_ref), (last, last_ms, last_ref) = results[0], results[-1]
    print(
        f"ratio {last:,} / {first:,} chunks: {last_ms / first_ms:.2f} raw,"
        f" {(last_ms / last_ref) / (first_ms / first_ref):.2f} against the empty corpus"
        " (target <= 1.3)"
    )


if __name__ == "__main__":
    main()
