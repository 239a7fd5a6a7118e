"""Wire fidelity of the HTTP layer: bodies, enums, system parameters and error bodies."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from ragkit.server.errors import ApiError, failed_precondition, resource_exhausted
from ragkit.server.http.params import parse_alt
from ragkit.types import Corpus, GranteeType, Permission, Role
from ragkit.types.status import Code

from .conftest import RecordingService

P = "/v1beta/corpora/c1/permissions/p1"


def error_of(response: httpx.Response) -> dict[str, Any]:
    """The ``error`` object, after checking the body is exactly Google's shape."""
    body = response.json()
    assert set(body) == {"error"}
    error: dict[str, Any] = body["error"]
    assert error["code"] == response.status_code
    assert {"code", "message", "status"} <= set(error)
    assert response.headers["content-type"].startswith("application/json")
    return error


@pytest.fixture
def permission(recording: RecordingService) -> Permission:
    found = Permission(
        name="corpora/c1/permissions/p1",
        grantee_type=GranteeType.USER,
        email_address="a@example.com",
        role=Role.WRITER,
    )
    recording.returns["get_permission"] = found
    return found


async def test_output_is_camel_case_with_enum_names(
    fake_client: httpx.AsyncClient, permission: Permission
) -> None:
    response = await fake_client.get(P)

    assert response.json() == {
        "name": "corpora/c1/permissions/p1",
        "granteeType": "USER",
        "emailAddress": "a@example.com",
        "role": "WRITER",
    }


@pytest.mark.parametrize("param", ["$alt=json;enum-encoding=int", "alt=json;enum-encoding=int"])
async def test_enum_encoding_int(
    fake_client: httpx.AsyncClient, permission: Permission, param: str
) -> None:
    response = await fake_client.get(f"{P}?{param}")

    assert response.json()["role"] == 2
    assert response.json()["granteeType"] == 1


async def test_plain_alt_json_keeps_names(
    fake_client: httpx.AsyncClient, permission: Permission
) -> None:
    response = await fake_client.get(f"{P}?alt=json")

    assert response.json()["role"] == "WRITER"


async def test_enum_ints_and_snake_case_accepted_on_input(
    fake_client: httpx.AsyncClient, recording: RecordingService
) -> None:
    response = await fake_client.post(
        "/v1beta/corpora/c1/permissions",
        json={"grantee_type": 1, "email_address": "a@example.com", "role": "3"},
    )

    assert response.status_code == 200
    sent = recording.last[1][2]
    assert sent == Permission(
        grantee_type=GranteeType.USER, email_address="a@example.com", role=Role.READER
    )


async def test_timestamps_are_rfc3339_utc(
    fake_client: httpx.AsyncClient, recording: RecordingService
) -> None:
    recording.returns["get_corpus"] = Corpus(
        name="corpora/c1",
        create_time=datetime(2025, 1, 2, 3, 4, 5, 123000, tzinfo=UTC),
        update_time=datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
    )

    body = (await fake_client.get("/v1beta/corpora/c1")).json()

    assert body["createTime"] == "2025-01-02T03:04:05.123000Z"
    assert body["updateTime"] == "2025-01-02T03:04:05Z"


@pytest.mark.parametrize(
    "params",
    [
        "key=k",
        "prettyPrint=false",
        "fields=role",  # honoured: only role comes back (see test_partial.py)
        "quotaUser=u",
        "$.xgafv=2",
        "access_token=t",
        "$alt=json",
        "alt=json&prettyPrint=true&callback=x",
    ],
)
async def test_system_parameters_are_accepted(
    fake_client: httpx.AsyncClient, permission: Permission, params: str
) -> None:
    response = await fake_client.get(f"{P}?{params}")

    assert response.status_code == 200
    assert response.json()["role"] == "WRITER"


async def test_unknown_query_parameter_is_rejected(
    fake_client: httpx.AsyncClient, recording: RecordingService
) -> None:
    response = await fake_client.get(f"{P}?pageSize=3")

    error = error_of(response)
    assert response.status_code == 400
    assert error["status"] == "INVALID_ARGUMENT"
    assert 'Unknown name "pageSize"' in error["message"]
    assert recording.calls == []


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("pageSize=abc", "'pageSize'"),
        ("pageSize=-1", "'pageSize'"),
        ("pageSize=2147483648", "'pageSize'"),
        ("$alt=proto", "alt"),
        ("$alt=json;enum-encoding=roman", "enum-encoding"),
    ],
)
async def test_bad_query_values(fake_client: httpx.AsyncClient, query: str, fragment: str) -> None:
    response = await fake_client.get(f"/v1beta/corpora?{query}")

    assert response.status_code == 400
    assert fragment in error_of(response)["message"]


async def test_bad_force_flag(fake_client: httpx.AsyncClient) -> None:
    response = await fake_client.delete("/v1beta/corpora/c1?force=maybe")

    assert response.status_code == 400
    assert "'force'" in error_of(response)["message"]


async def test_unknown_field_names_its_path(fake_client: httpx.AsyncClient) -> None:
    body = {"requests": [{"chunk": {"data": {"stringValue": "x"}, "colour": "red"}}]}

    response = await fake_client.post(
        "/v1beta/corpora/c1/documents/d1/chunks:batchCreate", json=body
    )

    error = error_of(response)
    assert response.status_code == 400
    assert error["status"] == "INVALID_ARGUMENT"
    assert error["message"] == (
        "Invalid JSON payload received. Unknown name \"colour\" at 'requests[0].chunk': "
        "Cannot find field."
    )


