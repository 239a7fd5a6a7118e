"""How a real ``ragkit serve`` listens: timeouts for slow clients, a connection limit and
Google's error body for requests HTTP cannot parse (raw sockets, no HTTP client)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.server.http.serving import ServerProcess, serve

pytestmark = pytest.mark.slow

_MAX_CONNECTIONS = 40


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data = Path(tmp_path_factory.mktemp("listening")) / "data"
    limits = ["--header-timeout", "1", "--body-timeout", "1"]
    limits += ["--max-connections", str(_MAX_CONNECTIONS), "--max-request-bytes", "100000"]
    with serve(data, "--embedder", "hash", "--log-level", "warning", *limits) as running:
        yield running


def _connect(server: ServerProcess) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=10)


def _read_all(sock: socket.socket) -> bytes:
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def _refused(server: ServerProcess, reason: str) -> float:
    """``ragkit_connections_refused_total{reason}`` as ``/metrics`` shows it now."""
    text = httpx.get(f"{server.url}/metrics", timeout=10).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "ragkit_connections_refused_total" and sample.labels == {
                "reason": reason
            }:
                return float(sample.value)
    return 0.0


def _google_error(response: bytes, status: int) -> dict[str, str]:
    head, _, body = response.partition(b"\r\n\r\n")
    assert head.startswith(f"HTTP/1.1 {status} ".encode()), response
    assert b"content-type: application/json" in head.lower()
    error: dict[str, str] = json.loads(body)["error"]
    assert error["code"] == status
    return error


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET /v1beta/\xffcorpora HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST /v1beta/corpora HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
        b"GET /v1beta/corpora HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
    ],
    ids=["0xff-in-path", "negative-content-length", "malformed-header"],
)
def test_malformed_requests_get_googles_error_body(
    server: ServerProcess, request_bytes: bytes
) -> None:
    before = _refused(server, "malformed")
    with _connect(server) as sock:
        sock.sendall(request_bytes)
        error = _google_error(_read_all(sock), 400)
    assert error["status"] == "INVALID_ARGUMENT"
    assert "Invalid HTTP request received" in error["message"]
    assert _refused(server, "malformed") == before + 1  # counted in /metrics


def test_clients_trickling_headers_are_closed_after_the_header_timeout(
    server: ServerProcess,
) -> None:
    request = b"GET /v1beta/corpora HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100
    slow = [_connect(server) for _ in range(30)]
    closed_after: list[float] = []
    started = time.monotonic()

    def trickle(sock: socket.socket) -> None:
        try:
            for byte in request:  # a byte every 50 ms: 6 s for the request, if allowed
                sock.sendall(bytes([byte]))
                time.sleep(0.05)
        except OSError:
            pass  # the server closed it

    threads = [threading.Thread(target=trickle, args=(s,)) for s in slow]
    for thread in threads:
        thread.start()
    # Meanwhile, normal clients are served.
    assert httpx.get(f"{server.url}/v1beta/corpora", timeout=5).status_code == 200
    for sock in slow:
        response = _read_all(sock)
        closed_after.append(time.monotonic() - started)
        error = _google_error(response, 408)
        assert "--header-timeout" in error["message"]
    for thread in threads:
        thread.join()
    for sock in slow:
        sock.close()
    assert max(closed_after) < 3.0  # the header timeout is 1 s
    assert _refused(server, "headers_timeout") >= len(slow)


def test_a_stalled_body_is_closed_after_the_body_timeout(server: ServerProcess) -> None:
    before = _refused(server, "body_timeout")
    with _connect(server) as sock:
        sock.sendall(b"POST /v1beta/corpora HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        started = time.monotonic()
        error = _google_error(_read_all(sock), 408)
    assert 0.9 < time.monotonic() - started < 3.0
    assert "--body-timeout" in error["message"]
    assert _refused(server, "body_timeout") == before + 1


def test_the_connection_limit_answers_503_and_frees_up(server: ServerProcess) -> None:
    before = _refused(server, "connection_limit")
    held = [_connect(server) for _ in range(_MAX_CONNECTIONS)]
    time.sleep(0.2)
    try:
        with _connect(server) as sock:
            sock.sendall(b"GET /v1beta/corpora HTTP/1.1\r\nHost: x\r\n\r\n")
            error = _google_error(_read_all(sock), 503)
        assert error["status"] == "UNAVAILABLE"
        assert f"limit of {_MAX_CONNECTIONS} open connections" in error["message"]
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.3)
    assert httpx.get(f"{server.url}/v1beta/corpora", timeout=5).status_code == 200
    assert _refused(server, "connection_limit") == before + 1


def test_the_body_limit_holds_on_the_wire(server: ServerProcess) -> None:
    with _connect(server) as sock:
        sock.sendall(
            b"POST /v1beta/corpora HTTP/1.1\r\nHost: x\r\nContent-Length: 300000000\r\n\r\n{"
        )
        error = _google_error(_read_all(sock), 400)
    assert "Request payload size exceeds the limit: 100000 bytes" in error["message"]
    chunked = httpx.post(
        f"{server.url}/v1beta/corpora",
        content=iter([b'{"displayName": "'] + [b"x" * 10_000] * 100 + [b'"}']),
        timeout=10,
    )
    assert chunked.status_code == 400
    assert "exceeds the limit" in chunked.json()["error"]["message"]
