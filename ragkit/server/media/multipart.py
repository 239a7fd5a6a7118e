"""``multipart/related`` bodies of simple media uploads, split as they stream in.

Google's multipart upload (``X-Goog-Upload-Protocol: multipart`` or ``uploadType=multipart``)
sends exactly two parts; the first is ``{"file": {...}}`` as JSON, the second the bytes
with their own ``Content-Type``. :func:`read_multipart` reads the metadata part (small,
bounded by :data:`MAX_METADATA_BYTES`) and hands back the media as an async stream, so
a 2 GB upload is never held in memory; the stream checks the rest of the body (no third
part, a closing boundary) when it ends.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from typing import Any

from ragkit.server.errors import invalid_argument
from ragkit.server.strict_json import parse_json

__all__ = [
    "MAX_METADATA_BYTES",
    "MultipartScanner",
    "MultipartUpload",
    "PartEnd",
    "PartStart",
    "boundary_of",
    "metadata_object",
    "read_multipart",
]

#: The largest metadata JSON (multipart metadata part, resumable start body) accepted;
#: a ``File``'s writable fields fit many times over.
MAX_METADATA_BYTES = 64 * 1024
_MAX_HEADER_BYTES = 16 * 1024


@dataclass(frozen=True)
class PartStart:
    """A part begins; its headers, names lower-cased."""

    headers: dict[str, str]


@dataclass(frozen=True)
class PartEnd:
    """The current part's content is complete."""


#: What :meth:`MultipartScanner.feed` reports: part starts, content pieces, part ends.
Event = PartStart | bytes | PartEnd


@dataclass(frozen=True)
class MultipartUpload:
    """The metadata object (``{}`` when the part is empty), the media's own type, and the
    media bytes as they arrive."""

    metadata: dict[str, Any]
    media_type: str | None
    media: AsyncIterator[bytes]


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


class MultipartScanner:
    """Splits a multipart body fed in arbitrary pieces into :data:`Event` s.

    Holds back at most one delimiter's length of content (it may be the start of the
    next boundary), so memory does not grow with the parts.
    """

    def __init__(self, boundary: str) -> None:
        self._delimiter = b"\r\n--" + boundary.encode("latin-1")
        # The first boundary needs no CRLF before it; pretend it had one.
        self._buffer = bytearray(b"\r\n")
        self._state = self._preamble
        self.closed = False

    def feed(self, data: bytes) -> list[Event]:
        """The events ``data`` completes."""
        self._buffer += data
        events: list[Event] = []
        while self._state(events):
            pass
        return events

    def finish(self) -> None:
        """Raises ApiError INVALID_ARGUMENT if the body ended before its closing boundary."""
        if not self.closed:
            raise invalid_argument("The multipart body is truncated: no closing boundary.")

    def _keep_tail(self) -> int:
        """How many bytes may be released without splitting a delimiter."""
        return max(len(self._buffer) - (len(self._delimiter) - 1), 0)

    def _preamble(self, events: list[Event]) -> bool:
        found = self._buffer.find(self._delimiter)
        if found < 0:
            del self._buffer[: self._keep_tail()]
            return False
        del self._buffer[: found + len(self._delimiter)]
        self._state = self._after_delimiter
        return True

    def _after_delimiter(self, events: list[Event]) -> bool:
        if len(self._buffer) < 2:
            return False
        if self._buffer.startswith(b"--"):
            self.closed = True
            self._state = self._epilogue
            return self._epilogue(events)
        # Transport padding may follow the boundary up to its line break.
        line_end = self._buffer.find(b"\r\n")
        if line_end < 0:
            self._check_header_size()
            return False
        del self._buffer[: line_end + 2]
        self._state = self._part_headers
        return True

    def _part_headers(self, events: list[Event]) -> bool:
        if self._buffer.startswith(b"\r\n"):
            # A part without headers starts straight with the blank line.
            headers, skip = {}, 2
        else:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                self._check_header_size()
                return False
            headers, skip = _headers(bytes(self._buffer[:end])), end + 4
        del self._buffer[:skip]
        events.append(PartStart(headers))
        self._state = self._content
        return True

    def _content(self, events: list[Event]) -> bool:
        found = self._buffer.find(self._delimiter)
        if found < 0:
            release = self._keep_tail()
            if release:
                events.append(bytes(self._buffer[:release]))
                del self._buffer[:release]
            return False
        if found:
            events.append(bytes(self._buffer[:found]))
        events.append(PartEnd())
        del self._buffer[: found + len(self._delimiter)]
        self._state = self._after_delimiter
        return True

    def _epilogue(self, events: list[Event]) -> bool:
        self._buffer.clear()
        return False

    def _check_header_size(self) -> None:
        if len(self._buffer) > _MAX_HEADER_BYTES:
            raise invalid_argument(
                f"A part's headers in the multipart body exceed {_MAX_HEADER_BYTES} bytes."
            )


def metadata_object(raw: bytes | bytearray, where: str) -> dict[str, Any]:
    """Parse upload metadata JSON (``{}`` when blank); ``where`` names it in errors.

    Raises:
        ApiError: INVALID_ARGUMENT if it is not a JSON object.
    """
    if not raw.strip():
        return {}
    metadata = parse_json(raw, f" in {where}")
    if not isinstance(metadata, dict):
        raise invalid_argument(f"{where[0].upper()}{where[1:]} must be a JSON object.")
    return metadata


async def _events(body: AsyncIterable[bytes], scanner: MultipartScanner) -> AsyncIterator[Event]:
    async for chunk in body:
        for event in scanner.feed(chunk):
            yield event
    scanner.finish()


def _part_count_error(count: int) -> Exception:
    return invalid_argument(
        f"A multipart upload has two parts (JSON metadata, then the media), got {count}."
    )


async def _metadata_part(events: AsyncIterator[Event]) -> tuple[bytes, int]:
    """The first part's content, and how many parts the body had (0 or 1) if it ended."""
    raw = bytearray()
    async for event in events:
        if isinstance(event, PartEnd):
            return bytes(raw), 1
        if isinstance(event, bytes):
            raw += event
            if len(raw) > MAX_METADATA_BYTES:
                raise invalid_argument(
                    f"The metadata part of the multipart upload exceeds {MAX_METADATA_BYTES} bytes."
                )
    return bytes(raw), 0


async def _media(events: AsyncIterator[Event]) -> AsyncIterator[bytes]:
    async for event in events:
        if isinstance(event, PartEnd):
            break
        if isinstance(event, bytes):
            yield event
    extra = 0
    async for event in events:
        extra += isinstance(event, PartStart)
    if extra:
        raise _part_count_error(2 + extra)


async def read_multipart(body: AsyncIterable[bytes], content_type: str) -> MultipartUpload:
    """Read a ``multipart/related`` upload's metadata part; the media streams on.

    Iterating :attr:`MultipartUpload.media` reads the rest of ``body``.

    Raises:
        ApiError: INVALID_ARGUMENT for a body that is not two parts, metadata that is not
            a JSON object (or over :data:`MAX_METADATA_BYTES`), or a truncated body; the
            errors about what follows the media are raised by the media stream.
    """
    events = _events(body, MultipartScanner(boundary_of(content_type)))
    raw, parts = await _metadata_part(events)
    if parts == 0:
        raise _part_count_error(0)
    async for event in events:
        if isinstance(event, PartStart):
            metadata = metadata_object(raw, "the metadata part of the multipart upload")
            return MultipartUpload(metadata, event.headers.get("content-type"), _media(events))
    raise _part_count_error(1)
