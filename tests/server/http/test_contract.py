"""The API end to end over the real service, in-process: shapes, paging, roles, atomicity."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from ragkit.server.app import create_app
from ragkit.server.config import ServerConfig
from ragkit.server.service import Quotas

from .conftest import running

#: The same rules on SQLite and PostgreSQL (see tests/conftest.py).
pytestmark = pytest.mark.both_backends

V = "/v1beta"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$")


async def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def error(response: httpx.Response, http: int, status: str) -> str:
    assert response.status_code == http, response.text
    body = response.json()
    assert body["error"]["code"] == http
    assert body["error"]["status"] == status
    message: str = body["error"]["message"]
    return message


async def make_document(http: httpx.AsyncClient) -> tuple[str, str]:
    corpus = await ok(await http.post(f"{V}/corpora", json={"displayName": "Fruit facts"}))
    document = await ok(
        await http.post(
            f"{V}/{corpus['name']}/documents",
            json={
                "displayName": "Apples",
                "customMetadata": [{"key": "year", "numericValue": 2024}],
            },
        )
    )
    return corpus["name"], document["name"]


CHUNK_TEXTS = [
    "Apples grow on trees in orchards.",
    "Bananas are yellow and curved.",
    "Red apples are sweet and crunchy.",
    "Cherries are small red stone fruit.",
]


async def add_chunks(http: httpx.AsyncClient, document: str) -> list[dict[str, Any]]:
    body = {
        "requests": [
            {
                "parent": document,
                "chunk": {
                    "data": {"stringValue": text},
                    "customMetadata": [{"key": "n", "numericValue": i}],
                },
            }
            for i, text in enumerate(CHUNK_TEXTS)
        ]
    }
    created = await ok(await http.post(f"{V}/{document}/chunks:batchCreate", json=body))
    chunks: list[dict[str, Any]] = created["chunks"]
    return chunks


async def test_corpus_lifecycle(client: httpx.AsyncClient) -> None:
    corpus = await ok(await client.post(f"{V}/corpora", json={"displayName": "My Corpus"}))

    assert corpus["name"].startswith("corpora/my-corpus-")
    assert RFC3339.match(corpus["createTime"]) and RFC3339.match(corpus["updateTime"])
    assert await ok(await client.get(f"{V}/{corpus['name']}")) == corpus
    listed = await ok(await client.get(f"{V}/corpora"))
    assert listed == {"corpora": [corpus]}

    patched = await ok(
        await client.patch(
            f"{V}/{corpus['name']}",
            params={"updateMask": "displayName"},
            json={"displayName": "New"},
        )
    )
    assert patched["displayName"] == "New"

    assert await ok(await client.delete(f"{V}/{corpus['name']}")) == {}
    error(await client.get(f"{V}/{corpus['name']}"), 403, "PERMISSION_DENIED")


async def test_explicit_name_and_duplicate(client: httpx.AsyncClient) -> None:
    await ok(await client.post(f"{V}/corpora", json={"name": "corpora/fixed"}))

    error(await client.post(f"{V}/corpora", json={"name": "corpora/fixed"}), 409, "ALREADY_EXISTS")


async def test_documents_chunks_and_queries(client: httpx.AsyncClient) -> None:
    corpus, document = await make_document(client)
    chunks = await add_chunks(client, document)

    assert [c["data"]["stringValue"] for c in chunks] == CHUNK_TEXTS
    assert {c["state"] for c in chunks} == {"STATE_ACTIVE"}
    listed = await ok(await client.get(f"{V}/{corpus}/documents"))
    assert [d["name"] for d in listed["documents"]] == [document]

    found = await ok(
        await client.post(f"{V}/{corpus}:query", json={"query": "red apples", "resultsCount": 2})
    )
    top = found["relevantChunks"][0]
    assert top["chunk"]["data"]["stringValue"] == "Red apples are sweet and crunchy."
    assert isinstance(top["chunkRelevanceScore"], float)
    assert len(found["relevantChunks"]) == 2

    filtered = await ok(
        await client.post(
            f"{V}/{document}:query",
            json={
                "query": "red apples",
                "metadataFilters": [
                    {
                        "key": "chunk.custom_metadata.n",
                        "conditions": [{"numericValue": 1, "operation": "LESS_EQUAL"}],
                    }
                ],
            },
        )
    )
    texts = {r["chunk"]["data"]["stringValue"] for r in filtered["relevantChunks"]}
    assert texts == set(CHUNK_TEXTS[:2])


async def test_chunk_crud_and_batches(client: httpx.AsyncClient) -> None:
    _, document = await make_document(client)
    chunks = await add_chunks(client, document)
    first, second = chunks[0]["name"], chunks[1]["name"]

    got = await ok(await client.get(f"{V}/{first}"))
    assert got == chunks[0]
    patched = await ok(
        await client.patch(
            f"{V}/{first}", params={"updateMask": "data"}, json={"data": {"stringValue": "Plums."}}
        )
    )
    assert patched["data"] == {"stringValue": "Plums."}

    updated = await ok(
        await client.post(
            f"{V}/{document}/chunks:batchUpdate",
            json={
                "requests": [
                    {
                        "chunk": {"name": second, "data": {"stringValue": "Kiwis."}},
                        "updateMask": "data",
                    }
                ]
            },
        )
    )
    assert updated["chunks"][0]["data"]["stringValue"] == "Kiwis."

    deleted = await client.post(
        f"{V}/{document}/chunks:batchDelete", json={"requests": [{"name": second}]}
    )
    assert await ok(deleted) == {}
    assert await ok(await client.delete(f"{V}/{first}")) == {}
    remaining = await ok(await client.get(f"{V}/{document}/chunks"))
    assert len(remaining["chunks"]) == len(CHUNK_TEXTS) - 2


async def test_chunk_paging(client: httpx.AsyncClient) -> None:
    _, document = await make_document(client)
    chunks = await add_chunks(client, document)

    seen: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"pageSize": 3}
        if token:
            params["pageToken"] = token
        page = await ok(await client.get(f"{V}/{document}/chunks", params=params))
        seen += [c["name"] for c in page["chunks"]]
        pages += 1
        token = page.get("nextPageToken")
        if not token:
            break

    assert pages == 2
    assert seen == [c["name"] for c in chunks]
    bad = await client.get(f"{V}/{document}/chunks", params={"pageToken": "not-a-token"})
    error(bad, 400, "INVALID_ARGUMENT")


async def test_force_delete(client: httpx.AsyncClient) -> None:
    corpus, document = await make_document(client)
    await add_chunks(client, document)

    error(await client.delete(f"{V}/{document}"), 400, "FAILED_PRECONDITION")
    error(await client.delete(f"{V}/{corpus}"), 400, "FAILED_PRECONDITION")
    assert await ok(await client.delete(f"{V}/{document}", params={"force": "true"})) == {}
    assert await ok(await client.delete(f"{V}/{corpus}")) == {}


async def test_rejected_batch_changes_nothing(client: httpx.AsyncClient) -> None:
    _, document = await make_document(client)
    await add_chunks(client, document)
    before = await ok(await client.get(f"{V}/{document}/chunks", params={"pageSize": 100}))

    body = {
        "requests": [
            {"parent": document, "chunk": {"data": {"stringValue": "fine"}}},
            {
                "parent": document,
                "chunk": {
                    "data": {"stringValue": "bad metadata"},
                    "customMetadata": [{"key": "k"}] * 21,
                },
            },
        ]
    }
    error(
        await client.post(f"{V}/{document}/chunks:batchCreate", json=body), 400, "INVALID_ARGUMENT"
    )

    after = await ok(await client.get(f"{V}/{document}/chunks", params={"pageSize": 100}))
    assert after == before


async def test_enum_encoding_int_from_the_real_service(client: httpx.AsyncClient) -> None:
    _, document = await make_document(client)
    chunks = await add_chunks(client, document)

    got = await ok(
        await client.get(f"{V}/{chunks[0]['name']}", params={"$alt": "json;enum-encoding=int"})
    )

    assert got["state"] == 2


async def test_permissions_crud(client: httpx.AsyncClient) -> None:
    corpus, _ = await make_document(client)

    created = await ok(
        await client.post(
            f"{V}/{corpus}/permissions",
            json={"granteeType": "USER", "emailAddress": "carol@example.com", "role": "READER"},
        )
    )
    assert created["name"].startswith(f"{corpus}/permissions/")
    listed = await ok(await client.get(f"{V}/{corpus}/permissions"))
    assert created in listed["permissions"]
    patched = await ok(
        await client.patch(
            f"{V}/{created['name']}", params={"updateMask": "role"}, json={"role": "WRITER"}
        )
    )
    assert patched["role"] == "WRITER"
    assert await ok(await client.get(f"{V}/{created['name']}")) == patched
    assert await ok(await client.delete(f"{V}/{created['name']}")) == {}


async def test_generate_answer(client: httpx.AsyncClient) -> None:
    corpus, document = await make_document(client)
    await add_chunks(client, document)

    answer = await ok(
        await client.post(
            f"{V}/models/aqa:generateAnswer",
            json={
                "contents": [{"role": "user", "parts": [{"text": "What colour are bananas?"}]}],
                "answerStyle": "EXTRACTIVE",
                "semanticRetriever": {
                    "source": corpus,
                    "query": {"parts": [{"text": "bananas colour"}]},
                },
            },
        )
    )

    assert 0.0 <= answer["answerableProbability"] <= 1.0
    attribution = answer["answer"]["groundingAttributions"][0]
    assert attribution["sourceId"]["semanticRetrieverChunk"]["source"] == corpus
    assert "yellow" in answer["answer"]["content"]["parts"][0]["text"]


async def test_generate_answer_inline_passages_enum_int(client: httpx.AsyncClient) -> None:
    answer = await ok(
        await client.post(
            f"{V}/models/aqa:generateAnswer",
            params={"$alt": "json;enum-encoding=int"},
            json={
                "contents": [{"parts": [{"text": "Where do apples grow?"}]}],
                "answer_style": 2,
                "inline_passages": {
                    "passages": [
                        {"id": "p1", "content": {"parts": [{"text": "Apples grow on trees."}]}},
                        {"id": "p2", "content": {"parts": [{"text": "Fish swim in the sea."}]}},
                    ]
                },
            },
        )
    )

    assert (
        answer["answer"]["groundingAttributions"][0]["sourceId"]["groundingPassage"]["passageId"]
        == "p1"
    )
    assert isinstance(answer["answer"].get("finishReason", 1), int)


async def test_roles_between_two_principals(
    users: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    alice, bob = users
    corpus, document = await make_document(alice)
    await add_chunks(alice, document)

    error(await bob.get(f"{V}/{corpus}"), 403, "PERMISSION_DENIED")
    assert await ok(await bob.get(f"{V}/corpora")) == {}

    grant = await ok(
        await alice.post(
            f"{V}/{corpus}/permissions",
            json={"granteeType": "GROUP", "emailAddress": "readers@example.com", "role": "READER"},
        )
    )
    assert (await ok(await bob.get(f"{V}/{corpus}")))["name"] == corpus
    await ok(await bob.post(f"{V}/{corpus}:query", json={"query": "apples"}))
    error(await bob.post(f"{V}/{corpus}/documents", json={}), 403, "PERMISSION_DENIED")

    await ok(
        await alice.patch(
            f"{V}/{grant['name']}", params={"updateMask": "role"}, json={"role": "WRITER"}
        )
    )
    await ok(await bob.post(f"{V}/{corpus}/documents", json={"displayName": "Bob's"}))
    error(await bob.delete(f"{V}/{corpus}", params={"force": "true"}), 403, "PERMISSION_DENIED")


async def test_unauthenticated_on_real_service(
    users: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    alice, _ = users

    response = await alice.get(f"{V}/corpora", headers={"x-goog-api-key": "wrong"})

    error(response, 401, "UNAUTHENTICATED")


async def test_quota_from_config(tmp_path: Path) -> None:
    config = ServerConfig(data_dir=tmp_path / "data", embedder="hash", quotas=Quotas(max_corpora=1))
    async with running(create_app(config)) as http:
        await ok(await http.post(f"{V}/corpora", json={}))

        error(await http.post(f"{V}/corpora", json={}), 429, "RESOURCE_EXHAUSTED")


async def test_data_dir_is_created(tmp_path: Path) -> None:
    data_dir = tmp_path / "a" / "b"
    async with running(create_app(ServerConfig(data_dir=data_dir, embedder="hash"))) as http:
        await ok(await http.post(f"{V}/corpora", json={}))

    assert data_dir.is_dir()
    assert any(data_dir.iterdir())


@pytest.mark.parametrize("bad", [{"name": "corpora/Bad_Name"}, {"displayName": "x" * 513}])
async def test_service_validation_is_400(client: httpx.AsyncClient, bad: dict[str, Any]) -> None:
    error(await client.post(f"{V}/corpora", json=bad), 400, "INVALID_ARGUMENT")
