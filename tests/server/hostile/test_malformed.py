"""Malformed input answers Google's 4xx error body, never a 500 (issue 12, points 7 and 9)."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from ragkit.server.app import create_app
from ragkit.server.config import ServerConfig

from .conftest import C, D, K, Seeded, assert_google_error

pytestmark = pytest.mark.asyncio(loop_scope="package")

SURROGATE_BODIES = [
    ("POST", "/v1beta/corpora", '{"displayName": "\\ud800"}'),
    ("POST", f"/v1beta/{C}/documents", '{"displayName": "x\\udbff"}'),
    ("POST", f"/v1beta/{D}/chunks", '{"data": {"stringValue": "\\udc00"}}'),
    ("POST", f"/v1beta/{C}:query", '{"query": "\\ud800"}'),
    ("POST", f"/v1beta/{D}:query", '{"query": "ok", "\\ud800": 1}'),
    (
        "POST",
        "/v1beta/models/aqa:generateAnswer",
        '{"contents": [{"parts": [{"text": "\\ud800"}]}]}',
    ),
    ("POST", "/v1beta/cachedContents", '{"displayName": "\\ud800", "model": "models/aqa"}'),
]


@pytest.mark.parametrize(("method", "path", "body"), SURROGATE_BODIES)
async def test_unpaired_surrogates_are_invalid_argument(
    seeded: Seeded, method: str, path: str, body: str
) -> None:
    answer = await seeded.http.request(method, path, content=body.encode())
    assert_google_error(answer, 400)
    assert "surrogate" in answer.json()["error"]["message"]


@pytest.mark.parametrize("depth", [101, 1_000, 50_000])
async def test_deep_json_is_invalid_argument(seeded: Seeded, depth: int) -> None:
    for opening, closing in (("[", "]"), ('{"a":', "}")):
        body = '{"query": ' + opening * depth + "1" + closing * depth + "}"
        answer = await seeded.http.post(f"/v1beta/{C}:query", content=body.encode())
        assert_google_error(answer, 400)
        assert "too deep" in answer.json()["error"]["message"]


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999", "-1e400", "9" * 5_000])
async def test_non_finite_and_huge_numbers_are_invalid_argument(
    seeded: Seeded, number: str
) -> None:
    body = '{"query": "q", "resultsCount": %s}' % number  # noqa: UP031
    answer = await seeded.http.post(f"/v1beta/{C}:query", content=body.encode())
    assert_google_error(answer, 400)


async def test_deep_fields_mask_is_invalid_argument(seeded: Seeded) -> None:
    answer = await seeded.http.get(
        f"/v1beta/{C}", params={"fields": "a(" * 2_000 + "b" + ")" * 2_000}
    )
    assert_google_error(answer, 400)
    assert len(answer.json()["error"]["message"]) < 400


async def test_head_answers_what_get_would_without_a_body(seeded: Seeded) -> None:
    for path in (f"/v1beta/{C}", f"/v1beta/{K}", "/v1beta/corpora/missing", "/v1beta/nowhere"):
        get = await seeded.http.get(path)
        head = await seeded.http.head(path)
        assert head.status_code == get.status_code
        assert head.content == b""
        assert head.headers["content-type"] == get.headers["content-type"]
        assert int(head.headers["content-length"]) == len(get.content)


async def test_a_client_disconnecting_mid_body_is_not_an_error(
    seeded: Seeded, caplog: pytest.LogCaptureFixture
) -> None:
    app = seeded.http._transport.app  # type: ignore[attr-defined]
    sent: list[dict[str, object]] = []
    messages = [
        {"type": "http.request", "body": b'{"displayName": ', "more_body": True},
        {"type": "http.disconnect"},
    ]

    async def receive() -> dict[str, object]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1beta/corpora",
        "raw_path": b"/v1beta/corpora",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/json"), (b"host", b"ragkit")],
        "client": ("127.0.0.1", 1),
        "server": ("ragkit", 80),
    }
    with caplog.at_level(logging.INFO, logger="ragkit.server"):
        await app(scope, receive, send)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]
    assert any("disconnected" in r.getMessage() for r in caplog.records)
    assert not any(m.get("status", 200) >= 500 for m in sent)  # type: ignore[operator]


AUTH = """
[[principal]]
email = "alice@example.com"
api_keys = ["alice-key"]
bearer_tokens = ["alice-token"]
"""


@pytest.mark.parametrize(
    ("headers", "query"),
    [
        ({"x-goog-api-key": "alice-key"}, {"key": "bogus"}),
        ({"x-goog-api-key": "bogus"}, {"key": "alice-key"}),
        ({"authorization": "Bearer alice-token"}, {"access_token": "bogus"}),
        ({"authorization": "Bearer alice-token"}, {"oauth_token": "bogus"}),
        ({}, {"key": "alice-key", "access_token": "bogus"}),
    ],
)
async def test_every_credential_must_be_valid(
    tmp_path: Path, headers: dict[str, str], query: dict[str, str]
) -> None:
    auth = tmp_path / "auth.toml"
    auth.write_text(AUTH, encoding="utf-8")
    app = create_app(ServerConfig(data_dir=tmp_path / "data", auth_file=auth, embedder="hash"))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ragkit") as http:
            valid = await http.get("/v1beta/corpora", headers={"x-goog-api-key": "alice-key"})
            assert valid.status_code == 200
            same = await http.get(
                "/v1beta/corpora",
                headers={"x-goog-api-key": "alice-key"},
                params={"key": "alice-key"},
            )
            assert same.status_code == 200
            answer = await http.get("/v1beta/corpora", headers=headers, params=query)
            assert_google_error(answer, 401)
