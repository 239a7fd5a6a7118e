"""Typed errors raised below the HTTP layer and rendered once as Google's error body.

Storage and services raise :class:`ApiError` (usually through the helpers below); the
app's exception handler turns it into ``{"error": {"code", "message", "status"}}`` with
the matching HTTP status. Nothing below the HTTP layer knows about HTTP.
"""

from __future__ import annotations

from typing import Any

from ragkit.types.status import Code, ErrorBody, Status

__all__ = [
    "ApiError",
    "aborted",
    "already_exists",
    "failed_precondition",
    "internal",
    "invalid_argument",
    "not_found",
    "permission_denied",
    "resource_exhausted",
    "unauthenticated",
    "unimplemented",
]


class ApiError(Exception):
    """An API failure with a canonical code, e.g. ``ApiError(Code.NOT_FOUND, "...")``."""

    def __init__(
        self,
        code: Code,
        message: str,
        *,
        details: list[dict[str, Any]] | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details
        #: Seconds the client should wait before retrying, sent as ``Retry-After``.
        self.retry_after = retry_after

    @property
    def http_status(self) -> int:
        return self.code.http_status

    def to_body(self) -> dict[str, Any]:
        status = Status(
            code=self.http_status, message=self.message, status=self.code.name, details=self.details
        )
        return ErrorBody(error=status).to_wire()


def invalid_argument(message: str) -> ApiError:
    return ApiError(Code.INVALID_ARGUMENT, message)


def failed_precondition(message: str) -> ApiError:
    return ApiError(Code.FAILED_PRECONDITION, message)


def not_found(message: str) -> ApiError:
    return ApiError(Code.NOT_FOUND, message)


def already_exists(message: str) -> ApiError:
    return ApiError(Code.ALREADY_EXISTS, message)


def permission_denied(message: str) -> ApiError:
    return ApiError(Code.PERMISSION_DENIED, message)


def unauthenticated(message: str) -> ApiError:
    return ApiError(Code.UNAUTHENTICATED, message)


def resource_exhausted(message: str) -> ApiError:
    return ApiError(Code.RESOURCE_EXHAUSTED, message)


def aborted(message: str) -> ApiError:
    return ApiError(Code.ABORTED, message)


def unimplemented(message: str) -> ApiError:
    return ApiError(Code.UNIMPLEMENTED, message)


def internal(message: str) -> ApiError:
    return ApiError(Code.INTERNAL, message)
