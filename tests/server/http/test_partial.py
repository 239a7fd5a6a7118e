"""The ``fields`` system parameter: partial responses, through the real app."""

from __future__ import annotations

import json

import httpx
import pytest

from ragkit.server.errors import ApiError
from ragkit.server.http.partial import parse_fields, select

V = "/v1beta"


def test_parse_fields_grammar() -> None:
    assert parse_fields("name,displayName") == {"name": None, "displayName": None}
    assert parse_fields("relevantChunks(chunk/name,chunkRelevanceScore)") == {
        "relevantChunks": {"chunk": {"name": None}, "chunkRelevanceScore": None}
    }
    # snake_case is accepted; a whole field wins over a part of it; * is every field
    assert parse_fields("display_name, chunk/name, chunk") == {"displayName": None, "chunk": None}
    assert parse_fields("corpora(*)") == {"corpora": {"*": None}}
    for bad in ("a,", "a(b", "a)b", "(a)", "a//b", "a b", "a;b", "a,,b"):
        with pytest.raises(ApiError, match="Invalid fields parameter"):
            parse_fields(bad)


def test_select_keeps_only_the_named_parts() -> None:
    value = {"a": {"b": 1, "c": 2}, "d": [{"e": 1, "f": 2}, {"e": 3}], "g": 4}
    assert select(value, parse_fields("a/b,d(e)")) == {"a": {"b": 1}, "d": [{"e": 1}, {"e": 3}]}
    assert select(value, parse_fields("*")) == value
    assert select(value, parse_fields("missing,g")) == {"g": 4}


async def test_fields_trim_gets_lists_and_queries(client: httpx.AsyncClient) -> None:
    created = await client.post(f"{V}/corpora", json={"displayName": "Fruit"})
    name = created.json()["name"]
    got = await client.get(f"{V}/{name}", params={"fields": "displayName"})
    assert got.status_code == 200 and got.json() == {"displayName": "Fruit"}
    assert int(got.headers["content-length"]) == len(got.content)
    listed = await client.get(f"{V}/corpora", params={"$fields": "corpora/name"})
    assert listed.json() == {"corpora": [{"name": name}]}
    document = (await client.post(f"{V}/{name}/documents", json={})).json()["name"]
    await client.post(
        f"{V}/{document}/chunks", json={"data": {"stringValue": "Apples are red fruit."}}
    )
    query = await client.post(
        f"{V}/{name}:query",
        params={"fields": "relevantChunks(chunkRelevanceScore,chunk/data)"},
        json={"query": "apples"},
    )
    (hit,) = query.json()["relevantChunks"]
    assert set(hit) == {"chunkRelevanceScore", "chunk"}
    assert hit["chunk"] == {"data": {"stringValue": "Apples are red fruit."}}


async def test_a_bad_mask_is_rejected_before_the_request_runs(client: httpx.AsyncClient) -> None:
    response = await client.post(f"{V}/corpora", params={"fields": "name("}, json={})
    assert response.status_code == 400
    assert response.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert "Invalid fields parameter" in response.json()["error"]["message"]
    assert (await client.get(f"{V}/corpora")).json() == {}  # nothing was created


async def test_errors_are_never_trimmed(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{V}/corpora/missing", params={"fields": "name"})
    assert response.status_code == 403  # Google's answer for a corpus one cannot see
    assert set(response.json()["error"]) == {"code", "message", "status"}


async def test_each_server_sent_event_is_trimmed(client: httpx.AsyncClient) -> None:
    response = await client.post(
        f"{V}/models/ragkit-local:streamGenerateContent",
        params={"alt": "sse", "fields": "candidates/finishReason"},
        json={"contents": [{"parts": [{"text": "Hello there."}]}]},
    )
    assert response.status_code == 200
    events = [
        json.loads(line.removeprefix("data: "))
        for line in response.text.splitlines()
        if line.startswith("data: ")
    ]
    assert events and all(set(event) <= {"candidates"} for event in events)
    assert any(
        set(candidate) == {"finishReason"} for e in events for candidate in e.get("candidates", [])
    )
