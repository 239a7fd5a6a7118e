"""Everything both clients share that does no I/O.

Resources describe a call as an :class:`APIRequest` (method, path, query, body, how to
parse the answer, whether it may be retried); :class:`BaseClient` turns it into an
``httpx.Request`` and interprets responses and transport errors. :class:`ragkit.Client`
and :class:`ragkit.AsyncClient` only add the sending loop, in ``def`` and ``async def``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import httpx
from pydantic import BaseModel

from ragkit._auth import Auth, CredentialsLike
from ragkit._exceptions import (
    APIConnectionError,
    APITimeoutError,
    RagkitError,
    ResponseValidationError,
)
from ragkit._retry import (
    RETRYABLE_STATUS_CODES,
    RetryPolicy,
    is_idempotent,
    overload_delay,
    retry_delay,
)
from ragkit._version import __version__

__all__ = [
    "API_VERSION",
    "BASE_URL_ENV_VAR",
    "DEFAULT_BASE_URL",
    "DEFAULT_TIMEOUT",
    "APIRequest",
    "BaseClient",
    "parse_empty",
    "parse_model",
]

DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com"
BASE_URL_ENV_VAR = "RAGKIT_BASE_URL"
API_VERSION = "v1beta"
DEFAULT_TIMEOUT = 60.0

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
QueryValue = str | int | float | bool | None


def parse_empty(data: Any) -> None:
    """Parser for methods answering ``google.protobuf.Empty``."""
    return None


def parse_model(model: type[M]) -> Callable[[Any], M]:
    """Parser validating the JSON body into ``model`` (unknown fields are ignored)."""
    return model.model_validate


@dataclass(frozen=True, kw_only=True)
class APIRequest(Generic[T]):
    """One API call, described without doing it.

    ``path`` is relative to the base URL (``"v1beta/corpora/c1"``) unless it is an
    absolute URL (an upload session). ``retry=None`` means "retry if idempotent".
    """

    method: str
    path: str
    parse: Callable[[Any], T]
    params: Mapping[str, QueryValue] = field(default_factory=dict)
    json: Any = None
    content: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    retry: bool | None = None

    @property
    def retryable(self) -> bool:
        if self.retry is not None:
            return self.retry
        return is_idempotent(self.method, self.path)

    def with_params(self, **params: QueryValue) -> APIRequest[T]:
        """A copy with extra query parameters (used by pagers for ``pageToken``)."""
        return APIRequest(
            method=self.method,
            path=self.path,
            parse=self.parse,
            params={**self.params, **params},
            json=self.json,
            content=self.content,
            headers=self.headers,
            retry=self.retry,
        )


def _query_value(value: str | int | float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class BaseClient:
    """Configuration and pure request/response logic shared by both clients."""

    def __init__(
        self,
        *,
        api_key: str | None,
        access_token: str | None,
        credentials: CredentialsLike | None,
        base_url: str | None,
        timeout: float | httpx.Timeout | None,
        max_retries: int,
        default_headers: Mapping[str, str] | None,
    ) -> None:
        if max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {max_retries}")
        self._auth = Auth(api_key=api_key, access_token=access_token, credentials=credentials)
        url = base_url or os.environ.get(BASE_URL_ENV_VAR) or DEFAULT_BASE_URL
        self.base_url = httpx.URL(url if url.endswith("/") else url + "/")
        self.timeout = timeout
        #: Backoff settings; replace it (e.g. with a fixed ``random``) to tune retries.
        self.retry_policy = RetryPolicy(max_retries=max_retries)
        self._default_headers = {
            "user-agent": f"ragkit/{__version__}",
            "x-goog-api-client": f"ragkit/{__version__}",
            **(default_headers or {}),
        }

    @property
    def max_retries(self) -> int:
        """How often an idempotent call is retried after a retryable failure."""
        return self.retry_policy.max_retries

    @property
    def api_key(self) -> str | None:
        """The API key sent as ``x-goog-api-key``, if any."""
        return self._auth.api_key

    def _url(self, path: str) -> httpx.URL:
        if path.startswith(("http://", "https://")):
            return httpx.URL(path)
        return self.base_url.join(path)

    def _build_request(
        self, http: httpx.Client | httpx.AsyncClient, request: APIRequest[Any], auth: dict[str, str]
    ) -> httpx.Request:
        params = {k: _query_value(v) for k, v in request.params.items() if v is not None}
        headers = {**self._default_headers, **auth, **request.headers}
        return http.build_request(
            request.method,
            self._url(request.path),
            params=params or None,
            json=request.json if request.content is None else None,
            content=request.content,
            headers=headers,
            timeout=self.timeout,
        )

    def _retries_for(self, request: APIRequest[Any]) -> int:
        return self.retry_policy.max_retries if request.retryable else 0

    def _should_retry_status(self, status_code: int) -> bool:
        return status_code in RETRYABLE_STATUS_CODES

    def _overload_delay(
        self, request: APIRequest[Any], response: httpx.Response, waited: float
    ) -> float | None:
        """The wait before retrying a paced 429/503 (one with ``Retry-After``) without
        counting it as an attempt; ``None`` when the ordinary retry rules apply."""
        if self._retries_for(request) == 0:
            return None
        return overload_delay(self.retry_policy, response.status_code, response.headers, waited)

    def _retry_delay(self, attempt: int, response: httpx.Response | None) -> float:
        return retry_delay(self.retry_policy, attempt, response.headers if response else None)

    @staticmethod
    def _transport_error(exc: httpx.TransportError, request: httpx.Request) -> RagkitError:
        if isinstance(exc, httpx.TimeoutException):
            return APITimeoutError(f"request timed out: {exc}", request=request)
        return APIConnectionError(f"connection error: {exc}", request=request)

    @staticmethod
    def _parse_body(request: APIRequest[T], response: httpx.Response) -> T:
        try:
            data = response.json() if response.content else {}
            return request.parse(data)
        except (ValueError, TypeError) as exc:  # JSON decoding and pydantic validation
            raise ResponseValidationError(
                f"unexpected response body from {request.method} {request.path}: {exc}",
                response=response,
            ) from exc
