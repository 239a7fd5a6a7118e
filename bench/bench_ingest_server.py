"""Server-side ingestion throughput versus the embedder's own, plus filtered-query latency.

Part 1 (ingest): the same ``--chunks`` texts (bench_embedder's generator) are
  a) embedded directly with ``embedder.embed(all texts)``: the embedder's own throughput;
  b) ingested through an in-process :class:`RetrieverService` with ``batchCreate`` requests
     of 100 chunks (validation, token counting, embedding, SQLite commit, index update).
Each run does a) twice (one ``embed`` call, and ``batch_size`` slices as the server does)
and b) once, rotating the order between runs, on a noisy machine; the best of each and the
median of the per-run ratios b/a are printed (target >= 0.9), with the server's time per
chunk beyond embedding (most telling with the fast ``hash`` embedder).

Part 2 (``--scale N``): N chunks with metadata are ingested with the hash embedder, then
``corpora:query`` latency is measured without filters, with a selective chunk filter, a
broad one, and a document-level filter.

    .venv/bin/python bench/bench_ingest_server.py                      # minilm, 1000 chunks
    .venv/bin/python bench/bench_ingest_server.py --embedder hash --chunks 5000
    .venv/bin/python bench/bench_ingest_server.py --skip-ingest --scale 100000
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_embedder import make_chunks

from ragkit.limits import MAX_CHUNKS_PER_BATCH
from ragkit.server.models.embedding import Embedder, load_embedder
from ragkit.server.principal import LOCAL_USER
from ragkit.server.service import Quotas, RetrieverService
from ragkit.tokenizers import count_tokens
from ragkit.types import (
    BatchCreateChunksRequest,
    Chunk,
    ChunkData,
    Condition,
    Corpus,
    CreateChunkRequest,
    CustomMetadata,
    Document,
    MetadataFilter,
    QueryCorpusRequest,
)

_UNLIMITED = Quotas(max_corpora=None, max_documents_per_corpus=None, max_chunks_per_corpus=None)


def _requests(texts: Sequence[str], first: int = 0) -> list[BatchCreateChunksRequest]:
    batches = []
    for start in range(0, len(texts), MAX_CHUNKS_PER_BATCH):
        items = [
            CreateChunkRequest(
                chunk=Chunk(
                    data=ChunkData(string_value=text),
                    custom_metadata=[
                        CustomMetadata(key="n", numeric_value=first + start + i),
                        CustomMetadata(key="bucket", string_value=f"b{(first + start + i) % 100}"),
                    ],
                )
            )
            for i, text in enumerate(texts[start : start + MAX_CHUNKS_PER_BATCH])
        ]
        batches.append(BatchCreateChunksRequest(requests=items))
    return batches


def _ingest(service: RetrieverService, document: str, texts: Sequence[str]) -> float:
    """Chunks per second for batchCreate calls covering ``texts``."""
    requests = _requests(texts)
    started = time.perf_counter()
    for request in requests:
        service.batch_create_chunks(LOCAL_USER, document, request)
    return len(texts) / (time.perf_counter() - started)


def _embed_rate(embedder: Embedder, texts: Sequence[str], *, sliced: bool) -> float:
    started = time.perf_counter()
    if sliced:
        for start in range(0, len(texts), embedder.batch_size):
            embedder.embed(texts[start : start + embedder.batch_size])
    else:
        embedder.embed(texts)
    return len(texts) / (time.perf_counter() - started)


def bench_ingest(embedder: Embedder, texts: Sequence[str], runs: int) -> None:
    embedder.embed(texts[: embedder.batch_size])  # load the model, untimed
    count_tokens("load the tokenizer, untimed")
    rates: dict[str, list[float]] = {"embed(all)": [], "embed(slices)": [], "server": []}
    with tempfile.TemporaryDirectory() as data_dir:
        service = RetrieverService.open(Path(data_dir), embedder=embedder, quotas=_UNLIMITED)
        for run in range(runs):
            # Rotate the order so that load drifting during a run penalises no phase.
            phases = ["embed(all)", "embed(slices)", "server"]
            for phase in phases[run % 3 :] + phases[: run % 3]:
                if phase == "server":
                    # A corpus per run: within one, a text already held is not embedded again.
                    corpus = f"corpora/bench{run}"
                    service.create_corpus(LOCAL_USER, Corpus(name=corpus.split("/")[1]))
                    document = service.create_document(
                        LOCAL_USER, corpus, Document(name=f"run{run}")
                    )
                    rates[phase].append(_ingest(service, document.name or "", texts))
                else:
                    rates[phase].append(
                        _embed_rate(embedder, texts, sliced=phase == "embed(slices)")
                    )
            line = "   ".join(f"{k} {v[-1]:8.1f}/s" for k, v in rates.items())
            print(f"  run {run + 1}: {line}", flush=True)
        service.close()
    for label, values in rates.items():
        print(
            f"{embedder.name} {label:<14} best {max(values):8.1f} chunks/s, "
            f"median {statistics.median(values):8.1f}"
        )
    direct = max(max(rates["embed(all)"]), max(rates["embed(slices)"]))
    served = max(rates["server"])
    print(f"ratio server/embedder (best vs best of both baselines): {served / direct:.3f}")
    per_run = [
        server / max(whole, sliced) for whole, sliced, server in zip(*rates.values(), strict=True)
    ]
    print(f"ratio server/embedder per run: median {statistics.median(per_run):.3f}")
    overhead = 1 / served - 1 / direct
    print(f"server time per chunk beyond embedding: {overhead * 1000:.3f} ms")


def _timed_query(service: RetrieverService, request: QueryCorpusRequest, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        service.query_corpus(LOCAL_USER, "corpora/scale", request)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def bench_scale(count: int, repeat: int) -> None:
    embedder = load_embedder("hash")
    texts = make_chunks(min(count, 5_000), 60, seed=11)
    with tempfile.TemporaryDirectory() as data_dir:
        service = RetrieverService.open(Path(data_dir), embedder=embedder, quotas=_UNLIMITED)
        service.create_corpus(LOCAL_USER, Corpus(name="scale"))
        started = time.perf_counter()
        per_document = 10_000
        for first in range(0, count, per_document):
            year = CustomMetadata(key="year", numeric_value=2000 + first // per_document)
            document = service.create_document(
                LOCAL_USER, "corpora/scale", Document(custom_metadata=[year])
            )
            size = min(per_document, count - first)
            chunk_texts = [texts[(first + i) % len(texts)] for i in range(size)]
            for request in _requests(chunk_texts, first):
                service.batch_create_chunks(LOCAL_USER, document.name or "", request)
        print(f"scale: ingested {count} chunks in {time.perf_counter() - started:.1f}s (hash)")
        started = time.perf_counter()
        service.query_corpus(LOCAL_USER, "corpora/scale", QueryCorpusRequest(query="warm up"))
        print(f"scale: first query (loads the index) {time.perf_counter() - started:.2f}s")
        cases = {
            "no filter": [],
            "chunk n < 500 (0.5%)": [_filter("chunk.custom_metadata.n", "LESS", 500.0)],
            "chunk bucket in 50 values (50%)": [
                MetadataFilter(
                    key="chunk.custom_metadata.bucket",
                    conditions=[
                        Condition(string_value=f"b{i}", operation="EQUAL") for i in range(50)
                    ],
                )
            ],
            "document year >= 2005 AND chunk n >= 1000": [
                _filter("document.custom_metadata.year", "GREATER_EQUAL", 2005.0),
                _filter("chunk.custom_metadata.n", "GREATER_EQUAL", 1000.0),
            ],
        }
        for label, filters in cases.items():
            request = QueryCorpusRequest(
                query="the retriever ranks relevant passages", metadata_filters=filters
            )
            print(
                f"scale: query, {label:<45} median {_timed_query(service, request, repeat):7.1f} ms"
            )
        service.close()


def _filter(key: str, op: str, value: float) -> MetadataFilter:
    return MetadataFilter(key=key, conditions=[Condition(numeric_value=value, operation=op)])


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--embedder", default="minilm")
    parser.add_argument("--chunks", type=int, default=1_000)
    parser.add_argument("--words", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument("--scale", type=int, default=0, help="chunks for the query-latency part")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    if not args.skip_ingest:
        embedder = load_embedder(args.embedder)
        texts = make_chunks(args.chunks, args.words)
        print(f"ingest: {len(texts)} chunks of ~{args.words} words, {args.runs} alternating runs")
        bench_ingest(embedder, texts, args.runs)
    if args.scale:
        bench_scale(args.scale, args.repeat)


if __name__ == "__main__":
    main()
