"""The resumable media-upload protocol: pure request builders, and the one loop that
sends them (:func:`run_upload`, with its asyncio twin :func:`run_upload_async`).

1. ``POST upload/v1beta/files`` (or ``upload/v1beta/{store}:uploadToFileSearchStore``)
   with ``X-Goog-Upload-Command: start`` and the metadata; the session URL comes back in
   ``x-goog-upload-url``.
2. ``POST <session URL>`` once per chunk with ``X-Goog-Upload-Command: upload`` and
   ``X-Goog-Upload-Offset``; the last chunk says ``upload, finalize`` and the answer is
   ``{"file": File}`` (files) or an ``Operation`` (File Search stores).

Chunk uploads carry their offset, so repeating one is harmless: they are retried like
idempotent calls. The start request creates a session and is not.
"""

from __future__ import annotations

import io
import mimetypes
import os
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import IO, Any

import httpx

from ragkit._base_client import API_VERSION, APIRequest, parse_empty
from ragkit._exceptions import UploadError
from ragkit._validation import check_display_name
from ragkit.types import File

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "FileInput",
    "ProgressCallback",
    "UploadSource",
    "chunk_request",
    "chunk_size_for",
    "finalized_body",
    "parse_uploaded_file",
    "run_upload",
    "run_upload_async",
    "session_start_request",
    "session_url",
    "start_request",
]

DEFAULT_CHUNK_SIZE = 8 * 1024 * 1024
UPLOAD_PATH = f"upload/{API_VERSION}/files"

#: What ``files.upload`` accepts: a path, the bytes themselves, or a binary file object.
FileInput = str | os.PathLike[str] | bytes | bytearray | memoryview | IO[bytes]

#: Called after each uploaded piece with ``(bytes_sent, total_bytes)``.
ProgressCallback = Callable[[int, int], None]


class UploadSource:
    """The bytes to upload, their size and MIME type, read chunk by chunk."""

    def __init__(self, file: FileInput, *, mime_type: str | None = None) -> None:
        self._owned: IO[bytes] | None = None
        filename: str | None = None
        if isinstance(file, bytes | bytearray | memoryview):
            self._reader: IO[bytes] = io.BytesIO(bytes(file))
        elif isinstance(file, str | os.PathLike):
            path = Path(file)
            filename = path.name
            self._reader = self._owned = path.open("rb")
        else:
            self._reader = file
            name = getattr(file, "name", None)
            filename = os.path.basename(name) if isinstance(name, str) else None
        self.filename = filename
        self.size = self._remaining_size()
        guessed = mimetypes.guess_type(filename)[0] if filename else None
        resolved = mime_type or guessed
        if not resolved:
            self.close()
            raise ValueError(
                "cannot tell the file's MIME type; pass mime_type=... (e.g. 'text/plain')"
            )
        self.mime_type = resolved

    def _remaining_size(self) -> int:
        try:
            start = self._reader.tell()
            end = self._reader.seek(0, io.SEEK_END)
            self._reader.seek(start)
            return end - start
        except (OSError, io.UnsupportedOperation):
            data = self._reader.read()
            self._reader = io.BytesIO(data)
            return len(data)

    def chunks(self, chunk_size: int) -> Iterator[tuple[int, bytes, bool]]:
        """Yield ``(offset, data, is_last)``; an empty file is one empty final chunk."""
        offset = 0
        while True:
            data = self._reader.read(min(chunk_size, self.size - offset))
            is_last = offset + len(data) >= self.size or not data
            yield offset, data, is_last
            offset += len(data)
            if is_last:
                return

    def close(self) -> None:
        if self._owned is not None:
            self._owned.close()
            self._owned = None


def start_request(
    source: UploadSource, *, display_name: str | None, name: str | None
) -> APIRequest[None]:
    """The request that opens a ``files.upload`` session."""
    check_display_name(display_name)
    metadata: dict[str, Any] = {"mimeType": source.mime_type}
    if name is not None:
        metadata["name"] = name
    if display_name is not None:
        metadata["displayName"] = display_name
    return session_start_request(UPLOAD_PATH, source, {"file": metadata})


