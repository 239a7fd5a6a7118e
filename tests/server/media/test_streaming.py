"""Uploads stream to disk: bounded buffers, the size limit while streaming, nothing left
behind by a failed or abandoned upload, and resumable offsets that survive a hang-up."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from ragkit.server.errors import ApiError
from ragkit.server.media.core import SessionGate
from ragkit.server.media.multipart import MultipartScanner, PartEnd, PartStart
from ragkit.server.media.spool import BodyTooLarge, spool
from ragkit.server.principal import LOCAL_USER
from ragkit.types import Code

from .support import Served, build_pdf, serve

UPLOAD = "/upload/v1beta/files"
_MIB = 1 << 20
_BIG = 64 * _MIB


class Body:
    """An upload body sent in ``pieces``; counts how many the server pulled."""

    def __init__(self, pieces: Sequence[bytes]) -> None:
        self.pieces = pieces
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self.pieces:
            self.pulled += 1
            yield piece


def _error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    return str(response.json()["error"]["message"])


def _leftovers(served: Served) -> list[str]:
    """Staged files and part files on disk, by name."""
    blobs = served.files._blobs
    parts = [p.name for p in (blobs.root / "uploads").iterdir()]
    return [p.name for p in blobs.temporaries()] + parts


async def _start(http: httpx.AsyncClient, size: int | None) -> str:
    headers = {"X-Goog-Upload-Protocol": "resumable", "X-Goog-Upload-Command": "start"}
    if size is not None:
        headers["X-Goog-Upload-Header-Content-Length"] = str(size)
    response = await http.post(UPLOAD, headers=headers, json={"file": {}})
    assert response.status_code == 200, response.text
    return response.headers["x-goog-upload-url"]


async def _chunk(
    http: httpx.AsyncClient, url: str, offset: int, body: Any, command: str = "upload"
) -> httpx.Response:
    headers = {"X-Goog-Upload-Command": command, "X-Goog-Upload-Offset": str(offset)}
    return await http.post(url, headers=headers, content=body)


async def _received(http: httpx.AsyncClient, url: str) -> int:
    query = await http.post(url, headers={"X-Goog-Upload-Command": "query"})
    return int(query.headers["x-goog-upload-size-received"])


def _multipart(media: bytes, *, boundary: str = "b0und", metadata: str = "{}") -> bytes:
    return (
        (
            f"--{boundary}\r\nContent-Type: application/json\r\n\r\n{metadata}\r\n"
            f"--{boundary}\r\nContent-Type: text/plain\r\n\r\n"
        ).encode()
        + media
        + f"\r\n--{boundary}--\r\n".encode()
    )


# -- spool: the one loop every upload goes through ------------------------------------------


async def test_spool_writes_in_bounded_pieces_and_stops_at_the_limit() -> None:
    written: list[int] = []
    total = await spool(
        Body([b"a" * 300] * 10), lambda d: written.append(len(d)), limit=3000, buffer_bytes=1000
    )
    assert total == 3000 and sum(written) == 3000
    assert max(written) < 1300  # one buffer plus at most one incoming piece
    big: list[int] = []
    await spool(Body([b"b" * 5000]), lambda d: big.append(len(d)), limit=5000, buffer_bytes=1000)
    assert big == [5000]  # handed on as it came, not copied into the buffer

    kept: list[int] = []
    body = Body([b"c" * 400] * 10)
    with pytest.raises(BodyTooLarge) as caught:
        await spool(body, lambda d: kept.append(len(d)), limit=1000, buffer_bytes=500)
    assert (caught.value.received, body.pulled) == (1200, 3)
    assert sum(kept) <= 1000  # never a byte past the limit


# -- multipart, split anywhere --------------------------------------------------------------


def _scan(body: bytes, piece: int) -> tuple[list[object], bool]:
    scanner = MultipartScanner("b0und")
    events: list[object] = []
    for start in range(0, len(body), piece):
        events.extend(scanner.feed(body[start : start + piece]))
    merged: list[object] = []
    for event in events:
        if isinstance(event, bytes) and merged and isinstance(merged[-1], bytes):
            merged[-1] += event
        else:
            merged.append(event)
    return merged, scanner.closed


@pytest.mark.parametrize("piece", [1, 2, 7, 13, 1000])
def test_multipart_scanner_is_indifferent_to_how_the_body_is_cut(piece: int) -> None:
    media = b"line\r\n--b0un not a boundary\r\n\r\n-- b0und neither\r\n-"
    body = b"preamble\r\n" + _multipart(media, metadata='{"file": {}}') + b"epilogue"
    events, closed = _scan(body, piece)
    assert closed
    assert events == [
        PartStart({"content-type": "application/json"}),
        b'{"file": {}}',
        PartEnd(),
        PartStart({"content-type": "text/plain"}),
        media,
        PartEnd(),
    ]
    headerless = b"--b0und\r\n\r\nraw\r\n--b0und--"
    assert _scan(headerless, piece) == ([PartStart({}), b"raw", PartEnd()], True)
    with pytest.raises(ApiError, match="truncated"):
        MultipartScanner("b0und").finish()


# -- the limit, while streaming -------------------------------------------------------------


async def test_limit_stops_every_upload_form_mid_stream(tmp_path: Path) -> None:
    async with serve(tmp_path / "data", max_file_bytes=1000) as served:
        http = served.http
        raw = Body([b"r" * 100] * 50)  # no Content-Length: chunked, so only streaming catches it
        response = await http.post(UPLOAD, headers={"X-Goog-Upload-Protocol": "raw"}, content=raw)
        assert "File too large: at least 1100 bytes" in _error(response, 400)
        assert raw.pulled == 11

        media = Body([_multipart(b"m" * 2000)])
        response = await http.post(
            UPLOAD,
            headers={"Content-Type": "multipart/related; boundary=b0und"},
            content=media,
        )
        assert "File too large" in _error(response, 400)

        url = await _start(http, None)
        assert (await _chunk(http, url, 0, b"x" * 600)).status_code == 200
        over = Body([b"y" * 100] * 10)
        assert "File too large: at least 1100" in _error(await _chunk(http, url, 600, over), 400)
        assert over.pulled == 5
        assert await _received(http, url) == 600
        session = httpx.URL(url).params["upload_id"]
        part = served.files._blobs.root / "uploads" / f"{session}.part"
        assert part.stat().st_size == 600  # the rejected chunk's bytes were cut back off

        declared = await _start(http, 10)
        sized = Body([b"z" * 20])
        response = await http.post(
            declared,
            headers={
                "X-Goog-Upload-Command": "upload",
                "X-Goog-Upload-Offset": "0",
                "Content-Length": "20",
            },
            content=sized,
        )
        assert "exceeds its declared size" in _error(response, 400)
        assert sized.pulled == 0  # refused from its Content-Length, before any byte
        streamed = Body([b"z" * 6] * 3)
        message = _error(await _chunk(http, declared, 0, streamed), 400)
        assert "exceeds its declared size: at least 12 bytes" in message

        # Declared sizes over the limit are refused before a byte of the body is read.
        metadata = Body([b'{"file": {}}'])
        start = await http.post(
            UPLOAD,
            headers={
                "X-Goog-Upload-Protocol": "resumable",
                "X-Goog-Upload-Command": "start",
                "X-Goog-Upload-Header-Content-Length": "1001",
                "Content-Type": "application/json",
            },
            content=metadata,
        )
        assert "File too large: 1001 bytes" in _error(start, 400)
        announced = Body([b"r" * 1001])
        response = await http.post(
            UPLOAD,
            headers={"X-Goog-Upload-Protocol": "raw", "Content-Length": "1001"},
            content=announced,
        )
        assert "File too large: 1001 bytes" in _error(response, 400)
        assert (metadata.pulled, announced.pulled) == (0, 0)

        assert (await http.get("/v1beta/files")).json() == {}
        assert [p for p in _leftovers(served) if not p.endswith(".part")] == []
    assert list((tmp_path / "data" / "files").glob("*.bin")) == []


# -- failures and hang-ups leave nothing ----------------------------------------------------


async def _hang_up(served: Served, url: str, headers: dict[str, str], sent: bytes) -> int:
    """POST to the app directly, as uvicorn does: ``sent`` arrives, then the client is gone.
    Returns the status the app tried to answer."""
    target = httpx.URL(url)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": target.path,
        "raw_path": target.raw_path.split(b"?")[0],
        "query_string": target.query,
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "server": ("ragkit", 80),
        "client": ("127.0.0.1", 5555),
    }
    messages = [{"type": "http.request", "body": sent, "more_body": True}]
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    await served.app(scope, receive, send)
    return statuses[0]


async def test_a_hang_up_mid_chunk_leaves_the_session_where_it_was(served: Served) -> None:
    http = served.http
    first, second = b"0" * _MIB, b"1" * (2 * _MIB)
    url = await _start(http, 3 * _MIB)
    assert (await _chunk(http, url, 0, first)).status_code == 200
    headers = {
        "x-goog-upload-command": "upload, finalize",
        "x-goog-upload-offset": str(_MIB),
        "content-length": str(2 * _MIB),
    }
    # More than a buffer arrives, so part of the chunk reaches the disk before the hang-up.
    assert await _hang_up(served, url, headers, second[: 3 * _MIB // 2]) == 499
    assert await _received(http, url) == _MIB
    assert _leftovers(served) and all(p.endswith(".part") for p in _leftovers(served))
    part = next((served.files._blobs.root / "uploads").iterdir())
    assert part.read_bytes() == first
    # The client resends the lost chunk from the same offset, as ragkit's client does.
    final = await _chunk(http, url, _MIB, second, command="upload, finalize")
    assert final.headers["x-goog-upload-status"] == "final"
    name = final.json()["file"]["name"]
    assert (await http.get(f"/v1beta/{name}:download?alt=media")).content == first + second
    assert _leftovers(served) == []


async def test_hang_ups_and_bad_bodies_leave_no_file(served: Served) -> None:
    http = served.http
    raw = {"x-goog-upload-protocol": "raw", "content-type": "text/plain"}
    assert await _hang_up(served, UPLOAD, raw, b"half a file") == 499
    multipart = {"content-type": "multipart/related; boundary=b0und"}
    cut = _multipart(b"media that never ends")[:-20]
    assert await _hang_up(served, UPLOAD, multipart, cut) == 499

    truncated = await http.post(UPLOAD, headers=multipart, content=cut)
    assert "truncated" in _error(truncated, 400)
    three = _multipart(b"one").removesuffix(b"--b0und--\r\n") + (
        b"--b0und\r\nContent-Type: text/plain\r\n\r\nextra\r\n--b0und--\r\n"
    )
    assert "got 3" in _error(await http.post(UPLOAD, headers=multipart, content=three), 400)
    named = _multipart(b"x", metadata=json.dumps({"file": {"name": "files/taken"}}))
    assert (await http.post(UPLOAD, headers=multipart, content=named)).status_code == 200
    again = Body([named])
    assert "already exists" in _error(
        await http.post(UPLOAD, headers=multipart, content=again), 409
    )

    listed = (await http.get("/v1beta/files")).json()["files"]
    assert [f["name"] for f in listed] == ["files/taken"]
    assert _leftovers(served) == []
    assert sorted(p.name for p in served.files._blobs.root.glob("*.bin")) == ["taken.bin"]


async def test_a_second_writer_to_a_session_waits_then_gives_up() -> None:
    gate = SessionGate(wait_seconds=0.05)
    async with gate.hold("s1"):
        with pytest.raises(ApiError) as caught:
            async with gate.hold("s1"):
                pass
        assert caught.value.code is Code.ABORTED
        async with gate.hold("s2"):
            pass
    order: list[str] = []

    async def writer(name: str) -> None:
        async with gate.hold("s1"):
            order.append(f"{name} in")
            await anyio.sleep(0.01)
            order.append(f"{name} out")

    gate.wait_seconds = 5.0
    async with anyio.create_task_group() as group:
        group.start_soon(writer, "a")
        group.start_soon(writer, "b")
    assert order in (["a in", "a out", "b in", "b out"], ["b in", "b out", "a in", "a out"])


async def test_pdf_streamed_in_pieces_is_read_from_disk(served: Served) -> None:
    pdf = build_pdf(["Streaming page one", "Streaming page two"])
    pieces = [pdf[i : i + 97] for i in range(0, len(pdf), 97)]
    response = await served.http.post(
        UPLOAD,
        headers={"X-Goog-Upload-Protocol": "raw", "Content-Type": "application/pdf"},
        content=Body(pieces),
    )
    name = response.json()["file"]["name"]
    for _ in range(200):
        if (await served.http.get(f"/v1beta/{name}")).json()["state"] != "PROCESSING":
            break
        await anyio.sleep(0.02)
    mime, text = served.files.file_text(LOCAL_USER, name)
    assert mime == "application/pdf"
    assert "Streaming page one" in text and "Streaming page two" in text


# -- memory stays flat, whatever the size ---------------------------------------------------


async def test_a_64_mib_upload_of_each_form_holds_a_few_mib(served: Served) -> None:
    piece = b"\x5a" * (256 * 1024)  # one object sent over and over: the client holds nothing
    count = _BIG // len(piece)
    http = served.http
    boundary = "b0und"
    head = (
        f"--{boundary}\r\nContent-Type: application/json\r\n\r\n{{}}\r\n"
        f"--{boundary}\r\nContent-Type: application/octet-stream\r\n\r\n"
    ).encode()

    async def raw() -> httpx.Response:
        return await http.post(
            UPLOAD,
            headers={"X-Goog-Upload-Protocol": "raw", "Content-Length": str(_BIG)},
            content=Body([piece] * count),
        )

    async def multipart() -> httpx.Response:
        tail = f"\r\n--{boundary}--\r\n".encode()
        return await http.post(
            UPLOAD,
            headers={"Content-Type": f"multipart/related; boundary={boundary}"},
            content=Body([head, *[piece] * count, tail]),
        )

    async def resumable() -> httpx.Response:
        url = await _start(http, _BIG)
        half = Body([piece] * (count // 2))
        assert (await _chunk(http, url, 0, half)).status_code == 200
        rest = Body([piece] * (count // 2))
        return await _chunk(http, url, _BIG // 2, rest, command="upload, finalize")

    tracemalloc.start()
    try:
        for upload in (raw, multipart, resumable):
            tracemalloc.reset_peak()
            response = await upload()
            peak = tracemalloc.get_traced_memory()[1]
            assert response.status_code == 200, response.text
            assert response.json()["file"]["sizeBytes"] == str(_BIG)
            assert peak < 8 * _MIB, f"{upload.__name__}: peak {peak / _MIB:.1f} MiB"
    finally:
        tracemalloc.stop()


def test_embedded_server_passes_the_file_size_limit(tmp_path: Path) -> None:
    from ragkit.server.embedded import EmbeddedServer

    server = EmbeddedServer(tmp_path, embedder="hash", max_file_bytes=1234)
    try:
        assert server.config.max_file_bytes == 1234
    finally:
        server.stop()  # releases the socket it bound
