"""The few ragkit-specific endpoints the web app needs beyond Google's v1beta API.

Everything else the app does goes through ``/v1beta`` with ``x-goog-api-key``, like any
client. These live under ``/ragkit/api`` so they can never be mistaken for Google's API:

``GET /ragkit/api/info``
    No credentials needed. ``{"version", "embedder", "dimensions", "authRequired",
    "extensions", "maxUploadBytes"}``: what the sign-in screen and the drop zone need to know.
``GET /ragkit/api/me``
    ``{"email", "groups"}``: who the credentials belong to (``local@ragkit.local`` when the
    server is single-user).
``GET /ragkit/api/corpora/{c}/stats``
    READER. ``{"name", "documentCount", "chunkCount", "role"}``.
``POST /ragkit/api/corpora/{c}/files?filename=guide.pdf``
    WRITER. The body is the file's raw bytes (any content type). The server loads, chunks and
    stores it with ragkit's own ingestion (see :mod:`ragkit.server.service.file_ingest`) and
    answers ``{"document": Document, "chunkCount", "status", "warnings"}``; failures are
    Google's error body (an unsupported or empty file is 400 INVALID_ARGUMENT, saying why).
"""

from __future__ import annotations

from typing import Final

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ragkit._version import __version__
from ragkit.server.errors import invalid_argument
from ragkit.server.http.deps import Caller, Service, server_state
from ragkit.types._base import to_wire

# ragkit.ingest (loaders, PDF parsing, the sync engine) is imported on first use, so that
# `ragkit serve` does not pay for it at start-up (~0.1-0.4 s).

__all__ = ["MAX_UPLOAD_BYTES", "router"]

#: Largest file the web app may ingest in one request (it is parsed in memory).
MAX_UPLOAD_BYTES: Final = 64 * 1024 * 1024

router = APIRouter(prefix="/ragkit/api", tags=["web"])


@router.get("/info")
def info(request: Request) -> JSONResponse:
    """What the app shows before sign-in; reveals nothing about the data."""
    from ragkit.ingest import supported_extensions

    state = server_state(request)
    return JSONResponse(
        {
            "version": __version__,
            "embedder": state.embedder.name,
            "dimensions": state.embedder.dimensions,
            "authRequired": not state.authenticator.single_user,
            "extensions": supported_extensions(),
            "maxUploadBytes": MAX_UPLOAD_BYTES,
        }
    )


@router.get("/me")
def me(who: Caller) -> JSONResponse:
    return JSONResponse({"email": who.email, "groups": sorted(who.groups)})


@router.get("/corpora/{corpus}/stats")
def corpus_stats(corpus: str, service: Service, who: Caller) -> JSONResponse:
    stats = service.corpus_stats(who, f"corpora/{corpus}")
    return JSONResponse(
        {
            "name": stats.name,
            "documentCount": stats.document_count,
            "chunkCount": stats.chunk_count,
            "role": stats.role.name,
        }
    )


@router.post("/corpora/{corpus}/files")
async def upload_file(
    corpus: str, request: Request, service: Service, who: Caller, filename: str = ""
) -> JSONResponse:
    if not filename.strip():
        raise invalid_argument("The filename query parameter is required, e.g. ?filename=a.pdf.")
    from ragkit.server.service.file_ingest import ingest_file

    data = await _read_capped(request, MAX_UPLOAD_BYTES)
    done = await anyio.to_thread.run_sync(
        lambda: ingest_file(service, who, f"corpora/{corpus}", filename=filename, data=data)
    )
    return JSONResponse(
        {
            "document": to_wire(done.document),
            "chunkCount": done.chunk_count,
            "status": done.status,
            "warnings": list(done.warnings),
        }
    )


async def _read_capped(request: Request, limit: int) -> bytes:
    """The body, refused as soon as it is known to exceed ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(int(declared), limit)
    parts: list[bytes] = []
    size = 0
    async for part in request.stream():
        size += len(part)
        if size > limit:
            raise _too_large(size, limit)
        parts.append(part)
    return b"".join(parts)


def _too_large(size: int, limit: int) -> Exception:
    return invalid_argument(
        f"File too large: {size} bytes; the web app ingests files up to {limit} bytes "
        f"({limit // (1024 * 1024)} MiB). Use `ragkit ingest` for larger ones."
    )
