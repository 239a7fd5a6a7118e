"""The API version a request was made under (``v1beta`` or ``v1``), for the messages that
name it, as Google's do: "models/x is not found for API version v1, or is not supported
for generateContent."

:class:`ApiVersionMiddleware` reads it from the request path (``/v1/...``,
``/upload/v1beta/...``); :func:`api_version` returns it anywhere below, the service
layer's threads included (contextvars travel with ``anyio.to_thread``). Outside a request
it is ``v1beta``, the version every method is served under.
"""

from __future__ import annotations

from contextvars import ContextVar

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["API_VERSIONS", "ApiVersionMiddleware", "api_version", "version_in_path"]

#: The versions served, the default first.
API_VERSIONS = ("v1beta", "v1")

_current: ContextVar[str] = ContextVar("ragkit_api_version", default=API_VERSIONS[0])


def api_version() -> str:
    """``"v1beta"`` or ``"v1"``: the version of the request being served."""
    return _current.get()


def version_in_path(path: str) -> str | None:
    """The version a path names in its first two segments (``/v1/models``,
    ``/upload/v1beta/files``), else ``None``."""
    for segment in path.split("/", 3)[1:3]:
        if segment in API_VERSIONS:
            return segment
    return None


class ApiVersionMiddleware:
    """Sets :func:`api_version` for the request it passes on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        version = version_in_path(scope.get("path", "")) if scope["type"] == "http" else None
        if version is None:
            await self.app(scope, receive, send)
            return
        token = _current.set(version)
        try:
            await self.app(scope, receive, send)
        finally:
            _current.reset(token)
