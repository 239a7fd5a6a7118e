"""Credentials, base URL and client configuration."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

import ragkit
from tests.client.conftest import FakeAPI, make_client, resolve


class FakeCredentials:
    """Duck-types google.auth credentials: invalid until refreshed."""

    def __init__(self) -> None:
        self.token: str | None = None
        self.refreshes = 0

    @property
    def valid(self) -> bool:
        return self.token is not None

    def refresh(self, request: Any) -> None:
        self.refreshes += 1
        self.token = f"token-{self.refreshes}"


@pytest.fixture
def fake_google_auth_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("ragkit._auth._google_auth_request", lambda: object())


async def headers_sent(mode: str, api: FakeAPI, **options: Any) -> httpx.Headers:
    client = make_client(mode, api, **options)
    await resolve(client.models.get("aqa"))
    return api.last.headers


@pytest.mark.parametrize(
    ("env", "argument", "expected"),
    [
        ({"GOOGLE_API_KEY": "g", "GEMINI_API_KEY": "m"}, "arg", "arg"),
        ({"GOOGLE_API_KEY": "g", "GEMINI_API_KEY": "m"}, None, "g"),
        ({"GEMINI_API_KEY": "m"}, None, "m"),
        ({"GOOGLE_API_KEY": "", "GEMINI_API_KEY": "m"}, None, "m"),
    ],
)
async def test_api_key_precedence(
    mode: str,
    api: FakeAPI,
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    argument: str | None,
    expected: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    headers = await headers_sent(mode, api, api_key=argument)
    assert headers["x-goog-api-key"] == expected
    assert "authorization" not in headers


async def test_no_credentials_sends_no_auth_headers(mode: str, api: FakeAPI) -> None:
    headers = await headers_sent(mode, api, api_key=None)
    assert "x-goog-api-key" not in headers and "authorization" not in headers


async def test_access_token_is_a_bearer_and_skips_env_key(
    mode: str, api: FakeAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOOGLE_API_KEY", "env-key")
    headers = await headers_sent(mode, api, api_key=None, access_token="tok")
    assert headers["authorization"] == "Bearer tok"
    assert "x-goog-api-key" not in headers


async def test_credentials_are_refreshed_when_invalid(
    mode: str, api: FakeAPI, fake_google_auth_request: None
) -> None:
    credentials = FakeCredentials()
    client = make_client(mode, api, api_key=None, credentials=credentials)
    await resolve(client.models.get("aqa"))
    await resolve(client.models.get("aqa"))
    assert [r.headers["authorization"] for r in api.requests] == ["Bearer token-1"] * 2
    assert credentials.refreshes == 1
    credentials.token = None  # expired
    await resolve(client.models.get("aqa"))
    assert api.last.headers["authorization"] == "Bearer token-2"


def test_token_and_credentials_are_exclusive() -> None:
    with pytest.raises(ValueError, match="either"):
        ragkit.Client(access_token="t", credentials=FakeCredentials())


@pytest.mark.parametrize(
    ("env", "argument", "expected"),
    [
        ({}, None, "https://generativelanguage.googleapis.com/v1beta/models/aqa"),
        (
            {"RAGKIT_BASE_URL": "http://localhost:8000"},
            None,
            "http://localhost:8000/v1beta/models/aqa",
        ),
        (
            {"RAGKIT_BASE_URL": "http://x"},
            "http://127.0.0.1:9/api/",
            "http://127.0.0.1:9/api/v1beta/models/aqa",
        ),
    ],
)
async def test_base_url(
    mode: str,
    api: FakeAPI,
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    argument: str | None,
    expected: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    client = make_client(mode, api, base_url=argument)
    await resolve(client.models.get("aqa"))
    assert str(api.last.url) == expected


async def test_default_headers_and_user_agent(mode: str, api: FakeAPI) -> None:
    headers = await headers_sent(mode, api, default_headers={"x-goog-user-project": "p1"})
    assert headers["x-goog-user-project"] == "p1"
    assert headers["user-agent"].startswith("ragkit/")


def test_sync_context_manager_closes_owned_client() -> None:
    with ragkit.Client(transport=httpx.MockTransport(FakeAPI())) as client:
        http = client._http
    assert http.is_closed
    external = httpx.Client(transport=httpx.MockTransport(FakeAPI()))
    with ragkit.Client(http_client=external):
        pass
    assert not external.is_closed


async def test_async_context_manager_closes_owned_client() -> None:
    async with ragkit.AsyncClient(transport=httpx.MockTransport(FakeAPI())) as client:
        http = client._http
    assert http.is_closed


def test_bad_configuration() -> None:
    with pytest.raises(ValueError, match="max_retries"):
        ragkit.Client(max_retries=-1)
    with pytest.raises(ValueError, match="transport or http_client"):
        ragkit.Client(transport=httpx.MockTransport(FakeAPI()), http_client=httpx.Client())


def test_resources_are_lazy_and_cached() -> None:
    client = ragkit.Client(api_key="k")
    assert "corpora" not in vars(client)
    assert client.corpora is client.corpora
    assert client.corpora.documents.chunks is client.corpora.documents.chunks
