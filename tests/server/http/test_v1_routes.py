"""``/v1``: what Google serves under v1 (google-genai >= 3's default), by the same routes."""

from __future__ import annotations

import httpx


async def test_v1_serves_models_files_and_caches(client: httpx.AsyncClient) -> None:
    listed = await client.get("/v1/models")
    assert listed.status_code == 200
    assert listed.json() == (await client.get("/v1beta/models")).json()
    reply = await client.post(
        "/v1/models/gemini-2.0-flash:generateContent",
        json={"contents": [{"role": "user", "parts": [{"text": "hello"}]}]},
    )
    assert reply.status_code == 200, reply.text
    counted = await client.post(
        "/v1/models/gemini-2.0-flash:countTokens", json={"contents": [{"parts": [{"text": "a b"}]}]}
    )
    assert counted.status_code == 200 and counted.json()["totalTokens"] > 0
    created = await client.post("/v1/files", json={"file": {"mimeType": "text/plain"}})
    assert created.status_code == 200, created.text
    name = created.json()["file"]["name"]
    assert (await client.get(f"/v1/{name}")).json()["name"] == name
    assert (await client.get("/v1/cachedContents")).status_code == 200
    assert (await client.get("/v1/batches")).status_code == 200


async def test_v1beta_only_methods_are_not_under_v1(client: httpx.AsyncClient) -> None:
    assert (await client.get("/v1/corpora")).status_code == 404
    answer = await client.post("/v1/models/aqa:generateAnswer", json={})
    assert answer.status_code >= 400
    assert answer.json()["error"]["status"] in ("NOT_FOUND", "UNIMPLEMENTED")


async def test_error_messages_name_the_version_asked_for(client: httpx.AsyncClient) -> None:
    content = {"contents": [{"parts": [{"text": "hi"}]}]}
    for version in ("v1", "v1beta"):
        missing = await client.get(f"/{version}/models/no-such-model")
        assert missing.status_code == 404
        message = missing.json()["error"]["message"]
        assert message == f"models/no-such-model is not found for API version {version}."
        unsupported = await client.post(f"/{version}/models/no-such-model:generateContent",
                                        json=content)  # fmt: skip
        assert unsupported.status_code == 404
        assert (
            f"is not found for API version {version}, or is not supported for "
            in (unsupported.json()["error"]["message"])
        )
        operations = await client.get(f"/{version}/models/aqa/operations")
        assert operations.json()["error"]["message"] == "models/aqa/operations was not found."
    streamed = await client.post(
        "/v1/models/no-such-model:streamGenerateContent?alt=sse", json=content
    )
    assert "API version v1," in streamed.text and "v1beta" not in streamed.text
