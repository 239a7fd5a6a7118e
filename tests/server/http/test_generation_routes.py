"""Every model method of the generation package, through ragkit's client and raw httpx,
against the in-process app (hash embedder, real service)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import anyio
import httpx
import numpy as np
import pytest

import ragkit
from ragkit.resources import _model_requests as build
from ragkit.server.app import create_app
from ragkit.server.config import ServerConfig
from ragkit.server.generation.local import NO_ANSWER
from ragkit.server.models.embedding import load_embedder
from ragkit.tokenizers import count_tokens
from ragkit.types import FileState, GenerateContentResponse

from .conftest import running

LOCAL = "models/ragkit-local"
CONTEXT = (
    "The Eiffel Tower is in Paris. It was completed in 1889 for the World's Fair. "
    "The tower is 330 metres tall."
)
QUESTION = "When was the Eiffel Tower completed?"


@pytest.fixture
async def http(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(ServerConfig(data_dir=tmp_path / "data", embedder="hash"))
    async with running(app) as client:
        yield client


@pytest.fixture
def sdk(http: httpx.AsyncClient) -> ragkit.AsyncClient:
    transport = http._transport
    assert isinstance(transport, httpx.ASGITransport)
    return ragkit.AsyncClient(api_key="k", base_url="http://ragkit", transport=transport)


def _request(**extra: object) -> dict[str, object]:
    return {
        "systemInstruction": {"parts": [{"text": CONTEXT}]},
        "contents": [{"role": "user", "parts": [{"text": QUESTION}]}],
        **extra,
    }


async def test_models_list_and_get_describe_the_local_composer(sdk: ragkit.AsyncClient) -> None:
    names = [m.name async for m in sdk.models.list()]
    local = await sdk.models.get("ragkit-local")
    alias = await sdk.models.get("gemini-2.0-flash")

    assert {LOCAL, "models/gemini-2.0-flash", "models/text-bison-001"} <= set(names)
    assert {"generateContent", "streamGenerateContent", "countTokens"} <= set(
        local.supported_generation_methods or []
    )
    assert "extractive" in (local.description or "")
    assert "not a generative language model" in (local.description or "")
    assert alias.base_model_id == "ragkit-local"
    assert (local.input_token_limit, local.output_token_limit) == (32_768, 8_192)


async def test_generate_content_through_the_client(sdk: ragkit.AsyncClient) -> None:
    response = await sdk.models.generate_content(
        "gemini-2.0-flash",
        contents=QUESTION,
        system_instruction=CONTEXT,
        generation_config={"candidateCount": 2},
    )

    first = response.candidates[0]  # type: ignore[index]
    assert "1889" in first.content.parts[0].text  # type: ignore[union-attr,index,operator]
    assert [c.index for c in response.candidates or []] == [0, 1]
    usage = response.usage_metadata
    assert usage is not None and usage.prompt_token_count and usage.candidates_token_count
    assert usage.total_token_count == usage.prompt_token_count + usage.candidates_token_count
    assert response.model_version == "ragkit-local-001"
    assert response.response_id


async def test_generate_content_says_when_there_is_no_answer(http: httpx.AsyncClient) -> None:
    body = _request(contents=[{"parts": [{"text": "Who won the 1998 football world cup?"}]}])

    response = await http.post(f"/v1beta/{LOCAL}:generateContent", json=body)

    assert response.json()["candidates"][0]["content"]["parts"][0]["text"] == NO_ANSWER


async def test_max_output_tokens_and_stop_sequences(http: httpx.AsyncClient) -> None:
    cut = await http.post(
        f"/v1beta/{LOCAL}:generateContent",
        json=_request(generationConfig={"maxOutputTokens": 3}),
    )
    stopped = await http.post(
        f"/v1beta/{LOCAL}:generateContent",
        json=_request(generationConfig={"stopSequences": ["1889"]}),
    )

    candidate = cut.json()["candidates"][0]
    assert candidate["finishReason"] == "MAX_TOKENS"
    assert cut.json()["usageMetadata"]["candidatesTokenCount"] == 3
    assert stopped.json()["candidates"][0]["finishReason"] == "STOP"
    assert "1889" not in stopped.json()["candidates"][0]["content"]["parts"][0]["text"]


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        ({"generationConfig": {"candidateCount": 9}}, "generationConfig.candidateCount"),
        ({"generationConfig": {"temperature": 2.5}}, "generationConfig.temperature"),
        ({"generationConfig": {"stopSequences": ["a"] * 6}}, "at most 5"),
        ({"generationConfig": {"maxOutputTokens": 0}}, "maxOutputTokens"),
        (
            {"safetySettings": [{"category": "HARM_CATEGORY_MEDICAL", "threshold": 1}]},
            "safetySettings[0].category",
        ),
        ({"safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT"}]}, "threshold"),
        ({"generationConfig": {"responseMimeType": "application/json"}}, "text/plain"),
        ({"bogus": 1}, 'Unknown name "bogus"'),
    ],
)
async def test_generate_content_rejects(
    http: httpx.AsyncClient, extra: dict[str, object], fragment: str
) -> None:
    response = await http.post(f"/v1beta/{LOCAL}:generateContent", json=_request(**extra))

    assert response.status_code == 400
    assert fragment in response.json()["error"]["message"]


async def _active(sdk: ragkit.AsyncClient, name: str) -> None:
    for _ in range(200):
        if (await sdk.files.get(name)).state == FileState.ACTIVE:
            return
        await anyio.sleep(0.05)
    raise AssertionError(f"{name} never became ACTIVE")


async def test_file_data_and_cached_content(sdk: ragkit.AsyncClient) -> None:
    uploaded = await sdk.files.upload(b"The vault code is 4521.", mime_type="text/plain")
    assert uploaded.name is not None
    await _active(sdk, uploaded.name)
    cache = await sdk.cached_contents.create(
        model=LOCAL, system_instruction=CONTEXT, ttl=timedelta(minutes=5)
    )

    from_file = await sdk.models.generate_content(
        LOCAL,
        contents=[
            {
                "role": "user",
                "parts": [{"fileData": {"fileUri": uploaded.name}}, {"text": "What is the code?"}],
            }
        ],
    )
    from_cache = await sdk.models.generate_content(
        LOCAL, contents=QUESTION, cached_content=cache.name
    )

    assert "4521" in (from_file.candidates[0].content.parts[0].text or "")  # type: ignore[index,union-attr]
    assert "1889" in (from_cache.candidates[0].content.parts[0].text or "")  # type: ignore[index,union-attr]
    usage = from_cache.usage_metadata
    assert usage is not None and usage.cached_content_token_count == count_tokens(CONTEXT)


async def test_unknown_file_is_not_found(http: httpx.AsyncClient) -> None:
    parts = [{"fileData": {"fileUri": "files/abc", "mimeType": "text/plain"}}, {"text": "Why?"}]
    response = await http.post(
        f"/v1beta/{LOCAL}:generateContent", json={"contents": [{"parts": parts}]}
    )

    assert response.status_code == 404
    assert "files/abc" in response.json()["error"]["message"]


async def test_stream_sse_through_the_client(sdk: ragkit.AsyncClient) -> None:
    stream = await sdk.models.stream_generate_content(
        LOCAL, contents=QUESTION, system_instruction=CONTEXT
    )
    chunks = [chunk async for chunk in stream]

    text = "".join(c.candidates[0].content.parts[0].text for c in chunks)  # type: ignore[index,union-attr,misc]
    assert len(chunks) >= 2 and "1889" in text
    assert chunks[-1].candidates[0].finish_reason is not None  # type: ignore[index]
    assert chunks[-1].usage_metadata is not None and chunks[0].usage_metadata is None


async def test_stream_json_array_through_the_client(sdk: ragkit.AsyncClient) -> None:
    request = build.generate_content(
        LOCAL, contents_=QUESTION, system_instruction=CONTEXT, stream=True
    )
    stream = await sdk._stream(dataclasses.replace(request, params={}))
    chunks = [chunk async for chunk in stream]

    assert stream.response.headers["content-type"] == "application/json"
    assert "1889" in "".join(c.candidates[0].content.parts[0].text for c in chunks)  # type: ignore[index,union-attr,misc]


async def test_stream_raw_wire_forms(http: httpx.AsyncClient) -> None:
    url = f"/v1beta/{LOCAL}:streamGenerateContent"
    sse = await http.post(url, params={"alt": "sse"}, json=_request())
    array = await http.post(url, json=_request())

    assert sse.headers["content-type"].startswith("text/event-stream")
    events = [e for e in sse.text.split("\n\n") if e]
    assert all(e.startswith("data: ") for e in events)
    parsed = [GenerateContentResponse.model_validate_json(e[6:]) for e in events]
    assert array.text.startswith("[{") and array.text.endswith("}]")
    assert len(parsed) >= 2
    elements = json.loads(array.text)
    assert [e["candidates"][0]["content"]["parts"][0]["text"] for e in elements] == [
        r.candidates[0].content.parts[0].text  # type: ignore[index,union-attr]
        for r in parsed
    ]


async def test_stream_errors_in_both_forms(http: httpx.AsyncClient) -> None:
    url = f"/v1beta/{LOCAL}:streamGenerateContent"
    bad = _request(generationConfig={"candidateCount": 0})
    array = await http.post(url, json=bad)
    sse = await http.post(url, params={"alt": "sse"}, json=bad)

    assert array.status_code == sse.status_code == 400
    assert array.json()[0]["error"]["status"] == "INVALID_ARGUMENT"
    assert sse.json()["error"]["status"] == "INVALID_ARGUMENT"


async def test_stream_error_reaches_the_client_as_api_error(sdk: ragkit.AsyncClient) -> None:
    with pytest.raises(ragkit.BadRequestError, match="candidateCount"):
        await sdk.models.stream_generate_content(
            LOCAL, contents=QUESTION, generation_config={"candidateCount": 9}
        )


async def test_count_tokens_contents_and_full_request(sdk: ragkit.AsyncClient) -> None:
    plain = await sdk.models.count_tokens(LOCAL, contents=QUESTION)
    full = await sdk.models.count_tokens(
        LOCAL,
        generate_content_request={
            "contents": [{"role": "user", "parts": [{"text": QUESTION}]}],
            "systemInstruction": {"parts": [{"text": CONTEXT}]},
            "tools": [{"functionDeclarations": [{"name": "f", "description": "Look up."}]}],
        },
    )

    assert plain.total_tokens == count_tokens(QUESTION)
    assert full.total_tokens is not None and plain.total_tokens is not None
    assert full.total_tokens > plain.total_tokens + count_tokens(CONTEXT)
    assert full.cached_content_token_count is None


async def test_count_tokens_inner_model_must_match(http: httpx.AsyncClient) -> None:
    body = {"generateContentRequest": {"model": "models/aqa", **_request()}}

    response = await http.post(f"/v1beta/{LOCAL}:countTokens", json=body)

    assert response.status_code == 400
    assert "generateContentRequest.model" in response.json()["error"]["message"]


async def test_embed_content_honours_task_title_and_dimensionality(
    sdk: ragkit.AsyncClient,
) -> None:
    full = await sdk.models.embed_content("text-embedding-004", content="red apples")
    short = await sdk.models.embed_content(
        "embedding-hash",
        content="red apples",
        task_type="RETRIEVAL_DOCUMENT",
        title="Fruit",
        output_dimensionality=64,
    )
    query = await sdk.models.embed_content(
        "embedding-hash", content="red apples", task_type="RETRIEVAL_QUERY"
    )

    values = np.array(short.embedding.values)  # type: ignore[union-attr]
    assert values.shape == (64,) and abs(float(np.linalg.norm(values)) - 1) < 1e-6
    embedder = load_embedder("hash")
    expected = embedder.embed(["Fruit\nred apples"], kind="document")[0][:64]
    assert np.allclose(values, expected / np.linalg.norm(expected), atol=1e-6)
    assert len(full.embedding.values or []) == 384  # type: ignore[union-attr]
    assert np.allclose(query.embedding.values, embedder.embed(["red apples"], kind="query")[0])  # type: ignore[union-attr]


async def test_batch_embed_contents_through_the_client(sdk: ragkit.AsyncClient) -> None:
    response = await sdk.models.batch_embed_contents(
        "embedding-hash", requests=["red apples", "green pears"]
    )

    assert len(response.embeddings or []) == 2


async def test_legacy_methods(sdk: ragkit.AsyncClient) -> None:
    text = await sdk.models.generate_text(
        "text-bison-001", prompt=f"{CONTEXT} {QUESTION}", candidate_count=2
    )
    chat = await sdk.models.generate_message(
        "chat-bison-001",
        prompt={"context": CONTEXT, "messages": [{"author": "0", "content": QUESTION}]},
    )
    embedded = await sdk.models.embed_text("embedding-gecko-001", text="red apples")
    batch = await sdk.models.batch_embed_text("embedding-gecko-001", texts=["a b", "c d"])
    count = await sdk.models.count_text_tokens("text-bison-001", prompt=QUESTION)
    messages = await sdk.models.count_message_tokens(
        "chat-bison-001", prompt={"context": CONTEXT, "messages": [{"content": QUESTION}]}
    )

    assert len(text.candidates or []) == 2
    assert "1889" in (text.candidates[0].output or "")  # type: ignore[index]
    assert chat.candidates[0].author == "1" and "1889" in (chat.candidates[0].content or "")  # type: ignore[index]
    assert [m.content for m in chat.messages or []] == [QUESTION]
    assert len(embedded.embedding.value or []) == 384  # type: ignore[union-attr]
    assert len(batch.embeddings or []) == 2
    assert count.token_count == count_tokens(QUESTION)
    assert messages.token_count == count.token_count + count_tokens(CONTEXT)


@pytest.mark.parametrize(
    ("path", "body", "fragment"),
    [
        (
            "text-bison-001:generateText",
            {"prompt": {"text": "x"}, "temperature": 1.5},
            "temperature",
        ),
        ("embedding-gecko-001:batchEmbedText", {"texts": ["x"] * 101}, "at most 100"),
        (
            "embedding-gecko-001:batchEmbedText",
            {"texts": ["x"], "requests": [{"text": "y"}]},
            "Oneof field",
        ),
        ("chat-bison-001:generateMessage", {"prompt": {"messages": []}}, "prompt.messages"),
        (
            "text-bison-001:generateText",
            {
                "prompt": {"text": "x"},
                "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": 1}],
            },
            "safetySettings[0].category",
        ),
    ],
)
async def test_legacy_rejects(
    http: httpx.AsyncClient, path: str, body: dict[str, object], fragment: str
) -> None:
    response = await http.post(f"/v1beta/models/{path}", json=body)

    assert response.status_code == 400
    assert fragment in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("ragkit-local:predict", "NOT_FOUND"),
        ("imagen-3.0-generate-002:predictLongRunning", "NOT_FOUND"),
        ("gemini-1.5-pro:generateContent", "NOT_FOUND"),
        ("ragkit-local:embedContent", "NOT_FOUND"),
        ("text-bison-001:generateMessage", "NOT_FOUND"),
    ],
)
async def test_unserved_without_upstream(http: httpx.AsyncClient, path: str, status: str) -> None:
    response = await http.post(f"/v1beta/models/{path}", json={})

    assert response.json()["error"]["status"] == status
    assert "ListModels" in response.json()["error"]["message"]


async def test_model_operations_without_upstream_are_not_found(http: httpx.AsyncClient) -> None:
    response = await http.get("/v1beta/models/veo-2.0/operations/op1")

    assert response.status_code == 404
    assert "models/veo-2.0/operations/op1" in response.json()["error"]["message"]
