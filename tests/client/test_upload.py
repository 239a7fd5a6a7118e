"""files.upload speaks the resumable protocol: start, chunked uploads, finalize."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

import ragkit
from ragkit import types as t
from tests.client.conftest import FakeAPI, resolve

SESSION = "https://generativelanguage.googleapis.com/upload/v1beta/files?upload_id=u1"


class ResumableServer:
    """Just enough of Google's upload endpoint to check what the client sends."""

    def __init__(self, granularity: int | None = None) -> None:
        self.granularity = granularity
        self.received = bytearray()
        self.commands: list[tuple[str, int, int]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        command = request.headers["x-goog-upload-command"]
        if command == "start":
            headers = {"x-goog-upload-url": SESSION, "x-goog-upload-status": "active"}
            if self.granularity:
                headers["x-goog-upload-chunk-granularity"] = str(self.granularity)
            return httpx.Response(200, headers=headers)
        offset = int(request.headers["x-goog-upload-offset"])
        assert offset == len(self.received)
        self.received += request.content
        self.commands.append((command, offset, len(request.content)))
        if command == "upload, finalize":
            file = {"name": "files/f1", "sizeBytes": str(len(self.received)), "state": "ACTIVE"}
            return httpx.Response(
                200, json={"file": file}, headers={"x-goog-upload-status": "final"}
            )
        return httpx.Response(200, headers={"x-goog-upload-status": "active"})


async def test_multi_chunk_upload_of_bytes(client: Any, api: FakeAPI) -> None:
    server = ResumableServer()
    api.handler = server
    data = bytes(range(256)) * 10  # 2560 bytes
    file = await resolve(
        client.files.upload(data, mime_type="application/pdf", display_name="Doc", chunk_size=1000)
    )
    assert isinstance(file, t.File) and file.size_bytes == 2560
    assert bytes(server.received) == data
    assert server.commands == [
        ("upload", 0, 1000),
        ("upload", 1000, 1000),
        ("upload, finalize", 2000, 560),
    ]
    start = api.requests[0]
    assert start.method == "POST" and start.url.path == "/upload/v1beta/files"
    assert start.headers["x-goog-upload-protocol"] == "resumable"
    assert start.headers["x-goog-upload-header-content-length"] == "2560"
    assert start.headers["x-goog-upload-header-content-type"] == "application/pdf"
    assert start.headers["x-goog-api-key"] == "test-key"
    assert json.loads(start.content) == {
        "file": {"mimeType": "application/pdf", "displayName": "Doc"}
    }
    assert all(str(r.url) == SESSION for r in api.requests[1:])


async def test_upload_from_path_guesses_mime_type(
    client: Any, api: FakeAPI, tmp_path: Path
) -> None:
    server = ResumableServer()
    api.handler = server
    path = tmp_path / "notes.txt"
    path.write_bytes(b"hello world")
    file = await resolve(client.files.upload(path, name="notes-1"))
    assert file.name == "files/f1" and bytes(server.received) == b"hello world"
    start = api.requests[0]
    assert start.headers["x-goog-upload-header-content-type"] == "text/plain"
    assert start.headers["x-goog-upload-file-name"] == "notes.txt"
    assert json.loads(start.content)["file"]["name"] == "files/notes-1"
    assert server.commands == [("upload, finalize", 0, 11)]


async def test_upload_from_file_object_and_granularity(client: Any, api: FakeAPI) -> None:
    server = ResumableServer(granularity=256)
    api.handler = server
    stream = io.BytesIO(b"x" * 1000)
    stream.seek(100)  # uploads what is left from the current position
    await resolve(client.files.upload(stream, mime_type="text/plain", chunk_size=600))
    assert server.commands == [("upload", 0, 512), ("upload, finalize", 512, 388)]


async def test_empty_upload_is_one_finalize(client: Any, api: FakeAPI) -> None:
    server = ResumableServer()
    api.handler = server
    await resolve(client.files.upload(b"", mime_type="text/plain"))
    assert server.commands == [("upload, finalize", 0, 0)]


async def test_missing_session_url(client: Any, api: FakeAPI) -> None:
    api.reply(httpx.Response(200))
    with pytest.raises(ragkit.UploadError, match="x-goog-upload-url"):
        await resolve(client.files.upload(b"abc", mime_type="text/plain"))


async def test_chunk_failure_is_typed(client: Any, api: FakeAPI) -> None:
    api.reply(
        httpx.Response(200, headers={"x-goog-upload-url": SESSION}),
        httpx.Response(
            400,
            json={"error": {"code": 400, "status": "INVALID_ARGUMENT", "message": "bad offset"}},
        ),
    )
    with pytest.raises(ragkit.BadRequestError, match="bad offset"):
        await resolve(client.files.upload(b"abc", mime_type="text/plain"))


async def test_unknown_mime_type_fails_before_sending(client: Any, api: FakeAPI) -> None:
    with pytest.raises(ValueError, match="mime_type"):
        await resolve(client.files.upload(b"abc"))
    assert api.requests == []