def session_start_request(path: str, source: UploadSource, body: Any) -> APIRequest[None]:
    """The request that opens an upload session at ``path`` with the JSON ``body``."""
    headers = {
        "X-Goog-Upload-Protocol": "resumable",
        "X-Goog-Upload-Command": "start",
        "X-Goog-Upload-Header-Content-Length": str(source.size),
        "X-Goog-Upload-Header-Content-Type": source.mime_type,
    }
    if source.filename:
        headers["X-Goog-Upload-File-Name"] = source.filename
    return APIRequest(
        method="POST",
        path=path,
        parse=parse_empty,
        json=body,
        headers=headers,
        retry=False,
    )


def session_url(response: httpx.Response) -> str:
    """The upload session URL from the start response."""
    url = response.headers.get("x-goog-upload-url")
    if not url:
        raise UploadError("the upload start response carried no x-goog-upload-url header")
    return str(url)


def chunk_size_for(requested: int, response: httpx.Response) -> int:
    """Round ``requested`` down to the server's chunk granularity, if it announced one."""
    if requested <= 0:
        raise ValueError(f"chunk_size must be positive, got {requested}")
    granularity = response.headers.get("x-goog-upload-chunk-granularity")
    if granularity and granularity.isdigit() and int(granularity) > 0:
        step = int(granularity)
        return max(requested // step, 1) * step
    return requested


def chunk_request(url: str, offset: int, data: bytes, is_last: bool) -> APIRequest[None]:
    """The request carrying one chunk; the last one finalizes the upload."""
    return APIRequest(
        method="POST",
        path=url,
        parse=parse_empty,
        content=data,
        headers={
            "X-Goog-Upload-Command": "upload, finalize" if is_last else "upload",
            "X-Goog-Upload-Offset": str(offset),
            "Content-Type": "application/octet-stream",
        },
        retry=True,
    )


def finalized_body(response: httpx.Response) -> dict[str, Any]:
    """The JSON object of the finalize response, checked to be final."""
    status = response.headers.get("x-goog-upload-status")
    if status is not None and status.lower() != "final":
        raise UploadError(f"upload not finalized: x-goog-upload-status is {status!r}")
    try:
        body = response.json()
    except ValueError as exc:
        raise UploadError("the finalize response is not JSON") from exc
    if not isinstance(body, dict):
        raise UploadError("the finalize response is not a JSON object")
    return body


def parse_uploaded_file(response: httpx.Response) -> File:
    """The ``File`` from the finalize response."""
    body = finalized_body(response)
    if not isinstance(body.get("file"), dict):
        raise UploadError("the finalize response carried no 'file' object")
    return File.model_validate(body["file"])


def run_upload(
    send: Callable[[APIRequest[None]], httpx.Response],
    start: APIRequest[None],
    source: UploadSource,
    chunk_size: int,
    on_progress: ProgressCallback | None = None,
) -> httpx.Response:
    """Open the session with ``start``, send ``source`` in pieces of ``chunk_size`` bytes
    (rounded down to the server's granularity) through ``send`` (a client's ``_send``),
    calling ``on_progress`` after each; return the finalize response."""
    response = send(start)
    url, size = session_url(response), chunk_size_for(chunk_size, response)
    for offset, data, is_last in source.chunks(size):
        response = send(chunk_request(url, offset, data, is_last))
        if on_progress is not None:
            on_progress(offset + len(data), source.size)
    return response


async def run_upload_async(
    send: Callable[[APIRequest[None]], Awaitable[httpx.Response]],
    start: APIRequest[None],
    source: UploadSource,
    chunk_size: int,
    on_progress: ProgressCallback | None = None,
) -> httpx.Response:
    """:func:`run_upload` through an ``AsyncClient``'s ``_send``."""
    response = await send(start)
    url, size = session_url(response), chunk_size_for(chunk_size, response)
    for offset, data, is_last in source.chunks(size):
        response = await send(chunk_request(url, offset, data, is_last))
        if on_progress is not None:
            on_progress(offset + len(data), source.size)
    return response
