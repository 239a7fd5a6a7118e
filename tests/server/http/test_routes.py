"""Every route reaches the right service method with the right resource name and options."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ragkit.server.principal import LOCAL_USER
from ragkit.types import (
    BatchCreateChunksRequest,
    BatchDeleteChunksRequest,
    BatchUpdateChunksRequest,
    Chunk,
    Corpus,
    Document,
    GenerateAnswerRequest,
    Permission,
    QueryCorpusRequest,
    QueryDocumentRequest,
)

from .conftest import RecordingService

C = "corpora/c1"
D = "corpora/c1/documents/d1"
K = "corpora/c1/documents/d1/chunks/k1"
P = "corpora/c1/permissions/p1"
PAGE: dict[str, Any] = {"page_size": 7, "page_token": "tok"}
NO_PAGE: dict[str, Any] = {"page_size": None, "page_token": None}

# (HTTP method, path + query, body, service method, args after the principal, kwargs)
ROUTES: list[tuple[str, str, Any, str, tuple[Any, ...], dict[str, Any]]] = [
    ("POST", "corpora", {"displayName": "A"}, "create_corpus", (Corpus,), {}),
    ("GET", "corpora?pageSize=7&pageToken=tok", None, "list_corpora", (), PAGE),
    ("GET", "corpora?page_size=7&page_token=tok", None, "list_corpora", (), PAGE),
    ("GET", "corpora", None, "list_corpora", (), NO_PAGE),
    ("GET", C, None, "get_corpus", (C,), {}),
    ("PATCH", f"{C}?updateMask=displayName", {}, "update_corpus", (C, Corpus, "displayName"), {}),
    (
        "PATCH",
        f"{C}?update_mask=display_name",
        {},
        "update_corpus",
        (C, Corpus, "display_name"),
        {},
    ),
    ("PATCH", C, {}, "update_corpus", (C, Corpus, None), {}),
    ("DELETE", C, None, "delete_corpus", (C,), {"force": False}),
    ("DELETE", f"{C}?force=true", None, "delete_corpus", (C,), {"force": True}),
    ("POST", f"{C}:query", {"query": "q"}, "query_corpus", (C, QueryCorpusRequest), {}),
    ("POST", f"{C}/documents", {}, "create_document", (C, Document), {}),
    ("GET", f"{C}/documents?pageSize=7&pageToken=tok", None, "list_documents", (C,), PAGE),
    ("GET", D, None, "get_document", (D,), {}),
    (
        "PATCH",
        f"{D}?updateMask=customMetadata",
        {},
        "update_document",
        (D, Document, "customMetadata"),
        {},
    ),
    ("DELETE", f"{D}?force=1", None, "delete_document", (D,), {"force": True}),
    ("POST", f"{D}:query", {"query": "q"}, "query_document", (D, QueryDocumentRequest), {}),
    ("POST", f"{D}/chunks", {"data": {"stringValue": "x"}}, "create_chunk", (D, Chunk), {}),
    ("GET", f"{D}/chunks?pageSize=7&pageToken=tok", None, "list_chunks", (D,), PAGE),
    ("GET", K, None, "get_chunk", (K,), {}),
    (
        "PATCH",
        f"{K}?updateMask=data,customMetadata",
        {},
        "update_chunk",
        (K, Chunk, "data,customMetadata"),
        {},
    ),
    (
        "PATCH",
        f"{K}?updateMask=data&updateMask=customMetadata",
        {},
        "update_chunk",
        (K, Chunk, "data,customMetadata"),
        {},
    ),
    ("DELETE", K, None, "delete_chunk", (K,), {}),
    (
        "POST",
        f"{D}/chunks:batchCreate",
        {"requests": []},
        "batch_create_chunks",
        (D, BatchCreateChunksRequest),
        {},
    ),
    (
        "POST",
        f"{D}/chunks:batchUpdate",
        {"requests": []},
        "batch_update_chunks",
        (D, BatchUpdateChunksRequest),
        {},
    ),
    (
        "POST",
        f"{D}/chunks:batchDelete",
        {"requests": []},
        "batch_delete_chunks",
        (D, BatchDeleteChunksRequest),
        {},
    ),
    ("POST", f"{C}/permissions", {"role": "READER"}, "create_permission", (C, Permission), {}),
    ("GET", f"{C}/permissions?pageSize=7&pageToken=tok", None, "list_permissions", (C,), PAGE),
    ("GET", P, None, "get_permission", (P,), {}),
    (
        "PATCH",
        f"{P}?updateMask=role",
        {"role": "WRITER"},
        "update_permission",
        (P, Permission, "role"),
        {},
    ),
    ("DELETE", P, None, "delete_permission", (P,), {}),
    (
        "POST",
        "models/aqa:generateAnswer",
        {"answerStyle": "EXTRACTIVE"},
        "generate_answer",
        ("models/aqa", GenerateAnswerRequest),
        {},
    ),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "service_method", "args", "kwargs"),
    ROUTES,
    ids=[f"{r[0]} {r[1]}" for r in ROUTES],
)
async def test_route_calls_service(
    fake_client: httpx.AsyncClient,
    recording: RecordingService,
    method: str,
    path: str,
    body: Any,
    service_method: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> None:
    response = await fake_client.request(method, f"/v1beta/{path}", json=body)

    assert response.status_code == 200, response.text
    assert response.json() == {}
    called, got_args, got_kwargs = recording.last
    assert called == service_method
    assert got_args[0] == LOCAL_USER
    assert len(got_args) == len(args) + 1
    for expected, got in zip(args, got_args[1:], strict=True):
        if isinstance(expected, type):
            assert type(got) is expected
        else:
            assert got == expected
    assert got_kwargs == kwargs


async def test_colon_verb_and_plain_name_route_apart(
    fake_client: httpx.AsyncClient, recording: RecordingService
) -> None:
    await fake_client.get("/v1beta/corpora/abc")
    await fake_client.post("/v1beta/corpora/abc:query", json={"query": "q"})
    await fake_client.post("/v1beta/corpora/abc%3Aquery", json={"query": "q"})

    assert [(m, a[1]) for m, a, _ in recording.calls] == [
        ("get_corpus", "corpora/abc"),
        ("query_corpus", "corpora/abc"),
        ("query_corpus", "corpora/abc"),
    ]


async def test_parsed_body_reaches_service(
    fake_client: httpx.AsyncClient, recording: RecordingService
) -> None:
    body = {
        "requests": [
            {
                "parent": D,
                "chunk": {
                    "data": {"string_value": "hello"},
                    "custom_metadata": [{"key": "year", "numericValue": 2024}],
                },
            },
        ]
    }
    await fake_client.post(f"/v1beta/{D}/chunks:batchCreate", json=body)

    request = recording.last[1][2]
    assert isinstance(request, BatchCreateChunksRequest)
    (inner,) = request.requests or []
    assert inner.chunk is not None and inner.chunk.data is not None
    assert inner.chunk.data.string_value == "hello"
    assert inner.chunk.custom_metadata and inner.chunk.custom_metadata[0].numeric_value == 2024


async def test_unknown_model_is_not_passed_to_service(
    fake_client: httpx.AsyncClient, recording: RecordingService
) -> None:
    response = await fake_client.post(
        "/v1beta/models/gemini-9:generateAnswer", json={"answerStyle": "EXTRACTIVE"}
    )

    assert response.status_code == 404
    assert response.json()["error"]["status"] == "NOT_FOUND"
    assert "models/gemini-9" in response.json()["error"]["message"]
    assert recording.calls == []


async def test_service_is_closed_on_shutdown(tmp_path: Any) -> None:
    from ragkit.server.app import create_app
    from ragkit.server.config import ServerConfig

    from .conftest import running

    service = RecordingService()
    app = create_app(
        ServerConfig(data_dir=tmp_path, embedder="hash"), service_factory=lambda c, e: service
    )
    async with running(app) as client:
        assert (await client.get("/v1beta/models")).status_code == 200
        assert not service.closed
    assert service.closed
