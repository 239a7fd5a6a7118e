"""Auth file validation and credential resolution (API key header, ?key=, bearer)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ragkit.server.app import create_app
from ragkit.server.auth import Authenticator, AuthFileError, Credentials, load_auth_file
from ragkit.server.config import ServerConfig
from ragkit.server.principal import LOCAL_USER, Principal

from .conftest import RecordingService, running

AUTH = """
[[principal]]
email = "alice@example.com"
groups = ["team@example.com"]
api_keys = ["alice-key"]
bearer_tokens = ["alice-token"]

[[principal]]
email = "bob@example.com"
api_keys = ["bob-key"]
"""
ALICE = Principal("alice@example.com", frozenset({"team@example.com"}))
BOB = Principal("bob@example.com")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "auth.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
async def auth_client(
    tmp_path: Path, recording: RecordingService
) -> AsyncIterator[httpx.AsyncClient]:
    config = ServerConfig(
        data_dir=tmp_path / "data", auth_file=write(tmp_path, AUTH), embedder="hash"
    )
    app = create_app(config, service_factory=lambda _c, _e: recording)
    async with running(app) as client:
        yield client


def test_auth_file_loads_principals(tmp_path: Path) -> None:
    entries = load_auth_file(write(tmp_path, AUTH))

    assert [e.principal for e in entries] == [ALICE, BOB]
    assert entries[0].api_keys == ("alice-key",)
    assert entries[0].bearer_tokens == ("alice-token",)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('[[principal]]\napi_keys = ["k"]\n', "'email' is required"),
        ('[[principal]]\nemail = "nobody"\napi_keys = ["k"]\n', "'email' is required"),
        ('[[principal]]\nemail = "a@x"\n', "no api_keys or bearer_tokens"),
        (
            '[[principal]]\nemail = "a@x"\napi_keys = ["k"]\n'
            '[[principal]]\nemail = "b@x"\napi_keys = ["k"]\n',
            "already listed for a@x",
        ),
        (
            '[[principal]]\nemail = "a@x"\napi_keys = ["k"]\nbearer_tokens = ["k"]\n',
            "already listed",
        ),
        (
            '[[principal]]\nemail = "a@x"\napi_keys = ["k"]\n'
            '[[principal]]\nemail = "A@x"\napi_keys = ["j"]\n',
            "share email",
        ),
        ('[[principal]]\nemail = "a@x"\napi_key = ["k"]\n', "unknown field(s) api_key"),
        ('[[principal]]\nemail = "a@x"\napi_keys = "k"\n', "'api_keys' must be a list"),
        ('[[principal]]\nemail = "a@x"\napi_keys = [""]\n', "'api_keys' must be a list"),
        (
            '[[principal]]\nemail = "a@x"\napi_keys = ["k"]\ngroups = [1]\n',
            "'groups' must be a list",
        ),
        ("[server]\nport = 1\n", "unknown top-level key(s) server"),
        ("", "at least one [[principal]]"),
        ("[[principal]\n", "not valid TOML"),
    ],
)
def test_invalid_auth_files(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(AuthFileError) as caught:
        load_auth_file(write(tmp_path, text))

    assert fragment in str(caught.value)


def test_missing_auth_file(tmp_path: Path) -> None:
    with pytest.raises(AuthFileError, match="Cannot read auth file"):
        load_auth_file(tmp_path / "absent.toml")


def test_create_app_rejects_bad_auth_file_before_serving(tmp_path: Path) -> None:
    config = ServerConfig(
        data_dir=tmp_path, auth_file=write(tmp_path, '[[principal]]\nemail = "a@x"\n')
    )

    with pytest.raises(AuthFileError):
        create_app(config)


def test_single_user_mode_ignores_credentials() -> None:
    authenticator = Authenticator(None)

    assert authenticator.authenticate(Credentials()) == LOCAL_USER
    assert authenticator.authenticate(Credentials(api_key="x", bearer_token="y")) == LOCAL_USER


@pytest.mark.parametrize(
    ("request_kwargs", "who"),
    [
        ({"headers": {"x-goog-api-key": "alice-key"}}, ALICE),
        ({"params": {"key": "bob-key"}}, BOB),
        ({"headers": {"Authorization": "Bearer alice-token"}}, ALICE),
        ({"params": {"access_token": "alice-token"}}, ALICE),
        (
            {"headers": {"Authorization": "Bearer alice-token", "x-goog-api-key": "alice-key"}},
            ALICE,
        ),
    ],
)
async def test_credentials_identify_principal(
    auth_client: httpx.AsyncClient,
    recording: RecordingService,
    request_kwargs: dict[str, Any],
    who: Principal,
) -> None:
    response = await auth_client.get("/v1beta/corpora/c1", **request_kwargs)

    assert response.status_code == 200
    assert recording.last[1][0] == who


@pytest.mark.parametrize(
    ("request_kwargs", "reason"),
    [
        ({}, "CREDENTIALS_MISSING"),
        ({"headers": {"x-goog-api-key": "mallory-key"}}, "API_KEY_INVALID"),
        ({"params": {"key": "mallory-key"}}, "API_KEY_INVALID"),
        ({"headers": {"Authorization": "Bearer stolen"}}, "ACCESS_TOKEN_INVALID"),
        (
            {"headers": {"Authorization": "Bearer alice-token", "x-goog-api-key": "bob-key"}},
            "CREDENTIALS_CONFLICT",
        ),
        (
            {"headers": {"Authorization": "Bearer alice-token", "x-goog-api-key": "nope"}},
            "API_KEY_INVALID",
        ),
    ],
)
async def test_bad_credentials_are_401(
    auth_client: httpx.AsyncClient,
    recording: RecordingService,
    request_kwargs: dict[str, Any],
    reason: str,
) -> None:
    response = await auth_client.get("/v1beta/corpora/c1", **request_kwargs)

    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == 401
    assert error["status"] == "UNAUTHENTICATED"
    assert error["details"][0]["@type"] == "type.googleapis.com/google.rpc.ErrorInfo"
    assert error["details"][0]["reason"] == reason
    assert recording.calls == []


async def test_non_bearer_authorization_is_401(auth_client: httpx.AsyncClient) -> None:
    response = await auth_client.get(
        "/v1beta/models", headers={"Authorization": "Basic YWxpY2U6c2VjcmV0"}
    )

    assert response.status_code == 401
    assert "Bearer" in response.json()["error"]["message"]


async def test_models_need_credentials_too(auth_client: httpx.AsyncClient) -> None:
    assert (await auth_client.get("/v1beta/models")).status_code == 401
    assert (await auth_client.get("/v1beta/models", params={"key": "bob-key"})).status_code == 200


async def test_single_user_server_accepts_any_or_no_credentials(
    fake_client: httpx.AsyncClient, recording: RecordingService
) -> None:
    await fake_client.get("/v1beta/corpora/c1")
    await fake_client.get("/v1beta/corpora/c1", headers={"x-goog-api-key": "anything"})
    await fake_client.get("/v1beta/corpora/c1", headers={"Authorization": "Bearer whatever"})
    await fake_client.get("/v1beta/corpora/c1", headers={"Authorization": "Basic YTpi"})

    assert [args[0] for _, args, _ in recording.calls] == [LOCAL_USER] * 4
