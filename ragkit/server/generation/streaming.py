"""The two wire forms of ``streamGenerateContent``.

* ``alt=sse``: ``text/event-stream``; each response chunk is one event
  ``data: {...}\\n\\n``; an error after the stream started is one more event,
  ``data: {"error": {...}}\\n\\n``, and ends the stream.
* ``alt=json`` (or no ``alt``): one JSON array, ``[{...},\\n{...}]``, sent as the chunks
  are made; an error after the stream started is the array's last element
  (``{"error": {...}}``), and an error before it is the whole body ``[{"error": ...}]``
  with the error's HTTP status.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.responses import JSONResponse, StreamingResponse

from ragkit.server.errors import ApiError, internal
from ragkit.types import GenerateContentResponse
from ragkit.types._base import to_wire

__all__ = ["SSE_MEDIA_TYPE", "array_error_response", "stream_response"]

logger = logging.getLogger("ragkit.server")
SSE_MEDIA_TYPE = "text/event-stream"


def _json(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


async def _payloads(
    chunks: AsyncIterator[GenerateContentResponse], enum_int: bool
) -> AsyncIterator[dict[str, Any]]:
    """Wire dicts of ``chunks``; a failure becomes a final error payload."""
    try:
        async for chunk in chunks:
            yield to_wire(chunk, enum_int=enum_int)
    except ApiError as error:
        yield error.to_body()
    except Exception:
        logger.exception("Unhandled error while streaming a response")
        yield internal("Internal error encountered.").to_body()


async def _sse(
    chunks: AsyncIterator[GenerateContentResponse], enum_int: bool
) -> AsyncIterator[bytes]:
    async for payload in _payloads(chunks, enum_int):
        yield b"data: " + _json(payload) + b"\n\n"


async def _array(
    chunks: AsyncIterator[GenerateContentResponse], enum_int: bool
) -> AsyncIterator[bytes]:
    separator = b"["
    async for payload in _payloads(chunks, enum_int):
        yield separator + _json(payload)
        separator = b",\n"
    yield b"[]" if separator == b"[" else b"]"


def stream_response(
    chunks: AsyncIterator[GenerateContentResponse], *, alt: str, enum_int: bool = False
) -> StreamingResponse:
    """Stream ``chunks`` as server-sent events (``alt="sse"``) or a JSON array."""
    if alt == "sse":
        return StreamingResponse(_sse(chunks, enum_int), media_type=SSE_MEDIA_TYPE)
    return StreamingResponse(_array(chunks, enum_int), media_type="application/json")


def array_error_response(error: ApiError) -> JSONResponse:
    """An error before a JSON-array stream started: ``[{"error": ...}]`` with its status."""
    return JSONResponse([error.to_body()], status_code=error.http_status)
