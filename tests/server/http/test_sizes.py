"""Bounded sizes: the request-body limit (enforced while reading) and the field limits."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ragkit import limits
from ragkit.server.app import create_app
from ragkit.server.config import ServerConfig
from tests.server.http.conftest import running

_LIMIT = 4096


@pytest.fixture
async def small(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """A server whose request bodies are limited to 4 KiB."""
    config = ServerConfig(data_dir=tmp_path / "data", embedder="hash", max_request_bytes=_LIMIT)
    async with running(create_app(config)) as http:
        yield http


def _is_google_error(response: httpx.Response, code: int, *words: str) -> None:
    assert response.status_code == code, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["status"] == {400: "INVALID_ARGUMENT", 429: "RESOURCE_EXHAUSTED"}[code]
    for word in words:
        assert word in error["message"], error["message"]


async def test_a_declared_oversized_body_is_refused_before_it_is_read(
    small: httpx.AsyncClient,
) -> None:
    body = json.dumps({"displayName": "x" * 10_000})
    response = await small.post("/v1beta/corpora", content=body)
    _is_google_error(response, 400, "Request payload size exceeds the limit: 4096 bytes")
    assert response.headers["connection"] == "close"
    assert (await small.get("/v1beta/corpora")).json() == {}


async def test_a_streamed_body_stops_at_the_limit(small: httpx.AsyncClient) -> None:
    sent = 0

    async def pieces() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'{"displayName": "'
        for _ in range(1000):  # 1 MB in all, without a Content-Length
            sent += 1000
            yield b"x" * 1000
        yield b'"}'

    response = await small.post("/v1beta/corpora", content=pieces())
    _is_google_error(response, 400, "Request payload size exceeds the limit")
    assert sent <= _LIMIT + 2000  # reading stopped as soon as the limit was passed
    assert (await small.get("/v1beta/corpora")).json() == {}


async def test_bodies_within_the_limit_pass(small: httpx.AsyncClient) -> None:
    response = await small.post("/v1beta/corpora", json={"displayName": "x" * 500})
    assert response.status_code == 200, response.text


def test_the_default_limit_fits_the_largest_batch_create() -> None:
    key = "k" * limits.MAX_METADATA_KEY_LENGTH
    value = "\U0001f600" * limits.MAX_METADATA_LIST_VALUE_LENGTH  # 4 UTF-8 bytes a character
    metadata = [
        {"key": f"{key[:-2]}{i:02d}", "stringListValue": {"values": [value] * 10}}
        for i in range(limits.MAX_CUSTOM_METADATA)
    ]
    text = " " * (limits.MAX_TOKENS_PER_CHUNK * limits.LONGEST_TOKEN_BYTES)
    request = {
        "parent": "corpora/c" + "x" * 39 + "/documents/" + "d" * 40,
        "chunk": {"name": "c" * 120, "data": {"stringValue": text}, "customMetadata": metadata},
    }
    body = json.dumps({"requests": [request] * limits.MAX_CHUNKS_PER_BATCH}, ensure_ascii=False)
    size = len(body.encode())
    assert size <= limits.MAX_CHUNKS_PER_BATCH * limits.LARGEST_CHUNK_JSON_BYTES
    assert size <= limits.DEFAULT_MAX_REQUEST_BYTES


async def _document(http: httpx.AsyncClient) -> str:
    corpus = (await http.post("/v1beta/corpora", json={})).json()["name"]
    response = await http.post(f"/v1beta/{corpus}/documents", json={"displayName": "d"})
    return str(response.json()["name"])


def _metadata(key: str = "k", value: str = "v") -> list[dict[str, Any]]:
    return [{"key": key, "stringValue": value}]


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("k" * (limits.MAX_METADATA_KEY_LENGTH + 1), "v", "the limit is 128 characters"),
        ("k", "v" * (limits.MAX_METADATA_VALUE_LENGTH + 1), "the limit is 1024 characters"),
    ],
)
async def test_metadata_keys_and_values_are_bounded(
    client: httpx.AsyncClient, key: str, value: str, words: str
) -> None:
    document = await _document(client)
    response = await client.post(
        f"/v1beta/{document}/chunks",
        json={"data": {"stringValue": "hi"}, "customMetadata": _metadata(key, value)},
    )
    _is_google_error(response, 400, words)
    listed = [{"key": "k", "stringListValue": {"values": ["ok", value[:257]]}}]
    response = await client.patch(
        f"/v1beta/{document}",
        params={"updateMask": "customMetadata"},
        json={"customMetadata": listed if key == "k" else _metadata(key)},
    )
    _is_google_error(response, 400, "the limit is 256" if key == "k" else words)
    assert "customMetadata" not in (await client.get(f"/v1beta/{document}")).json()


async def test_a_huge_chunk_is_refused_without_tokenising_it(client: httpx.AsyncClient) -> None:
    document = await _document(client)
    started = time.perf_counter()
    response = await client.post(
        f"/v1beta/{document}/chunks", json={"data": {"stringValue": "x" * 10_000_000}}
    )
    elapsed = time.perf_counter() - started
    _is_google_error(response, 400, "more than its limit of 2043 tokens")
    assert elapsed < 2.0  # tokenising it took 9.6 s


async def test_queries_questions_and_passages_are_bounded(client: httpx.AsyncClient) -> None:
    document = await _document(client)
    corpus = document.split("/documents/")[0]
    huge = "word " * 300_000  # 1.5 MB
    response = await client.post(f"/v1beta/{corpus}:query", json={"query": huge})
    _is_google_error(response, 400, "query", "limit of 2048 tokens")
    response = await client.post(f"/v1beta/{document}:query", json={"query": "word " * 3000})
    _is_google_error(response, 400, "query has", "the limit is 2048 tokens")

    def answer(contents: str, passages: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "contents": [{"parts": [{"text": contents}]}],
            "answerStyle": "EXTRACTIVE",
            "inlinePassages": {"passages": passages},
        }

    passage = {"id": "p", "content": {"parts": [{"text": "Paris is in France."}]}}
    url = "/v1beta/models/aqa:generateAnswer"
    response = await client.post(url, json=answer(huge, [passage]))
    _is_google_error(response, 400, "contents", "7168 tokens")
    big = {"id": "p", "content": {"parts": [{"text": "y" * 60_000}]}}
    response = await client.post(url, json=answer("Where is Paris?", [big, big]))
    _is_google_error(response, 400, "inline_passages", "the limit is 100000 characters")
    many = [passage] * (limits.MAX_INLINE_PASSAGES + 1)
    response = await client.post(url, json=answer("Where is Paris?", many))
    _is_google_error(response, 400, "inline_passages has 1001 passages")
    retriever = {
        "contents": [{"parts": [{"text": "Where?"}]}],
        "answerStyle": "EXTRACTIVE",
        "semanticRetriever": {"source": corpus, "query": {"parts": [{"text": huge}]}},
    }
    response = await client.post(url, json=retriever)
    _is_google_error(response, 400, "semantic_retriever.query")
    response = await client.post(url, json=answer("Where is Paris?", [passage]))
    assert response.status_code == 200, response.text


async def test_filter_values_and_emails_are_bounded(client: httpx.AsyncClient) -> None:
    document = await _document(client)
    corpus = document.split("/documents/")[0]
    condition = {"stringValue": "v" * 10_000, "operation": "EQUAL"}
    filters = [{"key": "chunk.custom_metadata.k", "conditions": [condition]}]
    response = await client.post(
        f"/v1beta/{corpus}:query", json={"query": "q", "metadataFilters": filters}
    )
    _is_google_error(response, 400, "the limit is 1024 characters")
    filters = [{"key": "chunk.custom_metadata." + "k" * 10_000, "conditions": [condition]}]
    response = await client.post(
        f"/v1beta/{corpus}:query", json={"query": "q", "metadataFilters": filters}
    )
    _is_google_error(response, 400, "metadata filter key")
    assert len(response.text) < 1000  # the message does not echo the key
    email = "a" * 10_000 + "@example.com"
    response = await client.post(
        f"/v1beta/{corpus}/permissions",
        json={"granteeType": "USER", "emailAddress": email, "role": "READER"},
    )
    _is_google_error(response, 400, "email_address", "the limit is 254 characters")
    listed = (await client.get(f"/v1beta/{corpus}/permissions")).json()["permissions"]
    assert len(listed) == 1  # only the owner's


async def test_errors_do_not_echo_huge_values(client: httpx.AsyncClient) -> None:
    document = await _document(client)
    response = await client.post(
        f"/v1beta/{document}/chunks", json={"name": "x" * 1_000_000, "data": {"stringValue": "a"}}
    )
    assert response.status_code == 400
    assert len(response.content) < 1000
