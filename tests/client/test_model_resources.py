"""client.models: each call's request and result, sync and async."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ragkit import types as t
from tests.client._cases import GEN_REPLY, USER_HI, Case, case_ids, check_case
from tests.client.conftest import FakeAPI, resolve

GEN_BODY = {
    "contents": [USER_HI],
    "systemInstruction": {"parts": [{"text": "be brief"}]},
    "generationConfig": {"temperature": 0.1, "stopSequences": ["END"]},
    "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}],
}
GEN_KWARGS = {
    "contents": "hi",
    "system_instruction": "be brief",
    "generation_config": {"temperature": 0.1, "stop_sequences": ["END"]},
    "safety_settings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}],
}
MSG_PROMPT = {"messages": [{"content": "hi"}]}

MODELS = [
    Case(
        "models.get",
        ("aqa",),
        {},
        "GET",
        "/v1beta/models/aqa",
        reply={"name": "models/aqa"},
        returns=t.Model,
    ),
    Case(
        "models.list",
        (),
        {"page_size": 50},
        "GET",
        "/v1beta/models",
        {"pageSize": "50"},
        reply={"models": [{"name": "models/aqa"}]},
        returns=[t.Model],
    ),
    Case(
        "models.embed_content",
        ("text-embedding-004",),
        {
            "content": "hi",
            "task_type": "RETRIEVAL_DOCUMENT",
            "title": "T",
            "output_dimensionality": 8,
        },
        "POST",
        "/v1beta/models/text-embedding-004:embedContent",
        body={
            "model": "models/text-embedding-004",
            "content": {"parts": [{"text": "hi"}]},
            "taskType": "RETRIEVAL_DOCUMENT",
            "title": "T",
            "outputDimensionality": 8,
        },
        reply={"embedding": {"values": [0.1, 0.2]}},
        returns=t.EmbedContentResponse,
    ),
    Case(
        "models.batch_embed_contents",
        ("models/e",),
        {
            "requests": ["a", {"content": {"parts": [{"text": "b"}]}}],
            "task_type": "RETRIEVAL_QUERY",
        },
        "POST",
        "/v1beta/models/e:batchEmbedContents",
        body={
            "requests": [
                {
                    "model": "models/e",
                    "content": {"parts": [{"text": "a"}]},
                    "taskType": "RETRIEVAL_QUERY",
                },
                {"model": "models/e", "content": {"parts": [{"text": "b"}]}},
            ]
        },
        reply={"embeddings": [{"values": [1.0]}, {"values": [2.0]}]},
        returns=t.BatchEmbedContentsResponse,
    ),
    Case(
        "models.async_batch_embed_content",
        ("e",),
        {"batch": {"display_name": "b", "input_config": {"file_name": "files/in"}}},
        "POST",
        "/v1beta/models/e:asyncBatchEmbedContent",
        body={
            "batch": {
                "model": "models/e",
                "displayName": "b",
                "inputConfig": {"fileName": "files/in"},
            }
        },
        reply={"name": "batches/b1", "done": False},
        returns=t.Operation,
    ),
    Case(
        "models.count_tokens",
        ("m",),
        {"contents": "hi"},
        "POST",
        "/v1beta/models/m:countTokens",
        body={"contents": [USER_HI]},
        reply={"totalTokens": 1},
        returns=t.CountTokensResponse,
    ),
    Case(
        "models.count_tokens",
        ("m",),
        {"generate_content_request": {"contents": [USER_HI]}},
        "POST",
        "/v1beta/models/m:countTokens",
        body={"generateContentRequest": {"model": "models/m", "contents": [USER_HI]}},
        reply={"totalTokens": 1},
        returns=t.CountTokensResponse,
    ),
    Case(
        "models.generate_content",
        ("gemini-2.0-flash",),
        GEN_KWARGS,
        "POST",
        "/v1beta/models/gemini-2.0-flash:generateContent",
        body=GEN_BODY,
        reply=GEN_REPLY,
        returns=t.GenerateContentResponse,
    ),
    Case(
        "models.generate_answer",
        ("aqa",),
        {
            "contents": "q?",
            "answer_style": "ABSTRACTIVE",
            "inline_passages": ["p0", "p1"],
            "temperature": 0.2,
        },
        "POST",
        "/v1beta/models/aqa:generateAnswer",
        body={
            "contents": [{"parts": [{"text": "q?"}], "role": "user"}],
            "answerStyle": "ABSTRACTIVE",
            "temperature": 0.2,
            "inlinePassages": {
                "passages": [
                    {"id": "0", "content": {"parts": [{"text": "p0"}]}},
                    {"id": "1", "content": {"parts": [{"text": "p1"}]}},
                ]
            },
        },
        reply={"answer": GEN_REPLY["candidates"][0], "answerableProbability": 0.9},
        returns=t.GenerateAnswerResponse,
    ),
    Case(
        "models.generate_answer",
        ("models/aqa",),
        {
            "contents": "q?",
            "answer_style": t.AnswerStyle.EXTRACTIVE,
            "semantic_retriever": {
                "source": "corpora/c1",
                "query": {"parts": [{"text": "q?"}]},
                "max_chunks_count": 5,
            },
        },
        "POST",
        "/v1beta/models/aqa:generateAnswer",
        body={
            "contents": [{"parts": [{"text": "q?"}], "role": "user"}],
            "answerStyle": "EXTRACTIVE",
            "semanticRetriever": {
                "source": "corpora/c1",
                "query": {"parts": [{"text": "q?"}]},
                "maxChunksCount": 5,
            },
        },
        reply={"answerableProbability": 0.1},
        returns=t.GenerateAnswerResponse,
    ),
    Case(
        "models.batch_generate_content",
        ("m",),
        {"batch": {"display_name": "job", "input_config": {"file_name": "files/in"}}},
        "POST",
        "/v1beta/models/m:batchGenerateContent",
        body={
            "batch": {
                "model": "models/m",
                "displayName": "job",
                "inputConfig": {"fileName": "files/in"},
            }
        },
        reply={"name": "batches/b1"},
        returns=t.Operation,
    ),
    Case(
        "models.predict",
        ("imagen",),
        {"instances": [{"prompt": "cat"}], "parameters": {"sampleCount": 1}},
        "POST",
        "/v1beta/models/imagen:predict",
        body={"instances": [{"prompt": "cat"}], "parameters": {"sampleCount": 1}},
        reply={"predictions": [{"x": 1}]},
        returns=t.PredictResponse,
    ),
    Case(
        "models.predict_long_running",
        ("veo",),
        {"instances": [{"prompt": "cat"}]},
        "POST",
        "/v1beta/models/veo:predictLongRunning",
        body={"instances": [{"prompt": "cat"}]},
        reply={"name": "models/veo/operations/o1"},
        returns=t.Operation,
    ),
    Case(
        "models.generate_text",
        ("text-bison-001",),
        {"prompt": "hi", "temperature": 0.5, "stop_sequences": ["x"]},
        "POST",
        "/v1beta/models/text-bison-001:generateText",
        body={"prompt": {"text": "hi"}, "temperature": 0.5, "stopSequences": ["x"]},
        reply={"candidates": [{"output": "yo"}]},
        returns=t.GenerateTextResponse,
    ),
    Case(
        "models.generate_message",
        ("chat-bison-001",),
        {"prompt": MSG_PROMPT, "top_k": 3},
        "POST",
        "/v1beta/models/chat-bison-001:generateMessage",
        body={"prompt": MSG_PROMPT, "topK": 3},
        reply={"candidates": [{"content": "yo"}]},
        returns=t.GenerateMessageResponse,
    ),
    Case(
        "models.embed_text",
        ("gecko",),
        {"text": "hi"},
        "POST",
        "/v1beta/models/gecko:embedText",
        body={"model": "models/gecko", "text": "hi"},
        reply={"embedding": {"value": [1.0]}},
        returns=t.EmbedTextResponse,
    ),
    Case(
        "models.batch_embed_text",
        ("gecko",),
        {"texts": ["a", "b"]},
        "POST",
        "/v1beta/models/gecko:batchEmbedText",
        body={"texts": ["a", "b"]},
        reply={"embeddings": [{"value": [1.0]}]},
        returns=t.BatchEmbedTextResponse,
    ),
    Case(
        "models.count_text_tokens",
        ("bison",),
        {"prompt": "hi"},
        "POST",
        "/v1beta/models/bison:countTextTokens",
        body={"prompt": {"text": "hi"}},
        reply={"tokenCount": 1},
        returns=t.CountTextTokensResponse,
    ),
    Case(
        "models.count_message_tokens",
        ("bison",),
        {"prompt": MSG_PROMPT},
        "POST",
        "/v1beta/models/bison:countMessageTokens",
        body={"prompt": MSG_PROMPT},
        reply={"tokenCount": 1},
        returns=t.CountMessageTokensResponse,
    ),
    Case(
        "models.operations.get",
        ("models/veo/operations/o1",),
        {},
        "GET",
        "/v1beta/models/veo/operations/o1",
        reply={"name": "models/veo/operations/o1", "done": True, "response": {}},
        returns=t.Operation,
    ),
    Case(
        "models.operations.list",
        ("veo",),
        {"filter": "done=true", "page_size": 5},
        "GET",
        "/v1beta/models/veo/operations",
        {"filter": "done=true", "pageSize": "5"},
        reply={"operations": [{"name": "models/veo/operations/o1"}]},
        returns=[t.Operation],
    ),
]

ALL_CASES = MODELS


@pytest.mark.parametrize("case", ALL_CASES, ids=case_ids(ALL_CASES))
async def test_request_and_response(case: Case, client: Any, api: FakeAPI) -> None:
    await check_case(case, client, api)


async def test_stream_generate_content_request(client: Any, api: FakeAPI) -> None:
    event = b'data: {"candidates": [{"content": {"parts": [{"text": "he"}]}}]}\n\n'
    api.reply(httpx.Response(200, headers={"content-type": "text/event-stream"}, content=event))
    chunks = await resolve(client.models.stream_generate_content("gemini-2.0-flash", **GEN_KWARGS))
    assert [c.candidates[0].content.parts[0].text for c in chunks] == ["he"]
    assert api.last.url.path == "/v1beta/models/gemini-2.0-flash:streamGenerateContent"
    assert dict(api.last.url.params) == {"alt": "sse"}
    assert api.body() == GEN_BODY


async def test_contents_shapes(client: Any, api: FakeAPI) -> None:
    model_turn = t.Content(role="model", parts=[t.Part(text="earlier")])
    await resolve(client.models.generate_content("m", contents=["a", "b", model_turn, "c"]))
    assert api.body()["contents"] == [
        {"role": "user", "parts": [{"text": "a"}, {"text": "b"}]},
        {"role": "model", "parts": [{"text": "earlier"}]},
        {"role": "user", "parts": [{"text": "c"}]},
    ]
    await resolve(client.models.count_tokens("m", contents={"parts": [{"text": "d"}]}))
    assert api.body()["contents"] == [{"parts": [{"text": "d"}]}]
