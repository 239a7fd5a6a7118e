"""ragkit's exception tree.

RagkitError
├── ResourceNameError            a resource name or ID is malformed (also a ValueError)
├── LimitError                   a request breaks a documented API limit (also a ValueError)
├── APIConnectionError           the request never got an HTTP response
│   └── APITimeoutError
├── StreamError                  a streamed response broke off or could not be parsed
├── UploadError                  the resumable upload protocol was not followed
├── OperationTimeoutError        a long-running operation was not done in time (also a TimeoutError)
├── ResponseValidationError      a successful response did not have the expected shape
└── APIError                     the API answered with Google's error body
    ├── BadRequestError          400 INVALID_ARGUMENT / OUT_OF_RANGE
    │   └── FailedPreconditionError   400 FAILED_PRECONDITION
    ├── AuthenticationError      401 UNAUTHENTICATED
    ├── PermissionDeniedError    403 PERMISSION_DENIED
    ├── NotFoundError            404 NOT_FOUND
    ├── ConflictError            409 ALREADY_EXISTS / ABORTED
    ├── RateLimitError           429 RESOURCE_EXHAUSTED
    ├── NotImplementedAPIError   501 UNIMPLEMENTED
    └── ServerError              5xx INTERNAL / UNAVAILABLE / DEADLINE_EXCEEDED...
"""

from __future__ import annotations

import json
from typing import Any

import httpx

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "FailedPreconditionError",
    "LimitError",
    "NotFoundError",
    "NotImplementedAPIError",
    "OperationTimeoutError",
    "PermissionDeniedError",
    "RagkitError",
    "RateLimitError",
    "ResourceNameError",
    "ResponseValidationError",
    "ServerError",
    "StreamError",
    "UploadError",
    "error_from_body",
    "error_from_response",
]


class RagkitError(Exception):
    """Root of every error ragkit raises."""


class ResourceNameError(RagkitError, ValueError):
    """A resource name or ID is malformed; raised before any request is sent."""


class LimitError(RagkitError, ValueError):
    """A request breaks a documented API limit (batch size, page size, metadata count...).

    Raised locally, before anything is sent; the message names the limit.
    """


class APIConnectionError(RagkitError):
    """The request could not reach the API (DNS, refused connection, broken transport)."""

    def __init__(self, message: str, *, request: httpx.Request | None = None) -> None:
        super().__init__(message)
        self.request = request


class APITimeoutError(APIConnectionError):
    """The request timed out."""


class StreamError(RagkitError):
    """A streamed response could not be parsed."""


class UploadError(RagkitError):
    """A resumable upload went wrong outside HTTP errors (e.g. no session URL came back)."""


class OperationTimeoutError(RagkitError, TimeoutError):
    """Waiting for a long-running operation gave up before it was ``done``.

    The operation goes on on the server: ``name`` is the one to poll or wait for again.
    """

    def __init__(self, message: str, *, name: str | None = None) -> None:
        super().__init__(message)
        self.name = name


class ResponseValidationError(RagkitError):
    """A 2xx response body was not JSON, or not the documented shape."""

    def __init__(self, message: str, *, response: httpx.Response | None = None) -> None:
        super().__init__(message)
        self.response = response


class APIError(RagkitError):
    """The API answered with an error.

    Attributes mirror Google's error body: ``code`` (HTTP status), ``status`` (canonical
    name such as ``"NOT_FOUND"``), ``message`` and ``details`` (the raw detail objects).
    """

    def __init__(
        self,
        message: str,
        *,
        code: int,
        status: str,
        details: list[dict[str, Any]] | None = None,
        response: httpx.Response | None = None,
    ) -> None:
        super().__init__(f"{code} {status}: {message}")
        self.message = message
        self.code = code
        self.status = status
        self.details = details or []
        self.response = response

    @property
    def reason(self) -> str | None:
        """``ErrorInfo.reason`` from the details (e.g. ``"API_KEY_INVALID"``), if any."""
        for detail in self.details:
            if detail.get("@type", "").endswith("google.rpc.ErrorInfo"):
                reason = detail.get("reason")
                return str(reason) if reason is not None else None
        return None


