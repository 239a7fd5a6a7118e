"""Mixed read traffic against a real ``ragkit serve``, with and without bulk ingestion.

Starts ``python -m ragkit serve`` (default embedder: MiniLM) on a fresh data folder, loads
``--chunks`` chunks (2,000) into one corpus, then for each concurrency level (1, 4, 16, 32)
runs a bounded window of read traffic: each of ``c`` clients loops over
``corpora:query`` (3 of 4 requests) and ``models/aqa:generateAnswer`` over the corpus (1
of 4). Each level runs twice: alone, and while ``--writers`` clients keep sending
``batchCreate`` requests of 100 new chunks to another corpus (bulk ingestion). Requests that
complete inside the measured window (after a warm-up) count, for throughput and latency.
Before the first window, ``--prewarm`` seconds (30) of untimed reads warm the server's
caches, as a server in service has them warm.
Every question text is unique (a request counter is appended), so the server's
query-embedding cache never answers one; ``--repeat-questions`` draws from a fixed 300.

Printed per level and request type: requests/s, p50 and p99 latency (ms), pooled over
``--rounds`` repetitions of every window; then the targets of issue 12 (query p99 at c=16
during ingestion <= 5x query p50 at c=1 alone; read throughput at c=4 >= 1.6x c=1) and issue
18 (read throughput at c=16 >= c=4; query p99 at c=16 <= 4x query p50 at c=4), pooled and as
the median of the rounds' own ratios; the server's peak RSS, and the machine's load
(``uptime``) before and after, since a shared machine changes every figure.

    .venv/bin/python bench/bench_load.py                         # minilm, 2,000 chunks
    .venv/bin/python bench/bench_load.py --seconds 15 --levels 1,4,16,32
    .venv/bin/python bench/bench_load.py --embedder hash --chunks 20000
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).parent))
# The test suite's helper that starts and stops a real `ragkit serve` process.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_embedder import make_chunks

from tests.server.http.serving import ServerProcess, free_port

QUERY, ANSWER, WRITE = "query", "generateAnswer", "batchCreate"


# --- the server ----------------------------------------------------------------------------


@contextmanager
def ragkit_serve(
    data_dir: Path, embedder: str, extra: list[str], source: Path | None = None
) -> Iterator[tuple[str, int]]:
    """A ``ragkit serve`` subprocess (of ``source``'s code if given); yields its URL and
    process id."""
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    args = ["--data-dir", str(data_dir), "--embedder", embedder, "--log-level", "warning"]
    args += [*extra, "--max-chunks-per-corpus", "0", "--max-corpora", "0", "--no-grpc"]
    log = data_dir.parent / f"serve-{data_dir.name}.log"
    server = ServerProcess(args, free_port(), log, source=source)
    try:
        server.wait_ready(180)
        yield server.url, server.proc.pid
    finally:
        if server.proc.poll() is not None:
            print(f"ragkit serve died with exit code {server.proc.returncode}: see {log}")
        server.stop()


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def load_average() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


# --- traffic -------------------------------------------------------------------------------


@dataclass
class Window:
    """Latencies per request type inside one measured window."""

    seconds: float
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def record(
        self, kind: str, sent: float, done: float, status: int, start: float, end: float
    ) -> None:
        """Count a request that completed inside ``[start, end]``."""
        if start <= done <= end:
            if status == 200:
                self.latencies[kind].append(done - sent)
            else:
                self.errors[kind] += 1

    def rate(self, kind: str) -> float:
        return len(self.latencies[kind]) / self.seconds

    def percentile(self, kind: str, q: float) -> float:
        values = sorted(self.latencies[kind])
        if not values:
            return float("nan")
        return values[min(len(values) - 1, round(q * (len(values) - 1)))] * 1000


async def call(http: httpx.AsyncClient, path: str, body: dict[str, Any]) -> httpx.Response:
    return await http.post(f"/v1beta/{path}", json=body)


async def setup(http: httpx.AsyncClient, chunks: int, words: int) -> str:
    """The corpus read by the benchmark: reused from ``--data-dir`` if it is there."""
    listed = (await http.get("/v1beta/corpora", params={"pageSize": 20})).json()
    for found in listed.get("corpora", []):
        if found.get("displayName") == f"load-{chunks}x{words}":
            name: str = found["name"]
            return name
    corpus = (await call(http, "corpora", {"displayName": f"load-{chunks}x{words}"})).json()["name"]
    texts = make_chunks(chunks, words, seed=7)
    document = (await call(http, f"{corpus}/documents", {"displayName": "all"})).json()["name"]
    for start in range(0, len(texts), 100):
        batch = texts[start : start + 100]
        body = {"requests": [{"chunk": {"data": {"stringValue": t}}} for t in batch]}
        while True:
            response = await call(http, f"{document}/chunks:batchCreate", body)
            if response.status_code != 429:
                break
            await asyncio.sleep(float(response.headers.get("retry-after", "1")))
        response.raise_for_status()
    return corpus


def read_body(kind: str, corpus: str, question: str) -> tuple[str, dict[str, Any]]:
    if kind == QUERY:
        return f"{corpus}:query", {"query": question, "resultsCount": 10}
    return "models/aqa:generateAnswer", {
        "contents": [{"parts": [{"text": question}]}],
        "answerStyle": "ABSTRACTIVE",
        "semanticRetriever": {"source": corpus, "query": {"parts": [{"text": question}]}},
    }


async def reader(
    http: httpx.AsyncClient, corpus: str, questions: list[str], seed: int, window: Window,
    start: float, end: float, repeat: bool,
) -> None:  # fmt: skip
    rng = random.Random(seed)
    for n in itertools.count(seed):
        now = time.perf_counter()
        if now >= end:
            return
        kind = ANSWER if n % 4 == 3 else QUERY
        question = rng.choice(questions)
        if not repeat:  # never the same text twice: no query-embedding cache hits
            question = f"{question} {seed}x{n}"
        path, body = read_body(kind, corpus, question)
        response = await call(http, path, body)
        window.record(kind, now, time.perf_counter(), response.status_code, start, end)


async def writer(
    http: httpx.AsyncClient, document: str, seed: int, window: Window, start: float, end: float
) -> None:
    for n in itertools.count():
        if time.perf_counter() >= end:  # the batch in flight at the window's end completes
            return
        texts = make_chunks(100, 120, seed=seed * 100_000 + n)  # new texts: nothing reused
        body = {"requests": [{"chunk": {"data": {"stringValue": t}}} for t in texts]}
        now = time.perf_counter()
        response = await call(http, f"{document}/chunks:batchCreate", body)
        window.record(WRITE, now, time.perf_counter(), response.status_code, start, end)
        if response.status_code == 429:
            await asyncio.sleep(float(response.headers.get("retry-after", "1")))


async def run_level(
    http: httpx.AsyncClient, corpus: str, questions: list[str], level: int, writers: list[str],
    seconds: float, warmup: float, repeat: bool,
) -> Window:  # fmt: skip
    window = Window(seconds)
    begin = time.perf_counter()
    start, end = begin + warmup, begin + warmup + seconds
    write_tasks = [
        asyncio.create_task(writer(http, doc, i + 1, window, start, end))
        for i, doc in enumerate(writers)
    ]
    await asyncio.gather(
        *(reader(http, corpus, questions, i, window, start, end, repeat) for i in range(level))
    )
    # Writers finish the batch they have in flight (after the window: nothing more is
    # timed), so ingestion during the window is real, committed ingestion; a cancelled
    # batchCreate would be dropped by the server and its embedding work thrown away.
    await asyncio.gather(*write_tasks)
    return window


# --- report --------------------------------------------------------------------------------


def print_table(results: dict[tuple[str, int], Window]) -> None:
    header = (
        f"{'traffic':<11} {'c':>3}  {'type':<15} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'errors':>6}"
    )
    print(header)
    print("-" * len(header))
    for (mode, level), window in results.items():
        kinds = [QUERY, ANSWER] + ([WRITE] if mode == "ingesting" else [])
        for kind in kinds:
            print(
                f"{mode:<11} {level:>3}  {kind:<15} {window.rate(kind):>7.1f} "
                f"{window.percentile(kind, 0.5):>8.0f} {window.percentile(kind, 0.99):>8.0f} "
                f"{window.errors[kind]:>6}"
            )
        reads = window.rate(QUERY) + window.rate(ANSWER)
        print(f"{mode:<11} {level:>3}  {'reads (all)':<15} {reads:>7.1f}")


def target_ratios(results: dict[tuple[str, int], Window]) -> dict[str, float]:
    """The issues' ratios that ``results`` has the windows for."""
    ratios: dict[str, float] = {}
    alone_1, alone_4 = results.get(("alone", 1)), results.get(("alone", 4))
    alone_16, busy_16 = results.get(("alone", 16)), results.get(("ingesting", 16))
    if alone_1 and busy_16:
        ratios["busy16_p99/alone1_p50"] = busy_16.percentile(QUERY, 0.99) / alone_1.percentile(
            QUERY, 0.5
        )
    if alone_1 and alone_4:
        reads_1 = alone_1.rate(QUERY) + alone_1.rate(ANSWER)
        reads_4 = alone_4.rate(QUERY) + alone_4.rate(ANSWER)
        ratios["reads4/reads1"] = reads_4 / reads_1 if reads_1 else float("nan")
    if alone_4 and alone_16:
        reads_4 = alone_4.rate(QUERY) + alone_4.rate(ANSWER)
        reads_16 = alone_16.rate(QUERY) + alone_16.rate(ANSWER)
        ratios["reads16/reads4"] = reads_16 / reads_4 if reads_4 else float("nan")
        ratios["query_p99_16/p50_4"] = alone_16.percentile(QUERY, 0.99) / alone_4.percentile(
            QUERY, 0.5
        )
    return ratios


_TARGETS = {
    "busy16_p99/alone1_p50": ("query p99 c=16 ingesting / query p50 c=1 alone (#12.4)", "<=", 5.0),
    "reads4/reads1": ("read throughput c=4 / c=1, alone (#12.4)", ">=", 1.6),
    "reads16/reads4": ("read throughput c=16 / c=4, alone (#18.3)", ">=", 1.0),
    "query_p99_16/p50_4": ("query p99 c=16 / query p50 c=4, alone (#18.3)", "<=", 4.0),
}


def print_targets(rounds: list[dict[tuple[str, int], Window]]) -> None:
    """Each target ratio from the pooled windows, and its median over the rounds."""
    whole = target_ratios(pooled(rounds))
    per_round = [target_ratios(results) for results in rounds]
    for key, value in whole.items():
        label, sense, bound = _TARGETS[key]
        met = value <= bound if sense == "<=" else value >= bound
        each = [r[key] for r in per_round if key in r]
        print(
            f"{label}: pooled {value:.2f}x, median of {len(each)} rounds "
            f"{statistics.median(each):.2f}x (rounds: {', '.join(f'{v:.2f}' for v in each)}); "
            f"target {sense} {bound}: {'met' if met else 'NOT met'}"
        )


@dataclass
class Target:
    """One server under test: its corpus to read and its documents to write into."""

    name: str
    http: httpx.AsyncClient
    corpus: str = ""
    writers: list[str] = field(default_factory=list)


async def prepare(args: argparse.Namespace, target: Target, questions: list[str]) -> None:
    started = time.perf_counter()
    target.corpus = await setup(target.http, args.chunks, args.words)
    print(f"{target.name}: loaded {args.chunks} chunks in {time.perf_counter() - started:.1f} s")
    ingest_corpus = (await call(target.http, "corpora", {"displayName": "ingest"})).json()["name"]
    for i in range(args.writers):
        body = {"displayName": f"w{i}"}
        document = (await call(target.http, f"{ingest_corpus}/documents", body)).json()
        target.writers.append(document["name"])
    if args.prewarm > 0:  # a served corpus has warm caches; don't time the first minute
        started = time.perf_counter()
        await run_level(
            target.http, target.corpus, questions, 4, [], args.prewarm, 0.0, args.repeat_questions
        )
        print(f"{target.name}: warmed up for {time.perf_counter() - started:.0f} s at c=4")


async def bench(
    args: argparse.Namespace, urls: dict[str, str]
) -> dict[str, list[dict[tuple[str, int], Window]]]:
    """Every server's rounds; the servers' windows alternate, level by level."""
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    clients = [httpx.AsyncClient(base_url=url, timeout=300, limits=limits) for url in urls.values()]
    targets = [Target(name, http) for name, http in zip(urls, clients, strict=True)]
    questions = make_chunks(300, 9, seed=99)
    try:
        for target in targets:
            await prepare(args, target, questions)
        rounds: dict[str, list[dict[tuple[str, int], Window]]] = {t.name: [] for t in targets}
        for round_number in range(1, args.rounds + 1):
            results: dict[str, dict[tuple[str, int], Window]] = {t.name: {} for t in targets}
            for mode in ("alone", "ingesting"):
                for level in args.levels:
                    for target in targets:
                        window = await run_level(
                            target.http, target.corpus, questions, level,
                            target.writers if mode == "ingesting" else [],
                            args.seconds, args.warmup, args.repeat_questions,
                        )  # fmt: skip
                        results[target.name][(mode, level)] = window
                        reads = window.rate(QUERY) + window.rate(ANSWER)
                        writes = window.rate(WRITE) * 100
                        print(
                            f"  round {round_number} {target.name} {mode} c={level}: "
                            f"{reads:.1f} reads/s"
                            + (f", {writes:.0f} chunks/s ingested" if writes else ""),
                            flush=True,
                        )
                        await asyncio.sleep(1.0)  # let dropped work drain before the next
            for target in targets:
                rounds[target.name].append(results[target.name])
        return rounds
    finally:
        for http in clients:
            await http.aclose()


def pooled(rounds: list[dict[tuple[str, int], Window]]) -> dict[tuple[str, int], Window]:
    """Every round's requests of each window in one window (rates over the summed time)."""
    merged: dict[tuple[str, int], Window] = {}
    for results in rounds:
        for key, window in results.items():
            into = merged.setdefault(key, Window(0.0))
            into.seconds += window.seconds
            for kind, values in window.latencies.items():
                into.latencies[kind].extend(values)
            for kind, count in window.errors.items():
                into.errors[kind] += count
    return merged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--embedder", default="minilm")
    parser.add_argument("--chunks", type=int, default=2000)
    parser.add_argument("--words", type=int, default=120, help="words per chunk (120)")
    parser.add_argument(
        "--levels", type=lambda s: [int(x) for x in s.split(",")], default=[1, 4, 16, 32]
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="measured window (10)")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured lead-in (2)")
    parser.add_argument("--writers", type=int, default=2, help="ingesting clients (2)")
    parser.add_argument(
        "--rounds", type=int, default=1, help="repeat every window this often; pooled (1)"
    )
    parser.add_argument(
        "--prewarm", type=float, default=30.0, help="untimed reads at c=4 before the first window"
    )
    parser.add_argument("--serve-arg", action="append", default=[], help="extra serve flag")
    parser.add_argument(
        "--repeat-questions",
        action="store_true",
        help="draw questions from a fixed 300 (default: each text unique, so no request is "
        "served from the server's query-embedding cache)",
    )
    parser.add_argument(
        "--data-dir", type=Path, help="keep the server's data here and reuse its loaded corpus"
    )
    parser.add_argument(
        "--baseline-source",
        type=Path,
        help="also run a server of this source tree (e.g. /work/main) on its own data folder "
        "(--data-dir + '-baseline'), its windows alternating with this tree's",
    )
    args = parser.parse_args()

    before = load_average()
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp, ExitStack() as stack:
        data = args.data_dir or Path(tmp) / "data"
        servers: dict[str, tuple[str, int]] = {}
        if args.baseline_source is not None:
            name = f"baseline {args.baseline_source}"
            copy = data.with_name(data.name + "-baseline")
            servers[name] = stack.enter_context(
                ragkit_serve(copy, args.embedder, args.serve_arg, args.baseline_source)
            )
        servers["this tree"] = stack.enter_context(
            ragkit_serve(data, args.embedder, args.serve_arg)
        )
        rounds = asyncio.run(bench(args, {name: url for name, (url, _) in servers.items()}))
        peaks = {name: peak_rss_mb(pid) for name, (_, pid) in servers.items()}
    after = load_average()
    for name, server_rounds in rounds.items():
        print()
        print(
            f"{name}: embedder {args.embedder}, {args.chunks} chunks, {args.seconds:.0f} s "
            f"windows x {args.rounds} rounds, {args.writers} ingesting clients (batchCreate "
            f"x100), {os.cpu_count()} CPUs, "
            f"{'repeated' if args.repeat_questions else 'unique'} questions"
        )
        print_table(pooled(server_rounds))
        print()
        print_targets(server_rounds)
        print(f"server peak RSS: {peaks[name]:.0f} MB")
    print(f"load before: {before}")
    print(f"load after:  {after}")


if __name__ == "__main__":
    main()
