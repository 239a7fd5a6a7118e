"""gRPC requests to REST requests (Google's http rules) and REST errors to gRPC statuses."""

from __future__ import annotations

import json
import warnings
from typing import Any

import grpc
import pytest
from google.protobuf import json_format

from ragkit.server.grpc.methods import GrpcMethod, load_methods
from ragkit.server.grpc.protojson import fill, to_dict
from ragkit.server.grpc.status import error_from_body
from ragkit.server.grpc.transcode import NoBinding, to_http

with warnings.catch_warnings():
    warnings.simplefilter("ignore", FutureWarning)
    from google.ai import generativelanguage_v1beta as glm

V1BETA = "/google.ai.generativelanguage.v1beta."


@pytest.fixture(scope="module")
def methods() -> dict[str, GrpcMethod]:
    return load_methods()


def test_every_service_the_rest_front_serves_is_there(methods: dict[str, GrpcMethod]) -> None:
    services = {path.rsplit("/", 1)[0] for path in methods}
    for name in (
        "RetrieverService",
        "PermissionService",
        "GenerativeService",
        "ModelService",
        "FileService",
        "CacheService",
        "TextService",
        "DiscussService",
    ):
        assert f"{V1BETA}{name}" in services
    assert "/google.ai.generativelanguage.v1.GenerativeService/GenerateContent" in methods
    stream = methods[f"{V1BETA}GenerativeService/StreamGenerateContent"]
    assert stream.server_streaming
    assert stream.response is glm.GenerateContentResponse.pb()


def test_body_path_and_query_fields(methods: dict[str, GrpcMethod]) -> None:
    create = methods[f"{V1BETA}RetrieverService/CreateDocument"]
    request = glm.CreateDocumentRequest(parent="corpora/c", document={"display_name": "D"})
    verb, path, query, body = to_http(create, request._pb)
    assert (verb, path, json.loads(body)) == (
        "POST",
        "/v1beta/corpora/c/documents",
        {"displayName": "D"},
    )
    assert query == [("$alt", "json;enum-encoding=int")]

    update = methods[f"{V1BETA}RetrieverService/UpdateChunk"]
    request = glm.UpdateChunkRequest(
        chunk={"name": "corpora/c/documents/d/chunks/x", "data": {"string_value": "t"}},
        update_mask={"paths": ["data.string_value"]},
    )
    verb, path, query, body = to_http(update, request._pb)
    assert (verb, path) == ("PATCH", "/v1beta/corpora/c/documents/d/chunks/x")
    assert ("updateMask", "data.stringValue") in query

    delete = methods[f"{V1BETA}RetrieverService/DeleteCorpus"]
    _, path, query, body = to_http(
        delete, glm.DeleteCorpusRequest(name="corpora/c", force=True)._pb
    )
    assert (path, body) == ("/v1beta/corpora/c", b"")
    assert ("force", "true") in query

    stream = methods[f"{V1BETA}GenerativeService/StreamGenerateContent"]
    _, path, query, _ = to_http(stream, glm.GenerateContentRequest(model="models/m")._pb)
    assert path == "/v1beta/models/m:streamGenerateContent"
    assert ("$alt", "sse;enum-encoding=int") in query


def test_a_name_that_fits_no_binding(methods: dict[str, GrpcMethod]) -> None:
    get = methods[f"{V1BETA}PermissionService/GetPermission"]
    with pytest.raises(NoBinding, match=r"corpora/\*/permissions/\*"):
        to_http(get, glm.GetPermissionRequest(name="corpora/c")._pb)


def test_rest_errors_become_the_same_status_and_message() -> None:
    body = {"error": {"code": 429, "message": "Slow down.", "status": "RESOURCE_EXHAUSTED"}}
    error = error_from_body(429, json.dumps(body).encode())
    assert (error.code, error.message) == (grpc.StatusCode.RESOURCE_EXHAUSTED, "Slow down.")
    streamed = error_from_body(404, json.dumps([{"error": {"message": "gone"}}]).encode())
    assert (streamed.code, streamed.message) == (grpc.StatusCode.NOT_FOUND, "gone")
    assert error_from_body(503, b"<html>").code == grpc.StatusCode.UNAVAILABLE


