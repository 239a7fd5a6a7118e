"""kill -9 campaign: acknowledged writes lost and half-applied batches under concurrent writers.

Runs ``--cycles`` (default 24) rounds against one data folder. Each round starts a real
``ragkit serve`` (hash embedder), checks everything acknowledged so far is there, lets
``--writers`` threads write concurrently (chunks:batchCreate of 5 chunks, document
creates, and chunks:batchUpdate that stamps one tag on a fixed group of 5 chunks), then
SIGKILLs the server at a random moment (seeded) while requests are in flight. Checked
after every restart, through the API:

- acknowledged writes lost: an answered-200 document or chunk that is missing, or a
  group whose tag is older than its last acknowledged batchUpdate;
- half-applied batches: a batchCreate (acknowledged or not) of which only some chunks
  exist, or a group of 5 whose chunks carry different tags.

    .venv/bin/python bench/crash_campaign.py
    .venv/bin/python bench/crash_campaign.py --cycles 40 --writers 6
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

# The test suite's helper that starts and stops a real `ragkit serve` process.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.server.http.serving import ServerProcess, free_port

CORPUS = "corpora/crash"
BATCH = 5


@dataclass
class Ledger:
    """What the writers attempted and what the server acknowledged (thread-safe)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    batches: dict[str, tuple[str, list[str]]] = field(default_factory=dict)  # id -> (doc, names)
    acked_batches: set[str] = field(default_factory=set)
    acked_documents: set[str] = field(default_factory=set)
    acked_tags: dict[int, int] = field(default_factory=dict)  # writer -> last acked tag
    acked_requests: int = 0
    attempted_requests: int = 0


def document(writer: int) -> str:
    return f"{CORPUS}/documents/w{writer}"


def group(writer: int) -> list[str]:
    return [f"{document(writer)}/chunks/g{writer}-{i}" for i in range(BATCH)]


def setup(http: httpx.Client, writers: int) -> None:
    http.post("/v1beta/corpora", json={"name": CORPUS}).raise_for_status()
    for w in range(writers):
        http.post(f"/v1beta/{CORPUS}/documents", json={"name": document(w)}).raise_for_status()
        body = {
            "requests": [
                {
                    "chunk": {
                        "name": n,
                        "data": {"stringValue": f"group {n}"},
                        "customMetadata": [{"key": "tag", "numericValue": 0}],
                    }
                }
                for n in group(w)
            ]
        }
        http.post(f"/v1beta/{document(w)}/chunks:batchCreate", json=body).raise_for_status()


def writer_loop(url: str, writer: int, cycle: int, ledger: Ledger, stop: threading.Event) -> None:
    rng = random.Random(writer * 1_000 + cycle)
    seq = 0
    with httpx.Client(base_url=url, timeout=30.0) as http:
        while not stop.is_set():
            seq += 1
            op = rng.randrange(3)
            try:
                if op == 0:
                    batch = f"w{writer}c{cycle}s{seq}"
                    names = [f"{document(writer)}/chunks/{batch}i{i}" for i in range(BATCH)]
                    with ledger.lock:
                        ledger.batches[batch] = (document(writer), names)
                        ledger.attempted_requests += 1
                    body = {
                        "requests": [
                            {
                                "chunk": {
                                    "name": n,
                                    "data": {"stringValue": f"text {n} {rng.random()}"},
                                }
                            }
                            for n in names
                        ]
                    }
                    answer = http.post(f"/v1beta/{document(writer)}/chunks:batchCreate", json=body)
                    if answer.status_code == 200:
                        with ledger.lock:
                            ledger.acked_batches.add(batch)
                            ledger.acked_requests += 1
                elif op == 1:
                    name = f"{CORPUS}/documents/d{writer}c{cycle}s{seq}"
                    with ledger.lock:
                        ledger.attempted_requests += 1
                    answer = http.post(f"/v1beta/{CORPUS}/documents", json={"name": name})
                    if answer.status_code == 200:
                        with ledger.lock:
                            ledger.acked_documents.add(name)
                            ledger.acked_requests += 1
                else:
                    tag = cycle * 100_000 + seq
                    body = {
                        "requests": [
                            {
                                "chunk": {
                                    "name": n,
                                    "customMetadata": [{"key": "tag", "numericValue": tag}],
                                },
                                "updateMask": "customMetadata",
                            }
                            for n in group(writer)
                        ]
                    }
                    with ledger.lock:
                        ledger.attempted_requests += 1
                    answer = http.post(f"/v1beta/{document(writer)}/chunks:batchUpdate", json=body)
                    if answer.status_code == 200:
                        with ledger.lock:
                            ledger.acked_tags[writer] = max(ledger.acked_tags.get(writer, 0), tag)
                            ledger.acked_requests += 1
            except httpx.HTTPError:
                return  # the server was killed


