"""Credentials: where they come from and which headers carry them.

An API key comes from the ``api_key`` argument, else ``GOOGLE_API_KEY``, else
``GEMINI_API_KEY``, and travels as ``x-goog-api-key``. OAuth travels as
``Authorization: Bearer``: either a fixed ``access_token`` or google-auth ``credentials``,
refreshed whenever they are not valid. Corpora on Google's API need OAuth; when OAuth is
configured the environment's API key is not picked up, so the two never conflict.
"""

from __future__ import annotations

import asyncio
import os
import threading
from typing import Any, Protocol, runtime_checkable

__all__ = ["API_KEY_ENV_VARS", "Auth", "CredentialsLike", "resolve_api_key"]

API_KEY_ENV_VARS = ("GOOGLE_API_KEY", "GEMINI_API_KEY")


@runtime_checkable
class CredentialsLike(Protocol):
    """What ragkit needs from ``google.auth.credentials.Credentials``."""

    @property
    def valid(self) -> bool: ...

    @property
    def token(self) -> str | None: ...

    def refresh(self, request: Any) -> None: ...


def resolve_api_key(api_key: str | None) -> str | None:
    """The argument if given, else the first non-empty environment variable."""
    if api_key:
        return api_key
    for variable in API_KEY_ENV_VARS:
        value = os.environ.get(variable)
        if value:
            return value
    return None


def _google_auth_request() -> Any:
    # Imported on first use: google-auth (and its requests transport) is an optional extra.
    try:
        from google.auth.transport.requests import Request
    except ImportError as exc:
        raise ImportError(
            "refreshing google-auth credentials needs google-auth and requests; "
            "install them with `pip install 'ragkit[google-auth]' requests`"
        ) from exc
    return Request()


class Auth:
    """Produces the authentication headers for every request."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        access_token: str | None = None,
        credentials: CredentialsLike | None = None,
    ) -> None:
        if access_token is not None and credentials is not None:
            raise ValueError("pass either access_token or credentials, not both")
        uses_oauth = access_token is not None or credentials is not None
        self.api_key = api_key if uses_oauth else resolve_api_key(api_key)
        self.access_token = access_token
        self.credentials = credentials
        self._lock = threading.Lock()

    def _refresh_if_needed(self) -> str:
        assert self.credentials is not None
        with self._lock:
            if not self.credentials.valid or not self.credentials.token:
                self.credentials.refresh(_google_auth_request())
            token = self.credentials.token
        if not token:
            raise ValueError("google-auth credentials produced no access token after refresh")
        return token

    def _headers(self, token: str | None) -> dict[str, str]:
        headers: dict[str, str] = {}
        if self.api_key:
            headers["x-goog-api-key"] = self.api_key
        if token:
            headers["authorization"] = f"Bearer {token}"
        return headers

    def headers(self) -> dict[str, str]:
        """Headers for a request, refreshing OAuth credentials first if needed (blocking)."""
        token = self.access_token
        if self.credentials is not None:
            token = self._refresh_if_needed()
        return self._headers(token)

    async def aheaders(self) -> dict[str, str]:
        """Like :meth:`headers`, refreshing in a worker thread so the event loop keeps running."""
        token = self.access_token
        if self.credentials is not None:
            if self.credentials.valid and self.credentials.token:
                token = self.credentials.token
            else:
                token = await asyncio.to_thread(self._refresh_if_needed)
        return self._headers(token)
