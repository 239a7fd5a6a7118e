"""``multipart/related`` bodies of simple media uploads: a JSON metadata part, then the media.

Google's multipart upload (``X-Goog-Upload-Protocol: multipart`` or ``uploadType=multipart``)
sends exactly two parts; the first is ``{"file": {...}}`` as JSON, the second the bytes
with their own ``Content-Type``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ragkit.server.errors import invalid_argument

__all__ = ["MultipartUpload", "boundary_of", "parse_multipart"]


@dataclass(frozen=True)
class MultipartUpload:
    """The metadata object (``{}`` when the part is empty) and the media with its type."""

    metadata: dict[str, Any]
    media: bytes
    media_type: str | None


def boundary_of(content_type: str) -> str:
    """The ``boundary`` parameter of a ``multipart/related`` Content-Type.

    Raises:
        ApiError: INVALID_ARGUMENT if the type is not multipart or has no boundary.
    """
    kind, *params = (part.strip() for part in content_type.split(";"))
    if not kind.lower().startswith("multipart/"):
        raise invalid_argument(
            f"A multipart upload needs Content-Type multipart/related, got {content_type!r}."
        )
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "boundary" and value.strip().strip('"'):
            return value.strip().strip('"')
    raise invalid_argument("The multipart Content-Type has no boundary parameter.")


def _headers(block: bytes) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in block.decode("latin-1").split("\r\n"):
        key, sep, value = line.partition(":")
        if sep:
            headers[key.strip().lower()] = value.strip()
    return headers


def _parts(body: bytes, boundary: str) -> list[tuple[dict[str, str], bytes]]:
    delimiter = b"\r\n--" + boundary.encode("latin-1")
    sections = (b"\r\n" + body).split(delimiter)
    parts: list[tuple[dict[str, str], bytes]] = []
    closed = False
    for section in sections[1:]:
        if section.startswith(b"--"):
            closed = True
            break
        head, sep, content = section.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        if not sep:
            # A part without headers starts straight with the blank line.
            head, content = b"", section.removeprefix(b"\r\n\r\n")
        parts.append((_headers(head), content))
    if not closed:
        raise invalid_argument("The multipart body is truncated: no closing boundary.")
    return parts


def parse_multipart(body: bytes, content_type: str) -> MultipartUpload:
    """Split a ``multipart/related`` upload body into metadata and media.

    Raises:
        ApiError: INVALID_ARGUMENT for a body that is not two parts, or metadata that is
            not a JSON object.
    """
    parts = _parts(body, boundary_of(content_type))
    if len(parts) != 2:
        raise invalid_argument(
            f"A multipart upload has two parts (JSON metadata, then the media), got {len(parts)}."
        )
    (_, raw_metadata), (media_headers, media) = parts
    metadata: Any = {}
    if raw_metadata.strip():
        try:
            metadata = json.loads(raw_metadata)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise invalid_argument(
                "Invalid JSON payload received in the metadata part of the multipart upload."
            ) from None
    if not isinstance(metadata, dict):
        raise invalid_argument("The metadata part of a multipart upload must be a JSON object.")
    return MultipartUpload(metadata, media, media_headers.get("content-type"))
