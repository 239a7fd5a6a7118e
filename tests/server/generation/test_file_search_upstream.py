"""The fileSearch tool with an upstream model: retrieval here, the answer upstream."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from ragkit.server.catalog import build_catalog
from ragkit.server.config import GOOGLE_API_BASE_URL, UpstreamConfig
from ragkit.server.generation import GenerationService
from ragkit.server.generation.file_search import RetrievedChunk
from ragkit.server.models.answerer import Answerer
from ragkit.server.models.embedding import load_embedder
from ragkit.server.principal import LOCAL_USER, Principal
from ragkit.types import FileSearch, GenerateContentRequest

from ..http.test_file_search import create_store, upload_multipart
from .test_upstream import Recorder, _serve

GOOGLE = UpstreamConfig("google", GOOGLE_API_BASE_URL, api_key="operator-key")
OPENAI = UpstreamConfig("openai", "http://llm.local/v1", api_key="sk-test", model="Llama-3 8B")
CHUNK = RetrievedChunk(
    text="The Zephyr telescope was built in 1931 in Ohio.",
    title="zephyr.txt",
    store="fileSearchStores/facts",
    document="fileSearchStores/facts/documents/zephyr",
    score=0.8,
)
REQUEST = GenerateContentRequest.model_validate(
    {
        "contents": [{"role": "user", "parts": [{"text": "When was the Zephyr built?"}]}],
        "tools": [{"fileSearch": {"fileSearchStoreNames": ["fileSearchStores/facts"]}}],
    }
)


class FakeRetrieval:
    """Returns CHUNK for every query and records what it was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, FileSearch]] = []
        self.answerer = Answerer(load_embedder("hash"))

    def retrieve(self, who: Principal, query: str, tool: FileSearch) -> list[RetrievedChunk]:
        self.asked.append((query, tool))
        return [CHUNK]


def _service(upstream: UpstreamConfig, reply: dict[str, Any], sent: list[Any]) -> GenerationService:
    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return httpx.Response(200, json=reply)

    embedder = load_embedder("hash")
    service = GenerationService(
        build_catalog(embedder, upstream=upstream),
        embedder,
        upstream=upstream,
        transport=httpx.MockTransport(handler),
    )
    service.file_search = FakeRetrieval()
    return service


@pytest.mark.parametrize("stream", [False, True])
async def test_google_upstream_answers_from_the_retrieved_chunks(stream: bool) -> None:
    sent: list[Any] = []
    reply = {"candidates": [{"content": {"role": "model", "parts": [{"text": "In 1931."}]}}]}
    service = _service(GOOGLE, reply, sent)
    if stream:
        chunks = [
            c async for c in await service.stream(LOCAL_USER, "models/gemini-2.5-flash", REQUEST)
        ]
        response = chunks[-1]
    else:
        response = await service.generate(LOCAL_USER, "models/gemini-2.5-flash", REQUEST)
    await service.aclose()

    (body,) = sent
    assert "tools" not in body
    assert CHUNK.text in body["systemInstruction"]["parts"][-1]["text"]
    grounding = response.candidates[0].grounding_metadata  # type: ignore[index]
    context = grounding.grounding_chunks[0].retrieved_context  # type: ignore[union-attr,index]
    assert (context.title, context.file_search_store) == ("zephyr.txt", "fileSearchStores/facts")  # type: ignore[union-attr]


async def test_openai_upstream_answers_from_the_retrieved_chunks() -> None:
    sent: list[Any] = []
    completion = {
        "id": "chatcmpl-1",
        "model": "llama",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "1931."},
                "finish_reason": "stop",
            }
        ],
    }
    service = _service(OPENAI, completion, sent)
    response = await service.generate(LOCAL_USER, "models/gemini-2.5-flash", REQUEST)
    await service.aclose()

    (body,) = sent
    assert "tools" not in body
    assert CHUNK.text in body["messages"][0]["content"]
    assert response.candidates[0].grounding_metadata.grounding_chunks  # type: ignore[index,union-attr]
    assert service.file_search.asked[0][0] == "When was the Zephyr built?"  # type: ignore[union-attr]


async def test_routes_answer_file_search_here_and_forward_the_rest(tmp_path: Path) -> None:
    reply = {"candidates": [{"content": {"role": "model", "parts": [{"text": "In 1931."}]}}]}
    fake = Recorder(lambda _: httpx.Response(200, json=reply))
    async with _serve(tmp_path, GOOGLE, fake) as (http, _):
        store = await create_store(http, displayName="Facts")
        await upload_multipart(
            http, store, CHUNK.text.encode(), {"displayName": "z.txt"}, "text/plain"
        )
        question = {"role": "user", "parts": [{"text": "When was the Zephyr built?"}]}
        grounded = await http.post(
            "/v1/models/gemini-2.5-flash:generateContent",
            json={
                "contents": [question],
                "tools": [{"fileSearch": {"fileSearchStoreNames": [store]}}],
            },
        )
        plain = await http.post(
            "/v1/models/gemini-2.5-flash:generateContent", json={"contents": [question]}
        )
    assert grounded.status_code == 200, grounded.text
    chunks = grounded.json()["candidates"][0]["groundingMetadata"]["groundingChunks"]
    assert chunks[0]["retrievedContext"]["title"] == "z.txt"
    sent = json.loads(fake.requests[0].content)
    assert "tools" not in sent and CHUNK.text in json.dumps(sent["systemInstruction"])
    assert plain.status_code == 200
    assert json.loads(fake.requests[1].content) == {"contents": [question]}
