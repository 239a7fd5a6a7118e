"""``fileSearchStores`` over HTTP, in-process: the REST shapes google-genai 3.x sends and
reads (see docs/reference/file-search.md), operations, limits and errors."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from ragkit import limits
from ragkit.server.service import Quotas

from .conftest import two_users

#: The same rules on SQLite and PostgreSQL (see tests/conftest.py).
pytestmark = pytest.mark.both_backends

GUIDE = (
    b"# Care guide\n\nBananas ripen faster in a paper bag.\n\nApples keep longest in the fridge.\n"
)


async def create_store(client: httpx.AsyncClient, version: str = "v1beta", **body: Any) -> str:
    created = await client.post(f"/{version}/fileSearchStores", json=body)
    assert created.status_code == 200, created.text
    name: str = created.json()["name"]
    return name


async def finished(client: httpx.AsyncClient, operation: dict[str, Any]) -> dict[str, Any]:
    """Poll ``operation`` (as the SDK's operations.get does) until it is done."""
    for _ in range(200):
        if operation.get("done"):
            return operation
        await asyncio.sleep(0.05)
        reply = await client.get(f"/v1/{operation['name']}")
        assert reply.status_code == 200, reply.text
        operation = reply.json()
    raise AssertionError(f"operation never finished: {operation}")


async def upload_multipart(
    client: httpx.AsyncClient, store: str, data: bytes, metadata: dict[str, Any], mime: str
) -> dict[str, Any]:
    boundary = "xyzzy"
    body = (
        (
            f"--{boundary}\r\nContent-Type: application/json\r\n\r\n{json.dumps(metadata)}\r\n"
            f"--{boundary}\r\nContent-Type: {mime}\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    reply = await client.post(
        f"/upload/v1beta/{store}:uploadToFileSearchStore",
        content=body,
        headers={
            "X-Goog-Upload-Protocol": "multipart",
            "Content-Type": f"multipart/related; boundary={boundary}",
        },
    )
    assert reply.status_code == 200, reply.text
    assert reply.headers["x-goog-upload-status"] == "final"
    return await finished(client, reply.json())


async def test_store_lifecycle_under_v1_and_v1beta(client: httpx.AsyncClient) -> None:
    name = await create_store(client, "v1", displayName="Docs on fruit")
    assert name.startswith("fileSearchStores/docs-on-fruit-")
    got = (await client.get(f"/v1beta/{name}")).json()
    assert got["displayName"] == "Docs on fruit"
    assert got["activeDocumentsCount"] == "0" and got["sizeBytes"] == "0"
    assert got["embeddingModel"] == "models/embedding-hash"
    listed = (await client.get("/v1/fileSearchStores")).json()
    assert [s["name"] for s in listed["fileSearchStores"]] == [name]
    # A store is a corpus underneath, but neither listed nor counted as one.
    assert (await client.get("/v1beta/corpora")).json() == {}
    assert (await client.delete(f"/v1/{name}")).json() == {}
    missing = await client.get(f"/v1/{name}")
    assert missing.status_code == 403
    assert missing.json()["error"]["status"] == "PERMISSION_DENIED"


async def test_import_file_and_documents(client: httpx.AsyncClient) -> None:
    store = await create_store(client, displayName="Fruit")
    uploaded = await client.post(
        "/upload/v1beta/files",
        content=GUIDE,
        headers={"X-Goog-Upload-Protocol": "raw", "Content-Type": "text/markdown"},
    )
    file_name = uploaded.json()["file"]["name"]
    started = await client.post(
        f"/v1beta/{store}:importFile",
        json={
            "fileName": file_name,
            "customMetadata": [{"key": "kind", "stringValue": "guide"}],
            "chunkingConfig": {
                "whiteSpaceConfig": {"maxTokensPerChunk": 40, "maxOverlapTokens": 5}
            },
        },
    )
    assert started.status_code == 200, started.text
    assert started.json()["name"].startswith(f"{store}/operations/")
    done = await finished(client, started.json())
    assert "error" not in done, done
    response = done["response"]
    assert response["@type"].endswith("ImportFileResponse")
    assert response["parent"] == store
    document = (await client.get(f"/v1beta/{response['documentName']}")).json()
    assert document["state"] == "STATE_ACTIVE"
    assert document["mimeType"] == "text/markdown"
    assert document["sizeBytes"] == str(len(GUIDE))
    assert document["customMetadata"] == [{"key": "kind", "stringValue": "guide"}]
    counters = (await client.get(f"/v1beta/{store}")).json()
    assert counters["activeDocumentsCount"] == "1"
    assert counters["sizeBytes"] == str(len(GUIDE))
    listed = (await client.get(f"/v1beta/{store}/documents")).json()
    assert [d["name"] for d in listed["documents"]] == [document["name"]]
    # An imported file stays in the Files API; a store with documents needs force.
    assert (await client.get(f"/v1beta/{file_name}")).status_code == 200
    refused = await client.delete(f"/v1beta/{store}")
    assert refused.json()["error"]["status"] == "FAILED_PRECONDITION"
    assert (await client.delete(f"/v1beta/{document['name']}?force=true")).json() == {}
    assert (await client.get(f"/v1beta/{store}")).json()["activeDocumentsCount"] == "0"


async def test_resumable_and_multipart_uploads(client: httpx.AsyncClient) -> None:
    store = await create_store(client, displayName="Uploads")
    start = await client.post(
        f"/upload/v1/{store}:uploadToFileSearchStore",
        json={"displayName": "guide.md", "customMetadata": [{"key": "year", "numericValue": 2024}]},
        headers={
            "X-Goog-Upload-Protocol": "resumable",
            "X-Goog-Upload-Command": "start",
            "X-Goog-Upload-Header-Content-Length": str(len(GUIDE)),
            "X-Goog-Upload-Header-Content-Type": "text/markdown",
        },
    )
    assert start.status_code == 200, start.text
    url = start.headers["x-goog-upload-url"]
    half = len(GUIDE) // 2
    first = await client.post(
        url,
        content=GUIDE[:half],
        headers={"X-Goog-Upload-Command": "upload", "X-Goog-Upload-Offset": "0"},
    )
    assert first.headers["x-goog-upload-status"] == "active"
    last = await client.post(
        url,
        content=GUIDE[half:],
        headers={"X-Goog-Upload-Command": "upload, finalize", "X-Goog-Upload-Offset": str(half)},
    )
    assert last.headers["x-goog-upload-status"] == "final", last.text
    operation = last.json()
    assert operation["name"].startswith(f"{store}/upload/operations/")
    done = await finished(client, operation)
    assert done["response"]["@type"].endswith("UploadToFileSearchStoreResponse")
    assert done["response"]["mimeType"] == "text/markdown"
    document = (await client.get(f"/v1/{done['response']['documentName']}")).json()
    assert document["displayName"] == "guide.md"
    # The intermediate Files API file is gone once imported.
    assert (await client.get("/v1beta/files")).json() == {}

    other = await upload_multipart(client, store, b"Plain notes about pears.", {}, "text/plain")
    assert other["response"]["sizeBytes"] == "24"
    assert (await client.get(f"/v1beta/{store}")).json()["activeDocumentsCount"] == "2"


async def test_unreadable_file_fails_the_operation(client: httpx.AsyncClient) -> None:
    store = await create_store(client)
    done = await upload_multipart(client, store, b"%PDF-1.4 not really", {}, "application/pdf")
    assert done["done"] is True and "response" not in done
    assert done["error"]["code"] == 3 and "Cannot ingest" in done["error"]["message"]
    # Refused before a document was made: nothing to count.
    assert (await client.get(f"/v1beta/{store}/documents")).json() == {}


async def test_bad_input_gets_google_errors(client: httpx.AsyncClient) -> None:
    store = await create_store(client)
    too_big = await client.post(
        f"/upload/v1beta/{store}:uploadToFileSearchStore",
        json={},
        headers={
            "X-Goog-Upload-Protocol": "resumable",
            "X-Goog-Upload-Command": "start",
            "X-Goog-Upload-Header-Content-Length": str(limits.MAX_FILE_SEARCH_FILE_BYTES + 1),
            "X-Goog-Upload-Header-Content-Type": "text/plain",
        },
    )
    assert too_big.status_code == 400
    assert "100 MB" in too_big.json()["error"]["message"]
    chunking = await client.post(
        f"/v1beta/{store}:importFile",
        json={
            "fileName": "files/x",
            "chunkingConfig": {"whiteSpaceConfig": {"maxTokensPerChunk": 9999}},
        },
    )
    assert chunking.status_code == 400
    unknown_field = await client.post("/v1beta/fileSearchStores", json={"displayNam": "x"})
    assert unknown_field.status_code == 400
    unknown_store = await client.post(
        "/v1beta/fileSearchStores/nope:importFile", json={"fileName": "files/x"}
    )
    assert unknown_store.status_code == 403
    bad_filter = await client.post(
        "/v1beta/models/gemini-2.5-flash:generateContent",
        json={
            "contents": [{"role": "user", "parts": [{"text": "bananas?"}]}],
            "tools": [{"fileSearch": {"fileSearchStoreNames": [store], "metadataFilter": "a = "}}],
        },
    )
    assert bad_filter.status_code == 400
    assert "metadata_filter" in bad_filter.json()["error"]["message"]
    for number in ("nan", "inf", "1e999"):  # once a 500: a Condition refused the value
        non_finite = await client.post(
            "/v1beta/models/gemini-2.5-flash:generateContent",
            json={
                "contents": [{"role": "user", "parts": [{"text": "bananas?"}]}],
                "tools": [
                    {
                        "fileSearch": {
                            "fileSearchStoreNames": [store],
                            "metadataFilter": f"a = {number}",
                        }
                    }
                ],
            },
        )
        assert non_finite.status_code == 400, non_finite.text
        assert "not a finite number" in non_finite.json()["error"]["message"]
    # Nothing was created by the refused requests.
    assert (await client.get(f"/v1beta/{store}/documents")).json() == {}


async def test_file_search_tool_grounds_the_answer(client: httpx.AsyncClient) -> None:
    store = await create_store(client, displayName="Facts")
    await upload_multipart(
        client,
        store,
        b"The Zephyr telescope was built in 1931 in Ohio.",
        {"displayName": "zephyr.txt", "customMetadata": [{"key": "year", "numericValue": 1931}]},
        "text/plain",
    )
    await upload_multipart(
        client,
        store,
        GUIDE,
        {"displayName": "guide.md", "customMetadata": [{"key": "year", "numericValue": 2024}]},
        "text/markdown",
    )

    async def ask(question: str, **tool: Any) -> dict[str, Any]:
        reply = await client.post(
            "/v1/models/gemini-2.5-flash:generateContent",
            json={
                "contents": [{"role": "user", "parts": [{"text": question}]}],
                "tools": [{"fileSearch": {"fileSearchStoreNames": [store], **tool}}],
            },
        )
        assert reply.status_code == 200, reply.text
        answer_usage.append(reply.json()["usageMetadata"])
        candidate: dict[str, Any] = reply.json()["candidates"][0]
        return candidate

    answer_usage: list[dict[str, int]] = []

    answer = await ask("When was the Zephyr telescope built?", topK=1)
    usage = answer_usage[-1]
    assert usage["toolUsePromptTokenCount"] > 0
    assert usage["totalTokenCount"] == (
        usage["promptTokenCount"] + usage["candidatesTokenCount"] + usage["toolUsePromptTokenCount"]
    )
    assert "1931" in answer["content"]["parts"][0]["text"]
    grounding = answer["groundingMetadata"]
    context = grounding["groundingChunks"][0]["retrievedContext"]
    assert context == {
        "title": "zephyr.txt",
        "text": "The Zephyr telescope was built in 1931 in Ohio.",
        "fileSearchStore": store,
    }
    support = grounding["groundingSupports"][0]
    text = answer["content"]["parts"][0]["text"]
    segment = support["segment"]
    assert text.encode()[segment["startIndex"] : segment["endIndex"]].decode() == segment["text"]
    assert support["groundingChunkIndices"] == [0]
    assert 0 <= support["confidenceScores"][0] <= 1

    filtered = await ask("When was the Zephyr telescope built?", metadataFilter="year >= 2000")
    titles = {
        c["retrievedContext"]["title"] for c in filtered["groundingMetadata"]["groundingChunks"]
    }
    assert titles == {"guide.md"}


async def test_quotas_failed_documents_and_access(tmp_path: Path, database_url: str | None) -> None:
    quotas = Quotas(max_file_search_stores=1, max_chunks_per_corpus=1)
    async with two_users(tmp_path, quotas=quotas, database_url=database_url) as (alice, bob):
        store = await create_store(alice, displayName="Alice's")
        second = await alice.post("/v1beta/fileSearchStores", json={})
        assert second.status_code == 429
        assert "max_file_search_stores" in second.json()["error"]["message"]
        # Two chunks do not fit the store's corpus: the document is FAILED, and counted.
        config = {"chunkingConfig": {"whiteSpaceConfig": {"maxTokensPerChunk": 16}}}
        text = b"Pears are sweet and grainy. " * 12
        done = await upload_multipart(alice, store, text, config, "text/plain")
        assert done["error"]["code"] == 8, done
        counters = (await alice.get(f"/v1beta/{store}")).json()
        assert counters["failedDocumentsCount"] == "1"
        assert counters.get("activeDocumentsCount", "0") == "0"
        (document,) = (await alice.get(f"/v1beta/{store}/documents")).json()["documents"]
        assert document["state"] == "STATE_FAILED"
        # Stores do not use up the corpus quota.
        assert (await alice.post("/v1beta/corpora", json={})).status_code == 200
        assert (await bob.get(f"/v1beta/{store}")).status_code == 403
        assert (await bob.get("/v1beta/fileSearchStores")).json() == {}
        asked = await bob.post(
            "/v1beta/models/gemini-2.5-flash:generateContent",
            json={
                "contents": [{"role": "user", "parts": [{"text": "anything?"}]}],
                "tools": [{"fileSearch": {"fileSearchStoreNames": [store]}}],
            },
        )
        assert asked.status_code == 403


async def test_store_pages(client: httpx.AsyncClient) -> None:
    version = "v1"
    names = [await create_store(client, displayName=f"s{i}") for i in range(3)]
    first = (await client.get(f"/{version}/fileSearchStores?pageSize=2")).json()
    token = first["nextPageToken"]
    second = (await client.get(f"/{version}/fileSearchStores?pageSize=2&pageToken={token}")).json()
    listed = [s["name"] for s in first["fileSearchStores"] + second["fileSearchStores"]]
    assert listed == names
