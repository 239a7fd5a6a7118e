"""models.get / models.list, the catalog's paging, and the embedding methods."""

from __future__ import annotations

import httpx
import numpy as np
import pytest

from ragkit.server.catalog import GEMINI_ALIASES, ModelCatalog, build_catalog
from ragkit.server.errors import ApiError
from ragkit.server.models.embedding import load_embedder
from ragkit.types import Model

EMBEDDING = "models/embedding-hash"


async def test_list_models(fake_client: httpx.AsyncClient) -> None:
    body = (await fake_client.get("/v1beta/models")).json()

    assert [m["name"] for m in body["models"]] == [
        "models/aqa",
        EMBEDDING,
        "models/ragkit-local",
        *GEMINI_ALIASES,
        "models/text-embedding-004",
        "models/embedding-001",
        "models/text-bison-001",
        "models/chat-bison-001",
        "models/embedding-gecko-001",
    ]
    assert "nextPageToken" not in body


async def test_get_aqa(fake_client: httpx.AsyncClient) -> None:
    body = (await fake_client.get("/v1beta/models/aqa")).json()

    assert body["name"] == "models/aqa"
    assert body["baseModelId"] == "aqa"
    assert body["version"] == "001"
    assert body["supportedGenerationMethods"] == ["generateAnswer"]
    assert body["inputTokenLimit"] == 7168
    assert body["outputTokenLimit"] == 1024


async def test_get_embedding_model(fake_client: httpx.AsyncClient) -> None:
    body = (await fake_client.get(f"/v1beta/{EMBEDDING}")).json()

    assert body["supportedGenerationMethods"] == [
        "embedContent",
        "batchEmbedContents",
        "countTokens",
        "asyncBatchEmbedContent",
    ]
    assert "384 dimensions" in body["displayName"]


async def test_unknown_model_is_404(fake_client: httpx.AsyncClient) -> None:
    response = await fake_client.get("/v1beta/models/gemini-1.5-pro")

    assert response.status_code == 404
    assert response.json()["error"]["status"] == "NOT_FOUND"


async def test_models_page_through(fake_client: httpx.AsyncClient) -> None:
    first = (await fake_client.get("/v1beta/models", params={"pageSize": 1})).json()
    second = (
        await fake_client.get(
            "/v1beta/models", params={"pageSize": 1, "pageToken": first["nextPageToken"]}
        )
    ).json()

    assert [m["name"] for m in first["models"]] == ["models/aqa"]
    assert [m["name"] for m in second["models"]] == [EMBEDDING]
    assert "nextPageToken" in second


async def test_bad_model_page_token_is_400(fake_client: httpx.AsyncClient) -> None:
    response = await fake_client.get("/v1beta/models", params={"pageToken": "garbage!"})

    assert response.status_code == 400
    assert response.json()["error"]["status"] == "INVALID_ARGUMENT"


def test_catalog_page_size_default_and_cap() -> None:
    catalog = ModelCatalog(
        [Model(name=f"models/m{i}", base_model_id="m", version="1") for i in range(1205)]
    )

    default = catalog.list()
    capped = catalog.list(page_size=5000)
    rest = catalog.list(page_size=5000, page_token=capped.next_page_token)

    assert len(default.models or []) == 50
    assert len(capped.models or []) == 1000
    assert len(rest.models or []) == 205 and rest.next_page_token is None


def test_catalog_require_checks_method() -> None:
    catalog = build_catalog(load_embedder("hash"))

    assert catalog.require("models/aqa", "generateAnswer").name == "models/aqa"
    with pytest.raises(ApiError, match="not supported for generateAnswer"):
        catalog.require(EMBEDDING, "generateAnswer")


async def test_generate_answer_on_embedding_model_is_404(fake_client: httpx.AsyncClient) -> None:
    response = await fake_client.post(
        f"/v1beta/{EMBEDDING}:generateAnswer", json={"answerStyle": "EXTRACTIVE"}
    )

    assert response.status_code == 404
    assert "ListModels" in response.json()["error"]["message"]


async def test_embed_content_matches_embedder(fake_client: httpx.AsyncClient) -> None:
    body = {"content": {"parts": [{"text": "red apples"}]}, "taskType": "RETRIEVAL_QUERY"}

    response = await fake_client.post(f"/v1beta/{EMBEDDING}:embedContent", json=body)

    values = response.json()["embedding"]["values"]
    expected = load_embedder("hash").embed(["red apples"], kind="query")[0]
    assert np.allclose(values, expected, atol=1e-6)


async def test_batch_embed_contents_in_order_with_dimensionality(
    fake_client: httpx.AsyncClient,
) -> None:
    texts = ["red apples", "green pears", "blue sky"]
    body = {
        "requests": [
            {"model": EMBEDDING, "content": {"parts": [{"text": t}]}, "outputDimensionality": 8}
            for t in texts
        ]
    }

    response = await fake_client.post(f"/v1beta/{EMBEDDING}:batchEmbedContents", json=body)

    rows = [e["values"] for e in response.json()["embeddings"]]
    expected = load_embedder("hash").embed(texts, kind="document")[:, :8]
    assert np.allclose(rows, expected, atol=1e-6)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"requests": []}, "at least one request"),
        ({"requests": [{"content": {"parts": [{"text": "x"}]}}] * 101}, "at most 100"),
        (
            {"requests": [{"model": "models/aqa", "content": {"parts": [{"text": "x"}]}}]},
            "'requests[0].model'",
        ),
        ({"requests": [{"content": {"parts": []}}]}, "'requests[0].content'"),
        (
            {"requests": [{"content": {"parts": [{"text": "x"}]}, "title": "T"}]},
            "'requests[0].title'",
        ),
        (
            {"requests": [{"content": {"parts": [{"text": "x"}]}, "outputDimensionality": 999}]},
            "'requests[0].outputDimensionality'",
        ),
    ],
)
async def test_batch_embed_rejects(
    fake_client: httpx.AsyncClient, body: dict[str, object], fragment: str
) -> None:
    response = await fake_client.post(f"/v1beta/{EMBEDDING}:batchEmbedContents", json=body)

    assert response.status_code == 400
    assert fragment in response.json()["error"]["message"]


async def test_title_allowed_for_retrieval_document(fake_client: httpx.AsyncClient) -> None:
    body = {
        "content": {"parts": [{"text": "body"}]},
        "taskType": "RETRIEVAL_DOCUMENT",
        "title": "Title",
    }

    response = await fake_client.post(f"/v1beta/{EMBEDDING}:embedContent", json=body)

    expected = load_embedder("hash").embed(["Title\nbody"])[0]
    assert np.allclose(response.json()["embedding"]["values"], expected, atol=1e-6)


@pytest.mark.parametrize("method", ["generateContent", "countTokens", "streamGenerateContent"])
async def test_unserved_model_methods_answer_like_google(
    fake_client: httpx.AsyncClient, method: str
) -> None:
    response = await fake_client.post(f"/v1beta/models/aqa:{method}", json={})

    body = response.json()
    # Without alt=sse a stream's error body is wrapped in a JSON array, as Google sends it.
    error = body[0]["error"] if method == "streamGenerateContent" else body["error"]
    assert response.status_code == 404
    assert error == {
        "code": 404,
        "message": (
            f"models/aqa is not found for API version v1beta, or is not supported for {method}. "
            "Call ListModels to see the list of available models and their supported methods."
        ),
        "status": "NOT_FOUND",
    }