class BadRequestError(APIError):
    """400: the request is invalid; the message says which field."""


class FailedPreconditionError(BadRequestError):
    """400 FAILED_PRECONDITION, e.g. deleting a non-empty corpus without ``force``."""


class AuthenticationError(APIError):
    """401: missing or unknown credentials."""


class PermissionDeniedError(APIError):
    """403: the caller may not do this (or the resource may not exist)."""


class NotFoundError(APIError):
    """404: the resource does not exist."""


class ConflictError(APIError):
    """409: the resource already exists, or a concurrent change aborted the call."""


class RateLimitError(APIError):
    """429 RESOURCE_EXHAUSTED: a rate limit or a capacity quota was hit."""


class NotImplementedAPIError(APIError):
    """501 UNIMPLEMENTED: the server does not offer this method."""


class ServerError(APIError):
    """5xx: the server failed; usually worth retrying."""


_BY_STATUS_NAME: dict[str, type[APIError]] = {
    "INVALID_ARGUMENT": BadRequestError,
    "OUT_OF_RANGE": BadRequestError,
    "FAILED_PRECONDITION": FailedPreconditionError,
    "UNAUTHENTICATED": AuthenticationError,
    "PERMISSION_DENIED": PermissionDeniedError,
    "NOT_FOUND": NotFoundError,
    "ALREADY_EXISTS": ConflictError,
    "ABORTED": ConflictError,
    "RESOURCE_EXHAUSTED": RateLimitError,
    "UNIMPLEMENTED": NotImplementedAPIError,
}
_BY_HTTP: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitError,
    501: NotImplementedAPIError,
}
_DEFAULT_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


def error_class(http_status: int, status: str | None) -> type[APIError]:
    """Pick the exception class: by canonical status name first, then by HTTP code."""
    if status and status in _BY_STATUS_NAME:
        return _BY_STATUS_NAME[status]
    if http_status in _BY_HTTP:
        return _BY_HTTP[http_status]
    if http_status >= 500:
        return ServerError
    return APIError


def parse_error_body(http_status: int, body: Any) -> tuple[str, str, list[dict[str, Any]]]:
    """Extract (message, status, details) from a decoded error body, tolerating odd shapes.

    Streaming calls without ``alt=sse`` wrap the body in a one-element list.
    """
    if isinstance(body, list) and body:
        body = body[0]
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        message = str(error.get("message") or "")
        status = str(error.get("status") or _DEFAULT_STATUS.get(http_status, "UNKNOWN"))
        details = [d for d in error.get("details") or [] if isinstance(d, dict)]
        return message, status, details
    return "", _DEFAULT_STATUS.get(http_status, "UNKNOWN"), []


def error_from_body(
    body: Any, *, http_status: int | None = None, response: httpx.Response | None = None
) -> APIError:
    """Build the typed exception for a decoded Google error body.

    Used for error objects that arrive inside a stream, where the HTTP status was 200:
    the body's own ``error.code`` then decides the class.
    """
    if http_status is None:
        inner = body[0] if isinstance(body, list) and body else body
        error = inner.get("error") if isinstance(inner, dict) else None
        code = error.get("code") if isinstance(error, dict) else None
        http_status = code if isinstance(code, int) and code >= 400 else 500
    message, status, details = parse_error_body(http_status, body)
    cls = error_class(http_status, status)
    return cls(
        message or "request failed",
        code=http_status,
        status=status,
        details=details,
        response=response,
    )


def error_from_response(response: httpx.Response) -> APIError:
    """Build the typed exception for an error response (the body must already be read)."""
    try:
        body: Any = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    message, status, details = parse_error_body(response.status_code, body)
    if not message:
        text = response.text.strip()
        message = text[:500] if text else response.reason_phrase or "request failed"
    cls = error_class(response.status_code, status)
    return cls(
        message, code=response.status_code, status=status, details=details, response=response
    )
