"""Upstream forwarding against fake upstreams on httpx.MockTransport (no network)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

import ragkit
from ragkit.server.app import create_app
from ragkit.server.catalog import build_catalog
from ragkit.server.config import GOOGLE_API_BASE_URL, ServerConfig, UpstreamConfig
from ragkit.server.generation import GenerationService
from ragkit.server.generation.openai import chat_request, from_chat_completion
from ragkit.server.models.embedding import load_embedder
from ragkit.server.principal import LOCAL_USER
from ragkit.server.routes.models import GENERATION_STATE
from ragkit.types import FinishReason, GenerateContentRequest

from ..http.conftest import running

Handler = Callable[[httpx.Request], httpx.Response]
GOOGLE = UpstreamConfig("google", GOOGLE_API_BASE_URL, api_key="operator-key")
OPENAI = UpstreamConfig("openai", "http://llm.local/v1", api_key="sk-test", model="Llama-3 8B")
COMPLETION = {
    "id": "chatcmpl-1",
    "model": "llama-3-8b",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Hi there."},
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10},
}


class Recorder:
    """A fake upstream: records requests, answers with ``handler``."""

    def __init__(self, handler: Handler) -> None:
        self.requests: list[httpx.Request] = []
        self._handler = handler

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return self._handler(request)


@asynccontextmanager
async def _serve(
    tmp_path: Path, upstream: UpstreamConfig, fake: Recorder | Handler
) -> AsyncIterator[tuple[httpx.AsyncClient, ragkit.AsyncClient]]:
    app = create_app(ServerConfig(data_dir=tmp_path / "data", embedder="hash", upstream=upstream))
    state = app.state.ragkit
    service = GenerationService(
        state.catalog, state.embedder, upstream=upstream, transport=httpx.MockTransport(fake)
    )
    setattr(app.state, GENERATION_STATE, service)
    async with running(app) as http:
        transport = http._transport
        assert isinstance(transport, httpx.ASGITransport)
        sdk = ragkit.AsyncClient(
            api_key="caller-key", base_url="http://ragkit", transport=transport
        )
        yield http, sdk


# --- configuration -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "options", "expected"),
    [
        ("google:AIza123", {}, UpstreamConfig("google", GOOGLE_API_BASE_URL, api_key="AIza123")),
        ("google", {"api_key": "k"}, UpstreamConfig("google", GOOGLE_API_BASE_URL, api_key="k")),
        (
            "google:http://proxy:9000/",
            {"api_key": "k"},
            UpstreamConfig("google", "http://proxy:9000", api_key="k"),
        ),
        (
            "openai:http://127.0.0.1:8000/v1",
            {"model": "m"},
            UpstreamConfig("openai", "http://127.0.0.1:8000/v1", model="m"),
        ),
    ],
)
def test_upstream_specs(spec: str, options: dict[str, str], expected: UpstreamConfig) -> None:
    assert UpstreamConfig.parse(spec, **options) == expected


@pytest.mark.parametrize(
    ("spec", "options", "fragment"),
    [
        ("google", {}, "needs an API key"),
        ("openai", {"model": "m"}, "must be google, google:KEY"),
        ("google:http://proxy", {}, "needs an API key"),
        ("openai:http://x/v1", {}, "needs a model"),
        ("openai:ftp://x", {"model": "m"}, "http:// or https://"),
        ("azure:http://x", {}, "unknown upstream kind"),
    ],
)
def test_bad_upstream_specs(spec: str, options: dict[str, str], fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        UpstreamConfig.parse(spec, **options)


def test_catalog_aliases_step_aside_for_upstreams() -> None:
    embedder = load_embedder("hash")
    google = build_catalog(embedder, upstream=GOOGLE)
    openai = build_catalog(embedder, upstream=OPENAI)

    assert "models/gemini-2.0-flash" not in google and "models/text-embedding-004" not in google
    assert "models/gemini-2.0-flash" not in openai and "models/text-embedding-004" in openai
    assert openai.role("models/llama-3-8b") == "openai"
    assert "llm.local" in (openai.get("models/llama-3-8b").description or "")


# --- OpenAI-compatible ----------------------------------------------------------------


def test_chat_request_translation() -> None:
    request = GenerateContentRequest.model_validate(
        {
            "systemInstruction": {"parts": [{"text": "Be brief."}]},
            "contents": [
                {"role": "user", "parts": [{"text": "Hi"}]},
                {"role": "model", "parts": [{"text": "Hello"}]},
                {
                    "role": "user",
                    "parts": [
                        {"text": "What is this?"},
                        {"inlineData": {"mimeType": "image/png", "data": "AAAA"}},
                    ],
                },
            ],
            "generationConfig": {
                "candidateCount": 2,
                "maxOutputTokens": 50,
                "stopSequences": ["END"],
                "temperature": 0.5,
                "responseMimeType": "application/json",
            },
        }
    )
    model = build_catalog(load_embedder("hash"), upstream=OPENAI).get("models/llama-3-8b")

    body = chat_request(request, model, "Llama-3 8B", LOCAL_USER, None)

    assert body["model"] == "Llama-3 8B"
    assert [m["role"] for m in body["messages"]] == ["system", "user", "assistant", "user"]
    assert body["messages"][0]["content"] == "Be brief."
    assert body["messages"][3]["content"][1] == {
        "type": "image_url",
        "image_url": {"url": "data:image/png;base64,AAAA"},
    }
    assert (body["n"], body["max_tokens"], body["stop"], body["temperature"]) == (
        2,
        50,
        ["END"],
        0.5,
    )
    assert body["response_format"] == {"type": "json_object"}


def test_completion_translation() -> None:
    body = {**COMPLETION, "choices": [{**COMPLETION["choices"][0], "finish_reason": "length"}]}  # type: ignore[index]

    response = from_chat_completion(body)

    assert response.candidates[0].finish_reason is FinishReason.MAX_TOKENS  # type: ignore[index]
    assert response.usage_metadata.total_token_count == 10  # type: ignore[union-attr]
    assert (response.model_version, response.response_id) == ("llama-3-8b", "chatcmpl-1")


async def test_openai_generate_through_the_app(tmp_path: Path) -> None:
    fake = Recorder(lambda _: httpx.Response(200, json=COMPLETION))
    async with _serve(tmp_path, OPENAI, fake) as (_, sdk):
        response = await sdk.models.generate_content(
            "gemini-2.0-flash", contents="Hello", generation_config={"temperature": 0.1}
        )

    sent = fake.requests[0]
    assert str(sent.url) == "http://llm.local/v1/chat/completions"
    assert sent.headers["authorization"] == "Bearer sk-test"
    assert json.loads(sent.content)["messages"] == [{"role": "user", "content": "Hello"}]
    assert response.candidates[0].content.parts[0].text == "Hi there."  # type: ignore[index,union-attr]
    assert response.usage_metadata.prompt_token_count == 7  # type: ignore[union-attr]


def _sse(*events: dict[str, Any] | str) -> bytes:
    return b"".join(
        b"data: " + (e.encode() if isinstance(e, str) else json.dumps(e).encode()) + b"\n\n"
        for e in events
    )


def _delta(text: str, finish: str | None = None) -> dict[str, Any]:
    choice = {"index": 0, "delta": {"content": text}, "finish_reason": finish}
    return {"id": "c1", "model": "llama-3-8b", "choices": [choice]}


async def test_openai_stream_through_the_app(tmp_path: Path) -> None:
    usage = {"id": "c1", "model": "llama-3-8b", "choices": [], "usage": COMPLETION["usage"]}
    content = _sse(_delta("Hi "), _delta("there.", "stop"), usage, "[DONE]")
    fake = Recorder(lambda _: httpx.Response(200, content=content))
    async with _serve(tmp_path, OPENAI, fake) as (http, sdk):
        stream = await sdk.models.stream_generate_content("llama-3-8b", contents="Hello")
        chunks = [c async for c in stream]
        array = await http.post(
            "/v1beta/models/llama-3-8b:streamGenerateContent",
            json={"contents": [{"parts": [{"text": "Hello"}]}]},
        )

    sent = json.loads(fake.requests[0].content)
    assert sent["stream"] is True and sent["stream_options"] == {"include_usage": True}
    texts = [c.candidates[0].content.parts[0].text for c in chunks if c.candidates]  # type: ignore[union-attr,index]
    assert texts == ["Hi ", "there."]
    assert chunks[1].candidates[0].finish_reason is FinishReason.STOP  # type: ignore[index]
    assert chunks[-1].usage_metadata.total_token_count == 10  # type: ignore[union-attr]
    assert len(array.json()) == 3


async def test_openai_errors(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if json.loads(request.content).get("stream"):
            return httpx.Response(200, content=_sse(_delta("Hi ")) + b"data: {broken\n\n")
        return httpx.Response(429, json={"error": {"message": "slow down"}})

    async with _serve(tmp_path, OPENAI, handler) as (http, sdk):
        with pytest.raises(ragkit.RateLimitError, match="slow down"):
            await sdk.models.generate_content("llama-3-8b", contents="Hello")
        tools = await http.post(
            "/v1beta/models/llama-3-8b:generateContent",
            json={"contents": [{"parts": [{"text": "x"}]}], "tools": [{"codeExecution": {}}]},
        )
        predict = await http.post("/v1beta/models/imagen-3:predict", json={"instances": []})
        array = await http.post(
            "/v1beta/models/llama-3-8b:streamGenerateContent",
            json={"contents": [{"parts": [{"text": "Hello"}]}]},
        )

    assert tools.status_code == 400 and "tools" in tools.json()["error"]["message"]
    assert predict.status_code == 501 and "OpenAI-compatible" in predict.json()["error"]["message"]
    elements = array.json()
    assert elements[0]["candidates"][0]["content"]["parts"][0]["text"] == "Hi "
    assert elements[-1]["error"]["status"] == "UNAVAILABLE"


async def test_unreachable_upstream_is_unavailable(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async with _serve(tmp_path, OPENAI, handler) as (http, _):
        response = await http.post(
            "/v1beta/models/llama-3-8b:generateContent",
            json={"contents": [{"parts": [{"text": "Hello"}]}]},
        )

    assert response.status_code == 503
    assert "unreachable" in response.json()["error"]["message"]


# --- Google ---------------------------------------------------------------------------


def _google(request: httpx.Request) -> httpx.Response:
    path = request.url.path
    if path == "/v1beta/models" and request.method == "GET":
        token = request.url.params.get("pageToken")
        if token is None:
            return httpx.Response(
                200, json={"models": [{"name": "models/gemini-2.5-pro"}], "nextPageToken": "p2"}
            )
        return httpx.Response(
            200, json={"models": [{"name": "models/aqa"}, {"name": "models/gemini-2.5-flash"}]}
        )
    if path == "/v1beta/models/gemini-2.5-pro" and request.method == "GET":
        return httpx.Response(200, json={"name": "models/gemini-2.5-pro", "version": "2.5"})
    if path.endswith(":streamGenerateContent"):
        body = _sse({"candidates": [{"content": {"parts": [{"text": "A"}]}}]})
        return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})
    if path.endswith(":generateContent") and b"bad" in request.content:
        error = {"code": 400, "message": "bad request", "status": "INVALID_ARGUMENT"}
        return httpx.Response(400, json={"error": error})
    return httpx.Response(200, json={"echo": path, "newField": 1})


async def test_google_passes_requests_through(tmp_path: Path) -> None:
    fake = Recorder(_google)
    raw = b'{"contents": [{"parts": [{"text": "Hi"}]}], "someNewField": true}'
    async with _serve(tmp_path, GOOGLE, fake) as (http, sdk):
        forwarded = await http.post(
            "/v1beta/models/gemini-2.5-pro:generateContent",
            params={"key": "caller-key", "alt": "json"},
            content=raw,
            headers={"content-type": "application/json", "authorization": "Bearer caller"},
        )
        bad = await http.post(
            "/v1beta/models/gemini-2.5-pro:generateContent", content=b'{"bad": 1}'
        )
        predict = await http.post("/v1beta/models/imagen-3.0:predict", json={"instances": []})
        operation = await http.get("/v1beta/models/veo-2.0/operations/op1")
        stream = await sdk.models.stream_generate_content("gemini-2.5-pro", contents="Hi")
        chunks = [c async for c in stream]
        local = await http.post(
            "/v1beta/models/ragkit-local:countTokens",
            json={"contents": [{"parts": [{"text": "Hi"}]}]},
        )

    sent = fake.requests[0]
    assert sent.url.path == "/v1beta/models/gemini-2.5-pro:generateContent"
    assert dict(sent.url.params) == {"alt": "json"}
    assert sent.headers["x-goog-api-key"] == "operator-key"
    assert "authorization" not in sent.headers
    assert sent.content == raw
    assert forwarded.json() == {"echo": sent.url.path, "newField": 1}
    assert bad.status_code == 400 and bad.json()["error"]["message"] == "bad request"
    assert predict.json()["echo"] == "/v1beta/models/imagen-3.0:predict"
    assert operation.json()["echo"] == "/v1beta/models/veo-2.0/operations/op1"
    assert chunks[0].candidates[0].content.parts[0].text == "A"  # type: ignore[index,union-attr]
    assert local.json() == {"totalTokens": 1}
    assert len(fake.requests) == 5


async def test_google_models_merge_into_the_catalog(tmp_path: Path) -> None:
    async with _serve(tmp_path, GOOGLE, _google) as (_, sdk):
        names = [m.name async for m in sdk.models.list()]
        remote = await sdk.models.get("gemini-2.5-pro")
        aqa = await sdk.models.get("aqa")

    assert names[:3] == ["models/aqa", "models/embedding-hash", "models/ragkit-local"]
    assert names[-2:] == ["models/gemini-2.5-pro", "models/gemini-2.5-flash"]
    assert names.count("models/aqa") == 1
    assert remote.version == "2.5"
    assert aqa.supported_generation_methods == ["generateAnswer"]
