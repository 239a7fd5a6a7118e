"""Uploads against a real ``ragkit serve`` process: ``--max-file-bytes`` and a client that
hangs up mid-chunk over a real socket."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import httpx
import pytest

from ..http.serving import ServerProcess, serve

pytestmark = pytest.mark.slow

UPLOAD = "/upload/v1beta/files"
MIB = 1 << 20


def _hang_up(server: ServerProcess, url: str, offset: int, declared: int, sent: bytes) -> None:
    """Send a chunk's headers announcing ``declared`` bytes, only ``sent`` of them, and close."""
    target = httpx.URL(url)
    request = (
        f"POST {target.raw_path.decode()} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"X-Goog-Upload-Command: upload\r\nX-Goog-Upload-Offset: {offset}\r\n"
        f"Content-Length: {declared}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", server.port)) as conn:
        conn.sendall(request + sent)
        time.sleep(0.2)  # let the server start writing the chunk before the hang-up


def _wait_for(check: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def test_limit_and_hang_up_on_a_real_server(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with serve(data, "--embedder", "hash", "--max-file-bytes", str(8 * MIB)) as server:
        with httpx.Client(base_url=server.url) as http:
            too_big = http.post(
                UPLOAD, headers={"X-Goog-Upload-Protocol": "raw"}, content=b"x" * (8 * MIB + 1)
            )
            assert too_big.status_code == 400
            assert f"at most {8 * MIB} bytes" in too_big.json()["error"]["message"]

            start = http.post(
                UPLOAD,
                headers={
                    "X-Goog-Upload-Protocol": "resumable",
                    "X-Goog-Upload-Command": "start",
                    "X-Goog-Upload-Header-Content-Length": str(6 * MIB),
                },
            )
            url = start.headers["x-goog-upload-url"]
            first = http.post(
                url,
                headers={"X-Goog-Upload-Command": "upload", "X-Goog-Upload-Offset": "0"},
                content=b"a" * (2 * MIB),
            )
            assert first.headers["x-goog-upload-size-received"] == str(2 * MIB)
            # Over a buffer's worth arrives: some of it reaches the part file first.
            _hang_up(server, url, 2 * MIB, 4 * MIB, b"b" * (3 * MIB))
            parts = data / "files" / "uploads"
            # The server notices the hang-up and cuts the part back to the committed bytes.
            _wait_for(lambda: [p.stat().st_size for p in parts.iterdir()] == [2 * MIB])
            query = http.post(url, headers={"X-Goog-Upload-Command": "query"})
            assert query.headers["x-goog-upload-size-received"] == str(2 * MIB)
            final = http.post(
                url,
                headers={
                    "X-Goog-Upload-Command": "upload, finalize",
                    "X-Goog-Upload-Offset": str(2 * MIB),
                },
                content=b"b" * (4 * MIB),
            )
            assert final.status_code == 200, final.text
            name = final.json()["file"]["name"]
            body = http.get(f"/v1beta/{name}:download", params={"alt": "media"}).content
            assert body == b"a" * (2 * MIB) + b"b" * (4 * MIB)
    assert list(parts.iterdir()) == []
    assert [p.name for p in (data / "files").glob(".*")] == []