async def test_top_level_unknown_field(fake_client: httpx.AsyncClient) -> None:
    response = await fake_client.post("/v1beta/corpora", json={"displayName": "x", "x": 1})

    assert error_of(response)["message"] == (
        'Invalid JSON payload received. Unknown name "x": Cannot find field.'
    )


async def test_validation_error_names_camel_case_path(fake_client: httpx.AsyncClient) -> None:
    body = {"query": "q", "metadataFilters": [{"key": "k", "conditions": [{"operation": "NOPE"}]}]}

    response = await fake_client.post("/v1beta/corpora/c1:query", json=body)

    error = error_of(response)
    assert response.status_code == 400
    assert "'metadataFilters[0].conditions[0].operation'" in error["message"]
    assert "NOPE" in error["message"]


@pytest.mark.parametrize("raw", [b"{not json", b'{"displayName": "x",}', b"\xff\xfe"])
async def test_malformed_json(fake_client: httpx.AsyncClient, raw: bytes) -> None:
    response = await fake_client.post(
        "/v1beta/corpora", content=raw, headers={"content-type": "application/json"}
    )

    error = error_of(response)
    assert response.status_code == 400
    assert error["status"] == "INVALID_ARGUMENT"
    assert error["message"].startswith("Invalid JSON payload received.")


@pytest.mark.parametrize("raw", [b"[]", b'"corpus"', b"3", b"null"])
async def test_non_object_json(fake_client: httpx.AsyncClient, raw: bytes) -> None:
    response = await fake_client.post("/v1beta/corpora", content=raw)

    assert response.status_code == 400
    assert "Root element must be a message" in error_of(response)["message"]


async def test_empty_body_is_an_empty_message(
    fake_client: httpx.AsyncClient, recording: RecordingService
) -> None:
    response = await fake_client.post("/v1beta/corpora")

    assert response.status_code == 200
    assert recording.last[1][1] == Corpus()


@pytest.mark.parametrize(
    ("error", "http", "status"),
    [
        (failed_precondition("Corpus is not empty."), 400, "FAILED_PRECONDITION"),
        (resource_exhausted("Too many corpora."), 429, "RESOURCE_EXHAUSTED"),
        (ApiError(Code.PERMISSION_DENIED, "No."), 403, "PERMISSION_DENIED"),
        (ApiError(Code.NOT_FOUND, "Gone."), 404, "NOT_FOUND"),
        (ApiError(Code.ALREADY_EXISTS, "Twice."), 409, "ALREADY_EXISTS"),
    ],
)
async def test_service_errors_become_google_bodies(
    fake_client: httpx.AsyncClient,
    recording: RecordingService,
    error: ApiError,
    http: int,
    status: str,
) -> None:
    recording.raises["delete_corpus"] = error

    response = await fake_client.delete("/v1beta/corpora/c1")

    assert response.status_code == http
    assert error_of(response) == {"code": http, "message": error.message, "status": status}


async def test_unexpected_exception_is_500_internal(
    fake_client: httpx.AsyncClient, recording: RecordingService, caplog: pytest.LogCaptureFixture
) -> None:
    recording.raises["get_corpus"] = RuntimeError("disk on fire")

    response = await fake_client.get("/v1beta/corpora/c1")

    assert response.status_code == 500
    error = error_of(response)
    assert error["status"] == "INTERNAL"
    assert "disk on fire" not in error["message"]
    assert "disk on fire" in caplog.text


@pytest.mark.parametrize(
    "path", ["/v1beta/nothing", "/v1/corpora", "/x", "/v1beta/corpora/a/b/c/d", "/v1beta/corpora/"]
)
async def test_unknown_route_is_404(fake_client: httpx.AsyncClient, path: str) -> None:
    response = await fake_client.get(path)

    assert response.status_code == 404
    assert error_of(response)["status"] == "NOT_FOUND"


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/v1beta/corpora/c1", "GET, PATCH, DELETE"),
        ("GET", "/v1beta/corpora/c1:query", "POST"),
        ("DELETE", "/v1beta/corpora", "GET, POST"),
        ("GET", "/v1beta/models/aqa:generateAnswer", "POST"),
    ],
)
async def test_wrong_method_is_404_naming_allowed_methods(
    fake_client: httpx.AsyncClient, method: str, path: str, allowed: str
) -> None:
    response = await fake_client.request(method, path)

    assert response.status_code == 404
    error = error_of(response)
    assert error["status"] == "NOT_FOUND"
    assert error["message"] == f"Method not found: {method} {path}. This path accepts {allowed}."


async def test_invalid_resource_id_in_path_is_404(fake_client: httpx.AsyncClient) -> None:
    response = await fake_client.get("/v1beta/corpora/a:b")

    assert response.status_code == 404
    assert error_of(response)["status"] == "NOT_FOUND"


async def test_validation_error_inside_the_service_is_500(
    fake_client: httpx.AsyncClient, recording: RecordingService
) -> None:
    with pytest.raises(ValidationError) as caught:
        Corpus.model_validate({"createTime": "not a time"})
    recording.raises["get_corpus"] = caught.value

    response = await fake_client.get("/v1beta/corpora/c1")

    assert response.status_code == 500
    assert error_of(response)["status"] == "INTERNAL"


def test_parse_alt() -> None:
    assert parse_alt("json") == ("json", False)
    assert parse_alt("JSON;enum-encoding=int") == ("json", True)
    assert parse_alt("json; enum-encoding=string") == ("json", False)
    assert parse_alt("sse", ("json", "sse")) == ("sse", False)
    with pytest.raises(ApiError, match="this method serves 'json'"):
        parse_alt("sse")
    with pytest.raises(ApiError, match="Invalid alt option"):
        parse_alt("json;pretty=yes")
