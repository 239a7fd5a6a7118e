import pytest

from ragkit.server import errors
from ragkit.types.status import Code


@pytest.mark.parametrize(
    ("factory", "http", "status"),
    [
        (errors.invalid_argument, 400, "INVALID_ARGUMENT"),
        (errors.failed_precondition, 400, "FAILED_PRECONDITION"),
        (errors.not_found, 404, "NOT_FOUND"),
        (errors.already_exists, 409, "ALREADY_EXISTS"),
        (errors.permission_denied, 403, "PERMISSION_DENIED"),
        (errors.unauthenticated, 401, "UNAUTHENTICATED"),
        (errors.resource_exhausted, 429, "RESOURCE_EXHAUSTED"),
        (errors.aborted, 409, "ABORTED"),
        (errors.unimplemented, 501, "UNIMPLEMENTED"),
        (errors.internal, 500, "INTERNAL"),
    ],
)
def test_error_renders_as_google_body(factory, http: int, status: str) -> None:  # type: ignore[no-untyped-def]
    error = factory("boom")
    assert error.http_status == http
    assert error.to_body() == {"error": {"code": http, "message": "boom", "status": status}}


def test_details_are_kept() -> None:
    detail = {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}
    error = errors.ApiError(Code.INVALID_ARGUMENT, "bad key", details=[detail])
    assert error.to_body()["error"]["details"] == [detail]
