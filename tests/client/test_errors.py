"""Google's error body and transport failures become typed exceptions."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

import ragkit
from ragkit._exceptions import error_from_body
from tests.client.conftest import FakeAPI, resolve


def google_error(code: int, status: str, message: str = "boom", **extra: Any) -> httpx.Response:
    return httpx.Response(
        code, json={"error": {"code": code, "status": status, "message": message, **extra}}
    )


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        (400, "INVALID_ARGUMENT", ragkit.BadRequestError),
        (400, "FAILED_PRECONDITION", ragkit.FailedPreconditionError),
        (400, "OUT_OF_RANGE", ragkit.BadRequestError),
        (401, "UNAUTHENTICATED", ragkit.AuthenticationError),
        (403, "PERMISSION_DENIED", ragkit.PermissionDeniedError),
        (404, "NOT_FOUND", ragkit.NotFoundError),
        (409, "ALREADY_EXISTS", ragkit.ConflictError),
        (409, "ABORTED", ragkit.ConflictError),
        (429, "RESOURCE_EXHAUSTED", ragkit.RateLimitError),
        (500, "INTERNAL", ragkit.ServerError),
        (501, "UNIMPLEMENTED", ragkit.NotImplementedAPIError),
        (503, "UNAVAILABLE", ragkit.ServerError),
        (504, "DEADLINE_EXCEEDED", ragkit.ServerError),
    ],
)
async def test_status_maps_to_exception(
    client: Any, api: FakeAPI, code: int, status: str, expected: type[ragkit.APIError]
) -> None:
    details = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "WHY"}]
    # Retryable statuses are answered as often as the client asks.
    api.handler = lambda request: google_error(code, status, "it broke", details=details)
    with pytest.raises(expected) as caught:
        await resolve(client.corpora.get("c1"))
    error = caught.value
    assert (error.code, error.status, error.message) == (code, status, "it broke")
    assert error.details == details and error.reason == "WHY"
    assert error.response is not None and error.response.status_code == code
    assert str(error) == f"{code} {status}: it broke"


async def test_non_json_error_body(client: Any, api: FakeAPI) -> None:
    api.reply(httpx.Response(404, text="<html>Not Found</html>"))
    with pytest.raises(ragkit.NotFoundError) as caught:
        await resolve(client.models.get("nope"))
    assert caught.value.status == "NOT_FOUND" and "Not Found" in caught.value.message


async def test_unknown_status_falls_back_to_api_error(client: Any, api: FakeAPI) -> None:
    api.reply(httpx.Response(418, json={}))
    with pytest.raises(ragkit.APIError) as caught:
        await resolve(client.batches.delete("b1"))
    assert type(caught.value) is ragkit.APIError and caught.value.code == 418


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (httpx.ConnectError("refused"), ragkit.APIConnectionError),
        (httpx.ReadTimeout("slow"), ragkit.APITimeoutError),
        (httpx.RemoteProtocolError("bad"), ragkit.APIConnectionError),
    ],
)
async def test_transport_errors(
    mode: str, api: FakeAPI, exc: Exception, expected: type[Exception]
) -> None:
    from tests.client.conftest import make_client

    client = make_client(mode, api, max_retries=0)
    api.reply(exc)
    with pytest.raises(expected) as caught:
        await resolve(client.corpora.get("c1"))
    assert type(caught.value) is expected
    assert isinstance(caught.value, ragkit.RagkitError)
    assert (
        caught.value.request is not None and caught.value.request.url.path == "/v1beta/corpora/c1"
    )
    assert isinstance(caught.value.__cause__, httpx.TransportError)


def test_error_from_body_uses_the_body_code() -> None:
    error = error_from_body([{"error": {"code": 429, "status": "RESOURCE_EXHAUSTED"}}])
    assert isinstance(error, ragkit.RateLimitError) and error.code == 429
    assert error_from_body({"error": {"message": "x"}}).code == 500