def stored_chunks(http: httpx.Client, doc: str) -> dict[str, float | None]:
    """Chunk name -> its ``tag`` metadata (None when it has none), through the API."""
    found: dict[str, float | None] = {}
    token = None
    while True:
        params = {"pageSize": "100", **({"pageToken": token} if token else {})}
        page = http.get(f"/v1beta/{doc}/chunks", params=params)
        page.raise_for_status()
        data = page.json()
        for chunk in data.get("chunks", []):
            tags = [
                m.get("numericValue") for m in chunk.get("customMetadata", []) if m["key"] == "tag"
            ]
            found[chunk["name"]] = tags[0] if tags else None
        token = data.get("nextPageToken")
        if not token:
            return found


def stored_documents(http: httpx.Client) -> set[str]:
    names: set[str] = set()
    token = None
    while True:
        params = {"pageSize": "20", **({"pageToken": token} if token else {})}
        page = http.get(f"/v1beta/{CORPUS}/documents", params=params)
        page.raise_for_status()
        data = page.json()
        names.update(d["name"] for d in data.get("documents", []))
        token = data.get("nextPageToken")
        if not token:
            return names


@dataclass
class Verdict:
    lost: int = 0
    half_applied: int = 0
    checked_batches: int = 0


def verify(http: httpx.Client, ledger: Ledger, writers: int) -> Verdict:
    verdict = Verdict()
    chunks: dict[str, float | None] = {}
    for w in range(writers):
        chunks.update(stored_chunks(http, document(w)))
    documents = stored_documents(http)
    with ledger.lock:
        for batch, (_, names) in ledger.batches.items():
            present = sum(name in chunks for name in names)
            verdict.checked_batches += 1
            if 0 < present < len(names):
                verdict.half_applied += 1
            if batch in ledger.acked_batches and present < len(names):
                verdict.lost += 1
        verdict.lost += len(ledger.acked_documents - documents)
        for w in range(writers):
            tags = {chunks.get(name) for name in group(w)}
            if len(tags) != 1:
                verdict.half_applied += 1
            elif (tags.pop() or 0) < ledger.acked_tags.get(w, 0):
                verdict.lost += 1
    return verdict


def run(work: Path, cycles: int, writers: int, seed: int, python: str) -> int:
    rng = random.Random(seed)
    data_dir = work / "data"
    ledger = Ledger()
    lost = half = 0
    for cycle in range(cycles + 1):
        args = ["--data-dir", str(data_dir), "--embedder", "hash"]
        args += ["--max-documents-per-corpus", "0"]
        server = ServerProcess(args, free_port(), work / "serve.log", python=python)
        server.wait_ready()
        with httpx.Client(base_url=server.url, timeout=60.0) as http:
            if cycle == 0:
                setup(http, writers)
            else:
                verdict = verify(http, ledger, writers)
                lost += verdict.lost
                half += verdict.half_applied
                print(
                    f"cycle {cycle:>3}: acked {ledger.acked_requests:>6} of "
                    f"{ledger.attempted_requests:>6} requests, "
                    f"{verdict.checked_batches} batches checked, "
                    f"lost {verdict.lost}, half-applied {verdict.half_applied}",
                    flush=True,
                )
        if cycle == cycles:
            server.stop()
            break
        stop = threading.Event()
        threads = [
            threading.Thread(
                target=writer_loop, args=(server.url, w, cycle, ledger, stop), daemon=True
            )
            for w in range(writers)
        ]
        for thread in threads:
            thread.start()
        time.sleep(rng.uniform(0.4, 2.0))
        server.kill()
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    print(f"kill -9 cycles: {cycles}, writers: {writers}")
    print(f"requests attempted: {ledger.attempted_requests}, acknowledged: {ledger.acked_requests}")
    print(f"acknowledged writes lost: {lost}")
    print(f"half-applied batches: {half}")
    return 1 if lost or half else 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cycles", type=int, default=24)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--server-python", default=sys.executable, help="interpreter for ragkit serve"
    )
    parser.add_argument("--keep", type=Path, help="work folder to keep (default: a temporary one)")
    args = parser.parse_args()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        return run(args.keep, args.cycles, args.writers, args.seed, args.server_python)
    with tempfile.TemporaryDirectory() as work:
        return run(Path(work), args.cycles, args.writers, args.seed, args.server_python)


if __name__ == "__main__":
    sys.exit(main())
