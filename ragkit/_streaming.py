"""Streamed responses: server-sent events (``?alt=sse``) and the plain JSON-array stream.

The decoders are pure and incremental (fed lines or text as they arrive); :class:`Stream`
and :class:`AsyncStream` drive them over an open ``httpx.Response`` and turn every
message into a typed object. An ``{"error": ...}`` message inside the stream raises the
matching :class:`ragkit.APIError`; anything unparseable raises :class:`ragkit.StreamError`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

import httpx

from ragkit._exceptions import StreamError, error_from_body

__all__ = ["AsyncStream", "JSONArrayDecoder", "SSEDecoder", "Stream"]

T = TypeVar("T")


class SSEDecoder:
    """Turns lines of a ``text/event-stream`` into the data of each event.

    Multi-line ``data:`` fields are joined with newlines, comments (``:...``) and other
    fields are skipped, and a blank line ends an event.
    """

    def __init__(self) -> None:
        self._data: list[str] = []

    def feed(self, line: str) -> str | None:
        """Consume one line (without its terminator); return event data when one completes."""
        line = line.rstrip("\r\n")
        if not line:
            return self.flush()
        if line.startswith(":"):
            return None
        field, _, value = line.partition(":")
        if field == "data":
            self._data.append(value.removeprefix(" "))
        return None

    def flush(self) -> str | None:
        """End the current event (also called at end of stream)."""
        if not self._data:
            return None
        data = "\n".join(self._data)
        self._data = []
        return data


class JSONArrayDecoder:
    """Incrementally parses ``[{...}, {...}]`` as text arrives, yielding each element."""

    def __init__(self) -> None:
        self._buffer = ""
        self._started = False
        self._finished = False
        self._decoder = json.JSONDecoder()

    def feed(self, text: str) -> list[Any]:
        """Consume ``text``; return the elements completed by it."""
        self._buffer += text
        items: list[Any] = []
        while True:
            self._buffer = self._buffer.lstrip()
            if not self._buffer or self._finished:
                return items
            head = self._buffer[0]
            if not self._started:
                if head != "[":
                    raise StreamError(f"expected a JSON array, got {self._buffer[:40]!r}")
                self._started = True
                self._buffer = self._buffer[1:]
            elif head == ",":
                self._buffer = self._buffer[1:]
            elif head == "]":
                self._finished = True
                self._buffer = self._buffer[1:]
            else:
                try:
                    item, end = self._decoder.raw_decode(self._buffer)
                except json.JSONDecodeError:
                    return items
                items.append(item)
                self._buffer = self._buffer[end:]

    def close(self) -> None:
        """Check that the stream ended where a complete array ends."""
        if self._buffer.strip() or (self._started and not self._finished):
            raise StreamError("stream ended inside the JSON array")


def _parse(parse: Callable[[Any], T], payload: Any) -> T:
    try:
        return parse(payload)
    except (ValueError, TypeError) as exc:
        raise StreamError(f"unexpected message in stream: {exc}") from exc


def _decode_event(data: str, response: httpx.Response) -> Any:
    try:
        payload = json.loads(data)
    except json.JSONDecodeError as exc:
        raise StreamError(f"malformed event in stream: {data[:200]!r}") from exc
    return _check_payload(payload, response)


def _check_payload(payload: Any, response: httpx.Response) -> Any:
    if isinstance(payload, dict) and "error" in payload:
        raise error_from_body(payload, response=response)
    return payload


def _is_sse(response: httpx.Response) -> bool:
    content_type = response.headers.get("content-type", "")
    return not content_type.startswith("application/json")


class Stream(Generic[T]):
    """Iterator over a streamed response; close it (or use ``with``) to free the connection.

    >>> with client.models.stream_generate_content("gemini-2.0-flash", contents="Hi") as s:
    ...     for chunk in s:
    ...         print(chunk.text)  # doctest: +SKIP
    """

    def __init__(self, response: httpx.Response, parse: Callable[[Any], T]) -> None:
        self.response = response
        self._parse = parse
        self._iterator = self._iterate()

    def _payloads(self) -> Iterator[Any]:
        if _is_sse(self.response):
            decoder = SSEDecoder()
            for line in self.response.iter_lines():
                data = decoder.feed(line)
                if data is not None:
                    yield _decode_event(data, self.response)
            data = decoder.flush()
            if data is not None:
                yield _decode_event(data, self.response)
            return
        array = JSONArrayDecoder()
        for text in self.response.iter_text():
            for item in array.feed(text):
                yield _check_payload(item, self.response)
        array.close()

    def _iterate(self) -> Generator[T, None, None]:
        try:
            for payload in self._payloads():
                yield _parse(self._parse, payload)
        except httpx.TransportError as exc:
            raise StreamError(f"stream broke off: {exc}") from exc
        finally:
            self.response.close()

    def __iter__(self) -> Iterator[T]:
        return self._iterator

    def __next__(self) -> T:
        return next(self._iterator)

    def close(self) -> None:
        """Stop reading and release the connection."""
        self._iterator.close()
        self.response.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncStream(Generic[T]):
    """Async iterator over a streamed response; ``aclose()`` it or use ``async with``."""

    def __init__(self, response: httpx.Response, parse: Callable[[Any], T]) -> None:
        self.response = response
        self._parse = parse
        self._iterator = self._iterate()

    async def _payloads(self) -> AsyncIterator[Any]:
        if _is_sse(self.response):
            decoder = SSEDecoder()
            async for line in self.response.aiter_lines():
                data = decoder.feed(line)
                if data is not None:
                    yield _decode_event(data, self.response)
            data = decoder.flush()
            if data is not None:
                yield _decode_event(data, self.response)
            return
        array = JSONArrayDecoder()
        async for text in self.response.aiter_text():
            for item in array.feed(text):
                yield _check_payload(item, self.response)
        array.close()

    async def _iterate(self) -> AsyncGenerator[T, None]:
        try:
            async for payload in self._payloads():
                yield _parse(self._parse, payload)
        except httpx.TransportError as exc:
            raise StreamError(f"stream broke off: {exc}") from exc
        finally:
            await self.response.aclose()

    def __aiter__(self) -> AsyncIterator[T]:
        return self._iterator

    async def __anext__(self) -> T:
        return await self._iterator.__anext__()

    async def aclose(self) -> None:
        """Stop reading and release the connection."""
        await self._iterator.aclose()
        await self.response.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
