"""The transport seam: in-process ASGI apps, broken streams, unexpected bodies."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

import ragkit
from tests.client.conftest import FakeAPI, resolve

Scope = dict[str, Any]


def event(text: str) -> bytes:
    return b"data: " + json.dumps({"responseId": text}).encode() + b"\n\n"


async def echo_app(scope: Scope, receive: Any, send: Any) -> None:
    """A minimal ASGI app: streams SSE for streamGenerateContent, else echoes the request."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    if scope["path"].endswith(":streamGenerateContent"):
        headers = [(b"content-type", b"text/event-stream")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        for word in ("a", "b", "c"):
            await send({"type": "http.response.body", "body": event(word), "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        return
    request_headers = {k.decode(): v.decode() for k, v in scope["headers"]}
    answer = {
        "name": scope["path"].removeprefix("/v1beta/"),
        "displayName": json.loads(body)["displayName"]
        if body
        else request_headers["x-goog-api-key"],
    }
    payload = json.dumps(answer).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": payload})


async def test_async_client_over_asgi_transport() -> None:
    transport = httpx.ASGITransport(app=echo_app)
    async with ragkit.AsyncClient(
        api_key="asgi-key", base_url="http://testserver", transport=transport
    ) as client:
        corpus = await client.corpora.get("c1")
        assert (corpus.name, corpus.display_name) == ("corpora/c1", "asgi-key")
        renamed = await client.corpora.update("c1", display_name="New")
        assert renamed.display_name == "New"
        stream = await client.models.stream_generate_content("m", contents="hi")
        assert [chunk.response_id async for chunk in stream] == ["a", "b", "c"]


async def test_transport_error_mid_stream(mode: str, api: FakeAPI) -> None:
    from tests.client.conftest import make_client

    def broken() -> Iterator[bytes]:
        yield event("first")
        raise httpx.ReadError("connection reset")

    async def abroken() -> AsyncIterator[bytes]:
        yield event("first")
        raise httpx.ReadError("connection reset")

    content: Any = broken() if mode == "sync" else abroken()
    api.reply(httpx.Response(200, headers={"content-type": "text/event-stream"}, content=content))
    client = make_client(mode, api)
    got: list[str] = []
    opened = await resolve_open(client.models.stream_generate_content("m", contents="x"))
    with pytest.raises(ragkit.StreamError, match="broke off"):
        if isinstance(opened, ragkit.AsyncStream):
            async for chunk in opened:
                got.append(chunk.response_id)
        else:
            for chunk in opened:
                got.append(chunk.response_id)
    assert got == ["first"]


async def resolve_open(value: Any) -> Any:
    return await value if not isinstance(value, ragkit.Stream) else value


@pytest.mark.parametrize(
    "reply",
    [
        {"text": "<html>proxy page</html>"},
        {"json": {"name": "corpora/c1", "createTime": "not a time"}},
    ],
    ids=["not-json", "wrong-shape"],
)
async def test_unexpected_success_body(client: Any, api: FakeAPI, reply: dict[str, Any]) -> None:
    api.reply(httpx.Response(200, **reply))
    with pytest.raises(ragkit.ResponseValidationError) as caught:
        await resolve(client.corpora.get("c1"))
    assert caught.value.response is not None


async def test_unexpected_stream_message(client: Any, api: FakeAPI) -> None:
    body = b'data: {"candidates": [{"finishReason": "NOT_A_REASON"}]}\n\n'
    api.reply(httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body))
    with pytest.raises(ragkit.StreamError, match="unexpected message"):
        await resolve(client.models.stream_generate_content("m", contents="x"))


async def test_unknown_fields_are_tolerated(client: Any, api: FakeAPI) -> None:
    api.reply(httpx.Response(200, json={"name": "corpora/c1", "brandNewField": {"x": 1}}))
    corpus = await resolve(client.corpora.get("c1"))
    assert corpus.name == "corpora/c1"
