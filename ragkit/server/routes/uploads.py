"""Media endpoints outside ``/v1beta``: ``/upload/v1beta/files`` and ``/download/v1beta/files``.

Uploads speak Google's protocols (api.md §9.5):

* ``X-Goog-Upload-Protocol: resumable``: ``X-Goog-Upload-Command: start`` (with
  ``X-Goog-Upload-Header-Content-Length``/``-Content-Type`` and an optional JSON body
  ``{"file": {...}}``) answers ``x-goog-upload-url``, a session URL on this server; then
  ``upload`` / ``upload, finalize`` (with ``X-Goog-Upload-Offset``), ``finalize``,
  ``query`` and ``cancel`` on that URL. The final answer is ``{"file": File}`` with
  ``x-goog-upload-status: final``.
* ``multipart`` (``multipart/related``: JSON metadata part, media part) and ``raw``
  (the body is the file; also ``uploadType=media``) in one request.

No upload is held in memory: bodies stream to disk through 1 MiB buffers
(:mod:`ragkit.server.media.spool`). The per-file size limit is checked from the
declared sizes (``X-Goog-Upload-Header-Content-Length``, ``Content-Length``) before a
byte is read, and again as the body streams, which stops at the limit. A client that
hangs up mid-body leaves nothing behind: no file, no partial chunk.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.requests import ClientDisconnect

from ragkit.server.errors import ApiError, invalid_argument
from ragkit.server.http.deps import Caller, Files
from ragkit.server.http.params import SYSTEM_PARAMS, Params, parse_alt, query_params
from ragkit.server.http.wire import parse_body
from ragkit.server.media import FileService, UploadProgress, file_out
from ragkit.server.media.multipart import MAX_METADATA_BYTES, metadata_object, read_multipart
from ragkit.server.media.spool import BodyTooLarge, spool
from ragkit.server.principal import Principal
from ragkit.types import Code, CreateFileRequest, File
from ragkit.types._base import to_wire

__all__ = ["router"]

router = APIRouter(tags=["files"])

#: Chunk granularity announced to resumable clients (Google's: 8 MiB).
CHUNK_GRANULARITY = 8 * 1024 * 1024

_UPLOAD_PARAMS = frozenset({"upload_id", "uploadType", "upload_protocol"})
_COMMANDS = frozenset({"start", "upload", "finalize", "query", "cancel"})

DownloadParams = Annotated[Params, Depends(query_params(alt_formats=("json", "media")))]


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _upload_query(request: Request) -> tuple[dict[str, str], bool]:
    """The upload parameters and whether enums should be integers."""
    values: dict[str, str] = {}
    enum_int = False
    for name, value in request.query_params.multi_items():
        system = name.removeprefix("$")
        if system == "alt":
            enum_int = parse_alt(value)[1]
        if system in _UPLOAD_PARAMS:
            values[system] = value
        elif system not in SYSTEM_PARAMS:
            raise invalid_argument(
                f'Invalid JSON payload received. Unknown name "{name}": Cannot bind query '
                f"parameter. Field '{name}' could not be found in request message."
            )
    return values, enum_int


def _int_header(request: Request, header: str) -> int | None:
    value = request.headers.get(header)
    if value is None:
        return None
    if not value.strip().isdigit():
        raise invalid_argument(f"Invalid {header} header {value!r}: expected a byte count.")
    return int(value)


async def _metadata_body(request: Request) -> dict[str, object]:
    """The small JSON body of a resumable start, read with a ceiling."""
    raw = bytearray()
    try:
        await spool(request.stream(), raw.extend, limit=MAX_METADATA_BYTES)
    except BodyTooLarge:
        raise invalid_argument(
            f"The upload start request's metadata exceeds {MAX_METADATA_BYTES} bytes."
        ) from None
    return metadata_object(raw, "the upload start request")


def _file_metadata(data: dict[str, object]) -> File:
    return parse_body(CreateFileRequest, data).file or File()


def _file_response(progress: UploadProgress, request: Request, enum_int: bool) -> Response:
    headers = {"x-goog-upload-size-received": str(progress.received)}
    if progress.file is None:
        return Response(status_code=200, headers={**headers, "x-goog-upload-status": "active"})
    file = file_out(progress.file, _base_url(request))
    return JSONResponse(
        {"file": to_wire(file, enum_int=enum_int)},
        headers={**headers, "x-goog-upload-status": "final"},
    )


@router.post("/upload/v1beta/files")
@router.post("/upload/v1/files")
async def upload_file(request: Request, files: Files, who: Caller) -> Response:
    """Every upload protocol: a resumable start or chunk, multipart, or raw media."""
    try:
        return await _upload(request, files, who)
    except ClientDisconnect:
        # Nobody is left to read this answer; it keeps the hang-up out of the error log.
        raise ApiError(
            Code.CANCELLED, "The client closed the connection before the upload finished."
        ) from None


async def _upload(request: Request, files: FileService, who: Principal) -> Response:
    params, enum_int = _upload_query(request)
    if "upload_id" in params:
        return await _session_command(request, files, who, params["upload_id"], enum_int)
    protocol = (
        request.headers.get("x-goog-upload-protocol") or params.get("uploadType") or ""
    ).lower()
    content_type = request.headers.get("content-type", "")
    if not protocol and content_type.lower().startswith("multipart/"):
        protocol = "multipart"
    if protocol == "resumable":
        return await _start(request, files, who)
    if protocol == "multipart":
        upload = await read_multipart(request.stream(), content_type)
        metadata = _file_metadata(upload.metadata)
        mime = metadata.mime_type or upload.media_type
        # The body's length also counts the metadata and boundaries: only the streaming
        # limit, on the media alone, is exact.
        return await _create(request, files, who, metadata, mime, upload.media, None, enum_int)
    if protocol in ("raw", "media"):
        length = _int_header(request, "content-length")
        body = request.stream()
        mime = content_type or None
        return await _create(request, files, who, File(), mime, body, length, enum_int)
    raise invalid_argument(
        "Missing or unknown upload protocol: send X-Goog-Upload-Protocol resumable, "
        f"multipart or raw (or uploadType=media|multipart|resumable), got {protocol!r}."
    )


async def _create(
    request: Request,
    files: FileService,
    who: Principal,
    metadata: File,
    mime_type: str | None,
    body: AsyncIterator[bytes],
    length: int | None,
    enum_int: bool,
) -> Response:
    record = await files.receive_file(
        who,
        requested_name=metadata.name,
        display_name=metadata.display_name,
        mime_type=mime_type,
        body=body,
        length=length,
    )
    file = to_wire(file_out(record, _base_url(request)), enum_int=enum_int)
    return JSONResponse({"file": file}, headers={"x-goog-upload-status": "final"})


async def _start(request: Request, files: FileService, who: Principal) -> Response:
    command = request.headers.get("x-goog-upload-command", "").strip().lower()
    if command != "start":
        raise invalid_argument(
            "A resumable upload starts with X-Goog-Upload-Command: start, got "
            f"{command or 'no command'!r}."
        )
    # A declared size over the limit is refused before the body is read.
    declared = _int_header(request, "x-goog-upload-header-content-length")
    if declared is not None:
        files.check_size(declared)
    metadata = _file_metadata(await _metadata_body(request))
    mime = metadata.mime_type or request.headers.get("x-goog-upload-header-content-type")
    progress = await anyio.to_thread.run_sync(
        lambda: files.start_upload(
            who,
            requested_name=metadata.name,
            display_name=metadata.display_name,
            mime_type=mime,
            declared_size=declared,
        )
    )
    url = f"{_base_url(request)}/upload/v1beta/files?upload_id={progress.session_id}"
    return session_started(url + "&upload_protocol=resumable")


def session_started(url: str) -> Response:
    """The answer to a resumable upload's ``start`` command: where to send the bytes."""
    return Response(
        status_code=200,
        headers={
            "x-goog-upload-status": "active",
            "x-goog-upload-url": url,
            "x-goog-upload-control-url": url,
            "x-goog-upload-chunk-granularity": str(CHUNK_GRANULARITY),
        },
    )


