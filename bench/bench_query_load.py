"""Query throughput and tail latency of a real ``ragkit serve`` under concurrency.

Fills a data directory once (in-process, hash embedder) with ``--chunks`` chunks in
documents of 1,000, each chunk with a string ``tenant`` in ``t0``..``t9`` (so
``chunk.custom_metadata.tenant = t3`` keeps 10%) and a title line, as ragkit's chunker
writes them. Then starts ``ragkit serve --embedder hash`` on it, waits for ``/readyz``,
and for each concurrency level sends ``corpora:query`` requests (10 results) for
``--seconds`` from that many closed-loop workers, unfiltered and with the 10% filter.
Prints requests/s, p50, p99 and the server's CPU time per request (user + system, from
/proc: the figure that stays meaningful when other work shares the cores) per level, and
the issue-18 targets: throughput at c=16
no lower than at c=4, and p99 at c=16 <= 4x p50 at c=4.

The load generator shares the machine's cores with the server; its own cost is a few
hundred microseconds per request (httpx over keep-alive connections).

With ``--baseline-source DIR`` a second server runs DIR's code on a copy of the data, and
the two servers' windows alternate (level by level), so both see the same moments of a
shared machine; ``--rounds N`` repeats every window and prints the targets pooled and as
the median of the rounds' own ratios.

    .venv/bin/python bench/bench_query_load.py --data /tmp/ragkit-load-100k
    .venv/bin/python bench/bench_query_load.py --data /tmp/d --chunks 10000 --seconds 5
    .venv/bin/python bench/bench_query_load.py --data /tmp/d --chunks 20000 --seconds 8 \\
        --rounds 3 --baseline-source /work/main
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))

# The test suite's helper that starts and stops a real `ragkit serve` process.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_embedder import make_chunks

from ragkit.server.models.embedding import load_embedder
from ragkit.server.principal import LOCAL_USER
from ragkit.server.service import Quotas, RetrieverService
from ragkit.server.service.indexes import embed_texts
from ragkit.server.store.chunks import NewChunk, insert_chunks, vector_blob
from ragkit.server.store.documents import find_document
from ragkit.types import ChunkState, Corpus, Document
from tests.server.http.serving import ServerProcess, free_port

PER_DOCUMENT = 1_000
_NOW = datetime(2026, 1, 1, tzinfo=UTC)
TOPICS = ["indexes", "vacuum", "replication", "backups", "locks", "joins", "roles", "types"]
_UNLIMITED = Quotas(max_corpora=None, max_documents_per_corpus=None, max_chunks_per_corpus=None)


def populate(data_dir: Path, count: int) -> None:
    """Write ``count`` chunks into corpus ``load`` (skipped when it is already there).

    Chunks go in through the store's own insert (one transaction per 1,000-chunk document,
    vectors from the hash embedder): the API's 100-chunk batches would take most of an hour
    for 100,000 chunks on a busy 2-core machine, and ingestion is not what is measured.
    """
    marker = data_dir / f".populated-{count}"
    if marker.exists():
        return
    embedder = load_embedder("hash")
    service = RetrieverService.open(data_dir, embedder=embedder, quotas=_UNLIMITED)
    service.create_corpus(LOCAL_USER, Corpus(name="load"))
    texts = make_chunks(5_000, 60, seed=3)
    started = time.perf_counter()
    for first in range(0, count, PER_DOCUMENT):
        document = service.create_document(LOCAL_USER, "corpora/load", Document())
        numbers = range(first, min(first + PER_DOCUMENT, count))
        bodies = [
            f"Manual > {TOPICS[i % len(TOPICS)]} {i % 97}\n" + texts[i % len(texts)]
            for i in numbers
        ]
        vectors = embed_texts(embedder, bodies)
        chunks = [
            NewChunk(
                name=f"c{i}",
                text=body,
                metadata=[{"key": "tenant", "stringValue": f"t{i % 10}"}],
                vector=vector_blob(vector),
            )
            for i, body, vector in zip(numbers, bodies, vectors, strict=True)
        ]
        with service._db.write() as conn:
            record = find_document(conn, 1, (document.name or "").rsplit("/", 1)[1])
            assert record is not None
            insert_chunks(conn, record, chunks, state=ChunkState.STATE_ACTIVE.value, now=_NOW)
    service.close()
    marker.touch()
    print(f"populated {count:,} chunks in {time.perf_counter() - started:.0f} s")


def start_server(data_dir: Path, extra: list[str], source: Path | None = None) -> ServerProcess:
    """``ragkit serve`` (of ``source``'s code if given) on ``data_dir``, once it is ready."""
    args = ["--data-dir", str(data_dir), "--embedder", "hash", "--log-level", "warning"]
    server = ServerProcess(
        [*args, "--no-grpc", *extra], free_port(), data_dir.parent / f"serve-{data_dir.name}.log",
        source=source,
    )  # fmt: skip
    started = time.perf_counter()
    try:
        status = server.wait_ready(300, path="/readyz")
        while status == 503 and time.perf_counter() - started < 300:  # loading its indexes
            time.sleep(0.2)
            status = server.wait_ready(300, path="/readyz")
        if status == 404:  # a server from before /readyz: a first query loads the index
            url, query = f"{server.url}/v1beta/corpora/load:query", {"query": "warm up"}
            status = httpx.post(url, json=query, timeout=300).status_code
        if status != 200:
            raise RuntimeError(f"the server did not become ready ({status}): see {server.log_path}")
    except BaseException:
        server.stop()
        raise
    print(f"server ready after {time.perf_counter() - started:.1f} s")
    return server


async def load(base: str, concurrency: int, seconds: float, filtered: bool) -> list[float]:
    """Latencies of every request sent by ``concurrency`` closed-loop workers."""
    latencies: list[float] = []
    rng = random.Random(concurrency)
    body: dict[str, object] = {"resultsCount": 10}
    if filtered:
        body["metadataFilters"] = [
            {
                "key": "chunk.custom_metadata.tenant",
                "conditions": [{"stringValue": "t3", "operation": "EQUAL"}],
            }
        ]
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            while time.perf_counter() < deadline:
                query = f"how do {rng.choice(TOPICS)} work with {rng.choice(TOPICS)}"
                started = time.perf_counter()
                response = await client.post(
                    "/v1beta/corpora/load:query", json={**body, "query": query}
                )
                latencies.append(time.perf_counter() - started)
                response.raise_for_status()

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (steady on a shared machine)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


Row = tuple[float, float, float]  # requests/s, p50, p99 (seconds)


def summarise(latencies: list[float], seconds: float) -> Row:
    return len(latencies) / seconds, statistics.median(latencies), percentile(latencies, 0.99)


def ratios(rows: dict[int, Row]) -> tuple[float, float] | None:
    """Issue 18's two ratios: throughput c=16 / c=4, p99 c=16 / p50 c=4."""
    if 4 not in rows or 16 not in rows:
        return None
    return rows[16][0] / rows[4][0], rows[16][2] / rows[4][1]


def measure(args: argparse.Namespace, servers: dict[str, tuple[str, int]]) -> None:
    """Time every server's windows interleaved (level by level, server by server), for
    ``--rounds`` rounds, and print each server's table per filter: pooled over the rounds,
    with the targets pooled and as the median of the rounds' own ratios."""
    # (server, filtered, level) -> one list of latencies and one CPU figure per round
    samples: dict[tuple[str, bool, int], list[list[float]]] = {}
    cpu: dict[tuple[str, bool, int], list[float]] = {}
    for round_number in range(1, args.rounds + 1):
        for filtered in (False, True):
            for base, _ in servers.values():
                asyncio.run(load(base, 4, 2.0, filtered))  # warm-up
            for level in args.levels:
                for name, (base, pid) in servers.items():
                    used = cpu_seconds(pid)
                    latencies = asyncio.run(load(base, level, args.seconds, filtered))
                    key = (name, filtered, level)
                    samples.setdefault(key, []).append(latencies)
                    cpu.setdefault(key, []).append((cpu_seconds(pid) - used) / len(latencies))
        print(f"round {round_number} done; {load_average()}", flush=True)
    for name in servers:
        for filtered in (False, True):
            label = "10% filter" if filtered else "unfiltered"
            pooled = {
                level: summarise(
                    [x for run in samples[(name, filtered, level)] for x in run],
                    args.seconds * args.rounds,
                )
                for level in args.levels
            }
            print(
                f"\n{name}: {args.chunks:,} chunks, {label}, {args.seconds:.0f} s per level"
                f" x {args.rounds} rounds (pooled)"
            )
            print(f"{'c':>4}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'server cpu ms/req':>19}")
            for level, (rate, p50, p99) in pooled.items():
                per_request = statistics.median(cpu[(name, filtered, level)])
                times = f"{rate:>9.1f}{p50 * 1e3:>9.1f}{p99 * 1e3:>9.1f}"
                print(f"{level:>4}{times}{per_request * 1e3:>19.2f}")
            whole = ratios(pooled)
            if whole is None:
                continue
            each = [
                ratios({level: summarise(samples[(name, filtered, level)][r], args.seconds)
                        for level in args.levels})
                for r in range(args.rounds)
            ]  # fmt: skip
            rounds_t = [e[0] for e in each if e]
            rounds_p = [e[1] for e in each if e]
            print(
                f"throughput c=16 / c=4: pooled {whole[0]:.2f}, median of rounds "
                f"{statistics.median(rounds_t):.2f} ({', '.join(f'{v:.2f}' for v in rounds_t)})"
                f" (target >= 1)\n"
                f"p99 c=16 / p50 c=4: pooled {whole[1]:.2f}, median of rounds "
                f"{statistics.median(rounds_p):.2f} ({', '.join(f'{v:.2f}' for v in rounds_p)})"
                f" (target <= 4)",
                flush=True,
            )


def load_average() -> str:
    with open("/proc/loadavg", encoding="ascii") as f:
        return "load average " + " ".join(f.read().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="data directory (reused)")
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument(
        "--ann-threshold",
        type=int,
        default=None,
        help="passed to ragkit serve (0: exact search); by default the server's own",
    )
    parser.add_argument(
        "--graph-wait",
        type=float,
        default=0.0,
        help="seconds to wait after /readyz, for the HNSW graph to build",
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="repeat every window this often (pooled)"
    )
    parser.add_argument(
        "--baseline-source",
        type=Path,
        help="also measure a server run from this source tree (e.g. `git archive` of an "
        "older commit) on a copy of the data, its windows interleaved with this tree's",
    )
    args = parser.parse_args()
    populate(args.data, args.chunks)
    extra = [] if args.ann_threshold is None else ["--ann-threshold", str(args.ann_threshold)]
    print(load_average(), flush=True)
    started: dict[str, ServerProcess] = {}
    try:
        if args.baseline_source is not None:
            # Its own copy of the data: two servers never share a folder.
            copy = args.data.with_name(args.data.name + "-baseline")
            if not copy.exists():
                shutil.copytree(args.data, copy)
            name = f"baseline {args.baseline_source}"
            started[name] = start_server(copy, extra, args.baseline_source)
        started["this tree"] = start_server(args.data, extra)
        servers = {name: (server.url, server.proc.pid) for name, server in started.items()}
        time.sleep(args.graph_wait)  # the HNSW graph builds in the background after /readyz
        measure(args, servers)
    finally:
        for server in started.values():
            server.stop()
    print(load_average())


if __name__ == "__main__":
    main()
