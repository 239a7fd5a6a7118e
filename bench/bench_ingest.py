"""End-to-end ingestion throughput versus the embedder's own, on the same chunks.

Writes ``--files`` Markdown files (deterministic English-like prose under headings), then
alternates ``--runs`` times:

  a) embedder: chunk the files exactly as ``ingest`` does and time ``embedder.embed(texts)``
     on those chunk texts alone (an untimed warm-up first): the embedder's own throughput;
  b) ingest: time ``ragkit.ingest.ingest(folder, corpus=<fresh corpus>)`` through a
     :class:`ragkit.server.embedded.EmbeddedServer` (real HTTP on loopback, same embedder
     spec): discovery, hashing, loading, chunking, planning, batchCreate requests, the
     server's validation, embedding, SQLite commit and index update, and the final metadata
     writes.

Prints each side's median chunks per second and the ratio b/a (issue 4's target: >= 0.85, i.e.
the pipeline is not the bottleneck).

    .venv/bin/python bench/bench_ingest.py                       # minilm, 12 files, 5 runs
    .venv/bin/python bench/bench_ingest.py --files 60 --runs 5 --concurrency 2
    .venv/bin/python bench/bench_ingest.py --embedder hash       # the pipeline's own overhead
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_embedder import make_chunks

import ragkit
from ragkit.ingest import ChunkingConfig, chunk_document, ingest, load
from ragkit.server.embedded import EmbeddedServer
from ragkit.server.models.embedding import load_embedder
from ragkit.server.service.quotas import Quotas

_UNLIMITED = Quotas(max_corpora=None, max_documents_per_corpus=None, max_chunks_per_corpus=None)


def write_files(folder: Path, files: int, sections: int, words: int) -> list[Path]:
    """``files`` Markdown files of ``sections`` headed sections of about ``words`` words."""
    paths = []
    paragraphs = make_chunks(files * sections * 2, words // 2, seed=11)
    for index in range(files):
        parts = [f"# Handbook part {index}\n"]
        for section in range(sections):
            first = paragraphs[(index * sections + section) * 2]
            second = paragraphs[(index * sections + section) * 2 + 1]
            parts.append(f"## Topic {section}\n\n{first}\n\n{second}\n")
        path = folder / f"part-{index:03d}.md"
        path.write_text("\n".join(parts), encoding="utf-8")
        paths.append(path)
    return paths


def chunk_texts(paths: Sequence[Path], config: ChunkingConfig) -> list[str]:
    return [chunk.text for path in paths for chunk in chunk_document(load(path), config)]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embedder", default="minilm")
    parser.add_argument("--files", type=int, default=12)
    parser.add_argument("--sections", type=int, default=12)
    parser.add_argument("--words", type=int, default=220, help="words per section")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args(argv)
    config = ChunkingConfig()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "docs"
        folder.mkdir()
        paths = write_files(folder, args.files, args.sections, args.words)
        texts = chunk_texts(paths, config)
        print(
            f"{len(paths)} files -> {len(texts)} chunks (chunk_tokens={config.chunk_tokens}), "
            f"embedder {args.embedder}, concurrency {args.concurrency}, {args.runs} runs"
        )
        embedder = load_embedder(args.embedder)
        embedder.embed(texts[:32])  # load the model outside the timing
        embed_rates: list[float] = []
        ingest_rates: list[float] = []
        with (
            EmbeddedServer(Path(tmp) / "data", embedder=args.embedder, quotas=_UNLIMITED) as server,
            ragkit.Client(base_url=server.base_url, api_key="bench", timeout=600) as client,
        ):
            for run in range(args.runs):
                started = time.perf_counter()
                embedder.embed(texts)
                embed_rates.append(len(texts) / (time.perf_counter() - started))

                started = time.perf_counter()
                report = ingest(
                    folder,
                    corpus=f"corpora/bench-{uuid.uuid4().hex[:8]}",
                    client=client,
                    chunking=config,
                    concurrency=args.concurrency,
                )
                elapsed = time.perf_counter() - started
                if report.chunks_created != len(texts) or report.failed:
                    raise SystemExit(f"ingest did not create every chunk: {report.to_json()}")
                ingest_rates.append(len(texts) / elapsed)
                print(
                    f"run {run + 1}: embedder {embed_rates[-1]:8.1f} chunks/s   "
                    f"ingest {ingest_rates[-1]:8.1f} chunks/s   "
                    f"ratio {ingest_rates[-1] / embed_rates[-1]:.3f}"
                )
    embed_median = statistics.median(embed_rates)
    ingest_median = statistics.median(ingest_rates)
    print(f"median embedder: {embed_median:.1f} chunks/s")
    print(f"median ingest:   {ingest_median:.1f} chunks/s")
    print(f"ratio ingest/embedder (medians): {ingest_median / embed_median:.3f} (target >= 0.85)")


if __name__ == "__main__":
    main()