def _commands(request: Request) -> set[str]:
    raw = request.headers.get("x-goog-upload-command")
    if raw is None:
        raise invalid_argument("Missing X-Goog-Upload-Command header on the upload session URL.")
    commands = {part.strip().lower() for part in raw.split(",") if part.strip()}
    unknown = commands - _COMMANDS
    if unknown or not commands or "start" in commands:
        raise invalid_argument(f"Invalid X-Goog-Upload-Command {raw!r} for an upload session.")
    return commands


async def _session_command(
    request: Request, files: FileService, who: Principal, session_id: str, enum_int: bool
) -> Response:
    commands = _commands(request)
    if commands == {"query"}:
        progress = await anyio.to_thread.run_sync(files.query_upload, who, session_id)
        return _file_response(progress, request, enum_int)
    if commands == {"cancel"}:
        await anyio.to_thread.run_sync(files.cancel_upload, who, session_id)
        return Response(status_code=200, headers={"x-goog-upload-status": "cancelled"})
    if not commands <= {"upload", "finalize"}:
        raise invalid_argument(f"Commands {sorted(commands)} cannot be combined.")
    offset = _int_header(request, "x-goog-upload-offset")
    if offset is None and "upload" in commands:
        raise invalid_argument("X-Goog-Upload-Offset is required with the upload command.")
    progress = await files.receive_chunk(
        who,
        session_id,
        offset,
        request.stream(),
        length=_int_header(request, "content-length"),
        finalize="finalize" in commands,
    )
    return _file_response(progress, request, enum_int)


def _download(files: FileService, who: Principal, file: str, q: Params) -> Response:
    record, chunks = files.download(who, f"files/{file}")
    if q.alt != "media":
        # Without alt=media the method answers its (empty) response message.
        return JSONResponse({})
    return StreamingResponse(
        chunks,
        media_type=record.mime_type,
        headers={"content-length": str(record.size_bytes)},
    )


@router.get("/download/v1beta/files/{file:rid}:download")
@router.get("/download/v1/files/{file:rid}:download")
def download_file(file: str, files: Files, who: Caller, q: DownloadParams) -> Response:
    """The file's bytes (``?alt=media``), with its MIME type."""
    return _download(files, who, file, q)


#: ``/v1beta/files/{id}:download`` lives with the other ``/v1beta`` routes.
v1beta_router = APIRouter(tags=["files"])


@v1beta_router.get("/files/{file:rid}:download")
def download_file_v1beta(file: str, files: Files, who: Caller, q: DownloadParams) -> Response:
    """The same download under ``/v1beta``."""
    return _download(files, who, file, q)
