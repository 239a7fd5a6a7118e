"""Hostile input against a real ``ragkit serve``: oversized fields and bodies, slow clients,
one user trying to use up shared capacity (issue 12, points 5, 6 and 8).

Starts ``ragkit serve --embedder hash`` on a free port (two users in an auth file) and
prints, for each attack, how the server answered, how long it took and the server's
resident memory (VmRSS, and the peak VmHWM) around it::

    .venv/bin/python bench/bench_hostile.py [--slow-clients 500]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

# The test suite's helper that starts and stops a real `ragkit serve` process.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.server.http.serving import ServerProcess, serve

_MB = 1_000_000
_UPLOAD = "/upload/v1beta/files"
_AUTH = """
[[principal]]
email = "alice@example.com"
api_keys = ["alice"]

[[principal]]
email = "bob@example.com"
api_keys = ["bob"]
"""


def _memory(server: ServerProcess) -> str:
    status = Path(f"/proc/{server.proc.pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    rss, hwm = (int(fields[k].split()[0]) // 1024 for k in ("VmRSS", "VmHWM"))
    return f"RSS {rss} MB (peak {hwm} MB)"


def _row(what: str, response: httpx.Response | str, seconds: float, server: ServerProcess) -> None:
    if isinstance(response, httpx.Response):
        message = response.json().get("error", {}).get("message", "ok") if response.content else ""
        answer = f"{response.status_code} {message[:90]}"
    else:
        answer = response
    print(f"{what:<44} {seconds:7.2f} s  {answer}  [{_memory(server)}]")


def _timed(what: str, server: ServerProcess, call: Any) -> httpx.Response:
    started = time.perf_counter()
    response: httpx.Response = call()
    _row(what, response, time.perf_counter() - started, server)
    return response


def _big_body(server: ServerProcess, megabytes: int) -> str:
    """Declare a ``megabytes`` body, send its first MB, and read the answer."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        head = (
            f"POST /v1beta/corpora HTTP/1.1\r\nHost: x\r\nx-goog-api-key: alice\r\n"
            f"Content-Type: application/json\r\nContent-Length: {megabytes * _MB}\r\n\r\n"
        )
        sock.sendall(head.encode() + b'{"displayName": "' + b"x" * _MB)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
        answer = received.split(b"\r\n\r\n", 1)
    return f"{answer[0].split(b' ')[1].decode()} {json.loads(answer[1])['error']['message'][:70]}"


