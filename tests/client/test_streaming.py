"""Server-sent events and JSON-array streams: parsing, errors, closing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import ragkit
from ragkit._streaming import JSONArrayDecoder, SSEDecoder
from tests.client.conftest import FakeAPI, resolve


def sse(body: bytes) -> httpx.Response:
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body)


def text_of(chunks: list[Any]) -> list[str]:
    return [c.candidates[0].content.parts[0].text for c in chunks]


def event(text: str) -> bytes:
    payload = {"candidates": [{"content": {"parts": [{"text": text}], "role": "model"}}]}
    return b"data: " + json.dumps(payload).encode() + b"\n\n"


async def stream(client: Any) -> list[Any]:
    return list(await resolve(client.models.stream_generate_content("m", contents="hi")))


async def test_sse_events(client: Any, api: FakeAPI) -> None:
    body = (
        b": keep-alive comment\r\n"
        + event("Hel").replace(b"\n", b"\r\n")
        + b'event: message\ndata: {"candidates": [{"content":\n'
        + b'data:  {"parts": [{"text": "lo"}]}}]}\n\n'
        + b'data: {"usageMetadata": {"totalTokenCount": 7}}'  # no trailing blank line
    )
    api.reply(sse(body))
    chunks = await stream(client)
    assert text_of(chunks[:2]) == ["Hel", "lo"]
    assert chunks[2].usage_metadata.total_token_count == 7


async def test_error_event_in_stream(client: Any, api: FakeAPI) -> None:
    error = {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": "slow down"}}
    api.reply(sse(event("partial") + b"data: " + json.dumps(error).encode() + b"\n\n"))
    got: list[Any] = []
    with pytest.raises(ragkit.RateLimitError, match="slow down"):
        await resolve_lazily(client, got)
    assert text_of(got) == ["partial"]


async def resolve_lazily(client: Any, got: list[Any]) -> None:
    opened = client.models.stream_generate_content("m", contents="hi")
    if isinstance(client, ragkit.AsyncClient):
        async for chunk in await opened:
            got.append(chunk)
    else:
        for chunk in opened:
            got.append(chunk)


async def test_non_200_raises_typed_error(client: Any, api: FakeAPI) -> None:
    api.reply(
        httpx.Response(
            400, json={"error": {"code": 400, "status": "INVALID_ARGUMENT", "message": "bad model"}}
        )
    )
    with pytest.raises(ragkit.BadRequestError, match="bad model"):
        await stream(client)


async def test_malformed_event(client: Any, api: FakeAPI) -> None:
    api.reply(sse(b"data: {not json\n\n"))
    with pytest.raises(ragkit.StreamError):
        await stream(client)


async def test_json_array_stream(client: Any, api: FakeAPI) -> None:
    items = [{"candidates": [{"content": {"parts": [{"text": w}]}}]} for w in ("a", "b")]
    body = json.dumps(items, indent=2).encode()

    def pieces() -> Iterator[bytes]:
        for i in range(0, len(body), 7):
            yield body[i : i + 7]

    if isinstance(client, ragkit.AsyncClient):

        async def apieces() -> Any:
            for piece in pieces():
                yield piece

        content: Any = apieces()
    else:
        content = pieces()
    api.reply(httpx.Response(200, headers={"content-type": "application/json"}, content=content))
    assert text_of(await stream(client)) == ["a", "b"]


async def test_stream_context_manager_closes(client: Any, api: FakeAPI) -> None:
    api.reply(sse(event("a") + event("b")))
    opened = client.models.stream_generate_content("m", contents="hi")
    if isinstance(client, ragkit.AsyncClient):
        async with await opened as s:
            first = await s.__anext__()
        assert s.response.is_closed
    else:
        with opened as s:
            first = next(s)
        assert s.response.is_closed
    assert text_of([first]) == ["a"]


def test_sse_decoder_edge_cases() -> None:
    decoder = SSEDecoder()
    lines = ["data:no-space", "data: two", "id: 1", "retry: 10", "", "", ":c", "data", ""]
    events = [e for e in map(decoder.feed, lines) if e is not None]
    assert events == ["no-space\ntwo", ""]
    assert decoder.flush() is None


def test_json_array_decoder_incremental() -> None:
    decoder = JSONArrayDecoder()
    assert decoder.feed(' [ {"a": "]') == []
    assert decoder.feed('"}, {"b"') == [{"a": "]"}]
    assert decoder.feed(": 2}\n]") == [{"b": 2}]
    decoder.close()
    with pytest.raises(ragkit.StreamError):
        JSONArrayDecoder().feed('{"a": 1}')
    truncated = JSONArrayDecoder()
    truncated.feed('[{"a": 1},')
    with pytest.raises(ragkit.StreamError):
        truncated.close()
    error = JSONArrayDecoder().feed('[{"error": {"code": 500}}]')
    assert error == [{"error": {"code": 500}}]
