"""Every resource method, blocking and async: the exact request it sends and what it returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from ragkit import types as t
from tests.client.conftest import FakeAPI, method_at, resolve

DOC = "corpora/c1/documents/d1"
CHUNK = f"{DOC}/chunks/k1"
USER_HI = {"parts": [{"text": "hi"}], "role": "user"}


@dataclass
class Case:
    call: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    method: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    body: Any = None
    reply: Any = field(default_factory=dict)
    returns: Any = None  # a type, a list [type] for pagers/streams, or None

    @property
    def id(self) -> str:
        return f"{self.call}:{self.path.rsplit('/', 1)[-1]}"


CORPORA = [
    Case(
        "corpora.create",
        (),
        {"name": "c1", "display_name": "C"},
        "POST",
        "/v1beta/corpora",
        body={"name": "corpora/c1", "displayName": "C"},
        reply={"name": "corpora/c1"},
        returns=t.Corpus,
    ),
    Case(
        "corpora.create",
        (),
        {"display_name": "Auto"},
        "POST",
        "/v1beta/corpora",
        body={"displayName": "Auto"},
        reply={"name": "corpora/auto-x"},
        returns=t.Corpus,
    ),
    Case(
        "corpora.get",
        ("c1",),
        {},
        "GET",
        "/v1beta/corpora/c1",
        reply={"name": "corpora/c1"},
        returns=t.Corpus,
    ),
    Case(
        "corpora.list",
        (),
        {"page_size": 5},
        "GET",
        "/v1beta/corpora",
        {"pageSize": "5"},
        reply={"corpora": [{"name": "corpora/c1"}]},
        returns=[t.Corpus],
    ),
    Case(
        "corpora.update",
        ("corpora/c1",),
        {"display_name": "N"},
        "PATCH",
        "/v1beta/corpora/c1",
        {"updateMask": "displayName"},
        {"name": "corpora/c1", "displayName": "N"},
        {"name": "corpora/c1"},
        t.Corpus,
    ),
    Case(
        "corpora.delete",
        ("c1",),
        {"force": True},
        "DELETE",
        "/v1beta/corpora/c1",
        {"force": "true"},
    ),
    Case("corpora.delete", ("c1",), {}, "DELETE", "/v1beta/corpora/c1"),
    Case(
        "corpora.query",
        ("c1", "what"),
        {
            "metadata_filters": [
                {
                    "key": "chunk.custom_metadata.year",
                    "conditions": [{"numeric_value": 2020, "operation": "GREATER"}],
                }
            ],
            "results_count": 5,
        },
        "POST",
        "/v1beta/corpora/c1:query",
        body={
            "query": "what",
            "resultsCount": 5,
            "metadataFilters": [
                {
                    "key": "chunk.custom_metadata.year",
                    "conditions": [{"numericValue": 2020.0, "operation": "GREATER"}],
                }
            ],
        },
        reply={"relevantChunks": [{"chunkRelevanceScore": 0.5, "chunk": {"name": CHUNK}}]},
        returns=t.QueryCorpusResponse,
    ),
]

DOCUMENTS = [
    Case(
        "corpora.documents.create",
        ("c1",),
        {
            "name": "d1",
            "display_name": "D",
            "custom_metadata": {"year": 2020, "tags": ["a", "b"], "author": "Ada"},
        },
        "POST",
        "/v1beta/corpora/c1/documents",
        body={
            "name": DOC,
            "displayName": "D",
            "customMetadata": [
                {"key": "year", "numericValue": 2020.0},
                {"key": "tags", "stringListValue": {"values": ["a", "b"]}},
                {"key": "author", "stringValue": "Ada"},
            ],
        },
        reply={"name": DOC},
        returns=t.Document,
    ),
    Case(
        "corpora.documents.get",
        (DOC,),
        {},
        "GET",
        f"/v1beta/{DOC}",
        reply={"name": DOC},
        returns=t.Document,
    ),
    Case(
        "corpora.documents.list",
        ("corpora/c1",),
        {"page_size": 20},
        "GET",
        "/v1beta/corpora/c1/documents",
        {"pageSize": "20"},
        reply={"documents": [{"name": DOC}]},
        returns=[t.Document],
    ),
    Case(
        "corpora.documents.update",
        (DOC,),
        {"display_name": "E", "custom_metadata": []},
        "PATCH",
        f"/v1beta/{DOC}",
        {"updateMask": "displayName,customMetadata"},
        {"name": DOC, "displayName": "E", "customMetadata": []},
        {"name": DOC},
        t.Document,
    ),
    Case(
        "corpora.documents.delete",
        (DOC,),
        {"force": True},
        "DELETE",
        f"/v1beta/{DOC}",
        {"force": "true"},
    ),
    Case(
        "corpora.documents.query",
        (DOC, "q"),
        {"results_count": 3},
        "POST",
        f"/v1beta/{DOC}:query",
        body={"query": "q", "resultsCount": 3},
        reply={"relevantChunks": []},
        returns=t.QueryDocumentResponse,
    ),
]

CHUNKS = [
    Case(
        "corpora.documents.chunks.create",
        (DOC,),
        {"data": "text", "name": "k1", "custom_metadata": {"n": 1}},
        "POST",
        f"/v1beta/{DOC}/chunks",
        body={
            "name": CHUNK,
            "data": {"stringValue": "text"},
            "customMetadata": [{"key": "n", "numericValue": 1.0}],
        },
        reply={"name": CHUNK, "state": "STATE_PENDING_PROCESSING"},
        returns=t.Chunk,
    ),
    Case(
        "corpora.documents.chunks.get",
        (CHUNK,),
        {},
        "GET",
        f"/v1beta/{CHUNK}",
        reply={"name": CHUNK},
        returns=t.Chunk,
    ),
    Case(
        "corpora.documents.chunks.list",
        (DOC,),
        {"page_size": 100},
        "GET",
        f"/v1beta/{DOC}/chunks",
        {"pageSize": "100"},
        reply={"chunks": [{"name": CHUNK}]},
        returns=[t.Chunk],
    ),
    Case(
        "corpora.documents.chunks.update",
        (CHUNK,),
        {"data": "new"},
        "PATCH",
        f"/v1beta/{CHUNK}",
        {"updateMask": "data"},
        {"name": CHUNK, "data": {"stringValue": "new"}},
        {"name": CHUNK},
        t.Chunk,
    ),
    Case("corpora.documents.chunks.delete", (CHUNK,), {}, "DELETE", f"/v1beta/{CHUNK}"),
    Case(
        "corpora.documents.chunks.batch_create",
        (
            DOC,
            [
                "a",
                t.Chunk(name="k2", data=t.ChunkData(string_value="b")),
                {"chunk": {"data": {"stringValue": "c"}}, "parent": DOC},
            ],
        ),
        {},
        "POST",
        f"/v1beta/{DOC}/chunks:batchCreate",
        body={
            "requests": [
                {"parent": DOC, "chunk": {"data": {"stringValue": "a"}}},
                {
                    "parent": DOC,
                    "chunk": {"name": f"{DOC}/chunks/k2", "data": {"stringValue": "b"}},
                },
                {"parent": DOC, "chunk": {"data": {"stringValue": "c"}}},
            ]
        },
        reply={"chunks": [{"name": CHUNK}]},
        returns=t.BatchCreateChunksResponse,
    ),
    Case(
        "corpora.documents.chunks.batch_update",
        (
            DOC,
            [
                (t.Chunk(name="k1", data=t.ChunkData(string_value="x")), "data"),
                {"chunk": {"name": CHUNK, "customMetadata": []}, "update_mask": "custom_metadata"},
            ],
        ),
        {},
        "POST",
        f"/v1beta/{DOC}/chunks:batchUpdate",
        body={
            "requests": [
                {"chunk": {"name": CHUNK, "data": {"stringValue": "x"}}, "updateMask": "data"},
                {"chunk": {"name": CHUNK, "customMetadata": []}, "updateMask": "customMetadata"},
            ]
        },
        reply={"chunks": []},
        returns=t.BatchUpdateChunksResponse,
    ),
    Case(
        "corpora.documents.chunks.batch_delete",
        (DOC, ["k1", f"{DOC}/chunks/k2"]),
        {},
        "POST",
        f"/v1beta/{DOC}/chunks:batchDelete",
        body={"requests": [{"name": CHUNK}, {"name": f"{DOC}/chunks/k2"}]},
    ),
]

PERMS = "/v1beta/corpora/c1/permissions"
PERMISSIONS = [
    Case(
        "corpora.permissions.create",
        ("c1",),
        {"role": "READER", "grantee_type": "EVERYONE"},
        "POST",
        PERMS,
        body={"role": "READER", "granteeType": "EVERYONE"},
        reply={"name": "corpora/c1/permissions/p1", "role": "READER"},
        returns=t.Permission,
    ),
    Case(
        "corpora.permissions.get",
        ("corpora/c1/permissions/p1",),
        {},
        "GET",
        f"{PERMS}/p1",
        reply={"role": "OWNER"},
        returns=t.Permission,
    ),
    Case(
        "corpora.permissions.list",
        ("c1",),
        {"page_size": 1000},
        "GET",
        PERMS,
        {"pageSize": "1000"},
        reply={"permissions": [{"role": "WRITER"}]},
        returns=[t.Permission],
    ),
    Case(
        "corpora.permissions.update",
        ("corpora/c1/permissions/p1",),
        {"role": t.Role.WRITER},
        "PATCH",
        f"{PERMS}/p1",
        {"updateMask": "role"},
        {"role": "WRITER"},
        {"role": "WRITER"},
        t.Permission,
    ),
    Case("corpora.permissions.delete", ("corpora/c1/permissions/p1",), {}, "DELETE", f"{PERMS}/p1"),
    Case(
        "tuned_models.permissions.create",
        ("t1",),
        {"role": "WRITER", "grantee_type": "USER", "email_address": "a@b.c"},
        "POST",
        "/v1beta/tunedModels/t1/permissions",
        body={"role": "WRITER", "granteeType": "USER", "emailAddress": "a@b.c"},
        reply={"role": "WRITER"},
        returns=t.Permission,
    ),
    Case(
        "tuned_models.permissions.list",
        ("tunedModels/t1",),
        {},
        "GET",
        "/v1beta/tunedModels/t1/permissions",
        reply={},
        returns=[],
    ),
]

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
GEN_REPLY = {
    "candidates": [
        {"content": {"parts": [{"text": "hello"}], "role": "model"}, "finishReason": "STOP"}
    ]
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

FILES = [
    Case(
        "files.get",
        ("f1",),
        {},
        "GET",
        "/v1beta/files/f1",
        reply={"name": "files/f1", "sizeBytes": "12", "state": "ACTIVE"},
        returns=t.File,
    ),
    Case(
        "files.get",
        ("files/batch-0123456789abcdef0123456789abcdef0123456789",),
        {},
        "GET",
        "/v1beta/files/batch-0123456789abcdef0123456789abcdef0123456789",
        returns=t.File,
    ),
    Case(
        "files.list",
        (),
        {"page_size": 100},
        "GET",
        "/v1beta/files",
        {"pageSize": "100"},
        reply={"files": [{"name": "files/f1"}]},
        returns=[t.File],
    ),
    Case("files.delete", ("files/f1",), {}, "DELETE", "/v1beta/files/f1"),
]

GENERATED = [
    Case(
        "generated_files.get",
        ("g1",),
        {},
        "GET",
        "/v1beta/generatedFiles/g1",
        reply={"name": "generatedFiles/g1", "state": "GENERATED"},
        returns=t.GeneratedFile,
    ),
    Case(
        "generated_files.list",
        (),
        {"page_size": 3},
        "GET",
        "/v1beta/generatedFiles",
        {"pageSize": "3"},
        reply={"generatedFiles": [{"name": "generatedFiles/g1"}]},
        returns=[t.GeneratedFile],
    ),
    Case(
        "generated_files.get_operation",
        ("generatedFiles/g1", "o1"),
        {},
        "GET",
        "/v1beta/generatedFiles/g1/operations/o1",
        reply={"done": True},
        returns=t.Operation,
    ),
]

CACHE = "/v1beta/cachedContents"
CACHED = [
    Case(
        "cached_contents.create",
        (),
        {
            "model": "gemini-1.5-flash-001",
            "contents": "long",
            "ttl": 3600,
            "display_name": "c",
            "system_instruction": "sys",
            "tools": [{"code_execution": {}}],
        },
        "POST",
        CACHE,
        body={
            "model": "models/gemini-1.5-flash-001",
            "contents": [{"parts": [{"text": "long"}], "role": "user"}],
            "systemInstruction": {"parts": [{"text": "sys"}]},
            "tools": [{"codeExecution": {}}],
            "ttl": "3600s",
            "displayName": "c",
        },
        reply={"name": "cachedContents/abc"},
        returns=t.CachedContent,
    ),
    Case(
        "cached_contents.get",
        ("cachedContents/abc",),
        {},
        "GET",
        f"{CACHE}/abc",
        reply={"name": "cachedContents/abc"},
        returns=t.CachedContent,
    ),
    Case(
        "cached_contents.list",
        (),
        {"page_size": 10},
        "GET",
        CACHE,
        {"pageSize": "10"},
        reply={"cachedContents": [{"name": "cachedContents/abc"}]},
        returns=[t.CachedContent],
    ),
    Case(
        "cached_contents.update",
        ("abc",),
        {"expire_time": "2026-01-01T00:00:00Z"},
        "PATCH",
        f"{CACHE}/abc",
        {"updateMask": "expireTime"},
        {"name": "cachedContents/abc", "expireTime": "2026-01-01T00:00:00Z"},
        {"name": "cachedContents/abc"},
        t.CachedContent,
    ),
    Case(
        "cached_contents.update",
        ("abc",),
        {"ttl": 90.5},
        "PATCH",
        f"{CACHE}/abc",
        {"updateMask": "ttl"},
        {"name": "cachedContents/abc", "ttl": "90.5s"},
        {"name": "cachedContents/abc"},
        t.CachedContent,
    ),
    Case("cached_contents.delete", ("abc",), {}, "DELETE", f"{CACHE}/abc"),
]

BATCHES = [
    Case(
        "batches.get",
        ("batches/b1",),
        {},
        "GET",
        "/v1beta/batches/b1",
        reply={"name": "batches/b1", "metadata": {"state": "BATCH_STATE_RUNNING"}},
        returns=t.Operation,
    ),
    Case(
        "batches.list",
        (),
        {"page_size": 5},
        "GET",
        "/v1beta/batches",
        {"pageSize": "5"},
        reply={"operations": [{"name": "batches/b1"}]},
        returns=[t.Operation],
    ),
    Case("batches.cancel", ("b1",), {}, "POST", "/v1beta/batches/b1:cancel", body={}),
    Case("batches.delete", ("b1",), {}, "DELETE", "/v1beta/batches/b1"),
]

TUNED = [
    Case(
        "tuned_models.create",
        (),
        {
            "tuning_task": {
                "training_data": {"examples": {"examples": [{"text_input": "1", "output": "2"}]}}
            },
            "base_model": "models/gemini-1.0-pro-001",
            "tuned_model_id": "t1",
            "display_name": "T",
        },
        "POST",
        "/v1beta/tunedModels",
        {"tunedModelId": "t1"},
        body={
            "baseModel": "models/gemini-1.0-pro-001",
            "displayName": "T",
            "tuningTask": {
                "trainingData": {"examples": {"examples": [{"textInput": "1", "output": "2"}]}}
            },
        },
        reply={"name": "tunedModels/t1/operations/o1"},
        returns=t.CreateTunedModelOperation,
    ),
    Case(
        "tuned_models.get",
        ("t1",),
        {},
        "GET",
        "/v1beta/tunedModels/t1",
        reply={"name": "tunedModels/t1", "state": "ACTIVE"},
        returns=t.TunedModel,
    ),
    Case(
        "tuned_models.list",
        (),
        {"filter": "owner:me", "page_size": 10},
        "GET",
        "/v1beta/tunedModels",
        {"filter": "owner:me", "pageSize": "10"},
        reply={"tunedModels": [{"name": "tunedModels/t1"}]},
        returns=[t.TunedModel],
    ),
    Case(
        "tuned_models.update",
        ("tunedModels/t1",),
        {"description": "d", "temperature": 0.3},
        "PATCH",
        "/v1beta/tunedModels/t1",
        {"updateMask": "description,temperature"},
        {"name": "tunedModels/t1", "description": "d", "temperature": 0.3},
        {"name": "tunedModels/t1"},
        t.TunedModel,
    ),
    Case("tuned_models.delete", ("t1",), {}, "DELETE", "/v1beta/tunedModels/t1"),
    Case(
        "tuned_models.generate_content",
        ("t1",),
        {"contents": "hi"},
        "POST",
        "/v1beta/tunedModels/t1:generateContent",
        body={"contents": [USER_HI]},
        reply=GEN_REPLY,
        returns=t.GenerateContentResponse,
    ),
    Case(
        "tuned_models.transfer_ownership",
        ("t1",),
        {"email_address": "x@y.z"},
        "POST",
        "/v1beta/tunedModels/t1:transferOwnership",
        body={"emailAddress": "x@y.z"},
    ),
    Case(
        "tuned_models.operations.get",
        ("tunedModels/t1/operations/o1",),
        {},
        "GET",
        "/v1beta/tunedModels/t1/operations/o1",
        reply={"done": False},
        returns=t.Operation,
    ),
    Case(
        "tuned_models.operations.list",
        ("t1",),
        {},
        "GET",
        "/v1beta/tunedModels/t1/operations",
        reply={"operations": [{"name": "tunedModels/t1/operations/o1"}]},
        returns=[t.Operation],
    ),
]

ALL_CASES = (
    CORPORA
    + DOCUMENTS
    + CHUNKS
    + PERMISSIONS
    + MODELS
    + FILES
    + GENERATED
    + CACHED
    + BATCHES
    + TUNED
)


@pytest.mark.parametrize("case", ALL_CASES, ids=[case.id for case in ALL_CASES])
async def test_request_and_response(case: Case, client: Any, api: FakeAPI) -> None:
    api.reply(httpx.Response(200, json=case.reply))
    result = await resolve(method_at(client, case.call)(*case.args, **case.kwargs))

    assert len(api.requests) == 1
    request = api.last
    assert request.method == case.method
    assert request.url.host == "generativelanguage.googleapis.com"
    assert request.url.path == case.path
    assert dict(request.url.params) == case.params
    assert request.headers["x-goog-api-key"] == "test-key"
    assert "authorization" not in request.headers
    assert api.body() == case.body
    if case.returns is None:
        assert result is None
    elif isinstance(case.returns, list):
        assert isinstance(result, list) and len(result) == (1 if case.returns else 0)
        assert all(isinstance(item, case.returns[0]) for item in result)
    else:
        assert isinstance(result, case.returns)
        assert result == case.returns.model_validate(case.reply)


async def test_download_returns_raw_bytes(client: Any, api: FakeAPI) -> None:
    api.reply(httpx.Response(200, content=b"\x00\x01raw"))
    data = await resolve(client.files.download("files/f1"))
    assert data == b"\x00\x01raw"
    assert api.last.url.path == "/download/v1beta/files/f1:download"
    assert dict(api.last.url.params) == {"alt": "media"}


async def test_stream_generate_content_request(client: Any, api: FakeAPI) -> None:
    event = b'data: {"candidates": [{"content": {"parts": [{"text": "he"}]}}]}\n\n'
    api.reply(httpx.Response(200, headers={"content-type": "text/event-stream"}, content=event))
    chunks = await resolve(client.models.stream_generate_content("gemini-2.0-flash", **GEN_KWARGS))
    assert [c.candidates[0].content.parts[0].text for c in chunks] == ["he"]
    assert api.last.url.path == "/v1beta/models/gemini-2.0-flash:streamGenerateContent"
    assert dict(api.last.url.params) == {"alt": "sse"}
    assert api.body() == GEN_BODY


async def test_tuned_model_stream(client: Any, api: FakeAPI) -> None:
    api.reply(
        httpx.Response(
            200,
            headers={"content-type": "text/event-stream"},
            content=b'data: {"responseId": "r"}\n\n',
        )
    )
    chunks = await resolve(client.tuned_models.stream_generate_content("t1", contents="hi"))
    assert [c.response_id for c in chunks] == ["r"]
    assert api.last.url.path == "/v1beta/tunedModels/t1:streamGenerateContent"


async def test_typed_model_inputs_are_accepted(client: Any, api: FakeAPI) -> None:
    filters = [
        t.MetadataFilter(
            key="document.custom_metadata.lang",
            conditions=[t.Condition(string_value="en", operation=t.Operator.EQUAL)],
        )
    ]
    metadata = [t.CustomMetadata(key="lang", string_value="en")]
    await resolve(client.corpora.query("c1", "q", metadata_filters=filters))
    await resolve(client.corpora.documents.create("c1", custom_metadata=metadata))
    assert api.body(0)["metadataFilters"][0]["conditions"] == [
        {"stringValue": "en", "operation": "EQUAL"}
    ]
    assert api.body(1) == {"customMetadata": [{"key": "lang", "stringValue": "en"}]}


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
