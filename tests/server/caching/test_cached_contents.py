"""cachedContents through ragkit's client and raw HTTP: CRUD, expiry, patch rules, use."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from ragkit import NotFoundError
from ragkit.server.errors import ApiError
from ragkit.server.principal import LOCAL_USER
from ragkit.tokenizers import count_tokens
from ragkit.types import Code

from ..media.support import FakeClock, Served

#: The same rules on SQLite and PostgreSQL (see tests/conftest.py).
pytestmark = pytest.mark.both_backends

MODEL = "models/gemini-2.0-flash"
FACT = "Rome is the capital of Italy."
RULE = "Answer briefly."


async def test_create_get_list_update_delete(served: Served, clock: FakeClock) -> None:
    caches = served.client.cached_contents
    created = await caches.create(
        model=MODEL,
        contents=FACT,
        system_instruction=RULE,
        display_name="Italy",
        ttl=timedelta(minutes=5),
    )
    assert created.name is not None and created.name.startswith("cachedContents/")
    assert created.model == MODEL and created.display_name == "Italy"
    assert created.contents is None  # metadata only
    assert created.expire_time == clock.now + timedelta(minutes=5)
    assert created.usage_metadata is not None
    assert created.usage_metadata.total_token_count == count_tokens(FACT) + count_tokens(RULE)
    assert await caches.get(created.name) == created
    second = await caches.create(model=MODEL, contents="Another.")
    assert second.expire_time == clock.now + timedelta(hours=1)  # the default TTL
    assert [c.name async for c in caches.list(page_size=1)] == [created.name, second.name]
    clock.advance(seconds=30)
    updated = await caches.update(created.name, ttl=3600)
    assert updated.expire_time == clock.now + timedelta(hours=1)
    assert updated.update_time == clock.now and updated.create_time == created.create_time
    await caches.delete(created.name)
    with pytest.raises(NotFoundError):
        await caches.get(created.name)
    with pytest.raises(NotFoundError):
        await caches.delete(created.name)


async def test_expired_caches_are_gone(served: Served, clock: FakeClock) -> None:
    cache = await served.client.cached_contents.create(model=MODEL, contents=FACT, ttl=60)
    clock.advance(seconds=59)
    assert await served.client.cached_contents.get(cache.name or "")
    clock.advance(seconds=1)
    with pytest.raises(NotFoundError):
        await served.client.cached_contents.get(cache.name or "")
    assert [c async for c in served.client.cached_contents.list()] == []
    assert served.caches.purge_expired() == 1


def _error(response: httpx.Response, status: int = 400) -> str:
    assert response.status_code == status, response.text
    return str(response.json()["error"]["message"])


async def test_create_and_patch_validation(served: Served, clock: FakeClock) -> None:
    http = served.http
    contents = [{"role": "user", "parts": [{"text": FACT}]}]
    assert "model is required" in _error(
        await http.post("/v1beta/cachedContents", json={"contents": contents})
    )
    assert "models/{model}" in _error(
        await http.post("/v1beta/cachedContents", json={"model": "gemini", "contents": contents})
    )
    assert "128" in _error(
        await http.post(
            "/v1beta/cachedContents",
            json={"model": MODEL, "contents": contents, "displayName": "x" * 129},
        )
    )
    assert "positive" in _error(
        await http.post(
            "/v1beta/cachedContents", json={"model": MODEL, "contents": contents, "ttl": "0s"}
        )
    )
    assert "Duration" in _error(
        await http.post(
            "/v1beta/cachedContents", json={"model": MODEL, "contents": contents, "ttl": "an hour"}
        )
    )
    past = (clock.now - timedelta(seconds=1)).isoformat().replace("+00:00", "Z")
    assert "future" in _error(
        await http.post(
            "/v1beta/cachedContents",
            json={"model": MODEL, "contents": contents, "expireTime": past},
        )
    )
    assert "must contain" in _error(
        await http.post("/v1beta/cachedContents", json={"model": MODEL})
    )
    both = await http.post(
        "/v1beta/cachedContents",
        json={"model": MODEL, "contents": contents, "ttl": "60s", "expireTime": past},
    )
    assert both.status_code == 400
    assert (await http.get("/v1beta/cachedContents")).json() == {}

    created = (
        await http.post("/v1beta/cachedContents", json={"model": MODEL, "contents": contents})
    ).json()
    path = f"/v1beta/{created['name']}"
    renamed = await http.patch(
        path, params={"updateMask": "displayName"}, json={"displayName": "n"}
    )
    assert "only ttl, expireTime" in _error(renamed)
    no_expiry = await http.patch(path, params={"updateMask": "ttl"}, json={})
    assert "needs a new ttl or expireTime" in _error(no_expiry)
    later = (clock.now + timedelta(days=2)).isoformat().replace("+00:00", "Z")
    moved = await http.patch(path, params={"updateMask": "expire_time"}, json={"expireTime": later})
    assert moved.status_code == 200 and moved.json()["expireTime"].startswith(later[:19])
    assert (await http.get("/v1beta/cachedContents", params={"pageSize": 5000})).status_code == 200


async def test_cached_content_for_generation(served: Served) -> None:
    upload = await served.client.files.upload(
        b"Paris is the capital of France.", mime_type="text/plain"
    )
    cache = await served.client.cached_contents.create(
        model=MODEL,
        contents=[
            {
                "role": "user",
                "parts": [
                    {"text": FACT},
                    {"fileData": {"fileUri": upload.uri, "mimeType": "text/plain"}},
                ],
            }
        ],
    )
    assert cache.usage_metadata is not None
    assert cache.usage_metadata.total_token_count == count_tokens(FACT) + count_tokens(
        "Paris is the capital of France."
    )
    full = served.caches.cached_content(LOCAL_USER, cache.name or "", model=MODEL)
    assert full.contents is not None and full.contents[0].parts is not None
    assert full.contents[0].parts[0].text == FACT and full.expire_time == cache.expire_time
    with pytest.raises(ApiError) as caught:
        served.caches.cached_content(LOCAL_USER, cache.name or "", model="models/other")
    assert caught.value.code is Code.INVALID_ARGUMENT
    answer = await served.client.models.generate_content(
        "gemini-2.0-flash", contents="What is the capital of France?", cached_content=cache.name
    )
    assert answer.candidates and answer.candidates[0].content
    assert "Paris" in str(answer.candidates[0].content.parts)
    assert answer.usage_metadata and answer.usage_metadata.cached_content_token_count
    with pytest.raises(NotFoundError, match="files/missing"):
        await served.client.cached_contents.create(
            model=MODEL,
            contents=[
                {
                    "role": "user",
                    "parts": [{"fileData": {"fileUri": "files/missing", "mimeType": "text/plain"}}],
                }
            ],
        )