CHUNK = {
    "name": "corpora/c/documents/d/chunks/x",
    "data": {"stringValue": "text"},
    "customMetadata": [
        {"key": "n", "numericValue": 2.5},
        {"key": "tags", "stringListValue": {"values": ["a", "b"]}},
        {"key": "s", "stringValue": "v"},
    ],
    "createTime": "2026-01-02T03:04:05.123456789Z",
    "updateTime": "2026-01-02T03:04:05Z",
    "state": 2,
    "futureField": {"ignored": True},
}
PAYLOADS = [
    (glm.QueryCorpusResponse, {"relevantChunks": [{"chunkRelevanceScore": 0.5, "chunk": CHUNK}]}),
    (glm.Chunk, {**CHUNK, "state": "STATE_FAILED", "createTime": "2026-01-02T03:04:05.5+01:00"}),
    (glm.Permission, {"name": "corpora/c/permissions/p", "role": "NOT_A_ROLE", "granteeType": 3}),
    (
        glm.File,
        {"name": "files/f", "sizeBytes": "1234", "sha256Hash": "q83vEjRWeJA=", "state": "ACTIVE"},
    ),
    (glm.CachedContent, {"name": "cachedContents/c", "ttl": "3600.5s", "usageMetadata": {}}),
    (
        glm.GenerateContentResponse,
        {
            "candidates": [
                {
                    "content": {
                        "role": "model",
                        "parts": [
                            {"text": "hi"},
                            {"functionCall": {"name": "f", "args": {"a": [1, "x", None]}}},
                        ],
                    },
                    "finishReason": "STOP",
                    "safetyRatings": [],
                }
            ],
            "usageMetadata": {"promptTokenCount": 3, "totalTokenCount": "7"},
        },
    ),
    (glm.Model, {"name": "models/m", "temperature": 1, "topK": 40, "inputTokenLimit": "8192"}),
]


@pytest.mark.parametrize(("message_type", "payload"), PAYLOADS)
def test_the_fast_json_path_equals_json_format(message_type: Any, payload: dict[str, Any]) -> None:
    fast = message_type.pb()()
    fill(fast, payload)
    reference = message_type.pb()()
    json_format.ParseDict(payload, reference, ignore_unknown_fields=True)
    assert fast == reference


REQUESTS = [
    glm.BatchCreateChunksRequest(
        parent="corpora/c/documents/d",
        requests=[
            glm.CreateChunkRequest(
                chunk=glm.Chunk(
                    data=glm.ChunkData(string_value="t"),
                    custom_metadata=[
                        glm.CustomMetadata(key="n", numeric_value=0.7),
                        glm.CustomMetadata(key="l", string_list_value={"values": ["a"]}),
                    ],
                )
            )
        ],
    ),
    glm.QueryCorpusRequest(
        name="corpora/c",
        query="q",
        results_count=3,
        metadata_filters=[
            glm.MetadataFilter(
                key="author", conditions=[glm.Condition(string_value="x", operation="EQUAL")]
            )
        ],
    ),
    glm.UpdateChunkRequest(chunk={"name": "n"}, update_mask={"paths": ["data.string_value"]}),
    glm.GenerateContentRequest(
        model="models/m",
        contents=[
            glm.Content(
                parts=[
                    glm.Part(text="hi"),
                    glm.Part(inline_data={"mime_type": "a/b", "data": b"\x00\xff"}),
                ]
            )
        ],
        generation_config=glm.GenerationConfig(temperature=0.7, top_k=3, candidate_count=1),
        tools=[
            glm.Tool(
                function_declarations=[
                    glm.FunctionDeclaration(name="f", parameters={"type_": "OBJECT"})
                ]
            )
        ],
    ),
    glm.CreateCachedContentRequest(
        cached_content={"model": "models/m", "ttl": {"seconds": 60, "nanos": 5}}
    ),
]


@pytest.mark.parametrize("request_message", REQUESTS, ids=lambda r: type(r).__name__)
def test_the_fast_dict_path_equals_message_to_dict(request_message: Any) -> None:
    message = type(request_message).pb(request_message)
    assert to_dict(message) == json_format.MessageToDict(message)
