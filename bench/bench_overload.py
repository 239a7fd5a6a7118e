"""Eight ``ragkit ingest`` clients at once against one ``ragkit serve``: exactly once, bounded.

Issue 12's overload scenario: on a busy machine, concurrent ``ragkit ingest --concurrency 4``
runs used to stall (the server kept embedding batches their clients had abandoned, memory
grew from 1.2 to 5.9 GB). This starts ``python -m ragkit serve`` (default: MiniLM and the
default ``--embed-queue-depth``), writes ``--clients`` folders of ``--files`` text files,
runs one real ``python -m ragkit ingest FOLDER --concurrency 4`` per folder, all at once,
into one corpus, and meanwhile samples the server's resident memory. Then it checks:

* every client exited 0 with no failed file;
* every document holds exactly the chunks its client created, none twice (by text and by
  name), and the corpus holds their sum;

and prints the elapsed time, chunks/s, the 429 answers the server gave (retried by the
clients), the server's peak RSS (``VmHWM``) and the machine's load (``uptime``).
``--burn N`` adds N busy-looping processes for the run, to load an idle machine.

    .venv/bin/python bench/bench_overload.py                      # 8 clients, minilm
    .venv/bin/python bench/bench_overload.py --embedder hash --files 40 --burn 2
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))

from bench_embedder import make_chunks
from bench_load import load_average, peak_rss_mb, ragkit_serve


def write_folders(root: Path, clients: int, files: int, paragraphs: int) -> list[Path]:
    folders = []
    for c in range(clients):
        folder = root / f"client{c}"
        folder.mkdir(parents=True)
        for f in range(files):
            texts = make_chunks(paragraphs, 90, seed=c * 1000 + f)
            (folder / f"c{c}-file{f}.txt").write_text("\n\n".join(texts), encoding="utf-8")
        folders.append(folder)
    return folders


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def burn(stop: float) -> None:
    while time.time() < stop:
        pass


def check_corpus(url: str, corpus: str) -> tuple[int, int, int]:
    """(documents, chunks, duplicate chunks) in ``corpus``."""
    documents = chunks = duplicates = 0
    with httpx.Client(base_url=url, timeout=120) as http:
        token = None
        while True:
            params = {"pageSize": 20, **({"pageToken": token} if token else {})}
            page = http.get(f"/v1beta/{corpus}/documents", params=params).json()
            for document in page.get("documents", []):
                documents += 1
                texts: list[str] = []
                names: list[str] = []
                chunk_token = None
                while True:
                    chunk_params = {
                        "pageSize": 100,
                        **({"pageToken": chunk_token} if chunk_token else {}),
                    }
                    found = http.get(
                        f"/v1beta/{document['name']}/chunks", params=chunk_params
                    ).json()
                    for chunk in found.get("chunks", []):
                        texts.append(chunk["data"]["stringValue"])
                        names.append(chunk["name"])
                    chunk_token = found.get("nextPageToken")
                    if not chunk_token:
                        break
                chunks += len(texts)
                duplicates += len(texts) - len(set(texts)) + len(names) - len(set(names))
            token = page.get("nextPageToken")
            if not token:
                return documents, chunks, duplicates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--embedder", default="minilm")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--files", type=int, default=6, help="files per client (6)")
    parser.add_argument("--paragraphs", type=int, default=50, help="paragraphs per file (50)")
    parser.add_argument("--concurrency", type=int, default=4, help="per client (4)")
    parser.add_argument("--burn", type=int, default=0, help="extra busy processes (0)")
    parser.add_argument("--serve-arg", action="append", default=[], help="extra serve flag")
    args = parser.parse_args()

    before = load_average()
    with tempfile.TemporaryDirectory(prefix="bench-overload-") as tmp:
        root = Path(tmp)
        folders = write_folders(root / "files", args.clients, args.files, args.paragraphs)
        extra = ["--log-level", "info", *args.serve_arg]
        with ragkit_serve(root / "data", args.embedder, extra) as (url, pid):
            samples: list[float] = []
            done = threading.Event()

            def sample() -> None:
                while not done.wait(0.5):
                    samples.append(rss_mb(pid))

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            burners = [
                multiprocessing.Process(target=burn, args=(time.time() + 3600,))
                for _ in range(args.burn)
            ]
            for process in burners:
                process.start()
            started = time.perf_counter()
            runs = [
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "ragkit",
                        "ingest",
                        str(folder),
                        "--root",
                        str(folder),
                        "--corpus",
                        "corpora/overload",
                        "--base-url",
                        url,
                        "--concurrency",
                        str(args.concurrency),
                        "--json",
                    ],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                for folder in folders
            ]
            outputs = [run.communicate() for run in runs]
            elapsed = time.perf_counter() - started
            for process in burners:
                process.terminate()
            done.set()
            sampler.join()
            documents, chunks, duplicates = check_corpus(url, "corpora/overload")
            peak = peak_rss_mb(pid)
        log = (root / "serve.log").read_text(errors="replace")
    after = load_average()

    reports = []
    for run, (out, err) in zip(runs, outputs, strict=True):
        last = out.strip().splitlines()[-1] if out.strip() else "{}"
        report = json.loads(last)
        reports.append(report)
        if run.returncode != 0 or report.get("failed"):
            print(f"client failed (exit {run.returncode}): {report.get('failed')} {err[-500:]}")
    created = sum(int(r.get("chunks_created", 0)) for r in reports)
    rejected = log.count('" 429 ')
    print(
        f"bench_overload: {args.clients} x ragkit ingest --concurrency {args.concurrency}, "
        f"embedder {args.embedder}, {args.burn} burner processes"
    )
    print(f"clients exit 0, no failed file:  {all(r.returncode == 0 for r in runs)}")
    print(f"documents:                       {documents} (expected {args.clients * args.files})")
    print(f"chunks stored / created:         {chunks} / {created}")
    print(f"duplicate chunks:                {duplicates}")
    print(f"elapsed:                         {elapsed:.1f} s ({chunks / elapsed:.1f} chunks/s)")
    print(f"429 answers (retried):           {rejected}")
    print(f"server RSS: start {samples[0] if samples else float('nan'):.0f} MB, peak {peak:.0f} MB")
    print(f"load before: {before}")
    print(f"load after:  {after}")
    exact = documents == args.clients * args.files and chunks == created and not duplicates
    print(f"every chunk present exactly once: {'yes' if exact else 'NO'}")


if __name__ == "__main__":
    main()