def _slow_clients(server: ServerProcess, count: int) -> str:
    """``count`` connections sending headers a byte a second; when were they all closed?"""
    closed: list[float] = []
    started = time.monotonic()

    def trickle() -> None:
        with socket.create_connection(("127.0.0.1", server.port), timeout=120) as sock:
            try:
                for byte in b"GET /v1beta/corpora HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100:
                    sock.sendall(bytes([byte]))
                    time.sleep(1.0)
                    if not sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT):
                        break
            except (BlockingIOError, OSError):
                pass
            while True:
                try:
                    if not sock.recv(65536):
                        break
                except BlockingIOError:
                    time.sleep(0.05)
                except OSError:
                    break
        closed.append(time.monotonic() - started)

    threads = [threading.Thread(target=trickle) for _ in range(count)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)
    probe_started = time.perf_counter()
    probe = httpx.get(f"{server.url}/v1beta/corpora", headers={"x-goog-api-key": "bob"}, timeout=30)
    probe_seconds = time.perf_counter() - probe_started
    for thread in threads:
        thread.join()
    median = sorted(closed)[len(closed) // 2]
    return (
        f"all {len(closed)} closed after {max(closed):.1f} s (median {median:.1f} s); "
        f"a normal request meanwhile: {probe.status_code} in {probe_seconds * 1000:.0f} ms"
    )


async def _parallel_uploads(url: str, count: int, size: int) -> list[int]:
    headers = {"x-goog-api-key": "alice", "X-Goog-Upload-Protocol": "raw"}
    async with httpx.AsyncClient(timeout=120) as http:
        responses = await asyncio.gather(
            *(
                http.post(f"{url}/upload/v1beta/files", headers=headers, content=b"x" * size)
                for _ in range(count)
            )
        )
    return [r.status_code for r in responses]


async def _oversized_at_once(url: str, corpus: str, megabytes: int) -> list[int]:
    """Four queries and two generateAnswer questions of ``megabytes`` each, all at once."""
    text = b"word " * (megabytes * _MB // 5)
    query = b'{"query": "' + text + b'"}'
    answer = (
        b'{"answerStyle": "EXTRACTIVE", "contents": [{"parts": [{"text": "' + text + b'"}]}],'
        b' "inlinePassages": {"passages": [{"id": "p", "content": {"parts": [{"text": "a"}]}}]}}'
    )
    headers = {"x-goog-api-key": "alice", "Content-Type": "application/json"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=300) as http:
        calls = [http.post(f"/v1beta/{corpus}:query", content=query) for _ in range(4)]
        calls += [http.post("/v1beta/models/aqa:generateAnswer", content=answer) for _ in range(2)]
        responses = await asyncio.gather(*calls)
    return [r.status_code for r in responses]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slow-clients", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        auth = Path(tmp) / "auth.toml"
        auth.write_text(_AUTH)
        flags = ["--embedder", "hash", "--auth-file", str(auth), "--log-level", "error"]
        flags += ["--max-file-bytes-per-user", str(500 * 1024**2)]
        with serve(Path(tmp) / "data", *flags) as server:
            http = httpx.Client(
                base_url=server.url, headers={"x-goog-api-key": "alice"}, timeout=120
            )
            v = "/v1beta"
            corpus = http.post(f"{v}/corpora", json={}).json()["name"]
            document = http.post(f"{v}/{corpus}/documents", json={}).json()["name"]
            print(f"server up: {_memory(server)}")
            ten_mb = "word " * (2 * _MB)
            _timed(
                "10 MB query",
                server,
                lambda: http.post(f"{v}/{corpus}:query", json={"query": ten_mb}),
            )
            answer = {
                "contents": [{"parts": [{"text": ten_mb}]}],
                "answerStyle": "EXTRACTIVE",
                "inlinePassages": {
                    "passages": [{"id": "p", "content": {"parts": [{"text": "a"}]}}]
                },
            }
            url = f"{v}/models/aqa:generateAnswer"
            _timed("10 MB question", server, lambda: http.post(url, json=answer))
            answer["contents"] = [{"parts": [{"text": "Where?"}]}]
            answer["inlinePassages"] = {
                "passages": [{"id": "p", "content": {"parts": [{"text": ten_mb}]}}]
            }
            _timed("10 MB of inline passages", server, lambda: http.post(url, json=answer))
            chunk = {"data": {"stringValue": "x" * (10 * _MB)}}
            _timed(
                "10 MB chunk without spaces",
                server,
                lambda: http.post(f"{v}/{document}/chunks", json=chunk),
            )
            meta = {
                "data": {"stringValue": "a"},
                "customMetadata": [{"key": "k" * (10 * _MB), "stringValue": "v"}],
            }
            _timed(
                "10 MB metadata key", server, lambda: http.post(f"{v}/{document}/chunks", json=meta)
            )
            meta["customMetadata"] = [{"key": "k", "stringValue": "v" * (10 * _MB)}]
            _timed(
                "10 MB metadata value",
                server,
                lambda: http.post(f"{v}/{document}/chunks", json=meta),
            )
            grant = {
                "granteeType": "USER",
                "emailAddress": "a" * (10 * _MB) + "@x.com",
                "role": "READER",
            }
            _timed(
                "10 MB permission email",
                server,
                lambda: http.post(f"{v}/{corpus}/permissions", json=grant),
            )
            for megabytes in (10, 60):
                started = time.perf_counter()
                codes = asyncio.run(_oversized_at_once(server.url, corpus, megabytes))
                what = f"4 queries + 2 questions of {megabytes} MB at once"
                _row(what, str(codes), time.perf_counter() - started, server)
            started = time.perf_counter()
            _row(
                "300 MB body (Content-Length)",
                _big_body(server, 300),
                time.perf_counter() - started,
                server,
            )
            for _ in range(4):
                http.post(f"{v}/corpora", json={})
            _timed("Alice's 6th corpus", server, lambda: http.post(f"{v}/corpora", json={}))
            bob = {"x-goog-api-key": "bob"}
            _timed(
                "Bob's 1st corpus", server, lambda: http.post(f"{v}/corpora", json={}, headers=bob)
            )
            started = time.perf_counter()
            codes = asyncio.run(_parallel_uploads(server.url, 40, 25 * _MB))
            summary = f"{codes.count(200)} x 200, {codes.count(429)} x 429 (quota 500 MiB)"
            _row("40 parallel 25 MB uploads", summary, time.perf_counter() - started, server)
            for declared, count in ((2 * 1024**3, 2000), (_MB, 2000)):
                headers = {
                    "X-Goog-Upload-Protocol": "resumable",
                    "X-Goog-Upload-Command": "start",
                    "X-Goog-Upload-Header-Content-Length": str(declared),
                    "x-goog-api-key": "bob",
                }
                started = time.perf_counter()
                codes = [
                    http.post(_UPLOAD, headers=headers, json={"file": {}}).status_code
                    for _ in range(count)
                ]
                summary = f"{codes.count(200)} x 200, {codes.count(429)} x 429"
                what = f"{count:,} sessions declaring {declared:,} bytes"
                _row(what, summary, time.perf_counter() - started, server)
            started = time.perf_counter()
            result = _slow_clients(server, args.slow_clients)
            _row(
                f"{args.slow_clients} clients trickling headers",
                result,
                time.perf_counter() - started,
                server,
            )


if __name__ == "__main__":
    main()
